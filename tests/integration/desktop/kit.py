"""A running engine + simulator + CRM + web app (with the desk) for the desktop's tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from agent_desktop import DESK
from agent_desktop.service import Desk
from crm.auth import create_user
from crm.model.customer import Customer
from crm.model.ticket import TicketCategory
from crm.services.customers import add_customer, make_phone
from crm.services.tickets import open_ticket
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from cti.engine import Engine
from cti.settings import Settings
from cti.simulator import AgentPhone, Simulator
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.enginekit import rig, settings_for, until

PASSWORD = "correct-horse-battery"


@dataclasses.dataclass
class DeskRig:
    engine: Engine
    sim: Simulator
    sql: Any
    store: InteractionStore

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.engine.web_port}"

    @property
    def desk(self) -> Desk:
        return self.engine.web_runner.app[DESK]

    def add_user(self, username: str, role: str) -> None:
        with UnitOfWork(self.sql) as uow:
            create_user(uow, username=username, password=PASSWORD, role=role)
            uow.commit()

    def add_customer(self, name: str, number: str, *, area: str | None = None) -> int:
        with UnitOfWork(self.sql) as uow:
            cid = add_customer(
                uow, Customer(name=name, area=area, phones=[make_phone(number)]), "test"
            )
            uow.commit()
        return cid

    def add_ticket(self, customer_id: int, title: str) -> int:
        with UnitOfWork(self.sql) as uow:
            t = open_ticket(
                uow,
                actor="test",
                title=title,
                category=TicketCategory.REPAIR,
                customer_id=customer_id,
            )
            uow.commit()
        assert t.id is not None
        return t.id


@contextlib.asynccontextmanager
async def desk_rig(
    tmp: Path,
    *,
    time_scale: float = 0.05,
    phones: list[AgentPhone] | None = None,
    settings: Settings | None = None,
) -> AsyncIterator[DeskRig]:
    settings = settings or settings_for(tmp)
    settings = dataclasses.replace(settings, web_port=0, web_secret="test-secret-" + "x" * 20)
    async with rig(
        tmp,
        time_scale=time_scale,
        phones=phones,
        settings=settings,
        engine_options=lambda sql, store: {
            "web_app_factory": lambda e: make_app(e, crm_sql=sql),
            "authenticate": crm_authenticator(sql),
            "crm_store": store,
        },
    ) as r:
        yield DeskRig(r.engine, r.sim, r.sql, r.store)


async def login(session: aiohttp.ClientSession, base: str, username: str) -> None:
    """Log in through the real form (CSRF token included); cookies stay in ``session``."""
    async with session.get(f"{base}/login") as resp:
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', await resp.text())
    assert csrf is not None
    async with session.post(
        f"{base}/login",
        data={"csrf": csrf.group(1), "username": username, "password": PASSWORD, "next": "/"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 302 and "error" not in resp.headers["Location"], resp.headers


def client() -> aiohttp.ClientSession:
    # Unsafe jar: the server is 127.0.0.1, whose cookies the default jar would drop.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


class Tab:
    """One websocket with the messages it received, for polling in tests."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.closed: int | None = None
        self._n = 0
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(msg.data))
        self.closed = self.ws.close_code

    async def ask(self, type_: str, **args: Any) -> dict[str, Any]:
        self._n += 1
        rid = self._n
        await self.ws.send_str(json.dumps({"type": type_, "id": rid, **args}))
        await until(lambda: self.reply(rid) is not None, 10, f"reply to {type_}")
        reply = self.reply(rid)
        assert reply is not None
        return reply

    def reply(self, rid: int) -> dict[str, Any] | None:
        return next(
            (m for m in self.messages if m.get("id") == rid and m["type"] in ("result", "error")),
            None,
        )

    def last_pop(self) -> dict[str, Any] | None:
        pops = [m["pop"] for m in self.messages if m["type"] == "pop"]
        return pops[-1] if pops else None

    async def close(self) -> None:
        await self.ws.close()
        await self.task


async def open_tab(session: aiohttp.ClientSession, url: str, **kw: Any) -> Tab:
    return Tab(await session.ws_connect(url, **kw))
