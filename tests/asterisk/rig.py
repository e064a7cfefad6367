"""The engine (in this process, with its web app and SQLite CRM) on a real Asterisk.

``real_rig`` starts one Asterisk (pbx.py) with the prompts installed by the project's own
``cti prompts install`` code, then the engine with the shipped site's services and agents
(config/site.yaml: extensions 1001-1005, the shipped pjsip.conf's endpoints) and the
shipped dialplan's context names. Agents without a phone in the test are logged out.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from unittest import mock

from crm.auth import create_user
from crm.db import create_schema, make_engine
from crm.model.customer import Customer
from crm.model.interaction import InteractionRecord
from crm.services.customers import add_customer, make_phone
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from cti import events as ev
from cti.ami.protocol import Event, Response
from cti.ami.session import backoff
from cti.crm_sink import CrmSink
from cti.engine import Engine
from cti.settings import DialplanConfig, Settings, load_settings
from cti.web import make_app
from cti.webauth import crm_authenticator
from ivr.install import install
from ivr.prompts import build_prompts, load_catalog
from ivr.wiring import BUNDLED
from tests.asterisk.media import AGENT_HZ, CALLER_HZ, seconds_with_tone
from tests.asterisk.pbx import AMI_SECRET, OBSERVER, Asterisk, free_port
from tests.integration.desktop.kit import PASSWORD, Tab, client, login, open_tab
from tests.integration.simhelpers import AmiClient

SITE = BUNDLED / "site.yaml"


async def until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        await asyncio.sleep(0.02)


def install_prompts(pbx: Asterisk, build_dir: Path) -> None:
    """What `cti prompts install --data-dir <astdatadir>` does (ivr.cli._install)."""
    report = build_prompts(load_catalog(BUNDLED / "prompts"), build_dir)
    install(build_dir, pbx.data, list(report.samples))


def site_settings(tmp: Path, pbx: Asterisk, agi_port: int) -> Settings:
    """The shipped site.yaml, pointed at this Asterisk, a temp CRM and loopback ports."""
    secrets = {"CTI_AMI_SECRET": AMI_SECRET, "CTI_WEB_SECRET": "test-secret-" + "x" * 20}
    with mock.patch.dict(os.environ, secrets):
        base = load_settings(SITE, base=tmp)
    ami = dataclasses.replace(
        base.asterisk[0], host="127.0.0.1", port=pbx.ami_port, secret=AMI_SECRET,
        ping_interval=5.0, action_timeout=5.0,
    )  # fmt: skip
    return dataclasses.replace(
        base,
        source="<test>",
        asterisk=(ami,),
        fastagi_host="127.0.0.1",
        fastagi_port=agi_port,
        database_url=f"sqlite:///{tmp / 'crm.sqlite3'}",
        journal_path=str(tmp / "journal.jsonl"),
        recordings_dir=str(pbx.monitor),
        web_host="127.0.0.1",
        web_port=0,
        web_secret="test-secret-" + "x" * 20,
        wrap_up_seconds=0.0,
        dialplan=dataclasses.replace(
            base.dialplan if isinstance(base.dialplan, DialplanConfig) else DialplanConfig(),
        ),
    )


class Observer(AmiClient):
    """A second AMI user without the shipped event filters: what Asterisk really did.
    ``times[i]`` is when ``events[i]`` arrived (time.monotonic)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def _read(self) -> None:
        while data := await self.reader.read(65536):
            now = time.monotonic()
            async with self.changed:
                for m in self.parser.feed(data):
                    if isinstance(m, Event):
                        self.events.append(m)
                        self.times.append(now)
                    elif isinstance(m, Response):
                        self.responses.append(m)
                self.changed.notify_all()
        async with self.changed:
            self.eof = True
            self.changed.notify_all()

    async def login(self) -> None:  # type: ignore[override]
        r = await self.action(
            [("Action", "Login"), ("ActionID", "obs-login"), ("Username", OBSERVER[0]),
             ("Secret", OBSERVER[1])]
        )  # fmt: skip
        assert r.ok, r

    def named(self, name: str, **fields: str) -> list[Event]:
        return [
            e for e in self.events
            if e.name == name and all(e.get(k) == v for k, v in fields.items())
        ]  # fmt: skip


@dataclasses.dataclass
class RealRig:
    tmp: Path
    pbx: Asterisk
    engine: Engine
    store: InteractionStore
    sql: Any
    obs: Observer
    events: list[Any]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.engine.web_port}"

    def ended(self) -> list[ev.CallEnded]:
        return [e for e in self.events if isinstance(e, ev.CallEnded)]

    def of(self, kind: type, call_id: str | None = None) -> list[Any]:
        return [
            e for e in self.events
            if isinstance(e, kind) and (call_id is None or e.call_id == call_id)
        ]  # fmt: skip

    def row(self, call_id: str) -> InteractionRecord | None:
        return self.store.get_interaction(call_id)

    async def wait_row(self, call_id: str, timeout: float = 20) -> InteractionRecord:
        """The engine's row of the call (other writers may create it first, unfinished)."""

        def written() -> bool:
            row = self.row(call_id)
            return row is not None and row.end_reason is not None

        await until(written, timeout, f"interaction {call_id}")
        row = self.row(call_id)
        assert row is not None
        return row

    def engine_alive(self) -> bool:
        """Every long-lived task of the engine still runs (a crash in one ends them all)."""
        tasks = self.engine._tasks
        return bool(tasks) and not any(t.done() for t in tasks)

    def agent_state(self, agent_id: str) -> str:
        return self.engine.router.router.agents[agent_id].state.value

    def add_user(self, username: str, role: str = "agent") -> None:
        with UnitOfWork(self.sql) as uow:
            create_user(uow, username=username, password=PASSWORD, role=role)
            uow.commit()

    def add_customer(self, name: str, number: str) -> int:
        with UnitOfWork(self.sql) as uow:
            cid = add_customer(uow, Customer(name=name, phones=[make_phone(number)]), "test")
            uow.commit()
        return cid

    def recordings(self, call_id: str) -> list[Path]:
        return sorted(p for p in self.pbx.monitor.glob(f"*{call_id}*.wav"))


@contextlib.asynccontextmanager
async def real_rig(
    tmp: Path,
    *,
    agents_on: tuple[str, ...],
    extra_queues: str = "",
    extra_dialplan: str = "",
    settings_hook: Callable[[Settings], Settings] | None = None,
    pbx_options: dict[str, Any] | None = None,
    pbx_hook: Callable[[Asterisk, Settings], Settings] | None = None,
) -> AsyncIterator[RealRig]:
    agi_port = free_port()
    pbx = Asterisk(
        tmp / "pbx",
        agi_port=agi_port,
        extra_queues=extra_queues,
        extra_dialplan=extra_dialplan,
        **(pbx_options or {}),
    )
    pbx.write_config()
    install_prompts(pbx, tmp / "prompts-build")
    settings = site_settings(tmp, pbx, agi_port)
    if settings_hook is not None:
        settings = settings_hook(settings)
    if pbx_hook is not None:  # files Asterisk must read at start (generated includes)
        settings = pbx_hook(pbx, settings)
    sql = make_engine(settings.database_url)
    create_schema(sql)
    store = InteractionStore(sql)
    obs = Observer()
    try:
        await pbx.start()
        await obs.connect(pbx.ami_port)
        await obs.login()
        engine = Engine(
            settings,
            CrmSink(store),
            web_app_factory=lambda e: make_app(e, crm_sql=sql),
            authenticate=crm_authenticator(sql),
            crm_store=store,
        )
        for s in engine.sessions.values():
            s._backoff_factory = lambda: backoff(0.02, 1.0, 0.2)
        seen: list[Any] = []
        engine.bus.subscribe(seen.append)
        async with engine:
            await engine.wait_ready(timeout=20)
            for agent in settings.agents:
                if agent.id not in agents_on:
                    with contextlib.suppress(Exception):
                        engine.router.command(agent.id, "logout")
            yield RealRig(tmp, pbx, engine, store, sql, obs, seen)
    finally:
        await obs.close()
        await pbx.stop()
        sql.dispose()


# ---- what a scenario checks ----------------------------------------------------------
@contextlib.asynccontextmanager
async def desks(r: RealRig, agent_ids: tuple[str, ...]) -> AsyncIterator[dict[str, Tab]]:
    """Each agent logged in to the desk over real HTTP, its websocket open."""
    tabs: dict[str, Tab] = {}
    async with contextlib.AsyncExitStack() as stack:
        for aid in agent_ids:
            r.add_user(aid)
            session = await stack.enter_async_context(client())
            await login(session, r.base, aid)
            tabs[aid] = await open_tab(session, r.base.replace("http", "ws") + "/desk/ws")
            stack.push_async_callback(tabs[aid].close)
        yield tabs


def pops(tab: Tab, call_id: str) -> list[dict[str, Any]]:
    return [
        m["pop"] for m in tab.messages
        if m.get("type") == "pop" and m.get("pop") and m["pop"].get("call_id") == call_id
    ]  # fmt: skip


def recording_files(r: RealRig, row: InteractionRecord) -> list[Path]:
    """The segment files Asterisk wrote for the call (``<call id>-<segment>.wav``)."""
    assert row.recording_refs, f"the row of {row.call_id} names no recording"
    return sorted(r.pbx.monitor.glob(f"{row.call_id}-*.wav"))


def assert_both_parties_recorded(r: RealRig, row: InteractionRecord, at_least: float = 1.0) -> None:
    """The call's recordings hold the caller's tone and the agent's tone."""
    files = recording_files(r, row)
    assert files, f"no recording for {row.call_id}"
    for f in files:
        assert f.is_file(), f"recording {f} missing (have {sorted(r.pbx.monitor.iterdir())})"
    caller = sum(seconds_with_tone(f, CALLER_HZ) for f in files)
    agent = sum(seconds_with_tone(f, AGENT_HZ) for f in files)
    assert caller >= at_least and agent >= at_least, (
        f"{row.call_id}: caller tone {caller}s, agent tone {agent}s in {files}"
    )


async def agents_settle(r: RealRig, states: dict[str, str], timeout: float = 15) -> None:
    await until(
        lambda: all(r.agent_state(a) == s for a, s in states.items()),
        timeout,
        f"agent states {states} (now { {a: r.agent_state(a) for a in states} })",
    )
