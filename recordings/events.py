"""Events this part listens for besides the call model's (publish them on the engine bus).

The IVR publishes :class:`SensitiveInputStarted` just before it collects digits flagged
``sensitive`` (a card number) and :class:`SensitiveInputEnded` right after; the recorder
mutes the call's recording in between. The IVR needs no import of the recorder.
"""

from __future__ import annotations

from dataclasses import dataclass

from cti.events import DomainEvent


@dataclass(frozen=True, slots=True)
class SensitiveInputStarted(DomainEvent):
    reason: str = "ivr"


@dataclass(frozen=True, slots=True)
class SensitiveInputEnded(DomainEvent):
    pass


@dataclass(frozen=True, slots=True)
class RecordingStored:
    """A call's files are checksummed and in the registry (the transcriber's cue)."""

    call_id: str
    at: float
    segments: int
