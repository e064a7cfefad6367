"""Incident handlers: opening one publishes an announcement; closing one resolves its tickets."""

from __future__ import annotations

from datetime import datetime

from crm.model.announcement import Announcement, AnnouncementState
from crm.model.incident import Incident, IncidentNotFound, IncidentType
from crm.model.ticket import TicketAction
from crm.services.tickets import change_ticket, load
from crm.uow import UnitOfWork


def open_incident(
    uow: UnitOfWork,
    *,
    actor: str,
    type: IncidentType | str,
    title: str,
    areas: list[str],
    description: str = "",
    started_at: datetime | None = None,
    expected_end_at: datetime | None = None,
) -> Incident:
    now = uow.clock()
    incident = Incident(
        type=IncidentType(type),
        title=title,
        areas=list(areas),
        description=description,
        started_at=started_at or now,
        expected_end_at=expected_end_at,
        created_by=actor,
    )
    uow.incidents.add(incident)
    uow.audit(actor, "incident.create", "incident", incident.id, {"areas": incident.areas})
    title_text, body = incident.announcement_text()
    announcement = Announcement(
        title=title_text, body=body, created_by=actor, created_at=now, incident_id=incident.id
    )
    announcement.publish(now)
    uow.announcements.add(announcement)
    uow.audit(
        actor, "announcement.publish", "announcement", announcement.id, {"incident_id": incident.id}
    )
    return incident


def link_tickets(uow: UnitOfWork, incident_id: int, ticket_ids: list[int], actor: str) -> None:
    incident = uow.incidents.get(incident_id)
    if incident is None:
        raise IncidentNotFound(incident_id)
    now = uow.clock()
    for ticket_id in ticket_ids:
        ticket = load(uow, ticket_id)
        ticket.link_incident(actor, now, incident_id)
        uow.tickets.save(ticket)
        uow.audit(actor, "ticket.link_incident", "ticket", ticket_id, {"incident_id": incident_id})


def close_incident(
    uow: UnitOfWork, incident_id: int, *, actor: str, resolution: str = ""
) -> list[int]:
    """Close the incident, resolve its open tickets (each gets a follow-up), take down its
    announcement. Returns the ids of the tickets resolved."""
    incident = uow.incidents.get(incident_id)
    if incident is None:
        raise IncidentNotFound(incident_id)
    now = uow.clock()
    incident.close(now)
    uow.incidents.save(incident)
    uow.audit(actor, "incident.close", "incident", incident_id)
    text = resolution or f"Resolved with incident {incident_id}: {incident.title}"
    resolved = []
    for ticket in uow.tickets.find(incident_id=incident_id, open_only=True, limit=100_000):
        assert ticket.id is not None
        change_ticket(
            uow,
            ticket.id,
            TicketAction.RESOLVE_BY_INCIDENT,
            actor,
            resolution=text,
            incident_id=incident_id,
        )
        resolved.append(ticket.id)
    for announcement in uow.announcements.find(
        incident_id=incident_id, state=AnnouncementState.PUBLISHED
    ):
        announcement.revoke(now)
        uow.announcements.save(announcement)
        uow.audit(actor, "announcement.revoke", "announcement", announcement.id)
    return resolved
