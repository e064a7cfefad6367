"""Announcement handlers."""

from __future__ import annotations

from datetime import datetime

from crm.model.announcement import (
    Announcement,
    AnnouncementError,
    AnnouncementNotFound,
    AnnouncementState,
)
from crm.uow import UnitOfWork


def create_announcement(
    uow: UnitOfWork, *, actor: str, title: str, body: str, audience: list[int] | None = None
) -> Announcement:
    announcement = Announcement(
        title=title,
        body=body,
        created_by=actor,
        created_at=uow.clock(),
        audience=list(audience or []),
    )
    uow.announcements.add(announcement)
    uow.audit(actor, "announcement.create", "announcement", announcement.id)
    return announcement


def change_announcement(
    uow: UnitOfWork,
    announcement_id: int,
    action: str,
    actor: str,
    publish_at: datetime | None = None,
) -> Announcement:
    announcement = uow.announcements.get(announcement_id)
    if announcement is None:
        raise AnnouncementNotFound(announcement_id)
    now = uow.clock()
    if action == "schedule":
        if publish_at is None:
            raise ValueError("scheduling needs publish_at")
        announcement.schedule(publish_at)
    elif action == "publish":
        announcement.publish(now)
    elif action == "revoke":
        announcement.revoke(now)
    elif action == "archive":
        announcement.archive(now)
    else:
        raise ValueError(f"unknown announcement action {action!r}")
    uow.announcements.save(announcement)
    uow.audit(actor, f"announcement.{action}", "announcement", announcement_id)
    return announcement


def publish_due(uow: UnitOfWork, actor: str = "system:scheduler") -> list[int]:
    """Publish scheduled announcements whose time has come; run periodically."""
    now = uow.clock()
    published = []
    for announcement in uow.announcements.find(state=AnnouncementState.SCHEDULED):
        if announcement.publish_if_due(now):
            uow.announcements.save(announcement)
            uow.audit(actor, "announcement.publish", "announcement", announcement.id)
            published.append(announcement.id)
    return published


def edit_announcement(
    uow: UnitOfWork, announcement_id: int, *, actor: str, title: str, body: str
) -> Announcement:
    """Change the text of a draft, scheduled or published announcement (an incident's
    auto-announcement included); the audit keeps the old text."""
    announcement = uow.announcements.get(announcement_id)
    if announcement is None:
        raise AnnouncementNotFound(announcement_id)
    if announcement.state in (AnnouncementState.REVOKED, AnnouncementState.ARCHIVED):
        raise AnnouncementError(
            announcement_id, f"cannot edit an announcement that is {announcement.state.value}"
        )
    old = {"title": announcement.title, "body": announcement.body}
    announcement.title, announcement.body = title, body
    uow.announcements.save(announcement)
    uow.audit(
        actor,
        "announcement.edit",
        "announcement",
        announcement_id,
        {"old": old, "new": {"title": title, "body": body}},
    )
    return announcement
