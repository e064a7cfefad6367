"""The doors the call engine uses: write a call's interaction, find a caller.

Synchronous (SQLAlchemy); from asyncio call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from crm.model.customer import CustomerCard
from crm.model.incident import Incident
from crm.model.interaction import InteractionRecord
from crm.phone import NumberPlan, normalize_or_none
from crm.services.playback import record_playback
from crm.uow import Clock, UnitOfWork, utc_now

ENGINE_ACTOR = "system:engine"


def _plain(value: Any) -> Any:
    """A value as the audit's JSON column stores it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


class InteractionStore:
    def __init__(
        self, engine: Engine, *, plan: NumberPlan | None = None, clock: Clock = utc_now
    ) -> None:
        self._engine = engine
        self._plan = plan or NumberPlan()
        self._clock = clock

    def _uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self._engine, clock=self._clock, write=write)

    def record_interaction(self, call: InteractionRecord, actor: str = ENGINE_ACTOR) -> bool:
        """Write the call once; replays of the same call id change nothing and return False."""
        phone = normalize_or_none(call.caller_number, self._plan)
        with self._uow() as uow:
            written = uow.interactions.add(call, phone.key if phone else None)
            if written:
                uow.audit(actor, "interaction.record", "interaction", call.call_id)
            uow.commit()
        return written

    def update_interaction(
        self,
        call_id: str,
        actor: str = ENGINE_ACTOR,
        *,
        audit_action: str = "interaction.update",
        **fields: Any,
    ) -> bool:
        """Fill in later fields (disposition, notes, transcript_ref, ...), or correct any.

        Returns True if the call was already written; otherwise the fields wait in a stub row
        that ``record_interaction`` completes when the call arrives. The audit entry keeps
        each field's old and new value, so a correction can be read back and undone.
        """
        with self._uow() as uow:
            before = uow.interactions.current(call_id, fields)
            existed = uow.interactions.update(call_id, fields)
            if "caller_number" in fields:  # a corrected number keeps its lookup key in step
                phone = normalize_or_none(fields["caller_number"], self._plan)
                uow.interactions.set_caller_key(call_id, phone.key if phone else None)
            changes = {
                name: {"old": _plain(before.get(name)), "new": _plain(value)}
                for name, value in fields.items()
            }
            uow.audit(
                actor,
                audit_action,
                "interaction",
                call_id,
                {"fields": sorted(fields), "changes": changes},
            )
            uow.commit()
        return existed

    def link_ticket(self, call_id: str, ticket_id: int, actor: str = ENGINE_ACTOR) -> None:
        with self._uow() as uow:
            uow.interactions.link_tickets(call_id, [ticket_id])
            uow.audit(
                actor, "interaction.link_ticket", "interaction", call_id, {"ticket_id": ticket_id}
            )
            uow.commit()

    def record_playback(
        self,
        actor: str,
        *,
        call_id: str | None = None,
        recording_id: str | int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Audit that ``actor`` started playing a recording (crm.services.playback)."""
        with self._uow() as uow:
            record_playback(uow, actor, call_id=call_id, recording_id=recording_id, detail=detail)
            uow.commit()

    def get_interaction(self, call_id: str) -> InteractionRecord | None:
        with self._uow(write=False) as uow:
            return uow.interactions.get(call_id)

    def count_interactions(self) -> int:
        with self._uow(write=False) as uow:
            return uow.interactions.count()

    def interactions_for_customer(
        self, customer_id: int, limit: int = 20
    ) -> list[InteractionRecord]:
        with self._uow(write=False) as uow:
            return uow.interactions.for_customer(customer_id, limit)

    def find_customers_by_phone(self, raw_caller_id: str | None) -> list[CustomerCard]:
        phone = normalize_or_none(raw_caller_id, self._plan)
        if phone is None:
            return []
        with self._engine.connect() as conn:
            from crm.repository.customers import CustomerRepository

            return CustomerRepository(conn).cards_by_phone_key(phone.key)

    def find_customer_by_phone(self, raw_caller_id: str | None) -> CustomerCard | None:
        """The customer whose number matches the caller ID in any common form, or None."""
        cards = self.find_customers_by_phone(raw_caller_id)
        return cards[0] if cards else None

    def open_incidents_for_caller(self, raw_caller_id: str | None) -> list[Incident]:
        """For the IVR: open incidents covering the caller's area (empty if unknown)."""
        card = self.find_customer_by_phone(raw_caller_id)
        if card is None or not card.area:
            return []
        return self.open_incidents_for_area(card.area)

    def open_incidents_for_area(self, area: str) -> list[Incident]:
        with self._uow(write=False) as uow:
            return uow.incidents.open_for_area(area)
