"""The router's transfer inputs, pure: an agent leaving a live call, an offer to one agent."""

from __future__ import annotations

import pytest

from routing.model import AgentProfile, AgentState, RoutingError, Service
from routing.router import Router

S = AgentState


def router(wrap_up: float = 5.0) -> Router:
    r = Router(
        [Service("general"), Service("fast", wrap_up=0.0)],
        [AgentProfile("a", "1001"), AgentProfile("b", "1002"), AgentProfile("c", "1003")],
        wrap_up=wrap_up,
    )
    for aid in ("a", "b", "c"):
        r.login(aid, 0.0, ready=True)
    return r


def answered_by_a(r: Router, service: str = "general") -> None:
    r.enqueue("x", service, 1.0)
    r.set_not_ready("b", 1.0)  # only a may take it
    r.set_not_ready("c", 1.0)
    [offer] = r.decide(1.0).offers
    assert offer.agent_id == "a"
    r.ringing("1001", "x", 1.1)
    r.answered("1001", "x", 2.0)


def test_left_puts_the_agent_in_wrap_up_and_the_call_goes_on() -> None:
    r = router()
    answered_by_a(r)
    assert r.left("a", "x", 10.0) == []
    a = r.agents["a"]
    assert (a.state, a.call_id, a.wrap_up_until) == (S.WRAP_UP, "x", 15.0)
    # The wrap-up ends on its own timer, while the call is still live.
    assert r.decide(15.0).wrap_ups_done == [("a", "x")]
    assert a.state == S.READY and r.holders("x") == []


def test_left_with_no_wrap_up_frees_at_once_and_ignores_other_calls() -> None:
    r = router()
    answered_by_a(r, "fast")
    assert r.left("a", "other", 3.0) == []  # not their call: nothing happens
    assert r.agents["a"].state == S.ON_CALL
    assert r.left("a", "x", 3.0) == [("a", "x")]
    assert r.agents["a"].state == S.READY
    assert r.left("a", "x", 4.0) == []  # twice is harmless
    with pytest.raises(RoutingError):
        r.left("nobody", "x", 4.0)


def test_call_end_keeps_the_wrap_up_of_the_agent_who_left() -> None:
    r = router()
    answered_by_a(r)
    r.left("a", "x", 10.0)
    r.set_ready("b", 10.5)
    r.direct("x", "general", "b", 10.5, queued_at=1.0)
    r.decide(10.5)
    r.ringing("1002", "x", 10.6)
    r.answered("1002", "x", 11.0)
    r.ended("x", 12.0)
    assert r.agents["a"].wrap_up_until == 15.0  # not cut short, not restarted
    assert r.agents["b"].state == S.WRAP_UP and r.agents["b"].wrap_up_until == 17.0
    assert r.decide(15.0).wrap_ups_done == [("a", "x")]
    assert {x.id for x in r.holders("x")} == {"b"}  # b still wraps the call up


def test_direct_reserves_the_agent_and_a_no_answer_falls_back_to_waiting() -> None:
    r = router()
    answered_by_a(r)
    r.left("a", "x", 10.0)
    c = r.agents["c"]
    r.set_ready("c", 10.0)
    offer = r.direct("x", "general", "c", 10.0, queued_at=1.0)
    assert (offer.call_id, offer.agent_id, offer.extension) == ("x", "c", "1003")
    assert c.state == S.RESERVED
    d = r.decide(10.0)
    assert d.offers == [offer]  # performed once, by the next decision
    assert r.decide(10.1).offers == []
    r.ringing("1003", "x", 10.2)
    r.no_answer("1003", "x", 30.0, "NOANSWER")
    assert c.state == S.READY and "x" in c.refused
    waiting = r.waiting()
    assert [w.call_id for w in waiting] == ["x"] and waiting[0].queued_at == 1.0
    r.set_ready("b", 30.1)
    [again] = r.decide(30.1).offers
    assert again.agent_id == "b"  # c refused it; a is wrapping up


def test_direct_refuses_an_agent_who_is_not_ready() -> None:
    r = router()
    answered_by_a(r)
    with pytest.raises(RoutingError):
        r.direct("x", "general", "b", 3.0, queued_at=1.0)  # not ready
    with pytest.raises(RoutingError):
        r.direct("x", "general", "a", 3.0, queued_at=1.0)  # on the call
    assert r.agents["b"].state == S.NOT_READY and r.decide(3.0).offers == []
