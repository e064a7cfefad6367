"""Handlers for tickets, follow-ups, incidents, announcements, the knowledge base and calls."""

from __future__ import annotations

from aiohttp import web

from crm.api import values as v
from crm.api.context import (
    actor,
    as_id,
    body,
    ctx,
    in_thread,
    path_int,
    query_id,
    reply,
    user,
    when,
)
from crm.api.interaction_input import call_id_of, interaction_fields
from crm.api.problems import Forbidden
from crm.model.interaction import PEOPLE_FIELDS, handled_by
from crm.model.organization import Permission, Role, User
from crm.model.ticket import TicketNotFound, TicketState
from crm.services.announcements import change_announcement, create_announcement
from crm.services.followups import record_followup_result
from crm.services.incidents import close_incident, link_tickets, open_incident
from crm.services.knowledge import add_article, update_article
from crm.services.tickets import change_ticket, open_ticket
from crm.store import InteractionStore
from crm.uow import UnitOfWork


def _staff_scope(uow: UnitOfWork, who: User) -> list[int] | None:
    """Department staff work their own department's tickets (and its sub-units') only;
    None: every department (the other roles)."""
    if who.role is not Role.DEPARTMENT_STAFF:
        return None
    return [] if who.department_id is None else uow.departments.subtree_ids(who.department_id)


def _ticket_in_scope(uow: UnitOfWork, who: User, ticket_id: int) -> None:
    scope = _staff_scope(uow, who)
    if scope is None:
        return
    ticket = uow.tickets.get(ticket_id)
    if ticket is None or ticket.department_id not in scope:
        raise TicketNotFound(ticket_id)  # not theirs: as if it did not exist


async def get_tickets(request: web.Request) -> web.Response:
    q, who = request.query, user(request)

    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            department = q.get("department_id")
            scope = (
                None
                if department is None
                else uow.departments.subtree_ids(as_id("department_id", department))
            )
            mine = _staff_scope(uow, who)
            if mine is not None:
                scope = mine if scope is None else [d for d in scope if d in mine]
            return uow.tickets.find(
                state=TicketState(q["state"]) if "state" in q else None,
                customer_id=query_id(q, "customer_id"),
                department_ids=scope,
                open_only=q.get("open") == "1",
                limit=min(as_id("limit", q.get("limit", "200")), 1000),
            )

    return reply(await in_thread(work))


async def post_ticket(request: web.Request) -> web.Response:
    data, who, context = await body(request), actor(request), ctx(request)
    title = v.text("title", data["title"], 300)
    category = v.text("category", data["category"], 32)
    priority = v.an_int("priority", data.get("priority", 3), 1, 4)
    description = v.text("description", data.get("description", ""), 20_000, multiline=True)
    customer_id = v.optional(data, "customer_id", v.an_id)
    department_id = v.optional(data, "department_id", v.an_id)
    assignee = v.optional(data, "assignee", v.text, 64)
    call_id = v.optional(data, "call_id", v.text, 128)

    def work() -> object:
        if call_id is not None:  # tickets go only on calls one handled
            _check_handled(request, InteractionStore(context.engine), call_id)
        with context.uow() as uow:
            ticket = open_ticket(
                uow,
                actor=who,
                title=title,
                category=category,
                priority=priority,
                description=description,
                customer_id=customer_id,
                department_id=department_id,
                assignee=assignee,
                call_id=call_id,
            )
            uow.commit()
            return ticket

    return reply(await in_thread(work), 201)


async def get_ticket(request: web.Request) -> web.Response:
    ticket_id, who = path_int(request, "ticket_id"), user(request)

    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            _ticket_in_scope(uow, who, ticket_id)
            ticket = uow.tickets.get(ticket_id)
            if ticket is None:
                raise TicketNotFound(ticket_id)
            return {
                "ticket": ticket,
                "history": uow.tickets.history(ticket_id),
                "breached": ticket.breached(uow.clock()),
                "followups": uow.followups.find(ticket_id=ticket_id),
            }

    return reply(await in_thread(work))


async def post_ticket_action(request: web.Request) -> web.Response:
    ticket_id, action = path_int(request, "ticket_id"), request.match_info["action"]
    data = _action_args(await body(request) if request.can_read_body else {})
    who, me = actor(request), user(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            _ticket_in_scope(uow, me, ticket_id)
            ticket = change_ticket(uow, ticket_id, action, who, **data)
            uow.commit()
            return ticket

    return reply(await in_thread(work))


def _ids(name: str, value: object) -> list[int]:
    if not isinstance(value, list) or len(value) > 1000:
        raise ValueError(f"{name} must be a list of ids (at most 1000)")
    return [v.an_id(name, item) for item in value]


_ACTION_TEXT = {"assignee": 64, "reason": 2000, "resolution": 4000}


def _action_args(data: dict[str, object]) -> dict[str, object]:
    """A ticket action's arguments, each of its type; unknown ones are refused."""
    unknown = set(data) - {"department_id", "incident_id", *_ACTION_TEXT}
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}")
    args: dict[str, object] = {
        name: v.optional(data, name, v.an_id) for name in ("department_id", "incident_id")
    }
    for name, size in _ACTION_TEXT.items():
        args[name] = v.optional(data, name, v.text, size, multiline=True)
    return {k: value for k, value in args.items() if value is not None}


async def get_followups(request: web.Request) -> web.Response:
    pending, who = request.query.get("pending") == "1", user(request)

    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            found = uow.followups.find(pending_only=pending)
            scope = _staff_scope(uow, who)
            if scope is None:
                return found
            ours = {t.id for t in uow.tickets.find(department_ids=scope, limit=100_000)}
            return [f for f in found if f.ticket_id in ours]

    return reply(await in_thread(work))


async def post_followup_result(request: web.Request) -> web.Response:
    followup_id, data, who = path_int(request, "followup_id"), await body(request), actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            done = record_followup_result(
                uow,
                followup_id,
                satisfaction=v.an_int("satisfaction", data["satisfaction"], 1, 5),
                comment=v.optional(data, "comment", v.text, 2000, multiline=True),
                actor=who,
                attitude=data.get("attitude"),
                timeliness=data.get("timeliness"),
                result_score=data.get("result"),
            )
            ticket = uow.tickets.get(done.ticket_id)
            uow.commit()
            return {"followup": done, "ticket": ticket}

    return reply(await in_thread(work))


async def get_incidents(request: web.Request) -> web.Response:
    q, context = request.query, ctx(request)

    def work() -> object:
        with context.uow(write=False) as uow:
            if "area" in q:
                return uow.incidents.open_for_area(q["area"])
            if "phone" in q:
                store = InteractionStore(context.engine, plan=context.plan)
                card = store.find_customer_by_phone(q["phone"])
                return (
                    [] if card is None or not card.area else uow.incidents.open_for_area(card.area)
                )
            return uow.incidents.find(open_only=q.get("open") == "1")

    return reply(await in_thread(work))


async def post_incident(request: web.Request) -> web.Response:
    data, who = await body(request), actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            incident = open_incident(
                uow,
                actor=who,
                type=str(data["type"]),
                title=str(data["title"]),
                areas=list(data["areas"]),
                description=str(data.get("description", "")),
                started_at=when(data.get("started_at")),
                expected_end_at=when(data.get("expected_end_at")),
            )
            uow.commit()
            return incident

    return reply(await in_thread(work), 201)


async def post_incident_tickets(request: web.Request) -> web.Response:
    incident_id, data, who = path_int(request, "incident_id"), await body(request), actor(request)
    ticket_ids = _ids("ticket_ids", data["ticket_ids"])

    def work() -> object:
        with ctx(request).uow() as uow:
            link_tickets(uow, incident_id, ticket_ids, who)
            uow.commit()
            return {"linked": len(ticket_ids)}

    return reply(await in_thread(work))


async def post_incident_close(request: web.Request) -> web.Response:
    incident_id, who = path_int(request, "incident_id"), actor(request)
    data = await body(request) if request.can_read_body else {}

    def work() -> object:
        with ctx(request).uow() as uow:
            resolved = close_incident(
                uow, incident_id, actor=who, resolution=str(data.get("resolution", ""))
            )
            uow.commit()
            return {"resolved_ticket_ids": resolved}

    return reply(await in_thread(work))


async def get_announcements(request: web.Request) -> web.Response:
    me = user(request)

    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            scope = (
                set(uow.departments.ancestor_ids(me.department_id)) if me.department_id else set()
            )
            every = uow.announcements.find()
            if request.query.get("all") == "1":
                return every
            return [a for a in every if a.visible_to(scope)]

    return reply(await in_thread(work))


async def post_announcement(request: web.Request) -> web.Response:
    data, who = await body(request), actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            made = create_announcement(
                uow,
                actor=who,
                title=str(data["title"]),
                body=str(data["body"]),
                audience=v.optional(data, "audience", _ids),
            )
            uow.commit()
            return made

    return reply(await in_thread(work), 201)


async def post_announcement_action(request: web.Request) -> web.Response:
    announcement_id, action = path_int(request, "announcement_id"), request.match_info["action"]
    data = await body(request) if request.can_read_body else {}
    who = actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            made = change_announcement(
                uow, announcement_id, action, who, publish_at=when(data.get("publish_at"))
            )
            uow.commit()
            return made

    return reply(await in_thread(work))


async def get_kb(request: web.Request) -> web.Response:
    q = request.query

    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            hits = uow.knowledge.search(q.get("q", ""), category=q.get("category"))
            return [{"article": a, "score": s} for a, s in hits]

    return reply(await in_thread(work))


async def post_kb(request: web.Request) -> web.Response:
    data, who = await body(request), actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            made = add_article(
                uow,
                actor=who,
                title=str(data["title"]),
                body=str(data["body"]),
                category=str(data["category"]),
                lang=str(data.get("lang", "zh")),
            )
            uow.commit()
            return made

    return reply(await in_thread(work), 201)


async def patch_kb(request: web.Request) -> web.Response:
    article_id, data, who = path_int(request, "article_id"), await body(request), actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            made = update_article(
                uow, article_id, actor=who, **{k: str(v) for k, v in data.items()}
            )
            uow.commit()
            return made

    return reply(await in_thread(work))


async def get_interaction(request: web.Request) -> web.Response:
    call_id, context = request.match_info["call_id"], ctx(request)
    found = await in_thread(lambda: InteractionStore(context.engine).get_interaction(call_id))
    if found is None:
        raise LookupError(f"interaction {call_id}: no such call")
    return reply(found)


def _check_handled(request: web.Request, store: InteractionStore, call_id: str) -> None:
    """People add to a call only if they handled it (answered it or took it over);
    those who may correct calls (supervisors) add to any. Runs in a worker thread."""
    me = user(request)
    if me.can(Permission.INTERACTION_CORRECT):
        return
    record = store.get_interaction(call_id)
    if record is None or not handled_by(record, ctx(request).agent_names(me.username)):
        raise Forbidden(f"call {call_id}: only the agent who handled it may add to it")


async def put_interaction(request: web.Request) -> web.Response:
    """A supervisor records or corrects a call. Written as a correction, not as the
    engine's record: if the call is live, the engine's write when it ends completes the
    row (never dropped as a duplicate), keeping the corrected values."""
    call_id = call_id_of(request.match_info["call_id"])
    data, who, context = await body(request), actor(request), ctx(request)
    raw_tickets = data.pop("ticket_ids", [])
    if not isinstance(raw_tickets, list):
        raise ValueError("ticket_ids must be a list of ticket ids")
    ticket_ids = [as_id("ticket_ids", t) for t in raw_tickets]
    values = interaction_fields(call_id, data)
    if values.get("started_at") is None:
        raise ValueError("started_at is required")
    store = InteractionStore(context.engine, plan=context.plan, clock=context.clock)

    def work() -> bool:
        existed = store.update_interaction(
            call_id, actor=who, audit_action="interaction.correct", **values
        )
        for ticket_id in ticket_ids:
            store.link_ticket(call_id, ticket_id, actor=who)
        return existed

    existed = await in_thread(work)
    return reply({"call_id": call_id, "written": not existed}, 200 if existed else 201)


async def patch_interaction(request: web.Request) -> web.Response:
    """The agent who handled a call adds its disposition, notes or customer; telephony
    facts (who answered, talk time, recordings, the caller's number...) are the engine's
    and only a supervisor's audited correction changes them."""
    call_id = call_id_of(request.match_info["call_id"])
    data, who, context, me = await body(request), actor(request), ctx(request), user(request)
    values = interaction_fields(call_id, data)
    corrector = me.can(Permission.INTERACTION_CORRECT)
    facts = set(values) - PEOPLE_FIELDS
    if facts and not corrector:
        raise Forbidden(
            f"{', '.join(sorted(facts))}: telephony facts are written by the engine; "
            "a supervisor may correct them"
        )
    store = InteractionStore(context.engine, plan=context.plan, clock=context.clock)

    def work() -> bool:
        _check_handled(request, store, call_id)
        return store.update_interaction(
            call_id,
            actor=who,
            audit_action="interaction.correct" if corrector else "interaction.update",
            **values,
        )

    existed = await in_thread(work)
    return reply({"call_id": call_id, "existed": existed})
