"""app_queue member mirroring as pure functions: commands and the post-connect reconcile."""

from __future__ import annotations

from cti.events import QueueMemberState
from routing import members
from routing.model import Agent, AgentProfile, AgentState

P = AgentProfile("a1", "1001", name="王芳")
IFACE = "Local/{extension}@agents"


def test_commands_become_queue_actions() -> None:
    assert members.on_command("login", P, ("support", "sales"), IFACE) == [
        (
            "QueueAdd",
            {
                "Queue": q,
                "Interface": "Local/1001@agents",
                "MemberName": "王芳",
                "Paused": "true",
                "Reason": "login",
            },
        )
        for q in ("support", "sales")
    ]
    assert members.on_command("ready", P, ("support",), IFACE) == [
        ("QueuePause", {"Interface": "Local/1001@agents", "Paused": "false"})
    ]
    assert members.on_command("not_ready", P, ("support",), IFACE, "lunch") == [
        ("QueuePause", {"Interface": "Local/1001@agents", "Paused": "true", "Reason": "lunch"})
    ]
    assert members.on_command("logout", P, ("support",), IFACE) == [
        ("QueueRemove", {"Queue": "support", "Interface": "Local/1001@agents"})
    ]
    assert members.on_command("login", P, (), IFACE) == []


def state(queue: str, iface: str, paused: bool) -> QueueMemberState:
    return QueueMemberState(queue, iface, "x", 1, paused, 0)


def test_reconcile_adds_missing_fixes_pause_and_removes_logged_out() -> None:
    ready = Agent(P, {}, AgentState.READY)
    away = Agent(AgentProfile("a2", "1002"), {}, AgentState.NOT_READY, reason="lunch")
    gone = Agent(AgentProfile("a3", "1003"), {}, AgentState.LOGGED_OUT)
    on_call = Agent(AgentProfile("a4", "1004"), {}, AgentState.ON_CALL)
    queues = {"a1": ("support",), "a2": ("support",), "a3": ("support",), "a4": ("support",)}
    actual = [
        state("support", "Local/1002@agents", False),  # should be paused
        state("support", "Local/1003@agents", False),  # logged out: remove
        state("support", "Local/1004@agents", False),  # on a call: as wanted
        state("support", "Local/9999@agents", False),  # nobody we manage: left alone
        state("other", "Local/1001@agents", False),  # a queue we do not manage
    ]
    out = members.reconcile([ready, away, gone, on_call], queues, IFACE, actual)
    assert out == [
        (
            "QueueAdd",
            {
                "Queue": "support",
                "Interface": "Local/1001@agents",
                "MemberName": "王芳",
                "Paused": "false",
            },
        ),
        (
            "QueuePause",
            {
                "Queue": "support",
                "Interface": "Local/1002@agents",
                "Paused": "true",
                "Reason": "lunch",
            },
        ),
        ("QueueRemove", {"Queue": "support", "Interface": "Local/1003@agents"}),
    ]
    assert (
        members.reconcile(
            [ready], {"a1": ("support",)}, IFACE, [state("support", "Local/1001@agents", False)]
        )
        == []
    )
