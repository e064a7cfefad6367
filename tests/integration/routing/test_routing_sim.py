"""Skill routing through the simulator over real TCP: 1,000 calls, 5 services, 50 agents.

Callers are parked in the hold context and handed to routing the way the IVR does
(``CallModel.queue`` + publish); the engine redirects them to agents. Every call must end
answered by a qualified agent (under the escalation in force) or abandoned, no agent may
hold two calls, and at the end no agent is left reserved or ringing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from pathlib import Path

from cti import events as ev
from cti.settings import AgentConfig, ServiceConfig
from cti.simulator import AgentPhone, CallerSpec
from routing import policy
from routing.config import RoutingConfig
from routing.model import (
    AgentProfile,
    AgentState,
    EscalationStep,
    Service,
    Strategy,
    WaitingCall,
)
from tests.integration.enginekit import rig, settings_for, until

SKILLS = ("billing", "repair", "installation", "complaint", "general")
SERVICES = (
    Service(
        "billing",
        (("billing", 3),),
        strategy=Strategy.LONGEST_IDLE,
        escalation=(EscalationStep(0.3, lower_by=2),),
    ),
    Service("repair", (("repair", 2),), priority=5, strategy=Strategy.BEST_SKILL),
    Service("installation", (("installation", 1),), strategy=Strategy.FEWEST_CALLS),
    Service(
        "complaint",
        (("complaint", 4),),
        priority=8,
        escalation=(EscalationStep(0.5, backup=((("general", 1),),)),),
    ),
    Service("general", (), strategy=Strategy.LONGEST_IDLE),
)
NEVER_ANSWER = {"2000", "2001", "2002"}


def agents(rng: random.Random) -> tuple[AgentProfile, ...]:
    out = []
    for i in range(50):
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS[:4], rng.randint(1, 3))}
        if i % 3 == 0:
            skills["general"] = 1
        langs = frozenset({"zh"}) if i % 7 == 0 else frozenset({"zh", "en"})
        out.append(AgentProfile(f"a{i}", f"20{i:02d}", tuple(skills.items()), langs))
    return tuple(out)


def config(profiles: tuple[AgentProfile, ...]) -> RoutingConfig:
    return RoutingConfig(
        source="<test>",
        skills=SKILLS,
        services=SERVICES,
        agents=profiles,
        wrap_up=0.0,
        refuse_cooldown=2.0,
        reserve_timeout=5.0,
        ring_timeout=10.0,
    )


async def test_thousand_calls_five_services_fifty_agents(tmp_path: Path) -> None:
    rng = random.Random(5)
    profiles = agents(rng)
    phones = [
        AgentPhone(
            p.extension,
            answer_after=None if p.extension in NEVER_ANSWER else rng.choice((0.5, 1.0, 2.0)),
            talk_time=rng.uniform(3, 15),
        )
        for p in profiles
    ]
    base = settings_for(tmp_path)
    settings = dataclasses.replace(
        base,
        skills=SKILLS,
        wrap_up_seconds=0.0,
        services=tuple(ServiceConfig(s.name, dict(s.skills)) for s in SERVICES),
        agents=tuple(
            AgentConfig(p.id, p.id, p.extension, dict(p.skills), tuple(p.languages))
            for p in profiles
        ),
    )
    async with rig(tmp_path, time_scale=0.004, phones=phones, settings=settings) as r:
        ex = r.engine.router
        ex.apply(config(profiles))
        by_ext = {a.extension: a for a in ex.router.agents.values()}
        plan: dict[str, tuple[str, str]] = {}  # call -> (service, language)
        answered: dict[str, tuple[str, float]] = {}
        queued_at: dict[str, float] = {}
        holding: dict[str, str] = {}  # agent -> call it rings or talks on
        overlaps: list[str] = []

        def hand_off(e: ev.CallStarted) -> None:
            service, lang = plan.setdefault(
                e.call_id, (rng.choice(SKILLS), rng.choice(("zh", "en", "")))
            )
            skills = (f"lang:{lang}",) if lang else ()
            queued = r.engine.model.queue(
                e.call_id, service, e.at, skills=skills, priority=rng.randint(0, 1)
            )
            r.engine.bus.publish_all(queued)

        def watch(e: ev.DomainEvent) -> None:
            if isinstance(e, ev.CallQueued):
                queued_at.setdefault(e.call_id, e.at)
            elif isinstance(e, ev.AgentRinging):
                if holding.get(e.agent, e.call_id) != e.call_id:
                    overlaps.append(f"{e.agent} rang for {e.call_id} while on {holding[e.agent]}")
                holding[e.agent] = e.call_id
            elif isinstance(e, ev.CallAnswered):
                answered[e.call_id] = (e.agent, e.at)
            elif isinstance(e, ev.AgentNoAnswer):
                holding.pop(e.agent, None)
            elif isinstance(e, ev.CallEnded):
                for agent in [a for a, c in holding.items() if c == e.call_id]:
                    del holding[agent]

        r.engine.bus.subscribe(hand_off, ev.CallStarted)
        r.engine.bus.subscribe(watch)
        ids = []
        for i in range(1000):
            patience = rng.choice((20.0, 40.0, None, None, None, None))
            ids.append(
                r.sim.place_call(
                    CallerSpec(
                        number=f"1390000{i:04d}",
                        name=f"caller {i}",
                        entry="hold",
                        caller_context="caller-wait",
                        patience=patience,
                    )
                )
            )
            if i % 10 == 9:
                await asyncio.sleep(0.01)  # arrivals spread over time, as callers are
        await until(lambda: len(set(r.ended_ids())) == 1000, 55, "1,000 ended calls")
        await until(
            lambda: all(a.state == AgentState.READY for a in ex.router.agents.values()),
            5,
            "every agent ready again (none stuck reserved or ringing)",
        )
        reasons = {e.call_id: e.reason for e in r.ended}
        assert set(reasons) == set(ids)
        assert set(reasons.values()) <= {"completed", "abandoned"}, set(reasons.values())
        assert not overlaps, overlaps[:3]
        services = {s.name: s for s in SERVICES}
        for cid, (ext, at) in answered.items():
            service, lang = plan[cid]
            assert ext not in NEVER_ANSWER
            call = ex.router.calls.get(cid) or _call(cid, service, lang, queued_at[cid])
            assert policy.qualifies(by_ext[ext], services[service], call, at), (cid, ext)
            assert reasons[cid] == "completed"
        completed = sum(v == "completed" for v in reasons.values())
        assert completed >= 600 and completed < 1000, "most answered, impatient callers left"
        no_answer = [e for e in r.events if isinstance(e, ev.AgentNoAnswer)]
        assert any(e.status == "NOANSWER" for e in no_answer), "ring-no-answer happened"
        assert not ex.router.calls, "nothing left waiting"
        await until(lambda: r.engine.writer.written >= 1000, 30, "every interaction row")


def _call(cid: str, service: str, lang: str, queued: float) -> WaitingCall:
    return WaitingCall(cid, service, queued, 0, 0, lang)


async def test_caller_hangs_up_while_ringing_and_ring_no_answer_frees_the_agent(
    tmp_path: Path,
) -> None:
    phones = [
        AgentPhone("1001", answer_after=None),
        AgentPhone("1002", answer_after=None),
        AgentPhone("1003", answer_after=None),
    ]
    async with rig(tmp_path, time_scale=0.01, phones=phones) as r:
        ex = r.engine.router
        cid = r.sim.place_call(
            CallerSpec(
                number="13900000009",
                name="等不及",
                entry="hold",
                caller_context="caller-wait",
                patience=30.0,
            )
        )
        await until(lambda: cid in r.engine.model.calls, 5, "the call")
        r.engine.bus.publish_all(r.engine.model.queue(cid, "general", r.engine.clock()))
        await until(lambda: cid in r.ended_ids(), 30, "the caller to give up")
        statuses = [
            e.status for e in r.events if isinstance(e, ev.AgentNoAnswer) and e.call_id == cid
        ]
        assert "NOANSWER" in statuses, "an agent let it ring out first"
        assert statuses[-1] == "CANCEL", "the caller hung up while an agent rang"
        end = next(e for e in r.ended if e.call_id == cid)
        assert end.reason == "abandoned"
        await until(
            lambda: all(a.state == AgentState.READY for a in ex.router.agents.values()),
            5,
            "no agent left reserved or ringing",
        )
        assert not ex.router.calls
