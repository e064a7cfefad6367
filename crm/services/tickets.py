"""Ticket handlers. Resolving a ticket also creates its follow-up task."""

from __future__ import annotations

from typing import Any

from crm.model.followup import FollowUp
from crm.model.settings import due_time
from crm.model.ticket import (
    Ticket,
    TicketAction,
    TicketCategory,
    TicketError,
    TicketNotFound,
    TicketPriority,
)
from crm.model.worklog import WorkLogEntry
from crm.uow import UnitOfWork


def open_ticket(
    uow: UnitOfWork,
    *,
    actor: str,
    title: str,
    category: TicketCategory | str,
    priority: TicketPriority | int = TicketPriority.NORMAL,
    description: str = "",
    customer_id: int | None = None,
    department_id: int | None = None,
    assignee: str | None = None,
    call_id: str | None = None,
) -> Ticket:
    now = uow.clock()
    category, priority = TicketCategory(category), TicketPriority(priority)
    # The SLA times an administrator set (crm.services.settings), else the built-in ones.
    due = due_time(
        now,
        uow.settings.category(category.value),
        uow.settings.priority(int(priority)),
        category.value,
    )
    ticket = Ticket.open(
        actor=actor,
        title=title,
        category=TicketCategory(category),
        priority=TicketPriority(priority),
        description=description,
        customer_id=customer_id,
        opened_at=now,
        due=due,
    )
    if department_id is not None or assignee is not None:
        ticket.dispatch(actor, now, department_id=department_id, assignee=assignee)
    uow.tickets.add(ticket)
    if call_id is not None:
        uow.interactions.ensure(call_id)  # the call may still be live: a stub waits for it
        uow.interactions.link_tickets(call_id, [ticket.id])
    uow.audit(
        actor,
        "ticket.create",
        "ticket",
        ticket.id,
        {"category": ticket.category.value, "customer_id": customer_id},
    )
    return ticket


def load(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def change_ticket(
    uow: UnitOfWork, ticket_id: int, action: TicketAction | str, actor: str, **args: Any
) -> Ticket:
    """Apply one state-machine action; IllegalTransition if the state does not allow it."""
    action = TicketAction(action)
    ticket = load(uow, ticket_id)
    now = uow.clock()
    if action is TicketAction.DISPATCH:
        ticket.dispatch(
            actor, now, department_id=args.get("department_id"), assignee=args.get("assignee")
        )
    elif action is TicketAction.TRANSFER:
        ticket.transfer(
            actor, now, department_id=int(args["department_id"]), reason=args.get("reason")
        )
    elif action is TicketAction.START:
        ticket.start(actor, now)
    elif action is TicketAction.SUSPEND:
        ticket.suspend(actor, now, reason=str(args.get("reason") or ""))
    elif action is TicketAction.RESUME:
        ticket.resume(actor, now)
    elif action in (TicketAction.RESOLVE, TicketAction.RESOLVE_BY_INCIDENT):
        ticket.resolve(
            actor,
            now,
            resolution=str(args.get("resolution") or ""),
            incident_id=args.get("incident_id"),
        )
    elif action is TicketAction.CLOSE:
        ticket.close(actor, now)
    elif action is TicketAction.REOPEN:
        ticket.reopen(actor, now, reason=str(args.get("reason") or ""))
    uow.tickets.save(ticket)
    if action in (TicketAction.RESOLVE, TicketAction.RESOLVE_BY_INCIDENT):
        followup = FollowUp.for_resolved_ticket(ticket_id, now)
        uow.followups.add(followup)
        uow.audit(actor, "followup.create", "followup", followup.id, {"ticket_id": ticket_id})
    uow.audit(
        actor,
        f"ticket.{action.value}",
        "ticket",
        ticket_id,
        {k: v for k, v in args.items() if v is not None} or None,
    )
    return ticket


def add_work_log(
    uow: UnitOfWork, ticket_id: int, *, actor: str, minutes: int, note: str
) -> WorkLogEntry:
    """A work-log entry (工作记录) on an open ticket, audited."""
    ticket = load(uow, ticket_id)
    if not ticket.is_open:
        raise TicketError(ticket_id, f"cannot log work on a ticket that is {ticket.state.value}")
    entry = WorkLogEntry(
        ticket_id=ticket_id, at=uow.clock(), actor=actor, minutes=minutes, note=note
    )
    uow.work_log.add(entry)
    uow.audit(actor, "ticket.work_log", "ticket", ticket_id, {"minutes": minutes})
    return entry


def escalate_ticket(uow: UnitOfWork, ticket_id: int, *, actor: str) -> Ticket:
    """One priority step more urgent (low → normal → high → urgent), audited."""
    ticket = load(uow, ticket_id)
    if not ticket.is_open:
        raise TicketError(ticket_id, f"cannot escalate a ticket that is {ticket.state.value}")
    if ticket.priority is TicketPriority.URGENT:
        raise TicketError(ticket_id, "already urgent")
    before = ticket.priority
    ticket.reprioritize(actor, uow.clock(), TicketPriority(int(before) - 1))
    uow.tickets.save(ticket)
    uow.audit(
        actor,
        "ticket.escalate",
        "ticket",
        ticket_id,
        {"from": int(before), "to": int(ticket.priority)},
    )
    return ticket
