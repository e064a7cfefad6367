"""Malformed and invalid text on the desk's websocket (issue 12, item 16): each gets a
clear error frame naming the problem and a log line; the socket stays open and the
next, valid write is saved. Before, a lone surrogate closed the socket with no reply,
no log line, and the write was lost. Real engine + simulator + web app over TCP."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.integration.desktop.kit import client, desk_rig, login, open_tab
from tests.integration.enginekit import settings_for, until

BAD = [
    # (frame text, error code)
    (
        json.dumps({"type": "wrapup", "id": 101, "call_id": "{cid}", "notes": "卡号\ud800"}),
        "invalid",
    ),
    (json.dumps({"type": "not_ready", "id": 102, "reason": "\udfff"}), "invalid"),
    (
        json.dumps(
            {
                "type": "ticket_create",
                "id": 103,
                "call_id": "{cid}",
                "title": "\ud83d",
                "category": "repair",
            }
        ),
        "invalid",
    ),
    ('{"type": "ping", "id": 104, "x": NaN}', "malformed"),
    ("[" * 5000 + "]" * 5000, "malformed"),
    ('{"type": "\\ud800", "id": 106}', "unknown_type"),
    ('{"type": "ping", "id": [1]}', "malformed"),
    ("not json at all", "malformed"),
]


async def test_bad_text_is_answered_logged_and_the_socket_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="agent_desktop.ws")
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    phones = [AgentPhone("1001", answer_after=0.5, talk_time=100000.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones) as r:
        r.add_user("a1001", "agent")
        ws_url = r.base.replace("http", "ws") + "/desk/ws"
        async with client() as a:
            await login(a, r.base, "a1001")
            tab = await open_tab(a, ws_url)
            await until(lambda: bool(tab.messages), 10, "snapshot")
            cid = r.sim.place_call(CallerSpec("13700007777", "", dtmf=["1"]))
            await until(
                lambda: (p := tab.last_pop()) is not None and p["status"] == "connected",
                30,
                "the pop of the answered call",
            )
            for n, (text, code) in enumerate(BAD):
                before = len(tab.messages)
                await tab.ws.send_str(text.replace("{cid}", cid))
                await until(lambda b=before: len(tab.messages) > b, 10, f"a reply to {n}")
                reply = tab.messages[-1]
                assert reply["type"] == "error" and reply["code"] == code, (n, reply)
                assert reply["detail"], reply
                assert tab.closed is None and not tab.ws.closed, f"socket closed by {n}"
            surrogate = next(m for m in tab.messages if m.get("id") == 101)
            assert "notes" in surrogate["detail"] and "surrogate" in surrogate["detail"]
            assert sum("refused" in rec.getMessage() for rec in caplog.records) >= len(BAD)
            # The same socket saves the corrected write.
            saved = await tab.ask("wrapup", call_id=cid, notes="卡号已核对")
            assert saved["type"] == "result" and saved["ok"], saved
            await until(
                lambda: (
                    (row := r.store.get_interaction(cid)) is not None and row.notes == "卡号已核对"
                ),
                10,
                "the notes in the CRM",
            )
            assert (await tab.ask("ping"))["ok"]
            await tab.close()
