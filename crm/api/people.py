"""Handlers for login, users, departments, customers and the audit log."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm.api import values as v
from crm.api.context import (
    actor,
    as_id,
    bearer_token,
    body,
    ctx,
    in_thread,
    path_int,
    reply,
    user,
    when,
)
from crm.api.problems import Conflict
from crm.auth import create_user, logout, update_user
from crm.model.customer import Contact, Customer, CustomerKind
from crm.phone import NumberPlan
from crm.services.customers import add_customer, get_customer, make_phone, update_customer
from crm.services.organization import add_department
from crm.store import InteractionStore


async def post_login(request: web.Request) -> web.Response:
    data = await body(request)
    gate = ctx(request).gate
    assert gate is not None  # crm_api() always makes one
    # Throttled, audited, hashed in the gate's own pool; the token goes back in the body
    # only (a browser logs in through the form and gets a session instead).
    token, who = await gate.login(
        str(data["username"])[:128], str(data["password"])[:1024], request.remote or ""
    )
    return reply({"token": token, "user": who})


async def post_logout(request: web.Request) -> web.Response:
    token, name = bearer_token(request), actor(request)
    assert token is not None

    def work() -> None:
        with ctx(request).uow() as uow:
            logout(uow, token, name)
            uow.commit()

    await in_thread(work)
    return reply({"ok": True})


async def get_me(request: web.Request) -> web.Response:
    return reply(user(request))


async def get_users(request: web.Request) -> web.Response:
    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            return uow.users.all()

    return reply(await in_thread(work))


async def post_user(request: web.Request) -> web.Response:
    data, context, who = await body(request), ctx(request), actor(request)

    def work() -> object:
        with context.uow() as uow:
            made = create_user(
                uow,
                username=v.text("username", data["username"], 64),
                password=v.text("password", data["password"], 1024),
                role=v.text("role", data["role"], 32),
                display_name=v.optional(data, "display_name", v.text, 200),
                department_id=v.optional(data, "department_id", v.an_id),
                actor=who,
                hasher=context.hasher,
            )
            uow.commit()
            return made

    return reply(await in_thread(work), 201)


async def patch_user(request: web.Request) -> web.Response:
    """Deactivate, change the role or the password; the user's sessions end at once."""
    data, context, who = await body(request), ctx(request), actor(request)
    username = request.match_info["username"]
    active, department = data.get("active"), data.get("department_id")
    if active is not None and not isinstance(active, bool):
        raise ValueError("active must be true or false")
    department_id = None if department is None else as_id("department_id", str(department))

    def work() -> object:
        with context.uow() as uow:
            changed = update_user(
                uow,
                username,
                actor=who,
                active=active,
                role=None if data.get("role") is None else str(data["role"]),
                password=None if data.get("password") is None else str(data["password"]),
                department_id=department_id,
                hasher=context.hasher,
            )
            uow.commit()
            return changed

    return reply(await in_thread(work))


async def get_departments(request: web.Request) -> web.Response:
    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            return uow.departments.all()

    return reply(await in_thread(work))


async def post_department(request: web.Request) -> web.Response:
    data, who = await body(request), actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            made = add_department(
                uow,
                actor=who,
                code=v.text("code", data["code"], 64),
                name=v.text("name", data["name"], 200),
                kind=v.text("kind", data["kind"], 32),
                parent_id=v.optional(data, "parent_id", v.an_id),
                area=v.optional(data, "area", v.text, 200),
            )
            uow.commit()
            return made

    return reply(await in_thread(work), 201)


async def get_audit(request: web.Request) -> web.Response:
    q = request.query
    limit = as_id("limit", q.get("limit", "200"))
    if not 1 <= limit <= 1000:
        raise ValueError("limit must be between 1 and 1000")

    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            return uow.audit_log.query(
                actor=q.get("actor"),
                object_type=q.get("object_type"),
                object_id=q.get("object_id"),
                action=q.get("action"),
                since=when(q.get("since")),
                until=when(q.get("until")),
                limit=limit,
            )

    return reply(await in_thread(work))


def _customer_from(data: dict[str, Any], context_plan: NumberPlan) -> Customer:
    phones = [make_phone(str(p), plan=context_plan) for p in data.get("phones", [])]
    contacts = [
        Contact(
            name=str(c["name"]),
            title=c.get("title"),
            email=c.get("email"),
            phones=[make_phone(str(p), plan=context_plan) for p in c.get("phones", [])],
        )
        for c in data.get("contacts", [])
    ]
    return Customer(
        name=v.text("name", data["name"], 200),
        kind=CustomerKind(data.get("kind", "individual")),
        account_number=v.optional(data, "account_number", v.text, 64),
        segment=data.get("segment"),
        grade=data.get("grade"),
        area=data.get("area"),
        address=data.get("address"),
        email=data.get("email"),
        tags=set(data.get("tags", [])),
        phones=phones,
        contacts=contacts,
        archive=dict(data.get("archive", {})),
        archive_locked=bool(data.get("archive_locked", False)),
    )


async def get_customers(request: web.Request) -> web.Response:
    text = request.query.get("q", "")

    def work() -> object:
        with ctx(request).uow(write=False) as uow:
            return uow.customers.search(text)

    return reply(await in_thread(work))


async def lookup_customer(request: web.Request) -> web.Response:
    raw = request.query.get("phone", "")
    context = ctx(request)
    cards = await in_thread(
        lambda: InteractionStore(context.engine, plan=context.plan).find_customers_by_phone(raw)
    )
    return reply(cards)


async def post_customer(request: web.Request) -> web.Response:
    data, who, context = await body(request), actor(request), ctx(request)

    def work() -> object:
        customer = _customer_from(data, context.plan)
        with context.uow() as uow:
            account = customer.account_number
            if account and uow.customers.id_by_account(account) is not None:
                raise Conflict(f"account number {account} already belongs to a customer")
            add_customer(uow, customer, who)
            uow.commit()
        return customer

    return reply(await in_thread(work), 201)


async def get_customer_record(request: web.Request) -> web.Response:
    customer_id, who = path_int(request, "customer_id"), actor(request)

    def work() -> object:
        with ctx(request).uow() as uow:
            customer = get_customer(uow, customer_id, who)  # audited: a sensitive read
            tickets = uow.tickets.find(customer_id=customer_id, limit=50)
            calls = uow.interactions.for_customer(customer_id, 20)
            uow.commit()
            return {"customer": customer, "tickets": tickets, "interactions": calls}

    return reply(await in_thread(work))


async def patch_customer(request: web.Request) -> web.Response:
    customer_id, data, who, context = (
        path_int(request, "customer_id"),
        await body(request),
        actor(request),
        ctx(request),
    )

    def work() -> object:
        phones = data.pop("phones", None)
        made = None if phones is None else [make_phone(str(p), plan=context.plan) for p in phones]
        with context.uow() as uow:
            customer = update_customer(uow, customer_id, data, who, phones=made)
            uow.commit()
            return customer

    return reply(await in_thread(work))
