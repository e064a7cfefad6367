"""The AMI link is cut while calls run; every resync makes the call model equal the PBX."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from cti import events as ev
from tests.integration.enginekit import Rig, caller, rig, until

# The engine names a call that has not reached the IVR yet "new"; the PBX says "ivr".
_SAME = {"new": "ivr", "on_hold": "connected"}


def model_view(r: Rig) -> dict[str, str]:
    return {cid: _SAME.get(s.value, s.value) for cid, s in r.engine.model.live().items()}


def truth_view(r: Rig) -> dict[str, str]:
    return {cid: ("waiting" if s == "queued" else s) for cid, s in r.sim.live_calls().items()}


async def test_five_link_cuts_during_two_hundred_calls(tmp_path: Path) -> None:
    async with rig(tmp_path, time_scale=0.02) as r:
        session = r.engine.sessions["sim"]
        ids: list[str] = []
        cuts = 0
        for i in range(200):
            ids.append(r.sim.place_call(caller(i, key="1234"[i % 4])))
            await asyncio.sleep(0.01)  # arrival pacing
            if i % 35 == 20 and cuts < 5:
                before = r.engine.resyncs
                assert r.sim.drop_ami_connections() >= 1
                cuts += 1
                await until(lambda b=before: r.engine.resyncs > b, 10, "reconnect and resync")
                await until(
                    lambda: model_view(r) == truth_view(r),
                    10,
                    f"call model equal to the PBX after cut {cuts}",
                )
        assert cuts == 5
        await until(lambda: len(r.sim.ended_calls()) >= 200, 120, "the PBX to finish 200 calls")
        await until(lambda: len(set(e.call_id for e in r.ended)) >= 200, 20, "200 CallEnded")
        ended = Counter(e.call_id for e in r.ended)
        assert set(ended) == set(ids), "no call lost, none invented"
        assert max(ended.values()) == 1, "no call ended twice"
        await until(lambda: r.engine.writer.written == 200, 20, "200 interactions written")
        assert await asyncio.to_thread(r.store.count_interactions) == 200
        assert session.connects == 6
        resyncs = [e for e in r.events if isinstance(e, ev.AmiResynced)]
        assert len(resyncs) == 6


async def test_calls_that_start_and_end_while_the_link_is_down(tmp_path: Path) -> None:
    """A call wholly inside the outage is found by nobody; one that ended during it is
    closed by the resync; one that started during it is adopted."""
    async with rig(tmp_path, time_scale=0.02) as r:
        session = r.engine.sessions["sim"]
        first = r.sim.place_call(caller(1))
        await until(lambda: first in r.engine.model.live(), 5, "first call seen")
        # Hold the link down long enough for calls to start and finish unseen.
        session._backoff_factory = lambda: iter([1.5] + [0.05] * 100)
        r.sim.drop_ami_connections()
        await until(lambda: not session.connected.is_set(), 5, "link down")
        during = r.sim.place_call(caller(2))
        await until(lambda: during in r.sim.live_calls(), 5, "second call live in the PBX")
        await until(lambda: session.ready.is_set(), 10, "link back and resynced")
        await until(lambda: model_view(r) == truth_view(r), 10, "model equals PBX")
        await until(lambda: {first, during} <= set(r.sim.ended_calls()), 60, "both calls end")
        await until(lambda: {first, during} <= {e.call_id for e in r.ended}, 10, "both ended")
        assert Counter(e.call_id for e in r.ended)[during] == 1


async def test_resync_reads_app_queue_members(tmp_path: Path) -> None:
    async with rig(tmp_path, time_scale=0.02) as r:
        session = r.engine.sessions["sim"]
        added = await session.send(
            "QueueAdd",
            {
                "Queue": "support",
                "Interface": "Local/1002@agents",
                "MemberName": "Agent 1002",
                "Paused": "true",
            },
        )
        assert added.ok, added.response.message
        before = r.engine.resyncs
        r.sim.drop_ami_connections()
        await until(lambda: r.engine.resyncs > before, 10, "resync after the cut")
        snaps = [e for e in r.events if isinstance(e, ev.QueuesResynced)]
        member = next(m for m in snaps[-1].members if m.interface == "Local/1002@agents")
        assert member.queue == "support" and member.paused and member.name == "Agent 1002"
