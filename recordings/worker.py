"""The transcription worker: works through stored segments that have no transcript yet.

Woken by :class:`recordings.events.RecordingStored` (and once at start, for a backlog
left by a restart); each segment runs in a thread, ``transcribe_parallel`` at a time.
The CLI's ``cti recordings transcribe`` drives the same :func:`transcribe_backlog`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ivr.speech import ModelCache
from recordings.config import RecordingsConfig
from recordings.names import UnsafeName, resolve
from recordings.registry import Registry
from recordings.transcribe import transcribe_file

log = logging.getLogger(__name__)

Progress = Callable[[int, int, float], None]  # done, total, audio seconds so far


async def transcribe_backlog(config: RecordingsConfig, registry: Registry, cache: ModelCache,
                             *, progress: Progress | None = None,
                             clock: Callable[[], float] = time.time,
                             on_call_done: Callable[[str], None] | None = None) -> int:
    """Transcribe every pending segment; the number transcribed."""
    pending = await asyncio.to_thread(registry.untranscribed, 10_000)
    total, done, audio = len(pending), 0, 0.0
    slots = asyncio.Semaphore(config.transcribe_parallel)
    if progress:
        progress(0, total, 0.0)

    async def one(row: dict[str, Any]) -> None:
        nonlocal done, audio
        language = config.language_for(row.get("service"))
        directory = config.models.get(language)
        if directory is None or not cache.usable(directory):
            log.warning("no model for the call's language; not transcribed",
                        extra={"call_id": row["call_id"], "language": language})
            await asyncio.to_thread(registry.update_call, row["call_id"],
                                    transcript_status="no_model")
            return
        try:
            path = resolve(Path(config.directory), row["name"])
        except UnsafeName:
            log.error("unsafe recording name in the registry", extra={"recording": row["name"]})
            return
        model = await cache.get(directory)
        try:
            async with slots:
                result = await asyncio.to_thread(transcribe_file, model, path)
        except (OSError, ValueError, EOFError) as exc:
            # An unreadable file is this call's problem: mark it so the next pass skips it.
            log.error("transcription failed", extra={"call_id": row["call_id"],
                                                     "error": str(exc)})
            await asyncio.to_thread(registry.update_call, row["call_id"],
                                    transcript_status="failed")
            return
        await asyncio.to_thread(
            registry.save_transcript, row["id"], row["call_id"], language=language,
            text=result.text, words=result.words, audio_seconds=result.audio_seconds,
            cpu_seconds=result.cpu_seconds, now=clock())
        done += 1
        audio += result.audio_seconds
        if on_call_done is not None:
            await asyncio.to_thread(on_call_done, row["call_id"])
        if progress:
            progress(done, total, audio)

    async with asyncio.TaskGroup() as group:
        for row in pending:
            group.create_task(one(row))
    return done


class TranscriptionWorker:
    def __init__(self, config: RecordingsConfig, registry: Registry, cache: ModelCache, *,
                 clock: Callable[[], float] = time.time,
                 on_call_done: Callable[[str], None] | None = None) -> None:
        self._config = config
        self._registry = registry
        self._cache = cache
        self._clock = clock
        self._wake = asyncio.Event()
        self._on_call_done = on_call_done
        self.transcribed = 0
        self.idle = asyncio.Event()

    def on_stored(self, _event: Any) -> None:
        self._wake.set()

    async def run(self) -> None:
        self._wake.set()  # a backlog from before a restart
        while True:
            await self._wake.wait()
            self._wake.clear()
            self.idle.clear()
            try:
                self.transcribed += await transcribe_backlog(
                    self._config, self._registry, self._cache, clock=self._clock,
                    on_call_done=self._on_call_done)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A corrupt file or a model that fails to load: logged, retried on the next
                # stored call rather than stopping transcription for good.
                log.exception("transcription pass failed")
            if not self._wake.is_set():
                self.idle.set()
