"""Follow-up handlers: an unsatisfied result reopens and re-dispatches the ticket."""

from __future__ import annotations

from crm.model.followup import FollowUp, FollowUpNotFound
from crm.model.ticket import TicketAction
from crm.services.tickets import change_ticket, load
from crm.uow import UnitOfWork


def record_followup_result(
    uow: UnitOfWork,
    followup_id: int,
    *,
    satisfaction: int,
    comment: str | None,
    actor: str,
    attitude: int | None = None,
    timeliness: int | None = None,
    result_score: int | None = None,
) -> FollowUp:
    """Record the customer's scores; ``satisfaction`` (overall) decides close or reopen."""
    followup = uow.followups.get(followup_id)
    if followup is None:
        raise FollowUpNotFound(followup_id)
    followup.record_result(
        satisfaction,
        comment,
        actor,
        uow.clock(),
        attitude=attitude,
        timeliness=timeliness,
        result_score=result_score,
    )
    uow.followups.save(followup)
    detail = {"satisfaction": satisfaction, "ticket_id": followup.ticket_id}
    for name, score in (
        ("attitude", attitude),
        ("timeliness", timeliness),
        ("result", result_score),
    ):
        if score is not None:
            detail[name] = score
    uow.audit(actor, "followup.result", "followup", followup_id, detail)
    ticket = load(uow, followup.ticket_id)
    if followup.satisfied:
        change_ticket(uow, ticket.id, TicketAction.CLOSE, actor)
        return followup
    reason = f"follow-up {followup_id}: satisfaction {satisfaction}" + (
        f" — {comment}" if comment else ""
    )
    change_ticket(uow, ticket.id, TicketAction.REOPEN, actor, reason=reason)
    # Back to the department that handled it, so the people who know the case see it again.
    change_ticket(
        uow,
        ticket.id,
        TicketAction.DISPATCH,
        actor,
        department_id=ticket.department_id,
        assignee=ticket.assignee,
    )
    return followup
