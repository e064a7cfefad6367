"""Lease, codec, shared state and the stream against a real redis-server (and pure)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from cti import events as ev
from cti.cluster.codec import CodecError, decode, encode
from cti.cluster.lease import AcquirePolicy, LeaseConfig, LeaseState, RedisLease
from cti.cluster.node import LiveView
from cti.cluster.redis_bus import RedisEventSource, StreamPublisher
from cti.cluster.shared_state import Keys, LiveState, agent_changes, ended_while_away
from tests.integration.cluster.redisproc import RedisProcess
from tests.integration.enginekit import until

FAST = LeaseConfig(ttl=1.0, renew_every=0.1, poll_every=0.1, margin=0.1)


def test_codec_round_trips_every_event_shape() -> None:
    ended = ev.CallEnded(
        "c1",
        1.5,
        "completed",
        "16",
        "a1",
        (("new", 1.0), ("talking", 2.0)),
        {"caller_number": "138", "ivr_steps": [{"node": "m"}], "t": (1, 2)},
    )
    resynced = ev.QueuesResynced(
        3.0, "pbx", (ev.QueueMemberState("q", "L/1", "A", 1, False, 2),), (("q", "SIP/1", 4),)
    )
    for event in (ended, resynced, ev.CallQueued("c1", 2.0, "billing", ("zh",), 3)):
        back = decode(encode(event))
        assert back == event and type(back) is type(event)
    assert decode(encode(ended)).summary == ended.summary
    with pytest.raises(CodecError):
        decode('{"__t": "NoSuchEvent"}')


def test_lease_belief_ends_before_the_key_can_expire() -> None:
    state = LeaseState(LeaseConfig(ttl=2.0, renew_every=0.4, margin=0.2))
    state.granted("a:7", sent_at=100.0)
    assert state.may_act(101.7) and not state.may_act(101.8)
    state.refused("b:8")
    assert not state.may_act(100.0) and state.highest_token == 8
    policy = AcquirePolicy()
    assert [policy.should_try(x) for x in (True, False, True, True)] == [False, False, False, True]
    assert AcquirePolicy().should_try(True, eager=True)


def test_live_state_and_calls_that_ended_while_away() -> None:
    live = LiveState()
    live.apply(ev.CallStarted("c1", 1.0, "138", "Wang", "Local/x;2"))
    live.apply(ev.CallQueued("c1", 2.0, "billing"))
    live.apply(ev.CallAnswered("c1", 5.0, "a1", "Local/1001"))
    live.apply(ev.CallStarted("c2", 3.0, "139", "Li", "Local/y;2"))
    assert live.calls["c1"]["state"] == "talking"
    gone = ended_while_away(live.calls, {"c2"}, 9.0)
    assert [(e.call_id, e.reason, e.answered_by) for e in gone] == [
        ("c1", "lost_during_disconnect", "a1")
    ]
    assert gone[0].summary["wait_seconds"] == 3.0
    known: dict[str, tuple[str, str | None]] = {}
    assert len(agent_changes(known, [("a1", "ready", None)], 1.0)) == 1
    assert agent_changes(known, [("a1", "ready", None)], 2.0) == []


async def test_one_holder_and_a_fenced_loser(redis: Any) -> None:
    clock = [0.0]
    a = RedisLease(redis, "a", config=FAST, clock=lambda: clock[0])
    b = RedisLease(redis, "b", config=FAST, clock=lambda: clock[0])
    await a.acquire()
    assert a.may_act() and a.state.token == 1
    assert not await b.try_acquire() and not await b.try_acquire()
    await redis.delete(a.key)  # as if it expired
    assert not await b.try_acquire()  # first absent observation
    assert await b.try_acquire()  # second one: take it, with a higher token
    assert b.state.token == 2
    assert not await a.renew() and not a.may_act()  # a learns it lost
    clock[0] = 5.0
    assert not b.may_act()  # past its own deadline without renewal: fenced


async def test_publisher_is_fenced_and_source_resumes(redis: Any) -> None:
    keys = Keys("t")
    lease = RedisLease(redis, "a", prefix="t", config=FAST)
    await lease.acquire()
    pub = StreamPublisher(redis, keys, lease)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(pub.run())
        pub.on_event(ev.CallStarted("c1", 1.0, "138", "W", "Local/x;2"))
        pub.on_event(ev.CallEnded("c1", 2.0, "completed"))
        await until(lambda: pub.published == 2, 5, "two events appended")
        assert await redis.hexists(keys.unwritten, "c1")
        pub.written("c1")
        await until(lambda: pub.backlog == 0, 5, "written mark sent")
        assert not await redis.hexists(keys.unwritten, "c1")
        task.cancel()
    source = RedisEventSource(redis, keys, "0-0")
    got = []
    async for _sid, event in source:
        got.append(event)
        if len(got) == 2:
            break
    assert [type(e).__name__ for e in got] == ["CallStarted", "CallEnded"]
    # A deposed holder cannot append: the script checks the lease value.
    await redis.set(lease.key, "b:99")
    stale = StreamPublisher(redis, keys, lease)
    stale.on_event(ev.CallStarted("c9", 1.0, "1", "", "x"))
    with pytest.raises(Exception, match="NOTLEADER"):
        await stale._send(lease.value or "", ["{}"], [])


async def test_live_view_survives_a_redis_restart(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path / "r")
    server.start()
    client = aioredis.Redis.from_url(server.url, socket_connect_timeout=0.5, socket_timeout=2)
    keys = Keys()
    lease = RedisLease(client, "a", config=LeaseConfig(ttl=3, renew_every=0.2, margin=0.1))
    try:
        await lease.acquire()
        pub = StreamPublisher(client, keys, lease)
        view = LiveView(client, keys)
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(pub.run()), tg.create_task(lease.hold()),
                     tg.create_task(view.run())]  # fmt: skip
            pub.on_event(ev.CallStarted("c1", 1.0, "138", "W", "Local/x;2"))
            await until(lambda: "c1" in view.state.calls, 5, "view sees c1")
            server.stop()
            pub.on_event(ev.CallStarted("c2", 2.0, "139", "L", "Local/y;2"))
            pub.on_event(ev.CallEnded("c1", 3.0, "completed"))
            server.start()
            await until(lambda: set(view.state.calls) == {"c2"}, 10, "view caught up")
            assert pub.outages >= 1 and lease.may_act()
            for t in tasks:
                t.cancel()
    finally:
        await client.aclose()
        server.stop()
