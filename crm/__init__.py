"""The CRM store: customers, tickets, follow-ups, incidents, interactions (SQLAlchemy 2).

API the call engine uses (all synchronous; from asyncio wrap calls in ``asyncio.to_thread``)::

    from crm.db import make_engine, create_schema
    from crm.store import InteractionStore
    from crm.model.interaction import InteractionRecord

    engine = make_engine("sqlite:///var/crm.db")        # or "postgresql://user@host/db"
    create_schema(engine)                                # alembic upgrade head; idempotent
    store = InteractionStore(engine)                     # plan=NumberPlan(...) for non-CN sites
    store.record_interaction(InteractionRecord(call_id=linkedid, started_at=aware_utc_dt, ...))
        # -> True if written, False if that call id was already there (idempotent replay)
    store.update_interaction(call_id, disposition="...", notes="...", transcript_ref="...")
        # -> True if the call existed; otherwise the fields wait in a stub row that the later
        #    record_interaction completes (nothing lost whatever the order)
    store.link_ticket(call_id, ticket_id)
    store.get_interaction(call_id) -> InteractionRecord | None
    store.count_interactions() -> int
    store.find_customer_by_phone(raw_caller_id) -> CustomerCard | None   # any written form
    store.find_customers_by_phone(raw_caller_id) -> list[CustomerCard]
    store.interactions_for_customer(customer_id, limit=20) -> list[InteractionRecord]
    store.record_playback(username, call_id=linkedid, recording_id=...)  # audit "recording.play"
    engine.dispose()                                     # on shutdown

``InteractionRecord`` (crm.model.interaction) is a frozen dataclass: call_id, started_at,
ended_at, caller_number, caller_name, customer_id, direction, service, queue, ivr_steps
(list of dicts), wait_seconds, agents_offered, agent_answered, transfers (list of dicts),
talk_seconds, hold_seconds, wrapup_seconds, end_reason, disposition, notes, recording_refs,
transcript_ref, extra (dict), ticket_ids. Datetimes must be timezone-aware.

Phone normalization lives in crm.phone (``normalize(raw, NumberPlan()) -> PhoneNumber``).
Everything else goes through ``crm.uow.UnitOfWork`` and the handlers in ``crm.services``:
``customer_files`` (CSV/XLSX import with a rejected-row report, export), ``playback``
(``record_playback``), announcements' ``publish_due`` run by ``crm.scheduler.
AnnouncementScheduler(engine).run()`` in the engine's TaskGroup, and the report queries in
``crm.reports`` (calls by day/type, repair statistics, department roll-ups, churn warnings).
"""
