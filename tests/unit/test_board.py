"""The router's basic rules (they were the first board's): oldest call to longest-idle
qualified agent, priority first, re-queue keeps the wait, refusal cooldown, wrap-up,
reservation watchdog."""

from __future__ import annotations

from routing.model import AgentProfile, AgentState, Service
from routing.router import Router


def board() -> Router:
    services = [Service("billing", (("billing", 3),)), Service("repair", (("repair", 1),))]
    agents = [
        AgentProfile("a1", "1001", (("billing", 5),)),
        AgentProfile("a2", "1002", (("repair", 5),)),
        AgentProfile("a3", "1003", (("billing", 1), ("repair", 1))),
    ]
    b = Router(services, agents, refuse_cooldown=30.0, reserve_timeout=10.0)
    b.login("a3", 1.0, ready=True)
    b.login("a2", 5.0, ready=True)
    b.login("a1", 10.0, ready=True)
    return b


def test_oldest_call_goes_to_longest_idle_qualified_agent() -> None:
    b = board()
    b.enqueue("c2", "billing", 20.0)
    b.enqueue("c1", "repair", 15.0)
    offers = b.decide(21.0).offers
    assert [(o.call_id, o.agent_id) for o in offers] == [("c1", "a3"), ("c2", "a1")]
    assert b.agents["a3"].state == AgentState.RESERVED
    assert b.decide(21.0).offers == [], "never two offers for one call or one agent"


def test_priority_first_and_requeue_keeps_the_wait() -> None:
    b = board()
    for aid in ("a1", "a2", "a3"):
        b.logout(aid, 0.5)
    b.enqueue("old", "repair", 1.0)
    b.enqueue("vip", "repair", 9.0, priority=5)
    b.enqueue("old", "repair", 50.0)  # queued again: the original wait is kept
    assert b.calls["old"].queued_at == 1.0
    b.login("a2", 60.0, ready=True)
    assert [o.call_id for o in b.decide(60.0).offers] == ["vip"]


def test_ring_no_answer_is_not_offered_the_same_call_again_at_once() -> None:
    b = board()
    b.enqueue("c", "billing", 11.0)
    (offer,) = b.decide(11.0).offers
    assert offer.agent_id == "a1"
    b.no_answer("1001", "c", 15.0, "NOANSWER")
    assert b.decide(16.0).offers == [], "a3 lacks the level and a1 just refused"
    assert b.decide(44.9).offers == []
    assert [o.agent_id for o in b.decide(45.0).offers] == ["a1"], "after the cooldown"


def test_wrap_up_then_ready_and_watchdog_releases_stale_reservation() -> None:
    b = board()
    b.enqueue("c", "repair", 11.0)
    (offer,) = b.decide(11.0).offers
    b.answered(offer.extension, "c", 12.0)
    b.wrap_up = 5.0
    assert b.ended("c", 20.0) == []
    assert b.agents[offer.agent_id].state == AgentState.WRAP_UP
    assert b.decide(24.9).wrap_ups_done == []
    assert b.decide(25.0).wrap_ups_done == [(offer.agent_id, "c")]
    assert b.agents[offer.agent_id].state == AgentState.READY
    b.enqueue("d", "repair", 30.0)
    (o2,) = b.decide(30.0).offers
    assert b.decide(30.0 + b.reserve_timeout).expired == [(o2.agent_id, "d")]
    assert b.agents[o2.agent_id].state in (AgentState.READY, AgentState.RESERVED)
    assert "d" in b.calls, "the call went back to waiting"
