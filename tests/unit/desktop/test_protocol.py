"""Websocket message checks: what is refused, and with which code."""

from __future__ import annotations

import json

import pytest

from agent_desktop.protocol import AGENT_COMMANDS, MAX_MESSAGE, SUPERVISOR_COMMANDS, Refused, parse
from agent_desktop.wsstate import Guard, IllegalTransition, WsState


def code(text: str, allowed: dict = AGENT_COMMANDS) -> str:
    with pytest.raises(Refused) as info:
        parse(text, allowed)
    return info.value.code


def test_good_commands() -> None:
    cmd = parse(json.dumps({"type": "not_ready", "id": 7, "reason": " break "}), AGENT_COMMANDS)
    assert (cmd.type, cmd.args, cmd.request_id) == ("not_ready", {"reason": "break"}, 7)
    cmd = parse('{"type":"record","call_id":"1.2","paused":false}', AGENT_COMMANDS)
    assert cmd.args == {"call_id": "1.2", "paused": False}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("{oops", "malformed"),
        ("[1,2]", "malformed"),
        ('{"type":"hangup","id":[1]}', "malformed"),
        ('{"type":"reboot"}', "unknown_type"),
        ('{"type":"hangup"}', "invalid"),
        ('{"type":"hangup","call_id":5}', "invalid"),
        ('{"type":"record","call_id":"x","paused":"yes"}', "invalid"),
        ('{"type":"ticket_update","call_id":"x","ticket_id":true,"action":"start"}', "invalid"),
        ('{"type":"ping","extra":1}', "invalid"),
        ('{"type":"not_ready","reason":"' + "x" * 33 + '"}', "invalid"),
        ("[" * 100000, "too_large"),
    ],
)
def test_refusals(text: str, want: str) -> None:
    assert code(text) == want


def test_roles_have_their_own_commands() -> None:
    assert code('{"type":"agent","agent":"a1","action":"logout"}') == "unknown_type"
    assert code('{"type":"hangup","call_id":"x"}', SUPERVISOR_COMMANDS) == "unknown_type"


def test_deep_nesting_is_refused_not_crashing() -> None:
    text = "[" * (MAX_MESSAGE // 2)
    assert code(text) == "malformed"


def test_request_id_comes_back_with_the_refusal() -> None:
    with pytest.raises(Refused) as info:
        parse('{"type":"hangup","id":"r9"}', AGENT_COMMANDS)
    assert info.value.request_id == "r9"


def test_guarded_socket_state() -> None:
    g = Guard()
    with pytest.raises(IllegalTransition):
        g.move(WsState.CLOSING)  # cannot close what never opened, except straight to CLOSED
    g.move(WsState.OPEN)
    assert g.open
    g.move(WsState.CLOSING)
    with pytest.raises(IllegalTransition):
        g.move(WsState.OPEN)
    g.close()
    g.close()  # idempotent
    assert g.state == WsState.CLOSED
