"""Adapts the engine's interaction records to the CRM store's ``InteractionRecord``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm.model.interaction import InteractionRecord
from crm.store import InteractionStore


def _ts(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), UTC)


def to_record(rec: dict[str, Any], customer_id: int | None = None) -> InteractionRecord:
    return InteractionRecord(
        call_id=rec["call_id"],
        started_at=_ts(rec.get("started_at")) or datetime.now(UTC),
        ended_at=_ts(rec.get("ended_at")),
        caller_number=rec.get("caller_number") or None,
        caller_name=rec.get("caller_name") or None,
        customer_id=customer_id,
        service=rec.get("service") or None,
        ivr_steps=list(rec.get("ivr_steps") or []),
        wait_seconds=float(rec.get("wait_seconds") or 0.0),
        agents_offered=list(rec.get("agents_offered") or []),
        agent_answered=rec.get("answered_by"),
        talk_seconds=float(rec.get("talk_seconds") or 0.0),
        hold_seconds=float(rec.get("hold_seconds") or 0.0),
        end_reason=rec.get("end_reason"),
        recording_refs=list(rec.get("recordings") or []),
        extra={
            "timeline": rec.get("timeline") or [],
            "hangup_cause": rec.get("hangup_cause"),
            "transfers": rec.get("transfers", 0),
        },
    )


class CrmSink:
    """The interaction writer's door into the CRM: links the caller to a customer when
    the number is known, then writes idempotently by call id."""

    def __init__(self, store: InteractionStore) -> None:
        self.store = store

    def record(self, record: dict[str, Any]) -> bool:
        customer = self.store.find_customer_by_phone(record.get("caller_number"))
        return self.store.record_interaction(
            to_record(record, customer.id if customer is not None else None)
        )
