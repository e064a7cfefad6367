"""The hotline flow through the simulator over real TCP, with the SQLite CRM."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from crm.schema import followups, tickets
from cti import events as ev
from cti.simulator import CallerSpec
from tests.integration.enginekit import until
from tests.integration.ivr.simkit import at, ivr_rig
from tests.unit.ivr.helpers import OPEN_AT

HOTLINE = {"IVR_SCRIPT": "hotline"}
ZHANG = {"name": "张伟", "account_number": "BJ-10000123", "area": "北京/朝阳区",
         "tags": {"VIP"}, "grade": "gold", "phone": "+86 138 0013 8000"}
LI = {"name": "李娜", "account_number": "BJ-10000131", "area": "北京/海淀区",
      "phone": "139-1000-2000"}
OUTAGE = {"type": "power", "title": "朝阳区停电", "areas": ["北京/朝阳区"],
          "started_at": at(OPEN_AT - 3600), "expected_end_at": at(OPEN_AT + 3 * 3600)}


def queued(events: list[object], call_id: str) -> ev.CallQueued:
    return next(e for e in events if isinstance(e, ev.CallQueued) and e.call_id == call_id)


async def ended_row(r: object, call_id: str) -> object:
    await until(lambda: call_id in r.ended_ids(), 60, f"call {call_id} to end")  # type: ignore
    await until(lambda: r.engine.writer.written >= 1, 10, "the row")  # type: ignore
    await r.engine.writer.drain(timeout=10)  # type: ignore
    row = await asyncio.to_thread(r.store.get_interaction, call_id)  # type: ignore
    assert row is not None
    return row


async def test_known_caller_is_identified_hears_the_incident_and_reaches_repair(
        tmp_path: Path) -> None:
    async with ivr_rig(tmp_path, people=[ZHANG, LI], incidents=[OUTAGE]) as r:
        a = r.sim.place_call(CallerSpec("13800138000", "张伟", dtmf=["1", "2"],
                                        variables=HOTLINE))
        b = r.sim.place_call(CallerSpec("13910002000", "李娜", dtmf=["1", "1"],
                                        variables=HOTLINE))
        row = await ended_row(r, a)
        q = queued(r.events, a)
        assert (q.service, q.skills, q.priority) == ("repair", ("repair",), 2)
        steps = row.ivr_steps  # type: ignore[attr-defined]
        assert [s["node"] for s in steps] == [
            "language", "identify", "hours", "incident-check", "incident", "main-menu",
            "repair-route"]
        assert steps[0]["key"] == "1" and steps[5]["key"] == "2"
        assert steps[1]["recognized"].startswith("customer:") and "caller_id" in \
            steps[1]["recognized"]
        assert "zh/incident-power" in steps[4]["prompt"]
        assert all(s["at"] for s in steps)
        # the call model keeps no language per step yet; the bus events carry it
        langs = [s.language for s in r.events if isinstance(s, ev.IvrStepTaken)
                 and s.call_id == a]
        assert langs == ["en"] + ["zh"] * 6  # an English channel; the caller chose 1: 中文
        await ended_row(r, b)
        q = queued(r.events, b)  # not VIP, no incident in 海淀: billing at its own priority
        assert (q.service, q.skills, q.priority) == ("billing", ("billing",), 0)
        nodes = [s.node for s in r.events if isinstance(s, ev.IvrStepTaken) and s.call_id == b]
        assert "incident" not in nodes


async def test_unknown_number_keys_the_account_and_vip_gets_priority(tmp_path: Path) -> None:
    async with ivr_rig(tmp_path, people=[ZHANG]) as r:
        cid = r.sim.place_call(CallerSpec("02188886666", "from the office",
                                          dtmf=["2", "10000123#", "1"], variables=HOTLINE,
                                          language="zh"))
        row = await ended_row(r, cid)
        q = queued(r.events, cid)
        assert (q.service, q.skills, q.priority) == ("billing", ("billing",), 3)
        steps = {s["node"]: s for s in row.ivr_steps}  # type: ignore[attr-defined]
        assert steps["ask-account"]["key"] == "10000123"
        assert "by account" in steps["identify-account"]["recognized"]
        menu = next(s for s in r.events if isinstance(s, ev.IvrStepTaken)
                    and s.call_id == cid and s.node == "main-menu")
        assert menu.language == "en"  # chose English with key 2


async def test_callback_request_creates_a_ticket_and_a_follow_up(tmp_path: Path) -> None:
    async with ivr_rig(tmp_path, people=[LI]) as r:
        # patience: the simulator does not end the ;1 half when AGI HANGUP ends ;2
        cid = r.sim.place_call(CallerSpec("13910002000", "李娜", dtmf=["1", "6"],
                                          variables=HOTLINE, patience=20))
        await until(lambda: cid in r.ended_ids(), 60, "the call to end")
        end = next(e for e in r.ended if e.call_id == cid)
        assert end.answered_by is None and r.engine.ivr.handed_off == 0
        sql = r.store._engine
        with sql.connect() as conn:
            ticket = conn.execute(select(tickets)).mappings().one()
            follow = conn.execute(select(followups)).mappings().one()
        assert follow["ticket_id"] == ticket["id"] and ticket["customer_id"] is not None
        await r.engine.writer.drain(timeout=10)
        row = await asyncio.to_thread(r.store.get_interaction, cid)
        assert row is not None and ticket["id"] in row.ticket_ids
        assert [s["node"] for s in row.ivr_steps][-2:] == ["callback", "goodbye"]


async def test_hang_up_mid_flow_at_many_points(tmp_path: Path) -> None:
    async with ivr_rig(tmp_path, people=[ZHANG], incidents=[OUTAGE]) as r:
        ids = [r.sim.place_call(CallerSpec("13800138000", "张伟", dtmf=["1", "2"],
                                           variables=HOTLINE, hangup_during_ivr_after=t))
               for t in (0.3, 1.0, 2.5, 4.0, 5.5, 7.0, 9.0)]
        await until(lambda: set(ids) <= set(r.ended_ids()), 60, "every call to end")
        for e in r.ended:
            assert e.reason in ("ivr_hangup", "abandoned", "completed"), e.reason
        assert r.engine.ivr.fallbacks == 0
        await until(lambda: r.engine.agi.active_sessions == 0, 10, "no IVR session left")
