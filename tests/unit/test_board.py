"""The first routing board: oldest call to longest-idle qualified agent."""

from __future__ import annotations

from routing.board import Agent, AgentState, Board


def board() -> Board:
    b = Board(refuse_cooldown=30.0)
    b.add_agent(Agent("a1", "1001", {"billing": 5}, since=10.0))
    b.add_agent(Agent("a2", "1002", {"repair": 5}, since=5.0))
    b.add_agent(Agent("a3", "1003", {"billing": 1, "repair": 1}, since=1.0))
    b.required = {"billing": {"billing": 3}, "repair": {"repair": 1}}
    return b


def test_oldest_call_goes_to_longest_idle_qualified_agent() -> None:
    b = board()
    b.enqueue("c2", "billing", 20.0)
    b.enqueue("c1", "repair", 15.0)
    offers = b.offers(21.0)
    assert [(o.call_id, o.agent_id) for o in offers] == [("c1", "a3"), ("c2", "a1")]
    assert b.agents["a3"].state == AgentState.RESERVED
    assert b.offers(21.0) == [], "never two offers for one call or one agent"


def test_priority_first_and_requeue_keeps_the_wait() -> None:
    b = board()
    b.enqueue("old", "repair", 1.0)
    b.enqueue("vip", "repair", 9.0, priority=5)
    b.enqueue("old", "repair", 50.0)  # back after a no-answer: original wait kept
    assert b.waiting["old"].queued_at == 1.0
    assert [o.call_id for o in b.offers(60.0)][:1] == ["vip"]


def test_ring_no_answer_is_not_offered_the_same_call_again_at_once() -> None:
    b = board()
    b.enqueue("c", "billing", 0.0)
    (offer,) = b.offers(1.0)
    assert offer.agent_id == "a1"
    b.offer_failed("a1", "c", 5.0, refused=True)
    assert b.offers(6.0) == [], "a3 lacks the level and a1 just refused"
    assert [o.agent_id for o in b.offers(40.0)] == ["a1"]


def test_wrap_up_then_ready_and_watchdog_releases_stale_reservation() -> None:
    b = board()
    b.enqueue("c", "repair", 0.0)
    (offer,) = b.offers(0.0)
    b.answered(offer.extension, "c", 1.0)
    b.call_ended("c", offer.extension, 10.0, wrap_up=5.0)
    assert b.agents[offer.agent_id].state == AgentState.WRAP_UP
    assert b.next_deadline() == 15.0
    assert b.wrap_ups_due(14.9) == []
    assert [a.id for a, _ in b.wrap_ups_due(15.0)] == [offer.agent_id]
    b.enqueue("d", "repair", 20.0)
    (o2,) = b.offers(20.0)
    assert [a.id for a in b.stale_reservations(20.0 + b.reserve_timeout + 1)] == [o2.agent_id]
