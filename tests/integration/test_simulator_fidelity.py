"""The simulator's AMI event stream against the real Asterisk 22.10.1 traces.

Compared per channel (the channel name with its Local counter removed): the sequence of
event names and, for each, the set of field names. Values, ids and times are ignored.
DeviceStateChange is left out of the per-channel view (it carries no channel) and is
compared by count. The global interleaving of the two halves of a Local pair is partly
racy in Asterisk itself, so it is not asserted.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from cti.ami.protocol import AmiParser, Event
from cti.simulator import SimConfig, Simulator
from tests.conftest import FIXTURES
from tests.integration.simhelpers import AgiConn, AgiServer, AmiClient

SCALE = 0.02
CHANNEL_KEYS = ("Channel", "DestChannel", "LocalOneChannel")


def trace_events(name: str) -> list[Event]:
    parser = AmiParser()
    msgs = parser.feed((FIXTURES / "ami" / f"{name}.rx.raw").read_bytes())
    return [m for m in msgs if isinstance(m, Event)]


def owner(e: Event) -> str:
    for key in CHANNEL_KEYS:
        if key in e.fields:
            return re.sub(r"-[0-9a-f]{8};", ";", e.fields[key])
    return "-"


def per_channel(evts: list[Event]) -> dict[str, list[tuple[str, frozenset[str]]]]:
    out: dict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for e in evts:
        if e.name in ("DeviceStateChange", "FullyBooted", "SuccessfulAuth"):
            continue
        if e.action_id is not None and e.name != "OriginateResponse":
            continue
        out[owner(e)].append((e.name, frozenset(e.fields) | frozenset(e.multi)))
    return dict(out)


def assert_same(name: str, got: list[Event]) -> None:
    want = per_channel(trace_events(name))
    have = per_channel(got)
    assert set(have) == set(want)
    for chan, seq in want.items():
        mine = have[chan]
        for i, (a, b) in enumerate(zip(seq, mine, strict=False)):
            assert a == b, (
                f"{chan} #{i}: trace {a[0]} {sorted(a[1] - b[1])} "
                f"vs sim {b[0]} {sorted(b[1] - a[1])}"
            )
        assert len(mine) == len(seq), chan
    dsc = Counter(e.name for e in got if e.name == "DeviceStateChange")
    want_dsc = Counter(e.name for e in trace_events(name) if e.name == "DeviceStateChange")
    assert dsc == want_dsc


def transcript_commands(name: str) -> list[str]:
    out = []
    for line in (FIXTURES / "agi" / f"{name}.transcript").read_text().splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] == "TX":
            out.append(eval(parts[2]).decode().rstrip("\n"))  # a Python bytes repr
    return out


def replay(name: str):  # type: ignore[no-untyped-def]
    commands = transcript_commands(name)

    async def script(c: AgiConn) -> None:
        for cmd in commands:
            await c.cmd(cmd)

    return script


def tx_actions(name: str) -> list[list[tuple[str, str]]]:
    text = (FIXTURES / "ami" / f"{name}.tx.raw").read_bytes().decode()
    out = []
    for block in text.split("\r\n\r\n"):
        pairs = [tuple(x.split(": ", 1)) for x in block.split("\r\n") if ": " in x]
        if pairs:
            out.append(pairs)
    return out  # type: ignore[return-value]


async def run_scenario(
    tmp_path: Path, name: str, agi_name: str | None, waits: dict[str, object]
) -> list[Event]:
    agi = AgiServer(replay(agi_name) if agi_name else replay("b_ivr"))
    port = await agi.start()
    cfg = SimConfig(agi_port=port, time_scale=SCALE, recordings_dir=tmp_path)
    try:
        async with Simulator(cfg) as sim:
            cl = AmiClient()
            await cl.connect(sim.ami_port)
            for pairs in tx_actions(name):
                act = dict(pairs)
                before = waits.get(next(v for k, v in pairs if k == "ActionID"))
                if callable(before):
                    await cl.wait_for(lambda b=before: b(cl), timeout=20)
                if act["Action"] in ("CoreShowChannels", "Logoff"):
                    await sim.wait_until_idle(20)
                await cl.action(pairs)
            await cl.wait_for(lambda: cl.eof)
            await cl.close()
            return cl.events
    finally:
        await agi.stop()


def in_context(ctx: str, prio: str = "1"):  # type: ignore[no-untyped-def]
    return lambda cl: any(
        e.name == "Newexten" and e.get("Context") == ctx and e.get("Priority") == prio
        for e in cl.events
    )


async def test_b_ivr_redirect(tmp_path: Path) -> None:
    got = await run_scenario(
        tmp_path, "b_ivr_redirect", "b_ivr", {"setvar-3": in_context("hold", "2")}
    )
    assert_same("b_ivr_redirect", got)


async def test_e_record_hangup(tmp_path: Path) -> None:
    bridged = lambda cl: any(e.name == "BridgeEnter" for e in cl.events)  # noqa: E731
    got = await run_scenario(tmp_path, "e_record_hangup", None, {"mixmonitormute-3": bridged})
    assert_same("e_record_hangup", got)
