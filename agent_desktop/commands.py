"""What a checked websocket command does, for an agent and for a supervisor.

Every call-scoped command first checks that the call was offered to this agent; call
controls also need the call live and answered by them. Refusals are :class:`Refused`
(mapped to an error reply by ``ws.py``); the reply to a success is a small dict.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agent_desktop.notifier import agent_topic
from agent_desktop.protocol import Command, Refused
from agent_desktop.service import Desk
from agent_desktop.texts import NOT_READY_REASONS
from cti.call_control import CallNotInProgress, NotYourCall, check_may_control
from routing.model import RoutingError

STATE_COMMANDS = ("login", "ready", "not_ready", "logout")


def _route(desk: Desk, agent_id: str, action: str, reason: str = "") -> dict[str, Any]:
    try:
        desk.engine.router.command(agent_id, action, reason)
    except RoutingError as exc:
        agent = desk.notifier.router.agents.get(agent_id)
        state = agent.state.value if agent is not None else ""
        raise Refused("state_refused", str(exc), state=state, action=action) from None
    desk.notifier.sync_agents()
    return {"agent": desk.notifier.agent_state(agent_id)}


def _live_call_of(desk: Desk, agent_id: str, call_id: str) -> None:
    """The agent may control this call: offered to them, live, and answered by them."""
    if not desk.notifier.owns(agent_id, call_id):
        raise Refused("forbidden", "not your call")
    agent = desk.notifier.router.agents.get(agent_id)
    dialled = desk.outbound.calls.get(call_id)
    try:
        check_may_control(
            desk.engine.model,
            call_id,
            None if agent is None else agent.extension,
            placed_by_them=dialled is not None and dialled.agent_id == agent_id,
        )
    except CallNotInProgress:
        raise Refused("gone", "the call is not in progress") from None
    except NotYourCall:
        raise Refused("forbidden", "not your call") from None


def _own(desk: Desk, agent_id: str, call_id: str) -> dict[str, Any]:
    if not desk.notifier.owns(agent_id, call_id):
        raise Refused("forbidden", "not your call")
    pop = desk.notifier.pops.get(call_id)
    if pop is None:
        raise Refused("gone", "the call is no longer on the desk")
    return pop


def _crm(desk: Desk) -> Any:
    if desk.crm is None:
        raise Refused("unavailable", "no CRM configured")
    return desk.crm


def _customer_id(pop: dict[str, Any]) -> int | None:
    ctx = pop.get("context") or {}
    customer = ctx.get("customer")
    return customer["id"] if customer else None


async def agent_command(desk: Desk, agent_id: str, actor: str, cmd: Command) -> dict[str, Any]:
    a, t = cmd.args, cmd.type
    if t == "ping":
        return {"now": desk.engine.clock()}
    if t in STATE_COMMANDS:
        reason = a.get("reason", "")
        known = (
            NOT_READY_REASONS
            if desk.crm is None or not reason
            else await asyncio.to_thread(desk.crm.reason_table, "not_ready")
        )
        if t == "not_ready" and reason and reason not in known:
            raise Refused("invalid", "unknown reason")
        return _route(desk, agent_id, t, reason)
    if t == "dial":
        return await _dial(desk, agent_id, actor, a)
    if t == "kb_search":
        return await asyncio.to_thread(
            _crm(desk).kb_search, a.get("query", ""), a.get("category") or None
        )
    call_id = a["call_id"]
    if t == "hangup":
        _live_call_of(desk, agent_id, call_id)
        await desk.telephony.hangup(call_id)
        return {}
    if t == "record":
        _live_call_of(desk, agent_id, call_id)
        await desk.telephony.record(call_id, a["paused"])
        desk.notifier.pops[call_id]["recording_paused"] = a["paused"]
        desk.notifier.push_pop(call_id)
        return {}
    if t == "transfer":
        return await _transfer(desk, agent_id, call_id, a)
    pop = _own(desk, agent_id, call_id)
    if t == "dismiss":
        desk.notifier.dismiss(agent_id, call_id)
        return {}
    crm = _crm(desk)
    if t == "customer_create":
        card = await asyncio.to_thread(
            crm.create_customer, actor, a["name"], a.get("number") or pop["number"]
        )
        await asyncio.to_thread(crm.link_customer, call_id, card["id"], actor)
        ctx = pop.get("context") or {"tickets": [], "history": [], "incidents": [], "articles": []}
        pop["context"] = {**ctx, "customer": card}
        desk.notifier.push_pop(call_id)
        return {"customer": card}
    if t == "ticket_create":
        ticket = await asyncio.to_thread(
            crm.open_ticket,
            actor,
            call_id,
            _customer_id(pop),
            a["title"],
            a["category"],
            a.get("priority", 3),
            a.get("description", ""),
        )
        pop["tickets_created"].append(ticket)
        if pop.get("context") is not None:
            pop["context"]["tickets"] = [*pop["context"]["tickets"], ticket]
        desk.notifier.push_pop(call_id)
        return {"ticket": ticket}
    if t == "ticket_update":
        ticket = await asyncio.to_thread(
            crm.change_ticket,
            actor,
            call_id,
            _customer_id(pop),
            a["ticket_id"],
            a["action"],
            a.get("text", ""),
        )
        ctx = pop.get("context")
        if ctx is not None:
            ctx["tickets"] = [ticket if x["id"] == ticket["id"] else x for x in ctx["tickets"]]
        desk.notifier.push_pop(call_id)
        return {"ticket": ticket}
    if t == "wrapup":
        await asyncio.to_thread(
            crm.wrap_up, actor, call_id, a.get("disposition", ""), a.get("notes", "")
        )
        pop["disposition"] = a.get("disposition") or pop.get("disposition")
        pop["notes"] = a.get("notes", "")
        desk.notifier.push_pop(call_id)
        return {"saved": True}
    raise Refused("unknown_type", t)


async def _dial(desk: Desk, agent_id: str, actor: str, a: dict[str, Any]) -> dict[str, Any]:
    number = a.get("number", "")
    if not number:
        raise Refused("invalid", "a number is needed")
    return await desk.outbound.dial(agent_id, actor, number, a.get("customer_id"))


async def _transfer(desk: Desk, agent_id: str, call_id: str, a: dict[str, Any]) -> dict[str, Any]:
    """Both kinds go through routing: to an agent it reserves them and offers the call
    (a no-answer puts it back to waiting); to a service the caller waits again. Either
    way the first agent leaves the call for wrap-up at once."""
    _live_call_of(desk, agent_id, call_id)
    if call_id in desk.outbound.calls:
        raise Refused("not_allowed", "a call you placed cannot be transferred")
    executor = desk.engine.router
    if a.get("agent"):
        target = executor.router.agents.get(a["agent"])
        if target is None or target.id == agent_id:
            raise Refused("invalid", "no such agent")
        try:
            executor.transfer_to_agent(call_id, target.id)
        except RoutingError as exc:
            # Worded on the desk from the plain state, in the agent's language.
            raise Refused(
                "agent_busy", str(exc), agent=target.profile.name, state=target.state.value
            ) from None
        reply: dict[str, Any] = {"to_agent": target.id}
    else:
        service = a.get("service", "")
        if service not in {s.name for s in desk.engine.settings.services}:
            raise Refused("invalid", "no such service")
        await desk.telephony.transfer_to_service(call_id, service)
        reply = {"to_service": service}
    executor.agent_left(agent_id, call_id)
    desk.notifier.handed_on(agent_id, call_id, reply.get("to_agent") or reply["to_service"])
    return reply


async def supervisor_command(desk: Desk, actor: str, cmd: Command) -> dict[str, Any]:
    if cmd.type == "ping":
        return {"now": desk.engine.clock()}
    a = cmd.args
    if a["action"] not in ("not_ready", "logout"):
        raise Refused("invalid", "supervisors may set not ready or log out")
    if a["agent"] not in desk.notifier.router.agents:
        raise Refused("not_found", "no such agent")
    reply = _route(
        desk, a["agent"], a["action"], "supervisor" if a["action"] == "not_ready" else ""
    )
    desk.hub.publish(
        agent_topic(a["agent"]), {"type": "notice", "by": actor, "action": a["action"]}
    )
    return reply
