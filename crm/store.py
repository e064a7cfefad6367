"""The doors the call engine uses: write a call's interaction, find a caller.

Synchronous (SQLAlchemy); from asyncio call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from crm.model.customer import CustomerCard
from crm.model.incident import Incident
from crm.model.interaction import InteractionRecord
from crm.phone import NumberPlan, normalize_or_none
from crm.services.playback import record_playback
from crm.uow import Clock, UnitOfWork, utc_now

ENGINE_ACTOR = "system:engine"


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

    def update_interaction(self, call_id: str, actor: str = ENGINE_ACTOR, **fields: Any) -> bool:
        """Fill in later fields (disposition, notes, transcript_ref, ...).

        Returns True if the call was already written; otherwise the fields wait in a stub row
        that ``record_interaction`` completes when the call arrives.
        """
        with self._uow() as uow:
            existed = uow.interactions.update(call_id, fields)
            uow.audit(
                actor, "interaction.update", "interaction", call_id, {"fields": sorted(fields)}
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
