"""Issue 13 item 4: a click-to-call is recorded and attributed like an inbound call.

The recording holds the talk's audio (frames, not a bare header), its agent is the agent
who dialled (not the customer's number), its length is the talk's, the agent finds it
among their own recordings, and the pop's history never shows a 1970 date.
"""

from __future__ import annotations

import asyncio
import dataclasses
import wave
from array import array
from pathlib import Path

import pytest

from cti import events as ev
from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone
from recordings.search import Filters, search
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for, until
from tests.integration.recordings.kit import write_config

SCALE = 0.05
NUMBER = "13800001234"


def _peak(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        samples = array("h", w.readframes(w.getnframes()))
    return max((abs(x) for x in samples), default=0)


async def test_click_to_call_recording_has_the_talk_and_the_agent(tmp_path: Path) -> None:
    write_config(tmp_path, transcribe=False)
    settings = dataclasses.replace(
        settings_for(tmp_path, agents=DEMO_AGENTS[:2], wrap_up=0.5),
        source=str(tmp_path / "site.yaml"),
        recordings_dir=str(tmp_path / "rec"),
    )
    phones = [
        AgentPhone("1001", answer_after=2.0, talk_time=100000.0),
        AgentPhone("1002", answer_after=None),
    ]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=SCALE) as r:
        r.sim.config.customers[NUMBER] = 10.0  # answers 10 model seconds after ringing
        r.sim.config.customer_talk_time = 60.0  # talks 60 model seconds, hangs up
        cust = r.add_customer("张三", NUMBER)
        events: list[ev.DomainEvent] = []
        r.engine.bus.subscribe(events.append)
        reply = await r.desk.outbound.dial("a1001", "a1001", NUMBER, None)
        cid = reply["call_id"]
        # While the call is up, the pop's history (the customer's calls, this one's
        # stub row among them) has real dates.
        notifier = r.desk.notifier
        await until(
            lambda: bool(((notifier.pops.get(cid) or {}).get("context") or {}).get("history")),
            20,
            "the pop's history",
        )
        history = notifier.pops[cid]["context"]["history"]
        assert all(h["started_at"] and not h["started_at"].startswith("1970") for h in history)

        await until(lambda: any(isinstance(e, ev.CallEnded) for e in events), 30, "the end")
        end = next(e for e in events if isinstance(e, ev.CallEnded))
        assert end.answered_by == "1001"
        [answer] = [e for e in events if isinstance(e, ev.CallAnswered)]
        assert answer.agent == "1001"
        reg = r.engine.recordings.registry

        def stored() -> bool:
            call = reg.call(cid)
            return call is not None and call["ended_at"] is not None

        await until(stored, 30, "the recording stored")
        call = reg.call(cid)
        [seg] = reg.segments(cid)
        await r.engine.writer.drain(timeout=20)
        await until(lambda: r.engine.writer.written >= 1, 20, "the row written")
        row = await asyncio.to_thread(r.store.get_interaction, cid)
        mine = await asyncio.to_thread(
            search, r.engine.recordings.sql, Filters.from_query({}, "1001")
        )
    assert call is not None and call["agent"] == "1001"
    assert seg["agent"] == "1001" and seg["status"] == "stored"
    path = tmp_path / "rec" / seg["name"]
    with wave.open(str(path), "rb") as w:
        frames = w.getnframes()
    assert frames > 0 and _peak(path) > 1000, "the talk's audio, not silence or a header"
    # The talk lasted 60 model seconds (3 s here): the recording is as long.
    assert seg["duration"] == pytest.approx(60.0 * SCALE, abs=0.4)
    assert call["duration"] == pytest.approx(seg["duration"])
    assert row is not None and row.agent_answered == "1001" and row.direction == "outbound"
    assert row.customer_id == cust and row.caller_number == NUMBER
    assert row.talk_seconds == pytest.approx(60.0 * SCALE, abs=0.6)
    assert seg["duration"] == pytest.approx(row.talk_seconds, abs=0.3)
    assert cid in {m["call_id"] for m in mine}, "in the agent's own recordings"
