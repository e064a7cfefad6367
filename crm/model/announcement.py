"""Announcements: draft, scheduled, published, revoked, archived; shown by department."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AnnouncementState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    REVOKED = "revoked"
    ARCHIVED = "archived"


N = AnnouncementState
ANNOUNCEMENT_TRANSITIONS: dict[tuple[AnnouncementState, str], AnnouncementState] = {
    (N.DRAFT, "schedule"): N.SCHEDULED,
    (N.SCHEDULED, "schedule"): N.SCHEDULED,
    (N.DRAFT, "publish"): N.PUBLISHED,
    (N.SCHEDULED, "publish"): N.PUBLISHED,
    (N.SCHEDULED, "unschedule"): N.DRAFT,
    (N.PUBLISHED, "revoke"): N.REVOKED,
    (N.DRAFT, "archive"): N.ARCHIVED,
    (N.PUBLISHED, "archive"): N.ARCHIVED,
    (N.REVOKED, "archive"): N.ARCHIVED,
}


class AnnouncementError(Exception):
    def __init__(self, announcement_id: int | None, message: str) -> None:
        super().__init__(f"announcement {announcement_id}: {message}")
        self.announcement_id = announcement_id


class AnnouncementNotFound(AnnouncementError):
    def __init__(self, announcement_id: int | None) -> None:
        super().__init__(announcement_id, "no such announcement")


@dataclass
class Announcement:
    title: str
    body: str
    created_by: str
    created_at: datetime
    audience: list[int] = field(default_factory=list)  # department ids; empty means all
    state: AnnouncementState = AnnouncementState.DRAFT
    publish_at: datetime | None = None
    published_at: datetime | None = None
    revoked_at: datetime | None = None
    archived_at: datetime | None = None
    incident_id: int | None = None
    id: int | None = None

    def _move(self, action: str) -> None:
        try:
            self.state = ANNOUNCEMENT_TRANSITIONS[(self.state, action)]
        except KeyError:
            raise AnnouncementError(
                self.id, f"cannot {action} an announcement that is {self.state.value}"
            ) from None

    def schedule(self, publish_at: datetime) -> None:
        self._move("schedule")
        self.publish_at = publish_at

    def publish(self, now: datetime) -> None:
        self._move("publish")
        self.published_at = now

    def publish_if_due(self, now: datetime) -> bool:
        if self.state is N.SCHEDULED and self.publish_at is not None and self.publish_at <= now:
            self.publish(now)
            return True
        return False

    def revoke(self, now: datetime) -> None:
        self._move("revoke")
        self.revoked_at = now

    def archive(self, now: datetime) -> None:
        self._move("archive")
        self.archived_at = now

    def visible_to(self, department_ids: set[int]) -> bool:
        """Published and addressed to everyone or to one of ``department_ids`` (a user's
        department and its ancestors)."""
        return self.state is N.PUBLISHED and (
            not self.audience or bool(department_ids & set(self.audience))
        )
