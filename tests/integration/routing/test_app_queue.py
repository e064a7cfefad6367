"""app_queue sites: agent states mirrored as QueueAdd/QueuePause/QueueRemove into the
simulator's app_queue (Asterisk's replies), and an app_queue call observed from the trace
gives the same domain events as the engine's own routing of the same call."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from cti import events as ev
from cti.simulator import AgentPhone, CallerSpec
from routing.config import RoutingConfig
from routing.model import AgentProfile, AgentState, Service
from tests.integration.enginekit import rig, settings_for, until
from tests.unit.test_calls import replay

IFACE = "Local/1001@agents"


def config(queues: tuple[str, ...] = ("support",)) -> RoutingConfig:
    return RoutingConfig(
        source="<test>",
        skills=("support",),
        services=(Service("support"),),
        agents=(AgentProfile("a1", "1001", name="王芳"), AgentProfile("a2", "1002")),
        wrap_up=0.0,
        queue_members=(("a1", queues),),
    )


async def test_agent_states_are_mirrored_into_app_queue(tmp_path: Path) -> None:
    phones = [AgentPhone("1001", answer_after=0.5, talk_time=3.0)]
    async with rig(tmp_path, time_scale=0.02, phones=phones) as r:
        ex = r.engine.router
        ex.apply(config())
        support = r.sim.queues.queues["support"]

        def member() -> Any:
            return support.members.get(IFACE)

        ex.command("a1", "login")
        await until(lambda: member() is not None, 10, "QueueAdd")
        assert member().paused and member().reason == "login" and member().name == "王芳"
        ex.command("a1", "ready")
        await until(lambda: not member().paused, 10, "QueuePause off")
        # An app_queue call rings the member; routing sees its agent busy, then free.
        cid = r.sim.place_call(
            CallerSpec(number="13900000001", entry="queue:support", caller_context="caller-wait")
        )
        await until(
            lambda: ex.router.agents["a1"].state == AgentState.ON_CALL,
            10,
            "the member answered the app_queue call",
        )
        await until(lambda: cid in r.ended_ids(), 10, "the call to end")
        end = next(e for e in r.ended if e.call_id == cid)
        assert end.reason == "completed" and end.answered_by == "1001"
        await until(lambda: ex.router.agents["a1"].state == AgentState.READY, 10, "ready again")
        ex.command("a1", "not_ready", "lunch")
        await until(lambda: member().paused, 10, "QueuePause on")
        assert member().reason == "lunch"
        # Asterisk restarts: dynamic members are gone; the resync puts a1 back, paused.
        await r.sim.restart()
        await until(lambda: r.engine.resyncs >= 2, 20, "the resync after the restart")
        support = r.sim.queues.queues["support"]
        await until(lambda: member() is not None, 10, "member re-added after the restart")
        assert member().paused and member().reason == "lunch"
        ex.command("a1", "logout")
        await until(lambda: member() is None, 10, "QueueRemove")
        assert ex.member_errors == []
        # Asterisk's refusals are reported, not hidden.
        ex.apply(config(("nosuch",)))
        ex.command("a1", "login")
        await until(lambda: bool(ex.member_errors), 10, "the refusal")
        assert ex.member_errors == [
            "QueueAdd Local/1001@agents: Unable to add interface to queue: No such queue"
        ]


def _essence(events: list[Any], call_id: str) -> list[tuple[Any, ...]]:
    """What pops and wallboards read: the event types in order with their key fields.
    Recording events are left out (the connect dialplan records, the lab's queue did not),
    and so is the executor's WrapUpCompleted;
    how long each step took differs by nature."""
    out: list[tuple[Any, ...]] = []
    for e in events:
        if getattr(e, "call_id", None) != call_id:
            continue
        if isinstance(e, ev.CallStarted):
            out.append(("CallStarted",))
        elif isinstance(e, ev.CallQueued):
            out.append(("CallQueued", e.service))
        elif isinstance(e, ev.AgentRinging):
            out.append(("AgentRinging", e.agent))
        elif isinstance(e, ev.CallAnswered):
            out.append(("CallAnswered", e.agent))
        elif isinstance(e, ev.CallEnded):
            out.append(
                ("CallEnded", e.reason, e.answered_by, tuple(state for state, _ in e.timeline))
            )
        elif isinstance(e, ev.DomainEvent) and not isinstance(
            e, ev.RecordingStarted | ev.RecordingStopped | ev.WrapUpCompleted
        ):
            # WrapUpCompleted comes from the routing executor, which a replay through the
            # call model alone does not run; in a live engine both paths publish it. Events
            # of other parts about the call (the recordings' RecordingStored, whose timing
            # depends on the file being checksummed) are not the call's journey.
            out.append((type(e).__name__,))
    return out


async def test_app_queue_observation_matches_the_engines_own_routing(tmp_path: Path) -> None:
    _, traced = replay("c_queue")
    c1 = next(e for e in traced if isinstance(e, ev.CallEnded)).call_id  # the answered call
    observed = _essence(traced, c1)
    queued = next(e for e in traced if isinstance(e, ev.CallQueued) and e.call_id == c1)
    assert queued.source == "app_queue"

    # The same call through the engine's routing: a caller on hold, queued for the
    # service "support", the agent who answered in the trace (1002) is the one ready.
    phones = [AgentPhone("1002", answer_after=1.0, talk_time=5.0)]
    settings = dataclasses.replace(settings_for(tmp_path), wrap_up_seconds=0.0)
    async with rig(tmp_path, time_scale=0.02, phones=phones, settings=settings) as r:
        ex = r.engine.router
        ex.apply(
            dataclasses.replace(config(), queue_members=(), agents=(AgentProfile("a2", "1002"),))
        )
        ex.command("a2", "login")
        ex.command("a2", "ready")
        cid = r.sim.place_call(
            CallerSpec(number="5550001", entry="hold", caller_context="caller-wait")
        )
        await until(lambda: cid in r.engine.model.calls, 10, "the call")
        r.engine.bus.publish_all(r.engine.model.queue(cid, "support", r.engine.clock()))
        await until(lambda: cid in r.ended_ids(), 20, "the routed call to end")
        routed = _essence(r.events, cid)
        mine = next(e for e in r.events if isinstance(e, ev.CallQueued) and e.call_id == cid)
        assert mine.source == "engine"
    assert observed == [
        ("CallStarted",),
        ("CallQueued", "support"),
        ("AgentRinging", "1002"),
        ("CallAnswered", "1002"),
        ("CallEnded", "completed", "1002", ("new", "waiting", "ringing", "connected", "wrap_up")),
    ]
    assert routed == observed
