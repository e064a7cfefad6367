"""Events of the recordings part. The sensitive-input pair is a domain event of the
engine (cti/events.py), published by the IVR around digits flagged ``sensitive``; it is
re-exported here for the recorder that listens for it."""

from __future__ import annotations

from dataclasses import dataclass

from cti.events import SensitiveInputEnded, SensitiveInputStarted

__all__ = ["RecordingStored", "SensitiveInputEnded", "SensitiveInputStarted"]


@dataclass(frozen=True, slots=True)
class RecordingStored:
    """A call's files are checksummed and in the registry (the transcriber's cue)."""

    call_id: str
    at: float
    segments: int
