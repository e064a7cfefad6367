"""The scripted parties: callers and agent phones (public, used by tests and the demo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CallerSpec:
    """A simulated caller. ``dtmf`` keys are sent one by one, 2 s apart (like the lab's
    ``caller-sim``), an empty string meaning "press nothing" so that read times out;
    after the keys the caller waits ``patience`` seconds (None = forever) and hangs up."""

    number: str
    name: str = ""
    entry: str = "ivr"  # "ivr" | "hotline" | "hold" | "queue:<name>" | "<context>"
    dtmf: list[str] = field(default_factory=list)
    speech_wav: Path | None = None
    patience: float | None = None
    hangup_during_ivr_after: float | None = None
    language: str = "en"
    # Channel variables set by the Originate (e.g. IVR_SCRIPT); CALLER_WAIT also sets patience.
    variables: dict[str, str] = field(default_factory=dict)
    # The ;1 half's context: "caller-sim" (keys + tones) or "caller-wait" (just waits).
    caller_context: str | None = None
    # Virtual hold: while waiting (caller-wait), press ``callback_key`` after this many
    # seconds, then hang up ``callback_hangup_after`` seconds later (after the "we will
    # call you back" message a real caller hears).
    callback_key_after: float | None = None
    callback_key: str = "*"
    callback_hangup_after: float = 1.0


@dataclass
class AgentPhone:
    """An agent phone reached as ``Local/<extension>@agents``."""

    extension: str
    answer_after: float | None = 0.0  # None: rings forever
    talk_time: float = 30.0
    busy: bool = False
    tones: bool = True  # plays 440 Hz beeps like the lab agents 100x


@dataclass
class EndedCall:
    linkedid: str
    number: str
    started: float
    ended: float
    phases: dict[str, float]
    agent: str | None
    cause: int | None
