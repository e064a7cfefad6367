"""Virtual hold end to end through the simulator over TCP.

One agent is busy; a second caller on hold presses the callback key, hangs up and keeps
their place. When the agent is free the engine originates a call to the caller's number
(the simulated customer answers), the connect dialplan dials the agent, they talk. The
first interaction ends as ``callback`` (not abandoned), the callback is ``completed``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from cti import events as ev
from cti.simulator import AgentPhone, CallerSpec
from routing.config import CallbackConfig, RoutingConfig
from routing.model import AgentProfile, AgentState, EscalationStep, Service
from tests.integration.enginekit import rig, settings_for, until


def routing_config(**callback: object) -> RoutingConfig:
    return RoutingConfig(
        source="<test>",
        skills=("general",),
        services=(Service("general"),),
        agents=(AgentProfile("a1", "1001", name="王芳"),),
        wrap_up=0.0,
        callback=CallbackConfig(
            channel="Local/{number}@cti-callback",
            context="cti-connect",
            **callback,  # type: ignore[arg-type]
        ),
    )


async def test_caller_takes_a_callback_keeps_their_place_and_is_connected(
    tmp_path: Path,
) -> None:
    phones = [AgentPhone("1001", answer_after=0.5, talk_time=12.0)]
    settings = dataclasses.replace(settings_for(tmp_path), wrap_up_seconds=0.0)
    async with rig(tmp_path, time_scale=0.05, phones=phones, settings=settings) as r:
        ex = r.engine.router
        ex.apply(routing_config())
        for aid in ex.router.agents:
            if ex.router.agents[aid].state == AgentState.LOGGED_OUT:
                ex.router.login(aid, r.engine.clock(), ready=True)

        def hand_off(e: ev.CallStarted) -> None:
            if "@cti-hold-" in e.channel:  # callers on hold; not the callback we originate
                r.engine.bus.publish_all(r.engine.model.queue(e.call_id, "general", e.at))

        r.engine.bus.subscribe(hand_off, ev.CallStarted)
        first = r.sim.place_call(
            CallerSpec(number="13900000001", entry="hold", caller_context="caller-wait")
        )
        await until(
            lambda: ex.router.agents["a1"].state == AgentState.ON_CALL,
            10,
            "the agent on the first call",
        )
        second = r.sim.place_call(
            CallerSpec(
                number="13900000002",
                entry="hold",
                caller_context="caller-wait",
                callback_key_after=2.0,
            )
        )
        await until(lambda: second in r.ended_ids(), 10, "the second caller to hang up")
        end = next(e for e in r.ended if e.call_id == second)
        assert end.reason == "callback" and end.answered_by is None
        kept = ex.router.calls.get(second)
        assert kept is not None and kept.callback == "13900000002", "kept their place"
        assert ex.router.agents["a1"].state == AgentState.ON_CALL, "first call still on"

        def callback_call() -> ev.CallStarted | None:
            return next(
                (
                    e
                    for e in r.events
                    if isinstance(e, ev.CallStarted) and "@cti-callback-" in e.channel
                ),
                None,
            )

        await until(lambda: callback_call() is not None, 20, "the callback originated")
        started = callback_call()
        assert started is not None
        assert first in r.ended_ids(), "called back only once the agent was free"
        cb = started.call_id
        await until(lambda: cb in r.ended_ids(), 20, "the callback call to end")
        mine = [e for e in r.events if getattr(e, "call_id", None) == cb]
        kinds = [type(e).__name__ for e in mine]
        assert kinds.index("AgentRinging") < kinds.index("CallAnswered") < kinds.index("CallEnded")
        answered = next(e for e in mine if isinstance(e, ev.CallAnswered))
        assert answered.agent == "1001"
        done = next(e for e in r.ended if e.call_id == cb)
        assert done.reason == "completed" and done.answered_by == "1001"
        assert done.summary["caller_number"] == "13900000002"
        assert r.sim.ended_calls()[cb].agent == "1001"
        assert not ex.router.calls, "nothing left waiting"
        await until(
            lambda: ex.router.agents["a1"].state == AgentState.READY, 10, "the agent ready again"
        )
        await until(lambda: r.engine.writer.written >= 3, 10, "three interaction rows")
        row = await asyncio.to_thread(r.store.get_interaction, second)
        assert row is not None and row.end_reason == "callback"
        row = await asyncio.to_thread(r.store.get_interaction, cb)
        assert row is not None and row.end_reason == "completed"
        assert ex.originates == 1


async def test_callback_key_waits_for_the_offer_when_the_service_offers_it_late(
    tmp_path: Path,
) -> None:
    """A service whose escalation offers callbacks from a step on ignores the key before."""
    phones = [AgentPhone("1001", answer_after=None)]
    async with rig(tmp_path, time_scale=0.05, phones=phones) as r:
        ex = r.engine.router
        cfg = routing_config()
        late = Service("general", escalation=(EscalationStep(600.0, offer_callback=True),))
        ex.apply(dataclasses.replace(cfg, services=(late,)))
        assert ex.router.agents["a1"].state == AgentState.LOGGED_OUT, "nobody to take it"
        cid = r.sim.place_call(
            CallerSpec(
                number="13900000003",
                entry="hold",
                caller_context="caller-wait",
                callback_key_after=1.0,
            )
        )
        await until(lambda: cid in r.engine.model.calls, 10, "the call")
        r.engine.bus.publish_all(r.engine.model.queue(cid, "general", r.engine.clock()))
        await until(lambda: cid in r.ended_ids(), 10, "the caller to hang up")
        end = next(e for e in r.ended if e.call_id == cid)
        assert end.reason == "abandoned", "no callback before the service offers one"
        assert cid not in ex.router.calls
