"""What the IVR asks of the CRM, and the implementation over crm.store.InteractionStore.

Blocking calls (SQLAlchemy): the FastAGI adapter runs them in a thread under a time
limit, so a slow database delays one caller by at most that limit and never the loop.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from ivr.messages import CustomerInfo, IncidentInfo

ACTOR = "system:ivr"
CALLBACK_WITHIN = timedelta(hours=4)  # when a requested callback falls due


class IvrDirectory(Protocol):
    def find_by_phone(self, raw_caller_id: str) -> CustomerInfo | None: ...

    def find_by_account(self, digits: str) -> CustomerInfo | None: ...

    def incidents_for_area(self, area: str) -> list[IncidentInfo]: ...

    def ticket_state(self, number: str) -> str | None: ...

    def create_callback(self, *, caller_id: str, customer_id: int | None, reason: str,
                        category: str, call_id: str) -> tuple[int, int]:
        """(ticket id, follow-up id)."""
        ...


def _language(customer: Any) -> str:
    """The record's language: ``archive.language`` or a ``lang:xx`` tag."""
    lang = (customer.archive or {}).get("language")
    if isinstance(lang, str) and lang:
        return lang.split("-")[0].lower()
    for tag in customer.tags:
        if tag.lower().startswith("lang:"):
            return tag[5:].lower()
    return ""


class StoreDirectory:
    """The CRM as the IVR sees it, over the engine's InteractionStore."""

    def __init__(self, store: Any) -> None:
        self._store = store
        # The store offers lookups but no unit of work for tickets; it keeps its SQLAlchemy
        # engine private, so read it in this one place until it grows a public door.
        self._sql = store._engine
        self._clock = getattr(store, "_clock", None)

    def _uow(self, write: bool = False) -> Any:
        from crm.uow import UnitOfWork

        kw = {"clock": self._clock} if self._clock is not None else {}
        return UnitOfWork(self._sql, write=write, **kw)

    def _info(self, customer_id: int, found_by: str) -> CustomerInfo | None:
        with self._uow() as uow:
            c = uow.customers.get(customer_id)
        if c is None:
            return None
        return CustomerInfo(
            id=customer_id, name=c.name, account_number=c.account_number or "",
            area=c.area or "", segment=c.segment or "", grade=c.grade or "", vip=c.vip,
            language=_language(c), found_by=found_by)

    def find_by_phone(self, raw_caller_id: str) -> CustomerInfo | None:
        card = self._store.find_customer_by_phone(raw_caller_id)
        return None if card is None else self._info(card.id, "caller_id")

    def find_by_account(self, digits: str) -> CustomerInfo | None:
        with self._uow() as uow:
            cid = uow.customers.id_by_account(digits)
            if cid is None:  # "BJ-10000123" keyed as 10000123: compare the digits only
                cid = _by_account_digits(uow.connection, digits)
        return None if cid is None else self._info(cid, "account")

    def incidents_for_area(self, area: str) -> list[IncidentInfo]:
        out = []
        for i in self._store.open_incidents_for_area(area):
            end = i.expected_end_at.timestamp() if i.expected_end_at else None
            out.append(IncidentInfo(i.id or 0, str(i.type.value), i.title, end))
        return out

    def ticket_state(self, number: str) -> str | None:
        if not number.isdigit():
            return None
        with self._uow() as uow:
            ticket = uow.tickets.get(int(number))
        return None if ticket is None else str(ticket.state.value)

    def create_callback(self, *, caller_id: str, customer_id: int | None, reason: str,
                        category: str, call_id: str) -> tuple[int, int]:
        from crm.model.followup import FollowUp
        from crm.services.tickets import open_ticket

        with self._uow(write=True) as uow:
            ticket = open_ticket(uow, actor=ACTOR, title=f"回电请求 Callback: {caller_id}",
                                 category=category, description=reason,
                                 customer_id=customer_id, call_id=call_id)
            now = uow.clock()
            followup = FollowUp(ticket_id=ticket.id, created_at=now, due_at=now + CALLBACK_WITHIN)
            uow.followups.add(followup)
            uow.audit(ACTOR, "followup.create", "followup", followup.id,
                      {"ticket_id": ticket.id, "reason": "ivr callback"})
            uow.commit()
        return int(ticket.id), int(followup.id or 0)


def _by_account_digits(conn: Any, digits: str) -> int | None:
    from sqlalchemy import select

    from crm.schema import customers

    rows = conn.execute(select(customers.c.id, customers.c.account_number).where(
        customers.c.account_number.like(f"%{digits}")).limit(20)).all()
    return next((r[0] for r in rows if "".join(ch for ch in r[1] if ch.isdigit()) == digits),
                None)
