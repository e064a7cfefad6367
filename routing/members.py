"""Mirror agent states into Asterisk's app_queue: QueueAdd / QueueRemove / QueuePause.

A site that keeps its callers in app_queue queues still lets the engine own agent states:
log in adds the agent as a dynamic member of their queues, not ready pauses them (with the
reason), ready unpauses, log out removes them. After every (re)connect the members Asterisk
reports (QueueStatus) are reconciled with what the agents' states want, since a restart
drops dynamic members (``persistentmembers = no``, trace f2_restart_live_call).

Pure: these functions return AMI actions as (name, fields); the executor sends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cti.events import QueueMemberState
from routing.model import Agent, AgentProfile, AgentState

Action = tuple[str, dict[str, str]]
# Replies that mean "already as wanted": a mirror action repeated after a reconnect.
HARMLESS = ("Already there", "Not there")


def interface(profile: AgentProfile, pattern: str) -> str:
    return pattern.format(extension=profile.extension, id=profile.id)


def on_command(
    command: str, profile: AgentProfile, queues: Iterable[str], pattern: str, reason: str = ""
) -> list[Action]:
    """The app_queue actions that mirror an agent command (login carries ``ready``)."""
    queues = tuple(queues)
    if not queues:
        return []
    iface = interface(profile, pattern)
    name = profile.name or profile.id
    if command in ("login", "login_ready"):
        paused = command == "login"
        return [
            (
                "QueueAdd",
                {
                    "Queue": q,
                    "Interface": iface,
                    "MemberName": name,
                    "Paused": "true" if paused else "false",
                    **({"Reason": reason or "login"} if paused else {}),
                },
            )
            for q in queues
        ]
    if command == "ready":
        return [("QueuePause", {"Interface": iface, "Paused": "false"})]
    if command == "not_ready":
        fields = {"Interface": iface, "Paused": "true"}
        if reason:
            fields["Reason"] = reason
        return [("QueuePause", fields)]
    if command == "logout":
        return [("QueueRemove", {"Queue": q, "Interface": iface}) for q in queues]
    return []


def reconcile(
    agents: Iterable[Agent],
    queues_of: Mapping[str, tuple[str, ...]],
    pattern: str,
    actual: Iterable[QueueMemberState],
) -> list[Action]:
    """Actions that make Asterisk's members of the managed queues equal the agents'
    states: logged-in agents are members (paused unless ready or busy on a call), others
    are not. Members of queues no agent is configured for are left alone."""
    managed = {q for qs in queues_of.values() for q in qs}
    wanted: dict[tuple[str, str], tuple[Agent, bool]] = {}
    ifaces: set[str] = set()
    for agent in agents:
        iface = interface(agent.profile, pattern)
        ifaces.add(iface)
        if agent.state == AgentState.LOGGED_OUT:
            continue
        paused = agent.state == AgentState.NOT_READY
        for q in queues_of.get(agent.id, ()):
            wanted[(q, iface)] = (agent, paused)
    have = {(m.queue, m.interface): m for m in actual if m.queue in managed}
    out: list[Action] = []
    for (q, iface), (agent, paused) in wanted.items():
        member = have.get((q, iface))
        if member is None:
            login = "login" if paused else "login_ready"
            out += [a for a in on_command(login, agent.profile, (q,), pattern, agent.reason)]
        elif member.paused != paused:
            fields = {"Queue": q, "Interface": iface, "Paused": "true" if paused else "false"}
            if paused and agent.reason:
                fields["Reason"] = agent.reason
            out.append(("QueuePause", fields))
    for (q, iface), _member in have.items():
        if (q, iface) not in wanted and iface in ifaces:
            out.append(("QueueRemove", {"Queue": q, "Interface": iface}))
    return out
