"""The recorded FastAGI sessions (Asterisk 22.10.1) replayed against the flow adapter.

The lab scripts sent other commands than our flows do, so the replay answers each of
our commands with the recorded reply of the same verb, in recorded order, and follows
the recorded channel: once Asterisk said HANGUP, channel commands get its recorded 511.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

from cti.agi.server import FastAgiServer
from ivr.adapter import FlowIvr
from ivr.flow import FlowSet
from tests.integration.ivr.fakepbx import FakeBus, FakeModel
from tests.unit.ivr.helpers import OPEN_AT, basic
from tests.unit.test_agi_protocol import Session, load_session

ALWAYS = (b"SET VARIABLE", b"GET VARIABLE", b"GET FULL VARIABLE", b"VERBOSE")


def _verb(command: bytes) -> bytes:
    for verb in (b"GET FULL VARIABLE", b"SET VARIABLE", b"GET VARIABLE", b"STREAM FILE",
                 b"GET DATA", b"WAIT FOR DIGIT", b"CHANNEL STATUS"):
        if command.startswith(verb):
            return verb
    return command.split(b" ")[0].strip()


class Replay:
    def __init__(self, session: Session, skip: dict[bytes, int] | None = None) -> None:
        self.session = session
        self.used: dict[bytes, int] = dict(skip or {})
        self.dead = False
        self.sent: list[bytes] = []

    def reply(self, command: bytes) -> bytes:
        verb = _verb(command)
        self.sent.append(command.strip())
        if verb == b"GET FULL VARIABLE" and b"linkedid" in command:
            return f"200 result=1 ({self.session.env['agi_uniqueid']})\n".encode()
        if self.dead:
            dead = next(x.rx for x in self.session.exchanges if x.rx.startswith(b"511"))
            return b"200 result=1\n" if verb in ALWAYS else dead
        picks = [i for i, x in enumerate(self.session.exchanges) if _verb(x.command) == verb]
        n = self.used.get(verb, 0)
        self.used[verb] = n + 1
        if n >= len(picks):
            return b"200 result=6\n" if verb == b"CHANNEL STATUS" else b"200 result=0\n"
        i = picks[n]
        rx = self.session.exchanges[i].rx
        nxt = self.session.exchanges[i + 1].rx if i + 1 < len(self.session.exchanges) else b""
        if b"HANGUP\n" in rx or nxt.startswith(b"HANGUP\n"):
            self.dead = True
            rx = rx if b"HANGUP\n" in rx else rx + b"HANGUP\n"
        return rx


async def replay(name: str, route: str = "ivr", skip: dict[bytes, int] | None = None
                 ) -> tuple[Replay, FakeModel, FlowIvr]:
    session = load_session(name)
    model, bus = FakeModel(), FakeBus()
    ivr = FlowIvr(FlowSet((replace(basic(), route=route),)), model, bus, clock=lambda: OPEN_AT)
    rep = Replay(session, skip)
    async with FastAgiServer({route: ivr}, "127.0.0.1", 0) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            writer.write(session.env_bytes)
            async with asyncio.timeout(10):
                while line := await reader.readline():
                    writer.write(rep.reply(line))
                    await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return rep, model, ivr


async def test_b_ivr_key_1_goes_to_billing() -> None:
    rep, model, _ = await replay("b_ivr")
    assert rep.sent == [b"GET FULL VARIABLE ${CHANNEL(linkedid)}", b"ANSWER",
                        b'STREAM FILE en/welcome "0123456789*#"', b"GET DATA en/main-menu 5000 1",
                        b'SET VARIABLE CTI_SERVICE "billing"']
    assert model.queued == [("1795498539.3", "billing", (), 0)]
    assert [(s.node, s.key, s.language) for s in model.steps] == [
        ("welcome", "", "en"), ("main-menu", "1", "en")]


async def test_b2_caller_hangs_up_inside_get_data() -> None:
    rep, model, ivr = await replay("b2_agi_hangup")
    assert rep.sent[-2:] == [b"GET DATA en/main-menu 5000 1", b"CHANNEL STATUS"]
    assert model.queued == [] and ivr.completed == 0
    assert [s.node for s in model.steps] == ["welcome"]


async def test_b3_missing_prompts_and_usage_error_go_to_the_fallback() -> None:
    rep, model, ivr = await replay("b3_agi_errors", route="ivr-errors")
    # welcome missing (-1 endpos=0): logged, the flow goes on; the menu's GET DATA -1 on a
    # live channel (CHANNEL STATUS 6) is a missing prompt: fallback to a general agent.
    assert b"CHANNEL STATUS" in rep.sent
    assert model.queued == [("1795498586.9", "general", (), 0)]
    assert model.steps[-1].recognized == "error: prompt missing: en/main-menu"
    rep, model, ivr = await replay("b3_agi_errors", route="ivr-errors",
                                   skip={b"GET DATA": 1})  # the recorded 520 usage reply
    assert model.queued == [("1795498586.9", "general", (), 0)]
    assert "520" in model.steps[-1].recognized and ivr.completed == 1
