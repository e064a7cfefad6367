"""Incidents with their affected areas, and announcements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from crm.model.announcement import Announcement, AnnouncementState
from crm.model.incident import Incident, IncidentState, IncidentType, area_ancestors
from crm.schema import announcements, incident_areas, incidents


class IncidentRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, incident: Incident) -> int:
        incident.id = self._conn.execute(
            insert(incidents).values(**_incident_row(incident)).returning(incidents.c.id)
        ).scalar_one()
        self._conn.execute(
            insert(incident_areas),
            [{"incident_id": incident.id, "area": a} for a in dict.fromkeys(incident.areas)],
        )
        return incident.id

    def save(self, incident: Incident) -> None:
        self._conn.execute(
            update(incidents).where(incidents.c.id == incident.id).values(**_incident_row(incident))
        )
        self._conn.execute(
            delete(incident_areas).where(incident_areas.c.incident_id == incident.id)
        )
        self._conn.execute(
            insert(incident_areas),
            [{"incident_id": incident.id, "area": a} for a in dict.fromkeys(incident.areas)],
        )

    def get(self, incident_id: int) -> Incident | None:
        row = (
            self._conn.execute(select(incidents).where(incidents.c.id == incident_id))
            .mappings()
            .first()
        )
        return None if row is None else self._incident(row)

    def _incident(self, r: Any) -> Incident:
        areas = list(
            self._conn.execute(
                select(incident_areas.c.area)
                .where(incident_areas.c.incident_id == r["id"])
                .order_by(incident_areas.c.area)
            ).scalars()
        )
        return Incident(
            id=r["id"],
            type=IncidentType(r["type"]),
            title=r["title"],
            description=r["description"],
            areas=areas,
            started_at=r["started_at"],
            expected_end_at=r["expected_end_at"],
            state=IncidentState(r["state"]),
            closed_at=r["closed_at"],
            created_by=r["created_by"],
        )

    def find(self, *, open_only: bool = False) -> list[Incident]:
        stmt = select(incidents).order_by(incidents.c.id)
        if open_only:
            stmt = stmt.where(incidents.c.state == IncidentState.OPEN.value)
        return [self._incident(r) for r in self._conn.execute(stmt).mappings().all()]

    def open_for_area(self, area: str) -> list[Incident]:
        ids = select(incident_areas.c.incident_id).where(
            incident_areas.c.area.in_(area_ancestors(area))
        )
        rows = (
            self._conn.execute(
                select(incidents)
                .where(incidents.c.state == IncidentState.OPEN.value, incidents.c.id.in_(ids))
                .order_by(incidents.c.started_at)
            )
            .mappings()
            .all()
        )
        return [self._incident(r) for r in rows]


class AnnouncementRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, a: Announcement) -> int:
        a.id = self._conn.execute(
            insert(announcements).values(**_announcement_row(a)).returning(announcements.c.id)
        ).scalar_one()
        return a.id

    def save(self, a: Announcement) -> None:
        self._conn.execute(
            update(announcements).where(announcements.c.id == a.id).values(**_announcement_row(a))
        )

    def get(self, announcement_id: int) -> Announcement | None:
        row = (
            self._conn.execute(select(announcements).where(announcements.c.id == announcement_id))
            .mappings()
            .first()
        )
        return None if row is None else _announcement(row)

    def find(
        self, *, state: AnnouncementState | None = None, incident_id: int | None = None
    ) -> list[Announcement]:
        filters: list[Any] = []
        if state is not None:
            filters.append(announcements.c.state == state.value)
        if incident_id is not None:
            filters.append(announcements.c.incident_id == incident_id)
        rows = self._conn.execute(
            select(announcements).where(*filters).order_by(announcements.c.id)
        ).mappings()
        return [_announcement(r) for r in rows]


def _incident_row(i: Incident) -> dict[str, Any]:
    return {
        "type": i.type.value,
        "title": i.title,
        "description": i.description,
        "state": i.state.value,
        "started_at": i.started_at,
        "expected_end_at": i.expected_end_at,
        "closed_at": i.closed_at,
        "created_by": i.created_by,
    }


def _announcement_row(a: Announcement) -> dict[str, Any]:
    return {
        "title": a.title,
        "body": a.body,
        "state": a.state.value,
        "publish_at": a.publish_at,
        "published_at": a.published_at,
        "revoked_at": a.revoked_at,
        "archived_at": a.archived_at,
        "incident_id": a.incident_id,
        "audience": list(a.audience) or None,
        "created_by": a.created_by,
        "created_at": a.created_at,
    }


def _announcement(r: Any) -> Announcement:
    return Announcement(
        id=r["id"],
        title=r["title"],
        body=r["body"],
        state=AnnouncementState(r["state"]),
        publish_at=r["publish_at"],
        published_at=r["published_at"],
        revoked_at=r["revoked_at"],
        archived_at=r["archived_at"],
        incident_id=r["incident_id"],
        audience=list(r["audience"] or []),
        created_by=r["created_by"],
        created_at=r["created_at"],
    )
