"""The desktop's doors into the CRM: read a caller's context, write what the agent did.

Blocking (SQLAlchemy); the notifier and the websocket handlers call these through
``asyncio.to_thread``. Every write goes through crm's own handlers (audited with the
agent's username); results are plain JSON-ready dicts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import or_, select

from agent_desktop.protocol import Refused
from crm.model.announcement import AnnouncementState
from crm.model.customer import Customer
from crm.model.settings import ReasonKind
from crm.model.ticket import IllegalTransition, TicketAction, TicketCategory, TicketError
from crm.phone import InvalidPhoneNumber, NumberPlan
from crm.schema import interactions
from crm.services import customers as customer_svc
from crm.services import settings as settings_svc
from crm.services import tickets as ticket_svc
from crm.store import InteractionStore
from crm.uow import UnitOfWork

OPEN_TICKET_ACTIONS = {a.value for a in TicketAction if a != TicketAction.TRANSFER}
TEXT_NEEDED = frozenset({TicketAction.SUSPEND.value})  # the ticket model refuses it blank


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _ticket(t: Any) -> dict[str, Any]:
    return {
        "id": t.id,
        "title": t.title,
        "category": t.category.value,
        "priority": int(t.priority),
        "state": t.state.value,
        "opened_at": _iso(t.opened_at),
        "due": _iso(t.due),
        "customer_id": t.customer_id,
    }


def _card(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "kind": str(c.kind),
        "account_number": c.account_number,
        "grade": c.grade,
        "area": c.area,
    }


class CrmDesk:
    def __init__(self, sql: SqlEngine, plan: NumberPlan | None = None) -> None:
        self.sql = sql
        self.plan = plan or NumberPlan()
        self.store = InteractionStore(sql, plan=self.plan)

    def _uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.sql, write=write)

    # -- reads ---------------------------------------------------------------------------
    def alarm_limits(self) -> list[tuple[str, str, float, float]]:
        with self._uow(write=False) as uow:
            return [(a.service, a.metric, a.warn, a.critical) for a in uow.settings.alarm_limits()]

    def reason_table(self, kind: str) -> dict[str, tuple[str, str]]:
        """The active dispositions or not-ready reasons an administrator set (code ->
        (zh, en)); the built-in ones until they change any."""
        with self._uow(write=False) as uow:
            found = settings_svc.reasons(uow, ReasonKind(kind))
        return {r.code: (r.name_zh, r.name_en) for r in found if r.active}

    def kb_search(self, query: str, category: str | None) -> dict[str, Any]:
        """The desk's search box: ranked hits (an empty query browses the category) and
        the categories to browse."""
        with self._uow(write=False) as uow:
            hits = uow.knowledge.search(query, category=category, limit=20)
            cats = uow.knowledge.categories()
        return {
            "articles": [_article(a) for a, _score in hits],
            "categories": [{"code": c, "count": n} for c, n in cats],
        }

    def pop_context(self, number: str, kb_query: str) -> dict[str, Any]:
        """Customer card, open tickets, last calls, open incidents for their area, and
        knowledge-base articles matching what the caller chose in the IVR."""
        card = self.store.find_customer_by_phone(number)
        out: dict[str, Any] = {
            "customer": None,
            "tickets": [],
            "history": [],
            "incidents": [],
            "articles": [],
        }
        with self._uow(write=False) as uow:
            if kb_query.strip():
                out["articles"] = [
                    _article(a) for a, _score in uow.knowledge.search(kb_query, limit=5)
                ]
            if card is None:
                return out
            out["customer"] = _card(card)
            full = uow.customers.get(card.id)  # the card has no tags: is it a VIP?
            out["customer"]["vip"] = bool(full is not None and full.vip)
            out["tickets"] = [
                _ticket(t) for t in uow.tickets.find(customer_id=card.id, open_only=True, limit=10)
            ]
            out["history"] = [
                {
                    "call_id": r.call_id,
                    "started_at": _iso(r.started_at),
                    "service": r.service,
                    "agent": r.agent_answered,
                    "disposition": r.disposition,
                    "end_reason": r.end_reason,
                }
                for r in uow.interactions.for_customer(card.id, 5)
            ]
            if card.area:
                out["incidents"] = [
                    {"id": i.id, "title": i.title, "type": i.type.value, "areas": i.areas}
                    for i in uow.incidents.open_for_area(card.area)
                ]
        return out

    def interactions_since(self, start: datetime) -> list[dict[str, Any]]:
        """Today's inbound calls, for the wallboard's totals after a start: one query."""
        t = interactions
        query = select(
            t.c.call_id,
            t.c.service,
            t.c.agent_answered,
            t.c.end_reason,
            t.c.wait_seconds,
            t.c.talk_seconds,
            t.c.hold_seconds,
            t.c.wrapup_seconds,
            t.c.started_at,
            t.c.ended_at,
            t.c.extra,
        ).where(
            t.c.started_at >= start,
            t.c.complete.is_(True),
            t.c.service.is_not(None),
            or_(t.c.direction.is_(None), t.c.direction != "outbound"),
        )
        with self.sql.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def announcements(self, username: str) -> list[dict[str, Any]]:
        """Published announcements meant for everyone or for the user's department."""
        with self._uow(write=False) as uow:
            user = uow.users.by_username(username)
            dept = user.department_id if user is not None else None
            # Meant for a department: its sub-units see it too (as in the CRM API).
            scope = set(uow.departments.ancestor_ids(dept)) if dept is not None else set()
            return [
                {"id": a.id, "title": a.title, "body": a.body, "at": _iso(a.published_at)}
                for a in uow.announcements.find(state=AnnouncementState.PUBLISHED)
                if a.visible_to(scope)
            ][-10:]

    # -- writes --------------------------------------------------------------------------
    def create_customer(self, actor: str, name: str, number: str) -> dict[str, Any]:
        if not name:
            raise Refused("invalid", "a customer needs a name")
        try:
            phones = [customer_svc.make_phone(number, "caller", self.plan)] if number else []
        except InvalidPhoneNumber:
            raise Refused("invalid", "not a phone number") from None
        with self._uow() as uow:
            cid = customer_svc.add_customer(uow, Customer(name=name, phones=phones), actor)
            uow.commit()
            card = uow.customers.card(cid)
        return _card(card)

    def open_ticket(
        self,
        actor: str,
        call_id: str,
        customer_id: int | None,
        title: str,
        category: str,
        priority: int,
        description: str,
    ) -> dict[str, Any]:
        if not title:
            raise Refused("invalid", "a ticket needs a title")
        try:
            cat = TicketCategory(category)
        except ValueError:
            raise Refused("invalid", "unknown ticket category") from None
        if priority not in (1, 2, 3, 4):
            raise Refused("invalid", "priority is 1 to 4")
        with self._uow() as uow:
            ticket = ticket_svc.open_ticket(
                uow,
                actor=actor,
                title=title,
                category=cat,
                priority=priority,
                description=description,
                customer_id=customer_id,
                call_id=call_id,
            )
            uow.commit()
        return _ticket(ticket)

    def change_ticket(
        self,
        actor: str,
        call_id: str,
        customer_id: int | None,
        ticket_id: int,
        action: str,
        text: str,
    ) -> dict[str, Any]:
        """Move a ticket of the caller's (and link it to this call)."""
        if action not in OPEN_TICKET_ACTIONS:
            raise Refused("invalid", "unknown ticket action")
        if action in TEXT_NEEDED and not text.strip():
            # Checked here so the desk can say so in the agent's language.
            raise Refused("text_needed", f"{action} needs a reason", action=action)
        with self._uow() as uow:
            current = uow.tickets.get(ticket_id)
            if current is None:
                raise Refused("not_found", f"ticket {ticket_id}")
            if customer_id is None or current.customer_id != customer_id:
                raise Refused("forbidden", "the ticket is not this caller's")
            try:
                ticket = ticket_svc.change_ticket(
                    uow, ticket_id, action, actor, resolution=text or None, reason=text or None
                )
            except IllegalTransition as exc:
                raise Refused(
                    "illegal_transition",
                    str(exc),
                    ticket=ticket_id,
                    state=exc.state.value,
                    action=exc.action.value,
                ) from None
            except TicketError as exc:
                raise Refused("not_allowed", str(exc)) from None
            uow.interactions.ensure(call_id)
            uow.interactions.link_tickets(call_id, [ticket_id])
            uow.commit()
        return _ticket(ticket)

    def wrap_up(self, actor: str, call_id: str, disposition: str, notes: str) -> None:
        fields: dict[str, Any] = {"notes": notes}
        if disposition:
            if disposition not in self.reason_table("disposition"):
                raise Refused("invalid", "unknown disposition")
            fields["disposition"] = disposition
        self.store.update_interaction(call_id, actor=actor, **fields)

    def record_wrapups(self, done: list[tuple[str, float]]) -> None:
        """The wrap-up length of handled calls, the same figure the wallboard's AHT uses."""
        for call_id, seconds in done:
            self.store.update_interaction(call_id, wrapup_seconds=seconds)

    def start_outbound(
        self, actor: str, call_id: str, digits: str, customer_id: int | None, extension: str
    ) -> dict[str, Any] | None:
        """Begin a click-to-call's row: outbound, by this agent, to this customer (the
        one chosen, else the one the number belongs to). The engine's write when the call
        ends completes the row and keeps these fields. Returns the customer's card."""
        if customer_id is not None:
            with self._uow(write=False) as uow:
                card = uow.customers.card(customer_id)
            if card is None:
                raise Refused("not_found", f"customer {customer_id}")
        else:
            card = self.store.find_customer_by_phone(digits)
        self.store.update_interaction(
            call_id,
            actor=actor,
            # A start time now (the engine's write replaces it with Asterisk's): a row
            # without one showed in the pop's history as 1970-01-01 00:00.
            started_at=datetime.now(UTC),
            direction="outbound",
            caller_number=digits,
            customer_id=card.id if card is not None else None,
            agent_answered=extension,
            agents_offered=[extension],
        )
        return _card(card) if card is not None else None

    def link_customer(self, call_id: str, customer_id: int, actor: str) -> None:
        self.store.update_interaction(call_id, actor=actor, customer_id=customer_id)


def _article(a: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "body": a.body[:300],
        "lang": a.lang,
        "category": a.category,
    }
