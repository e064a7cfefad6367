"""The whole call path over real TCP: simulator -> FastAGI IVR -> wait -> agent -> hang-up."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from cti import events as ev
from tests.integration.enginekit import caller, rig, until

NORMAL = ["new", "ivr", "waiting", "ringing", "connected", "wrap_up", "ended"]


async def test_hundred_calls_each_with_its_timeline(tmp_path: Path) -> None:
    # Scale 0.05: a caller presses their key while the menu reads it (keys nothing reads
    # are dropped, as on Asterisk); at 0.02 a read lasts ~0.1 s real, less than the event
    # loop's lag on a loaded 2-core machine with 100 calls at once.
    async with rig(tmp_path, time_scale=0.05) as r:
        ids = []
        for i in range(100):
            ids.append(r.sim.place_call(caller(i, key="1234"[i % 4])))
            await asyncio.sleep(0.005)  # arrivals spread out, as callers are
        await until(lambda: len(set(r.ended_ids())) == 100, 90, "100 ended calls")
        await until(lambda: not r.engine.model.calls, 10, "every wrap-up finished")
        assert Counter(r.ended_ids()) == Counter(ids), "each simulated call ends exactly once"
        truth = r.sim.ended_calls()
        no_answers = Counter(e.call_id for e in r.events if isinstance(e, ev.AgentNoAnswer))
        for end in r.ended:
            states = [s for s, _ in end.timeline]
            # A ring that went unanswered (a loaded machine can stretch the scaled ring
            # past the dial timeout) shows as ringing -> waiting, once per AgentNoAnswer.
            retries = no_answers[end.call_id]
            expected = NORMAL[:3] + ["ringing", "waiting"] * retries + NORMAL[3:6]
            assert states == expected, (end.call_id, states)
            times = [t for _, t in end.timeline]
            assert times == sorted(times), "timeline runs forward"
            assert end.reason == "completed"
            assert end.answered_by == truth[end.call_id].agent
            assert end.summary["caller_number"] == truth[end.call_id].number
            assert end.summary["service"] in {"billing", "repair", "installation", "complaint"}
        await until(lambda: r.engine.writer.written == 100, 10, "all rows written")
        assert await asyncio.to_thread(r.store.count_interactions) == 100
        row = await asyncio.to_thread(r.store.get_interaction, ids[0])
        assert row is not None and row.agent_answered is not None
        assert [s["node"] for s in row.ivr_steps] == ["welcome", "main-menu"]


async def test_agent_who_never_answers_is_skipped_and_call_rerouted(tmp_path: Path) -> None:
    from cti.simulator import AgentPhone

    phones = [
        AgentPhone("1001", answer_after=None),
        AgentPhone("1002", answer_after=0.5, talk_time=2.0),
        AgentPhone("1003", answer_after=None),
    ]
    async with rig(tmp_path, time_scale=0.01, phones=phones) as r:
        cid = r.sim.place_call(caller(1, key="0"))
        await until(lambda: cid in r.ended_ids(), 60, "the call to end")
        end = next(e for e in r.ended if e.call_id == cid)
        assert end.answered_by == "1002"
        no_answers = [e for e in r.events if isinstance(e, ev.AgentNoAnswer)]
        assert no_answers, "a ring-no-answer happened first"
        assert all(e.agent in {"1001", "1003"} for e in no_answers)
        assert end.summary["agents_offered"][-1] == "1002"


async def test_caller_hangs_up_while_agent_rings(tmp_path: Path) -> None:
    from cti.simulator import AgentPhone, CallerSpec

    phones = [AgentPhone(a, answer_after=None) for a in ("1001", "1002", "1003")]
    async with rig(tmp_path, time_scale=0.01, phones=phones) as r:
        cid = r.sim.place_call(
            CallerSpec(number="13900000001", name="等不及", dtmf=["2"], patience=5.0)
        )
        await until(lambda: cid in r.ended_ids(), 60, "the call to end")
        end = next(e for e in r.ended if e.call_id == cid)
        assert end.reason == "abandoned" and end.answered_by is None
        await until(
            lambda: all(a.state.value == "ready" for a in r.engine.router.board.agents.values()),
            5,
            "no agent left reserved or ringing",
        )
        await until(lambda: r.engine.writer.written >= 1, 10, "the interaction row")
        row = await asyncio.to_thread(r.store.get_interaction, cid)
        assert row is not None and row.end_reason == "abandoned"
