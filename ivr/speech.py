"""Speech input with Vosk: shared models, grammar-limited recognition off the event loop.

A Vosk model takes about a second and hundreds of MB to load, so :class:`ModelCache`
loads each directory once (in a thread, one loader at a time per directory) and every
call shares it. Recognition is CPU work: it runs in a thread, a few at a time, with a
grammar made of the menu's words so the recognizer can only answer with one of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recognition:
    text: str
    confidence: float  # mean of the word confidences; 0.0 when nothing was recognized


class ModelCache:
    """Vosk models by directory, loaded on first use and kept for the process."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._missing: set[str] = set()

    def usable(self, directory: str) -> bool:
        """A model directory that exists (a missing one is logged once, then keys only)."""
        if directory in self._models:
            return True
        if Path(directory, "am").is_dir() or Path(directory, "conf", "model.conf").is_file():
            return True
        if directory not in self._missing:
            self._missing.add(directory)
            log.warning("vosk model not found; speech falls back to keys",
                        extra={"model_dir": directory})
        return False

    async def get(self, directory: str) -> Any:
        model = self._models.get(directory)
        if model is not None:
            return model
        lock = self._locks.setdefault(directory, asyncio.Lock())
        async with lock:
            if directory not in self._models:
                self._models[directory] = await asyncio.to_thread(_load, directory)
        return self._models[directory]

    def preload(self, directory: str) -> None:
        """Blocking load, for start-up (or a test session) before any loop needs it."""
        if directory not in self._models:
            self._models[directory] = _load(directory)

    def loaded(self) -> list[str]:
        return list(self._models)


def _load(directory: str) -> Any:
    import vosk

    vosk.SetLogLevel(-1)  # Kaldi's per-recognizer chatter on stderr says nothing we act on
    log.info("loading vosk model", extra={"model_dir": directory})
    return vosk.Model(directory)


def recognize_file(model: Any, wav: Path, grammar: Sequence[str]) -> Recognition:
    """Blocking: recognize one WAV (16-bit mono PCM, any rate) against ``grammar``."""
    import vosk

    # ensure_ascii=False: Vosk does not decode \\u escapes, so 中文 words must go as UTF-8.
    phrases = json.dumps(list(dict.fromkeys(grammar)), ensure_ascii=False)
    with wave.open(str(wav), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(f"{wav}: need 16-bit mono PCM")
        rec = vosk.KaldiRecognizer(model, float(w.getframerate()), phrases)
        rec.SetWords(True)
        while True:
            data = w.readframes(4000)
            if not data:
                break
            rec.AcceptWaveform(data)
    result = json.loads(rec.FinalResult())
    words = result.get("result") or []
    text = str(result.get("text") or "").strip()
    if not words or not text:
        return Recognition("", 0.0)
    return Recognition(text, sum(float(x.get("conf", 0.0)) for x in words) / len(words))


class SpeechRecognizer:
    """Per-language model directories over a shared :class:`ModelCache`."""

    def __init__(self, models: Mapping[str, str], cache: ModelCache, *,
                 max_parallel: int = 4) -> None:
        self._dirs = dict(models)
        self._cache = cache
        self._slots = asyncio.Semaphore(max_parallel)

    def available(self, language: str) -> bool:
        directory = self._dirs.get(language)
        return directory is not None and self._cache.usable(directory)

    async def recognize(self, wav: Path, language: str, grammar: Sequence[str]) -> Recognition:
        model = await self._cache.get(self._dirs[language])
        async with self._slots:
            return await asyncio.to_thread(recognize_file, model, wav, grammar)
