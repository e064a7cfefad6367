"""The other kinds of parties and sites on a real Asterisk: an app_queue site (Queue()
with a PJSIP member) observed by the engine, and Local-channel callers and agents
scripted in dialplan (parties.conf)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cti import events as ev
from cti.settings import Settings
from tests.asterisk.phones import AgentPhone, Caller
from tests.asterisk.rig import (
    agents_settle,
    assert_both_parties_recorded,
    desks,
    pops,
    real_rig,
    until,
)

# What a user sees of a call, in order: the domain events both kinds of routing share.
SHARED = (ev.CallStarted, ev.CallQueued, ev.AgentRinging, ev.CallAnswered, ev.CallEnded)


def _story(events: list[object], call_id: str) -> list[str]:
    return [
        type(e).__name__ for e in events
        if isinstance(e, SHARED) and getattr(e, "call_id", None) == call_id
    ]  # fmt: skip


async def test_an_app_queue_call_reads_like_an_engine_routed_one(tmp_path: Path) -> None:
    """The same agent phone takes one call the engine routes and one Asterisk's own
    Queue(support) hands it (static member PJSIP/1001): the same domain events in the
    same order, a row and a pop for each."""
    async with real_rig(
        tmp_path, agents_on=("a1001",), extra_queues="[support](+)\nmember => PJSIP/1001\n"
    ) as r:
        phone = AgentPhone(tmp_path, "1001", ring_ms=800, talk_ms=3000)
        routed = Caller(tmp_path, keys="1", number="13800001111", hold_ms=60000)
        queued = Caller(
            tmp_path, did="7000", keys="", number="13800002222", party="queue", hold_ms=60000
        )
        try:
            await phone.register(r.pbx)
            async with desks(r, ("a1001",)) as tabs:
                routed.dial(r.pbx)
                await until(lambda: len(r.ended()) == 1, 40, "the routed call to end")
                await agents_settle(r, {"a1001": "ready"})
                queued.dial(r.pbx)
                await until(lambda: len(r.ended()) == 2, 40, "the queue call to end")
                assert r.obs.named("QueueCallerJoin") and r.obs.named("AgentConnect")
                first, second = (e.call_id for e in r.ended())
                assert _story(r.events, first) == _story(r.events, second), (
                    _story(r.events, first),
                    _story(r.events, second),
                )
                rows = [await r.wait_row(cid) for cid in (first, second)]
                for row in rows:
                    assert row.agent_answered == "1001" and row.end_reason == "completed"
                    assert row.agents_offered == ["1001"] and row.talk_seconds >= 2
                    assert pops(tabs["a1001"], row.call_id)
                assert rows[1].queue == "support" or rows[1].service == "support", rows[1]
                assert_both_parties_recorded(r, rows[0])
                await agents_settle(r, {"a1001": "ready"})
        finally:
            for p in (routed, queued, phone):
                p.stop()


def _local_agent(s: Settings) -> Settings:
    agents = tuple(
        dataclasses.replace(a, dial="Local/2002@test-agents") if a.id == "a1002" else a
        for a in s.agents
    )
    return dataclasses.replace(s, agents=agents)


async def test_local_channel_caller_and_agent(tmp_path: Path) -> None:
    """A caller Originated as Local/<DID>@cti-inbound keys 2 (repairs); the repair agent
    is reached over a Local channel (dial string Local/2002@test-agents), answers, talks."""
    async with real_rig(tmp_path, agents_on=("a1002",), settings_hook=_local_agent) as r:
        async with desks(r, ("a1002",)) as tabs:
            reply = await r.obs.action(
                [("Action", "Originate"), ("ActionID", "local-caller"),
                 ("Channel", "Local/4008001234@cti-inbound"), ("Context", "test-caller"),
                 ("Exten", "s"), ("Priority", "1"), ("CallerID", "李四 <13600001111>"),
                 ("Variable", "CTI_KEYS=2"), ("Variable", "CTI_TALK=30"), ("Async", "true")]
            )  # fmt: skip
            assert reply.ok, reply
            await until(r.ended, 40, "the call to end")
            end = r.ended()[0]
            row = await r.wait_row(end.call_id)
            assert row.caller_number == "13600001111" and row.caller_name == "李四"
            assert row.service == "repair" and row.agent_answered == "1002"
            assert row.end_reason == "completed" and 3 <= row.talk_seconds <= 6
            pop = pops(tabs["a1002"], end.call_id)
            assert pop and pop[0]["caller_name"] == "李四"
            assert_both_parties_recorded(r, row)
            await agents_settle(r, {"a1002": "ready"})
