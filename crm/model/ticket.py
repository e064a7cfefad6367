"""Tickets (work orders): a pure state machine, a transition table and the events it records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any


class TicketState(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class TicketAction(StrEnum):
    DISPATCH = "dispatch"
    TRANSFER = "transfer"
    START = "start"
    SUSPEND = "suspend"
    RESUME = "resume"
    RESOLVE = "resolve"
    RESOLVE_BY_INCIDENT = "resolve_by_incident"
    CLOSE = "close"
    REOPEN = "reopen"


class TicketCategory(StrEnum):
    CONSULTATION = "consultation"
    REPAIR = "repair"
    INSTALLATION = "installation"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    PRAISE = "praise"


class TicketPriority(IntEnum):
    URGENT = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4


S, A = TicketState, TicketAction
OPEN_STATES = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.SUSPENDED, S.REOPENED})

# (state, action) -> next state. Anything absent is illegal.
TRANSITIONS: dict[tuple[TicketState, TicketAction], TicketState] = {
    (S.NEW, A.DISPATCH): S.ASSIGNED,
    (S.REOPENED, A.DISPATCH): S.ASSIGNED,
    (S.ASSIGNED, A.DISPATCH): S.ASSIGNED,
    (S.ASSIGNED, A.TRANSFER): S.ASSIGNED,
    (S.IN_PROGRESS, A.TRANSFER): S.ASSIGNED,
    (S.ASSIGNED, A.START): S.IN_PROGRESS,
    (S.ASSIGNED, A.SUSPEND): S.SUSPENDED,
    (S.IN_PROGRESS, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RESUME): S.IN_PROGRESS,
    (S.ASSIGNED, A.RESOLVE): S.RESOLVED,
    (S.IN_PROGRESS, A.RESOLVE): S.RESOLVED,
    **{(state, A.RESOLVE_BY_INCIDENT): S.RESOLVED for state in OPEN_STATES},
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
}

# How long each category may take before its ticket is in breach.
DUE_AFTER: dict[TicketCategory, timedelta] = {
    TicketCategory.CONSULTATION: timedelta(hours=4),
    TicketCategory.COMPLAINT: timedelta(hours=24),
    TicketCategory.REPAIR: timedelta(hours=48),
    TicketCategory.INSTALLATION: timedelta(hours=72),
    TicketCategory.SUGGESTION: timedelta(days=7),
    TicketCategory.PRAISE: timedelta(days=7),
}


class TicketError(Exception):
    def __init__(self, ticket_id: int | None, message: str) -> None:
        super().__init__(f"ticket {ticket_id}: {message}")
        self.ticket_id = ticket_id


class IllegalTransition(TicketError):
    def __init__(self, ticket_id: int | None, state: TicketState, action: TicketAction) -> None:
        super().__init__(ticket_id, f"cannot {action.value} a ticket that is {state.value}")
        self.state = state
        self.action = action


class TicketNotFound(TicketError):
    def __init__(self, ticket_id: int | None) -> None:
        super().__init__(ticket_id, "no such ticket")


def next_state(
    state: TicketState, action: TicketAction, ticket_id: int | None = None
) -> TicketState:
    """The pure transition: the state after ``action``, or IllegalTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(ticket_id, state, action) from None


def due_at(category: TicketCategory, opened_at: datetime) -> datetime:
    return opened_at + DUE_AFTER[category]


@dataclass(frozen=True)
class TicketEvent:
    """One line of a ticket's history: ``name`` is past tense (``dispatched``, ``resolved``)."""

    name: str
    ticket_id: int | None
    at: datetime
    actor: str
    from_state: TicketState | None
    to_state: TicketState | None
    detail: dict[str, Any] = field(default_factory=dict)


_EVENT_NAMES: dict[TicketAction, str] = {
    A.DISPATCH: "dispatched",
    A.TRANSFER: "transferred",
    A.START: "started",
    A.SUSPEND: "suspended",
    A.RESUME: "resumed",
    A.RESOLVE: "resolved",
    A.RESOLVE_BY_INCIDENT: "resolved",
    A.CLOSE: "closed",
    A.REOPEN: "reopened",
}


@dataclass
class Ticket:
    title: str
    category: TicketCategory
    opened_at: datetime
    priority: TicketPriority = TicketPriority.NORMAL
    description: str = ""
    customer_id: int | None = None
    state: TicketState = TicketState.NEW
    department_id: int | None = None
    assignee: str | None = None
    incident_id: int | None = None
    suspend_reason: str | None = None
    resolution: str | None = None
    due: datetime | None = None
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    id: int | None = None
    version: int = 1
    events: list[TicketEvent] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.due is None:
            self.due = due_at(self.category, self.opened_at)
        self.updated_at = self.updated_at or self.opened_at

    @classmethod
    def open(cls, *, actor: str, **fields: Any) -> Ticket:
        ticket = cls(**fields)
        ticket.events.append(
            TicketEvent(
                "opened",
                None,
                ticket.opened_at,
                actor,
                None,
                ticket.state,
                {"category": ticket.category.value, "priority": int(ticket.priority)},
            )
        )
        return ticket

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def breached(self, now: datetime) -> bool:
        """Late: still open past its due time, or resolved after it."""
        assert self.due is not None
        if self.resolved_at is not None and self.state in (S.RESOLVED, S.CLOSED):
            return self.resolved_at > self.due
        return now > self.due

    def _apply(self, action: TicketAction, actor: str, now: datetime, **detail: Any) -> None:
        before = self.state
        self.state = next_state(before, action, self.id)
        self.updated_at = now
        clean = {k: v for k, v in detail.items() if v is not None}
        self.events.append(
            TicketEvent(_EVENT_NAMES[action], self.id, now, actor, before, self.state, clean)
        )

    def dispatch(
        self, actor: str, now: datetime, *, department_id: int | None, assignee: str | None = None
    ) -> None:
        if department_id is None and assignee is None:
            raise TicketError(self.id, "dispatch needs a department or a person")
        self._apply(A.DISPATCH, actor, now, department_id=department_id, assignee=assignee)
        self.department_id, self.assignee = department_id, assignee

    def transfer(
        self, actor: str, now: datetime, *, department_id: int, reason: str | None = None
    ) -> None:
        self._apply(
            A.TRANSFER,
            actor,
            now,
            from_department_id=self.department_id,
            department_id=department_id,
            reason=reason,
        )
        self.department_id, self.assignee = department_id, None

    def start(self, actor: str, now: datetime) -> None:
        self._apply(A.START, actor, now)
        self.assignee = self.assignee or actor

    def suspend(self, actor: str, now: datetime, *, reason: str) -> None:
        if not reason.strip():
            raise TicketError(self.id, "suspending needs a reason")
        self._apply(A.SUSPEND, actor, now, reason=reason)
        self.suspend_reason = reason

    def resume(self, actor: str, now: datetime) -> None:
        self._apply(A.RESUME, actor, now)
        self.suspend_reason = None

    def resolve(
        self, actor: str, now: datetime, *, resolution: str, incident_id: int | None = None
    ) -> None:
        action = A.RESOLVE if incident_id is None else A.RESOLVE_BY_INCIDENT
        self._apply(action, actor, now, resolution=resolution, incident_id=incident_id)
        self.resolution, self.resolved_at, self.suspend_reason = resolution, now, None

    def close(self, actor: str, now: datetime) -> None:
        self._apply(A.CLOSE, actor, now)
        self.closed_at = now

    def reopen(self, actor: str, now: datetime, *, reason: str) -> None:
        self._apply(A.REOPEN, actor, now, reason=reason)
        self.resolved_at = self.closed_at = None
        self.resolution = None

    def reprioritize(self, actor: str, now: datetime, priority: TicketPriority) -> None:
        self.events.append(
            TicketEvent(
                "reprioritized",
                self.id,
                now,
                actor,
                self.state,
                self.state,
                {"from": int(self.priority), "to": int(priority)},
            )
        )
        self.priority, self.updated_at = priority, now

    def link_incident(self, actor: str, now: datetime, incident_id: int) -> None:
        self.events.append(
            TicketEvent(
                "linked_to_incident",
                self.id,
                now,
                actor,
                self.state,
                self.state,
                {"incident_id": incident_id},
            )
        )
        self.incident_id, self.updated_at = incident_id, now
