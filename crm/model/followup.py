"""Follow-ups (return visits): a call back after a ticket is resolved, scored 1-5."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

FOLLOW_UP_WITHIN = timedelta(hours=24)
SATISFIED_FROM = 3  # a score below this reopens and re-dispatches the ticket


class FollowUpState(StrEnum):
    PENDING = "pending"
    DONE = "done"


class FollowUpError(Exception):
    def __init__(self, followup_id: int | None, message: str) -> None:
        super().__init__(f"follow-up {followup_id}: {message}")
        self.followup_id = followup_id


class FollowUpNotFound(FollowUpError):
    def __init__(self, followup_id: int | None) -> None:
        super().__init__(followup_id, "no such follow-up")


@dataclass
class FollowUp:
    ticket_id: int
    created_at: datetime
    due_at: datetime
    state: FollowUpState = FollowUpState.PENDING
    satisfaction: int | None = None
    comment: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    # Satisfaction by dimension, 1-5 each; ``satisfaction`` is the overall score.
    attitude: int | None = None
    timeliness: int | None = None
    result_score: int | None = None
    id: int | None = None

    @classmethod
    def for_resolved_ticket(cls, ticket_id: int, now: datetime) -> FollowUp:
        return cls(ticket_id=ticket_id, created_at=now, due_at=now + FOLLOW_UP_WITHIN)

    @property
    def satisfied(self) -> bool | None:
        return None if self.satisfaction is None else self.satisfaction >= SATISFIED_FROM

    def record_result(
        self,
        satisfaction: int,
        comment: str | None,
        actor: str,
        now: datetime,
        *,
        attitude: int | None = None,
        timeliness: int | None = None,
        result_score: int | None = None,
    ) -> None:
        if self.state is FollowUpState.DONE:
            raise FollowUpError(self.id, "the result is already recorded")
        scores = {
            "satisfaction": satisfaction,
            "attitude": attitude,
            "timeliness": timeliness,
            "result": result_score,
        }
        for name, score in scores.items():
            if score is None and name != "satisfaction":
                continue
            if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
                raise FollowUpError(self.id, f"{name} must be 1-5, not {score!r}")
        self.satisfaction, self.comment = satisfaction, comment
        self.attitude, self.timeliness, self.result_score = attitude, timeliness, result_score
        self.state, self.done_at, self.done_by = FollowUpState.DONE, now, actor
