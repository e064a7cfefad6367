"""Work-log entries (工作记录): what was done on a ticket and how long it took."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_MINUTES = 24 * 60  # one entry covers at most a day's work


class WorkLogError(ValueError):
    pass


@dataclass
class WorkLogEntry:
    ticket_id: int
    at: datetime
    actor: str
    minutes: int
    note: str
    id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.minutes, int) or not 1 <= self.minutes <= MAX_MINUTES:
            raise WorkLogError(f"time spent must be 1-{MAX_MINUTES} minutes, not {self.minutes!r}")
        if not self.note.strip():
            raise WorkLogError("a work-log entry needs a note")
