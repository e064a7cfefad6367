"""Transcription with Vosk: free-form recognition with word times, over ivr.speech's cache.

ivr/speech.py loads each model once (:class:`ivr.speech.ModelCache`) but recognizes only
against a grammar; a recording needs the whole vocabulary and the time of every word, so
this module adds that recognizer and reuses the cache for the model itself.
"""

from __future__ import annotations

import json
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FRAMES = 8000  # half a second at 16 kHz, a second at 8 kHz: Vosk's sweet spot


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    words: list[list[Any]]  # [word, start, end, confidence]
    audio_seconds: float
    cpu_seconds: float


def _words(result: dict[str, Any]) -> list[list[Any]]:
    return [[str(w.get("word", "")), round(float(w.get("start", 0.0)), 2),
             round(float(w.get("end", 0.0)), 2), round(float(w.get("conf", 0.0)), 3)]
            for w in result.get("result") or []]


def transcribe_file(model: Any, wav: Path) -> Transcript:
    """Blocking: every word Vosk hears in a 16-bit mono WAV, with its start and end."""
    import vosk

    cpu0 = time.thread_time()
    words: list[list[Any]] = []
    with wave.open(str(wav), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(f"{wav}: need 16-bit mono PCM")
        rate, frames = w.getframerate(), w.getnframes()
        rec = vosk.KaldiRecognizer(model, float(rate))
        rec.SetWords(True)
        while data := w.readframes(FRAMES):
            if rec.AcceptWaveform(data):
                words += _words(json.loads(rec.Result()))
    words += _words(json.loads(rec.FinalResult()))
    # Vosk pads Korean/Chinese output with spaces between tokens; keep its tokenization.
    text = " ".join(str(w[0]) for w in words if w[0])
    return Transcript(text, words, frames / rate if rate else 0.0,
                      time.thread_time() - cpu0)
