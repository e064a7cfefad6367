"""MixMonitor: a real WAV (RIFF PCM 16-bit mono 8 kHz) of the bridged time.

With option ``b`` Asterisk records only while bridged; muted stretches are written as
digital silence. Audio is synthesized: the lab agents' 440 Hz beeps (300 ms on, 700 off)
and the callers' 620 Hz pips (150 ms on, 850 off). Durations are model seconds, i.e. real
elapsed time divided by ``time_scale``.
"""

from __future__ import annotations

import functools
import math
import wave
from array import array
from collections.abc import Callable
from pathlib import Path

RATE = 8000


@functools.cache
def _second(agent: bool, caller: bool) -> bytes:
    """One second of the tone pattern; it repeats every second, so synth tiles it."""
    out = array("h", bytes(2 * RATE))
    for i in range(RATE):
        t = i / RATE
        value = 0.0
        if agent and t < 0.3:
            value += 0.35 * math.sin(2 * math.pi * 440 * t)
        if caller and t < 0.15:
            value += 0.25 * math.sin(2 * math.pi * 620 * t)
        out[i] = int(value * 32767)
    return out.tobytes()


def synth(seconds: float, offset: float, *, agent: bool = True, caller: bool = True) -> bytes:
    """Tone samples for ``seconds`` starting ``offset`` seconds into the bridge."""
    n = max(0, round(seconds * RATE))
    start = round(offset * RATE) % RATE
    second = _second(agent, caller)
    reps = (start + n) // RATE + 1
    return (second * reps)[2 * start : 2 * (start + n)]


def write_wav(path: Path, frames: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)


class MixMonitor:
    def __init__(self, path: Path, now: Callable[[], float], time_scale: float) -> None:
        self.path = path
        self._now = now
        self._scale = time_scale
        self._frames = bytearray()
        self._audio_pos = 0.0  # model seconds of audio written so far
        self._since: float | None = None  # start of the current bridged stretch
        self._mute = {"read": False, "write": False}
        self.closed = False
        write_wav(path, b"")  # Asterisk creates the file at start

    def _flush(self) -> None:
        if self._since is None:
            return
        now = self._now()
        seconds = (now - self._since) / self._scale
        self._since = now
        if seconds <= 0:
            return
        caller = not self._mute["read"]
        agent = not self._mute["write"]
        if caller or agent:
            self._frames += synth(seconds, self._audio_pos, agent=agent, caller=caller)
        else:
            self._frames += bytes(2 * round(seconds * RATE))
        self._audio_pos += seconds

    def bridged(self, on: bool) -> None:
        if self.closed:
            return
        self._flush()
        self._since = self._now() if on else None

    def mute(self, direction: str, state: bool) -> None:
        self._flush()
        if direction in ("both", "read"):
            self._mute["read"] = state
        if direction in ("both", "write"):
            self._mute["write"] = state

    def close(self) -> None:
        if self.closed:
            return
        self._flush()
        self.closed = True
        write_wav(self.path, bytes(self._frames))


def wav_header_ok(path: Path) -> tuple[int, int, int, float]:
    """(channels, sample width, rate, seconds) of a WAV file, for tests and QA."""
    with wave.open(str(path), "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes() / RATE


__all__ = ["MixMonitor", "synth", "wav_header_ok", "write_wav"]
