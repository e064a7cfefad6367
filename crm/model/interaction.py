"""One call's whole journey, as the engine hands it to the CRM."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class InteractionRecord:
    """Everything known about one call. ``call_id`` (the Asterisk Linkedid) is its identity:
    writing the same call twice leaves one row."""

    call_id: str
    started_at: datetime
    ended_at: datetime | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    customer_id: int | None = None
    direction: str = "inbound"
    service: str | None = None
    queue: str | None = None
    ivr_steps: list[dict[str, Any]] = field(default_factory=list)
    wait_seconds: float = 0.0
    agents_offered: list[str] = field(default_factory=list)
    agent_answered: str | None = None
    transfers: list[dict[str, Any]] = field(default_factory=list)
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    wrapup_seconds: float = 0.0
    end_reason: str | None = None
    disposition: str | None = None
    notes: str | None = None
    recording_refs: list[str] = field(default_factory=list)
    transcript_ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    ticket_ids: tuple[int, ...] = ()


# Fields the engine or the desktop may fill in after the call was first written.
INTERACTION_FIELDS: frozenset[str] = frozenset(
    f.name for f in fields(InteractionRecord) if f.name not in ("call_id", "ticket_ids")
)


class UnknownInteractionField(ValueError):
    def __init__(self, call_id: str, names: set[str]) -> None:
        super().__init__(f"interaction {call_id}: unknown field(s) {sorted(names)}")
        self.call_id = call_id
        self.names = names


# What people add to a call they handled. Everything else is a telephony fact (who
# answered, how long, the recordings, the caller's number...): the engine writes it, and
# only a supervisor's correction, audited with old and new values, changes it.
PEOPLE_FIELDS: frozenset[str] = frozenset({"disposition", "notes", "customer_id"})
TELEPHONY_FIELDS: frozenset[str] = INTERACTION_FIELDS - PEOPLE_FIELDS


def handled_by(record: InteractionRecord, names: frozenset[str]) -> bool:
    """Whether one of ``names`` (a person's agent id and extension) answered the call or
    took it over in a transfer."""
    if record.agent_answered is not None and record.agent_answered in names:
        return True
    return any(
        isinstance(t, dict) and (t.get("agent") in names or t.get("to") in names)
        for t in record.transfers
    )
