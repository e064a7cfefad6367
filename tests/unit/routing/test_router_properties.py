"""Property tests on the decision core: random traffic, agent commands and outcomes.

After every decision: each offer goes to a qualified agent under the escalation in force,
no agent holds two calls, FIFO holds within a service and priority, no waiting call is
left with a ready agent who could take it, and an agent who let a call ring out is not
offered it again within the cooldown. Escalation starts exactly at the configured times.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from routing import policy
from routing.model import AgentProfile, AgentState, EscalationStep, Service, Strategy
from routing.router import Router

SKILLS = ("billing", "repair", "general")
COOLDOWN = 20.0


def services() -> list[Service]:
    return [
        Service(
            "billing",
            (("billing", 3),),
            strategy=Strategy.LONGEST_IDLE,
            escalation=(
                EscalationStep(30, lower_by=1),
                EscalationStep(90, backup=((("general", 1),),)),
            ),
        ),
        Service(
            "repair",
            (("repair", 2), ("billing", 1)),
            priority=1,
            strategy=Strategy.BEST_SKILL,
            escalation=(EscalationStep(45, lower_by=1),),
        ),
        Service("general", (), strategy=Strategy.FEWEST_CALLS),
    ]


profile = st.builds(
    lambda i, sk, langs: AgentProfile(f"a{i}", f"10{i:02d}", tuple(sk.items()), langs),
    st.integers(0, 0),
    st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3),
    st.frozensets(st.sampled_from(("zh", "en")), min_size=1),
)

op = st.one_of(
    st.tuples(
        st.just("call"),
        st.integers(0, 2),
        st.integers(0, 2),
        st.sampled_from(("", "zh", "en")),
        st.floats(0, 15),
    ),
    st.tuples(
        st.just("agent"),
        st.integers(0, 9),
        st.sampled_from(("login", "login_ready", "ready", "ready", "not_ready", "logout")),
    ),
    st.tuples(
        st.just("outcome"),
        st.integers(0, 50),
        st.sampled_from(("ring", "answer", "noanswer", "busy", "cancel", "end", "fail")),
    ),
    st.tuples(st.just("time"), st.floats(0, 60)),
)


def check_decision(r: Router, offers: list, now: float, refusals: dict) -> None:
    holders: dict[str, str] = {}
    for agent in r.agents.values():
        if agent.state in (AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL):
            assert agent.call_id, agent
            assert agent.call_id not in holders, "two agents on one call"
            holders[agent.call_id] = agent.id
        if agent.state == AgentState.READY:
            assert agent.call_id is None
    assert len({o.agent_id for o in offers}) == len(offers), "an agent got two offers"
    assert len({o.call_id for o in offers}) == len(offers), "a call went to two agents"
    waiting = r.waiting()
    for o in offers:
        agent, call = r.agents[o.agent_id], r.calls[o.call_id]
        svc = r.service(call.service)
        assert policy.qualifies(agent, svc, call, now), "offer to an unqualified agent"
        assert refusals.get((o.agent_id, o.call_id), -1e9) + COOLDOWN <= now, (
            "re-offered the call the agent just let ring out"
        )
        for other in waiting:
            if (other.service, other.priority) != (call.service, call.priority):
                continue
            if (
                (other.queued_at, other.seq) < (call.queued_at, call.seq)
                and policy.qualifies(agent, svc, other, now)
                and not r._refused(agent, other.call_id, now)
            ):
                raise AssertionError("FIFO broken: an older like call was passed over")
    for call in waiting:  # work-conserving: nothing left that a ready agent could take
        svc = r.service(call.service)
        for agent in r.agents.values():
            if agent.state == AgentState.READY and policy.qualifies(agent, svc, call, now):
                assert r._refused(agent, call.call_id, now), "a ready agent was left idle"


@settings(max_examples=150, deadline=None)
@given(st.lists(profile, min_size=1, max_size=10), st.lists(op, min_size=30, max_size=150))
def test_random_traffic_keeps_every_rule(profiles: list[AgentProfile], ops: list) -> None:
    profiles = [
        AgentProfile(f"a{i}", f"10{i:02d}", p.skills, p.languages) for i, p in enumerate(profiles)
    ]
    r = Router(
        services(),
        profiles,
        wrap_up=5.0,
        refuse_cooldown=COOLDOWN,
        reserve_timeout=8.0,
        ring_timeout=40.0,
    )
    now, n = 0.0, 0
    refusals: dict[tuple[str, str], float] = {}
    live: list[str] = []
    for item in ops:
        kind = item[0]
        if kind == "call":
            _, svc, prio, lang, dt = item
            now += dt
            n += 1
            live.append(f"c{n}")
            r.enqueue(
                f"c{n}", ("billing", "repair", "general")[svc], now, priority=prio, language=lang
            )
        elif kind == "agent":
            aid = f"a{item[1] % len(profiles)}"
            try:
                if item[2] == "login_ready":
                    r.login(aid, now, ready=True)
                else:
                    getattr(
                        r,
                        {
                            "login": "login",
                            "ready": "set_ready",
                            "not_ready": "set_not_ready",
                            "logout": "logout",
                        }[item[2]],
                    )(aid, now)
            except Exception as exc:  # illegal transitions are refused, with the agent's id
                assert aid in str(exc)
        elif kind == "time":
            now += item[1]
        elif kind == "outcome" and live:
            cid = live[item[1] % len(live)]
            holder = next((a for a in r.agents.values() if a.call_id == cid), None)
            what = item[2]
            if what == "end":
                r.ended(cid, now)
                live.remove(cid)
            elif holder is not None and what == "ring":
                r.ringing(holder.extension, cid, now)
            elif holder is not None and what == "answer":
                r.answered(holder.extension, cid, now)
            elif holder is not None and what == "fail":
                r.offer_failed(holder.id, cid, now, gone=False)
            elif (
                holder is not None
                and what in ("noanswer", "busy", "cancel")
                and holder.state in (AgentState.RESERVED, AgentState.RINGING)
            ):
                r.no_answer(holder.extension, cid, now, what.upper())
                if what != "cancel":
                    refusals[(holder.id, cid)] = now
        d = r.decide(now)
        check_decision(r, d.offers, now, refusals)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(100, 60000), min_size=1, max_size=4, unique=True),
    st.floats(0, 1000),
    st.integers(1, 4),
)
def test_escalation_starts_exactly_at_the_configured_times(
    centis: list[int], start: float, lower: int
) -> None:
    afters = sorted(c / 100 for c in centis)
    steps = tuple(EscalationStep(a, lower_by=1) for a in afters)
    need = 1 + len(afters)  # every step lowers by one: the last reaches level 1
    level = max(1, need - lower)
    svc = Service("s", (("x", need),), escalation=steps)
    r = Router([svc], [AgentProfile("a", "1", (("x", level),), frozenset())])
    r.login("a", start, ready=True)
    r.enqueue("c", "s", start)
    assert r.decide(start).offers == [] or level >= need
    if level >= need:
        return
    due = start + afters[need - level - 1]  # the step that brings the level down to ours
    now = start
    while True:
        deadline = r.next_deadline()
        assert deadline is not None and deadline <= due
        if deadline > now:
            assert r.decide(deadline - 1e-6).offers == []
        now = deadline
        offers = r.decide(now).offers
        if offers:
            assert now == due
            break
    assert policy.step_in_force(svc, start, due) == need - level


@given(st.lists(st.floats(0, 100), min_size=2, max_size=30))
def test_fifo_within_a_service_when_agents_free_up_one_by_one(gaps: list[float]) -> None:
    r = Router([Service("s", (("x", 1),))], [AgentProfile("a", "1", (("x", 1),), frozenset())])
    now = 0.0
    for i, gap in enumerate(gaps):
        now += gap
        r.enqueue(f"c{i}", "s", now)
    r.login("a", now, ready=True)
    order = []
    for _ in gaps:
        (offer,) = r.decide(now).offers
        order.append(offer.call_id)
        r.answered("1", offer.call_id, now)
        r.ended(offer.call_id, now)
        now += 10.0  # wrap-up
    assert order == [f"c{i}" for i in range(len(gaps))]
