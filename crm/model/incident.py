"""Incidents (mass faults): many callers, one cause, one announcement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class IncidentType(StrEnum):
    CABLE = "cable"
    EQUIPMENT = "equipment"
    POWER = "power"
    NETWORK = "network"
    OTHER = "other"


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class IncidentError(Exception):
    def __init__(self, incident_id: int | None, message: str) -> None:
        super().__init__(f"incident {incident_id}: {message}")
        self.incident_id = incident_id


class IncidentNotFound(IncidentError):
    def __init__(self, incident_id: int | None) -> None:
        super().__init__(incident_id, "no such incident")


def area_ancestors(area: str) -> list[str]:
    """``北京/朝阳区/望京`` is covered by incidents on itself, ``北京/朝阳区`` and ``北京``."""
    parts = [p.strip() for p in area.split("/") if p.strip()]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass
class Incident:
    type: IncidentType
    title: str
    areas: list[str]
    started_at: datetime
    created_by: str
    description: str = ""
    expected_end_at: datetime | None = None
    state: IncidentState = IncidentState.OPEN
    closed_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.areas:
            raise IncidentError(self.id, "an incident needs at least one affected area")
        if self.expected_end_at is not None and self.expected_end_at < self.started_at:
            raise IncidentError(self.id, "expected end is before the start")

    def announcement_text(self) -> tuple[str, str]:
        until = (
            f" Expected to be fixed by {self.expected_end_at:%Y-%m-%d %H:%M} UTC."
            if self.expected_end_at
            else ""
        )
        title = f"[{self.type.value}] {self.title}"
        body = f"{self.description}\nAffected areas / 影响区域: {', '.join(self.areas)}.{until}"
        return title, body.strip()

    def close(self, now: datetime) -> None:
        if self.state is IncidentState.CLOSED:
            raise IncidentError(self.id, "already closed")
        self.state, self.closed_at = IncidentState.CLOSED, now
