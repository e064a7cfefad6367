"""Wrap-up belongs to the agent: per service "agent" (ended by the agent, at most N s) or
"timed"; a call waiting meanwhile is never offered to the agent in wrap-up."""

from __future__ import annotations

from routing.model import AgentProfile, AgentState, Service
from routing.router import Router


def router() -> Router:
    return Router(
        [
            Service("care", (("x", 1),), wrap_up=300.0, wrap_up_mode="agent"),
            Service("quick", (("x", 1),), wrap_up=5.0),
        ],
        [AgentProfile("a", "1", (("x", 1),), frozenset())],
        wrap_up=10.0,
    )


def take(r: Router, call_id: str, service: str, now: float) -> None:
    r.enqueue(call_id, service, now)
    (offer,) = r.decide(now).offers
    assert offer.agent_id == "a" and offer.call_id == call_id
    r.ringing("1", call_id, now)
    r.answered("1", call_id, now)


def test_agent_mode_wrap_up_lasts_until_the_agent_ends_it_and_no_call_is_offered() -> None:
    r = router()
    r.login("a", 0.0, ready=True)
    take(r, "c1", "care", 0.0)
    assert r.ended("c1", 60.0) == []
    agent = r.agents["a"]
    assert agent.state == AgentState.WRAP_UP and agent.wrap_up_mode == "agent"
    assert agent.wrap_up_until == 360.0
    r.enqueue("c2", "care", 61.0)  # the next caller is already waiting
    for now in (61.0, 75.0, 120.0, 359.0):
        d = r.decide(now)
        assert d.offers == [] and d.wrap_ups_done == [], now
        assert agent.state == AgentState.WRAP_UP and agent.call_id == "c1"
    assert r.set_ready("a", 200.0) == [("a", "c1")]  # the agent ends it
    (offer,) = r.decide(200.0).offers
    assert offer.call_id == "c2"


def test_agent_mode_has_a_maximum_and_timed_mode_ends_by_itself() -> None:
    r = router()
    r.login("a", 0.0, ready=True)
    take(r, "c1", "care", 0.0)
    r.ended("c1", 10.0)
    r.enqueue("c2", "quick", 11.0)
    assert r.decide(309.0).offers == []
    d = r.decide(310.0)  # the maximum: wrap-up over, the waiting call goes to the agent
    assert d.wrap_ups_done == [("a", "c1")] and [o.call_id for o in d.offers] == ["c2"]
    r.ringing("1", "c2", 310.0)
    r.answered("1", "c2", 310.0)
    r.ended("c2", 320.0)
    agent = r.agents["a"]
    assert agent.wrap_up_mode == "timed" and agent.wrap_up_until == 325.0
    assert r.decide(324.0).wrap_ups_done == []
    assert r.decide(325.0).wrap_ups_done == [("a", "c2")]
    assert agent.state == AgentState.READY
