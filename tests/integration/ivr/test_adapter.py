"""The FastAGI adapter over real TCP against a scripted Asterisk: paths, faults, hang-ups."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from cti import events as ev
from cti.agi.server import FastAgiServer
from ivr import messages as m
from ivr.adapter import FlowIvr
from ivr.flow import FlowSet
from tests.integration.ivr.fakepbx import FakeBus, FakeModel, FakePbx, converse, env_bytes
from tests.unit.ivr.helpers import OPEN_AT, basic, hotline

ZH = {f"zh/{p}" for p in hotline().prompts() | basic().prompts()}
BJ = m.CustomerInfo(7, "张伟", "10000123", "北京/朝阳区", vip=True)
OUTAGE = m.IncidentInfo(3, "power", "朝阳区停电", OPEN_AT + 7200)


@dataclass
class FakeDirectory:
    customer: m.CustomerInfo | None = BJ
    incidents: list[m.IncidentInfo] = field(default_factory=lambda: [OUTAGE])
    stall: threading.Event | None = None  # set: answer; unset: hang on (a slow database)
    fail: bool = False
    callbacks: list[dict[str, Any]] = field(default_factory=list)

    def find_by_phone(self, raw: str) -> m.CustomerInfo | None:
        if self.stall is not None:
            self.stall.wait(5)
        if self.fail:
            raise ConnectionError("database is away")
        return self.customer

    def find_by_account(self, digits: str) -> m.CustomerInfo | None:
        return None

    def incidents_for_area(self, area: str) -> list[m.IncidentInfo]:
        return self.incidents

    def ticket_state(self, number: str) -> str | None:
        return "assigned" if number == "42" else None

    def create_callback(self, **kw: Any) -> tuple[int, int]:
        self.callbacks.append(kw)
        return 314, 15


@dataclass
class Rig:
    ivr: FlowIvr
    model: FakeModel
    bus: FakeBus
    port: int

    async def call(self, pbx: FakePbx, route: str = "hotline", **env: str) -> FakePbx:
        await asyncio.wait_for(converse(self.port, env_bytes(route, **env), pbx), 10)
        return pbx


@pytest.fixture
async def rig() -> AsyncIterator[Callable[..., Any]]:
    servers: list[FastAgiServer] = []

    async def make(directory: Any = None, *, command_timeout: float = 5.0,
                   crm_timeout: float = 1.0) -> Rig:
        model, bus = FakeModel(), FakeBus()
        ivr = FlowIvr(FlowSet((basic(), hotline())), model, bus, clock=lambda: OPEN_AT,
                      crm=directory, crm_timeout=crm_timeout)
        server = FastAgiServer({r: ivr for r in ivr.routes}, "127.0.0.1", 0,
                               command_timeout=command_timeout)
        await server.start()
        servers.append(server)
        return Rig(ivr, model, bus, server.port)

    yield make
    for server in servers:
        await server.close()


KNOWN_CALLER = ["", "2"]  # no language key, then repair at the main menu


async def test_known_caller_path_over_tcp(rig: Any) -> None:
    r = await rig(FakeDirectory())
    pbx = await r.call(FakePbx(ZH, keys=list(KNOWN_CALLER)))
    assert r.model.queued == [("1795498539.3", "repair", ("repair",), 2)]
    assert [s.node for s in r.model.steps] == [
        "language", "identify", "hours", "incident-check", "incident", "main-menu",
        "repair-route"]
    assert "SAY DATE 1773115200 \"\"" in pbx.commands
    assert 'SET VARIABLE CTI_SERVICE "repair"' in pbx.commands
    # no zh Vosk model on this machine: the speech menu read keys with GET DATA
    assert any(c.startswith("GET DATA zh/hotline-menu") for c in pbx.commands)


async def test_hang_up_during_every_command_never_hands_off_or_crashes(
        rig: Any, caplog: pytest.LogCaptureFixture) -> None:
    r = await rig(FakeDirectory())
    total = len((await r.call(FakePbx(ZH, keys=list(KNOWN_CALLER)))).commands)
    r.model.queued.clear()
    caplog.set_level(logging.INFO)
    for n in range(1, total):
        await r.call(FakePbx(ZH, keys=list(KNOWN_CALLER), hangup_at=n))
    assert r.model.queued == []
    # Gone during the last command (SET VARIABLE answers 200 on a dead channel): nothing
    # tells the script, so it hands off; the call model ignores a queue for an ended call.
    await r.call(FakePbx(ZH, keys=list(KNOWN_CALLER), hangup_at=total))
    assert len(r.model.queued) == 1
    assert not [x for x in caplog.records if x.levelno >= logging.ERROR]
    assert r.ivr.completed == 2 and r.ivr.sessions == total + 1


async def test_missing_menu_prompt_goes_to_the_fallback(
        rig: Any, caplog: pytest.LogCaptureFixture) -> None:
    r = await rig(None)
    await r.call(FakePbx({"zh/welcome"}, keys=["1"]), route="ivr")
    assert r.model.queued == [("1795498539.3", "general", (), 0)]
    assert "menu prompt missing" in caplog.text
    assert r.model.steps[-1].recognized == "error: prompt missing: zh/main-menu"


async def test_crm_that_does_not_answer_in_time(rig: Any,
                                                caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    r = await rig(FakeDirectory(stall=release), crm_timeout=0.05)
    try:
        await r.call(FakePbx(ZH, keys=["", "1"]))
    finally:
        release.set()
    assert r.model.queued == [("1795498539.3", "billing", ("billing",), 0)]
    assert "crm did not answer in time" in caplog.text
    broken = next(s for s in r.model.steps if s.node == "identify")
    assert broken.recognized.startswith("error: crm timeout")


async def test_crm_error_and_no_crm(rig: Any) -> None:
    r = await rig(FakeDirectory(fail=True))
    await r.call(FakePbx(ZH, keys=["", "3"]))
    assert r.model.queued[-1][1] == "installation"
    r = await rig(None)  # no CRM at all: everyone is unknown, asked for an account
    pbx = await r.call(FakePbx(ZH, keys=["", "", "", "4"]))
    assert r.model.queued[-1][1] == "complaint"
    assert sum(c.startswith("GET DATA zh/enter-account") for c in pbx.commands) == 2


async def test_refused_command_and_silent_asterisk_still_hand_off(
        rig: Any, caplog: pytest.LogCaptureFixture) -> None:
    r = await rig(None)
    await r.call(FakePbx(ZH, keys=["1"], refuse="GET DATA"), route="ivr")
    assert r.model.queued[-1][1] == "general"
    assert "agi command refused" in caplog.text
    r = await rig(None, command_timeout=0.2)
    await r.call(FakePbx(ZH, keys=["1"], silent_at=4), route="ivr")
    assert r.model.queued[-1][1] == "general"
    assert "caller goes to the flow's fallback" in caplog.text


async def test_ticket_status_and_callback_through_the_adapter(rig: Any) -> None:
    directory = FakeDirectory(incidents=[])
    r = await rig(directory)
    pbx = await r.call(FakePbx(ZH, keys=["", "5", "42", ""]))
    assert "SAY DIGITS 42 \"\"" in pbx.commands and "STREAM FILE zh/ticket-state-assigned \"\"" \
        in pbx.commands
    assert pbx.commands[-1] == "HANGUP" and r.model.queued == []
    pbx = await r.call(FakePbx(ZH, keys=["", "6"]))
    assert directory.callbacks[0]["customer_id"] == 7
    assert directory.callbacks[0]["call_id"] == "1795498539.3"
    assert "SAY DIGITS 314 \"\"" in pbx.commands
    steps = [s for s in r.bus.events if isinstance(s, ev.IvrStepTaken)]
    assert steps and all(s.call_id == "1795498539.3" for s in steps)
