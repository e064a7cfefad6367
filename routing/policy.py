"""The rules, as pure functions: which escalation is in force, who qualifies for a call.

A call's requirement is one or more *alternatives* (skill maps); an agent qualifies when
they hold every skill of one alternative at its level, speak the caller's language, and
hold the extra skills the IVR asked for. Escalation only lowers levels and adds
alternatives, so qualification never shrinks as a wait grows.
"""

from __future__ import annotations

from routing.model import Agent, Service, SkillMap, WaitingCall


def step_in_force(service: Service, queued_at: float, now: float) -> int:
    """How many escalation steps apply at ``now`` to a call queued at ``queued_at``
    (0: none yet). Compared as ``queued_at + after <= now``, the same sum the timers use,
    so a step is in force exactly at its deadline despite float rounding."""
    return sum(1 for s in service.escalation if queued_at + s.after <= now)


def next_step_at(service: Service, call: WaitingCall, now: float) -> float | None:
    """When the call's next escalation step starts, or None when all are in force."""
    steps = step_in_force(service, call.queued_at, now)
    if steps >= len(service.escalation):
        return None
    return call.queued_at + service.escalation[steps].after


def alternatives(service: Service, steps: int) -> list[SkillMap]:
    """The skill maps that qualify with ``steps`` escalation steps in force; the service's
    own (possibly lowered) requirement is always the first."""
    lower = sum(s.lower_by for s in service.escalation[:steps])
    base = {skill: max(1, level - lower) for skill, level in service.skills}
    out = [base]
    for step in service.escalation[:steps]:
        out.extend(dict(group) for group in step.backup)
    return out


def holds(skills: SkillMap, need: SkillMap) -> bool:
    return all(skills.get(skill, 0) >= level for skill, level in need.items())


def qualifies_under(agent: Agent, call: WaitingCall, alts: list[SkillMap]) -> bool:
    if call.language and call.language not in agent.profile.languages:
        return False
    if any(agent.skills.get(skill, 0) < 1 for skill in call.extra):
        return False
    return any(holds(agent.skills, alt) for alt in alts)


def qualifies(agent: Agent, service: Service, call: WaitingCall, now: float) -> bool:
    """The agent may take this call at ``now`` (skills only: state and refusals aside)."""
    steps = step_in_force(service, call.queued_at, now)
    return qualifies_under(agent, call, alternatives(service, steps))


def primary_level(agent: Agent, service: Service) -> int:
    """For the best-skill strategy: the agent's level in the service's first skill."""
    if not service.skills:
        return 0
    return agent.skills.get(service.skills[0][0], 0)


def day_of(now: float, utc_offset: float) -> int:
    """The local calendar day of ``now`` (for calls-today counts)."""
    return int((now + utc_offset) // 86400)
