"""The wallboard's agent states right after calls end: never an agent shown on a call that
had already ended when the message was made, and the change is pushed promptly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cti import events as ev
from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.integration.desktop.kit import client, desk_rig, login, open_tab
from tests.integration.enginekit import settings_for, until


@pytest.mark.parametrize("wrap_up", [0.0, 0.3])
async def test_agent_states_after_calls_end(tmp_path: Path, wrap_up: float) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS, wrap_up=wrap_up)
    phones = [AgentPhone(a.extension, answer_after=1.0, talk_time=6.0) for a in DEMO_AGENTS]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.05) as r:
        r.add_user("boss", "supervisor")
        ended: dict[str, float] = {}
        wrapped: dict[str, float] = {}
        r.engine.bus.subscribe(lambda e: ended.setdefault(e.call_id, e.at), ev.CallEnded)
        r.engine.bus.subscribe(lambda e: wrapped.setdefault(e.call_id, e.at), ev.WrapUpCompleted)
        async with client() as http:
            await login(http, r.base, "boss")
            wall = await open_tab(http, r.base.replace("http", "ws") + "/wallboard/ws")
            ids = []
            for i in range(8):
                spec = CallerSpec(f"1370000{i:04d}", "x", dtmf=[["1", "2", "0"][i % 3]])
                ids.append(r.sim.place_call(spec))
                await asyncio.sleep(0.1)  # pacing of arrivals, not synchronization
            await until(lambda: set(ids) <= set(ended), 60, "all calls ended")
            await until(lambda: set(ids) <= set(wrapped), 30, "all wrap-ups over")
            router = r.engine.router.router
            await until(
                lambda: all(a.state.value == "ready" for a in router.agents.values()),
                30,
                "everyone ready",
            )
            last_end = max(max(ended.values()), max(wrapped.values()))
            # A push follows the last change promptly (not only the once-a-second refresh).
            await until(
                lambda: any(
                    m["now"] >= last_end and all(a["state"] == "ready" for a in m["agents"])
                    for m in wall.messages
                    if m["type"] == "wallboard"
                ),
                5,
                "a push showing everyone ready",
            )
            boards = [m for m in wall.messages if m["type"] == "wallboard"]
            stale = [
                (m["now"], a["id"], a["state"], a["call_id"])
                for m in boards
                for a in m["agents"]
                if a["state"] in ("on_call", "ringing", "reserved")
                and a["call_id"] in ended
                and ended[a["call_id"]] < m["now"]
            ]
            assert stale == [], stale
            if wrap_up > 0:
                lingering = [
                    (m["now"], a["id"])
                    for m in boards
                    for a in m["agents"]
                    if a["state"] == "wrap_up"
                    and a["call_id"] in wrapped
                    and wrapped[a["call_id"]] < m["now"]
                ]
                assert lingering == [], lingering
            await wall.close()
