"""The engine is the only writer of a call's telephony facts (issue 12, item 3).

Agents cannot create a call's row, nor change who answered, the talk time, the
recordings or the caller's number; they add a disposition, notes, the customer and
tickets only to calls they handled. A supervisor may correct anything, and each
correction is in the audit log with its old and new values. A supervisor's record of a
live call never makes the engine's own write a dropped duplicate. NaN and Infinity are
refused with 400 and never stored. On SQLite and PostgreSQL, through the HTTP API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from crm.model.interaction import InteractionRecord
from crm.model.organization import Role
from crm.store import InteractionStore
from tests.integration.crm.test_api import Api, open_api

AGENT = "u_agent"  # the agent role's user in open_api
STARTED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def engine_record(call_id: str, answered_by: str | None = AGENT) -> InteractionRecord:
    """What the engine writes when a call ends (cti.crm_sink)."""
    return InteractionRecord(
        call_id=call_id,
        started_at=STARTED,
        ended_at=datetime(2026, 3, 2, 1, 5, tzinfo=UTC),
        caller_number="13912345678",
        service="billing",
        agents_offered=[answered_by] if answered_by else [],
        agent_answered=answered_by,
        talk_seconds=240.0,
        end_reason="completed",
        recording_refs=["rec-1.wav"],
    )


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Api]:
    async with open_api(engine) as opened:
        yield opened


async def raw(api: Api, method: str, path: str, role: Role, text: str) -> tuple[int, Any]:
    """A request with a literal body (JSON that the client library would not write)."""
    headers = {
        "Authorization": f"Bearer {api.tokens[role]}",
        "Content-Type": "application/json",
    }
    async with api.client.request(method, "/api" + path, data=text, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_an_agent_cannot_record_a_live_call_and_the_engines_write_lands(
    api: Api, engine: Engine
) -> None:
    forged = {"started_at": "2026-03-02T09:00:00+08:00", "agent_answered": AGENT}
    await api.call("PUT", "/interactions/live.1", Role.AGENT, json=forged, expect=403)
    assert await api.call("GET", "/interactions/live.1", Role.SUPERVISOR, expect=404)
    # A supervisor's record of the live call is a correction, not the engine's record...
    note = {"started_at": "2026-03-02T09:00:00+08:00", "notes": "VIP, handle with care"}
    await api.call("PUT", "/interactions/live.1", Role.SUPERVISOR, json=note, expect=201)
    # ...so when the call ends the engine's write is not dropped as a duplicate.
    store = InteractionStore(engine)
    assert store.record_interaction(engine_record("live.1")) is True
    got = await api.call("GET", "/interactions/live.1", Role.SUPERVISOR)
    assert got["agent_answered"] == AGENT and got["talk_seconds"] == 240.0
    assert got["recording_refs"] == ["rec-1.wav"] and got["notes"] == "VIP, handle with care"
    assert store.record_interaction(engine_record("live.1")) is False  # a replay still is one


@pytest.mark.parametrize(
    "fields",
    [
        {"agent_answered": "someone-else"},
        {"talk_seconds": 1.0},
        {"recording_refs": []},
        {"caller_number": "110"},
        {"disposition": "resolved", "end_reason": "abandoned"},
    ],
)
async def test_an_agent_cannot_change_telephony_facts(
    api: Api, engine: Engine, fields: dict[str, Any]
) -> None:
    InteractionStore(engine).record_interaction(engine_record("done.1"))
    before = await api.call("GET", "/interactions/done.1", Role.SUPERVISOR)
    refused = await api.call("PATCH", "/interactions/done.1", Role.AGENT, json=fields, expect=403)
    assert "engine" in refused["detail"]
    assert await api.call("GET", "/interactions/done.1", Role.SUPERVISOR) == before


async def test_people_add_only_to_calls_they_handled(api: Api, engine: Engine) -> None:
    store = InteractionStore(engine)
    store.record_interaction(engine_record("mine.1"))
    store.record_interaction(engine_record("theirs.1", answered_by="u_other"))
    await api.call("PATCH", "/interactions/theirs.1", Role.AGENT, json={"notes": "x"}, expect=403)
    await api.call("PATCH", "/interactions/nosuch.1", Role.AGENT, json={"notes": "x"}, expect=403)
    ticket = {"title": "停电", "category": "repair", "call_id": "theirs.1"}
    await api.call("POST", "/tickets", Role.AGENT, json=ticket, expect=403)
    assert (await api.call("GET", "/interactions/theirs.1", Role.SUPERVISOR))["notes"] is None

    done = {"disposition": "resolved", "notes": "账单已解释"}
    await api.call("PATCH", "/interactions/mine.1", Role.AGENT, json=done)
    await api.call("POST", "/tickets", Role.AGENT, json={**ticket, "call_id": "mine.1"}, expect=201)
    got = await api.call("GET", "/interactions/mine.1", Role.SUPERVISOR)
    assert (got["disposition"], got["notes"], len(got["ticket_ids"])) == (
        "resolved",
        "账单已解释",
        1,
    )


async def test_the_agent_is_known_by_extension_too(engine: Engine) -> None:
    """In a running engine, calls name the agent by extension (1001) while the user is
    a1001: the web app tells the CRM API which names are the user's."""
    names = {AGENT: frozenset({AGENT, "1001"})}
    async with open_api(engine, agent_names=lambda u: names.get(u, frozenset({u}))) as api:
        InteractionStore(engine).record_interaction(engine_record("ext.1", answered_by="1001"))
        await api.call("PATCH", "/interactions/ext.1", Role.AGENT, json={"notes": "ok"})


async def test_a_supervisors_correction_is_audited_with_old_and_new_values(
    api: Api, engine: Engine
) -> None:
    InteractionStore(engine).record_interaction(engine_record("fix.1"))
    fix = {"agent_answered": "u_other", "talk_seconds": 200.5, "caller_number": "13800000000"}
    await api.call("PATCH", "/interactions/fix.1", Role.SUPERVISOR, json=fix)
    got = await api.call("GET", "/interactions/fix.1", Role.SUPERVISOR)
    assert (got["agent_answered"], got["talk_seconds"]) == ("u_other", 200.5)
    [entry] = await api.call("GET", "/audit?object_id=fix.1&action=interaction.correct", Role.ADMIN)
    assert entry["actor"] == "u_supervisor"
    assert entry["detail"]["changes"] == {
        "agent_answered": {"old": AGENT, "new": "u_other"},
        "talk_seconds": {"old": 240.0, "new": 200.5},
        "caller_number": {"old": "13912345678", "new": "13800000000"},
    }
    # The corrected number is found by the caller lookups, like the engine's own.
    repeat = InteractionStore(engine).get_interaction("fix.1")
    assert repeat is not None and repeat.caller_number == "13800000000"


@pytest.mark.parametrize(
    "text",
    [
        '{"talk_seconds": NaN}',
        '{"talk_seconds": Infinity}',
        '{"talk_seconds": -Infinity}',
        '{"talk_seconds": 1e309}',
        '{"talk_seconds": "abc"}',
        '{"talk_seconds": -1}',
        '{"talk_seconds": []}',
        '{"customer_id": 1.5}',
        '{"customer_id": 18446744073709551616}',
        '{"customer_id": -1}',
        '{"notes": "\\ud800"}',
    ],
)
async def test_bad_numbers_and_text_are_refused_and_never_stored(
    api: Api, engine: Engine, text: str
) -> None:
    InteractionStore(engine).record_interaction(engine_record("nan.1"))
    status, problem = await raw(api, "PATCH", "/interactions/nan.1", Role.SUPERVISOR, text)
    assert status == 400, problem
    assert problem["detail"]
    got = await api.call("GET", "/interactions/nan.1", Role.SUPERVISOR)
    assert got["talk_seconds"] == 240.0 and got["customer_id"] is None and got["notes"] is None
    # Reports over the calls still serve valid JSON.
    await api.call("GET", "/reports/calls-by-service", Role.QA)
