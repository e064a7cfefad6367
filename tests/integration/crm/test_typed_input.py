"""Plain bad input is a clear 400, never a 500 (issue 12, item 15): ``1e309``,
``Infinity``, ``2**64``, ``-1``, ``1.5``, ``"abc"`` or ``[]`` where an id or a number
belongs, in a body, a path or a query; a duplicate account number is 409. (The OpenAPI
fuzzing in tests/fuzz covers the rest of the shapes; these are the named cases.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine

from crm.model.organization import Role
from tests.integration.crm.test_api import Api, open_api

BAD = ["1e309", "Infinity", "-Infinity", "NaN", "18446744073709551616", "-1", "1.5", '"abc"', "[]"]
TICKET = '"title": "t", "category": "repair", '
USER = '"username": "x", "password": "pw-123456", "role": "agent", '
DEPT = '"code": "D", "name": "n", "kind": "department", '
ANNOUNCE = '"title": "a", "body": "b", '
# (method, path, the body's other fields, the field that gets the bad value, in a list?)
TARGETS = [
    ("POST", "/tickets", TICKET, "customer_id", False),
    ("POST", "/tickets", TICKET, "department_id", False),
    ("POST", "/tickets", TICKET, "priority", False),
    ("POST", "/users", USER, "department_id", False),
    ("POST", "/departments", DEPT, "parent_id", False),
    ("POST", "/followups/1/result", "", "satisfaction", False),
    ("POST", "/incidents/1/tickets", "", "ticket_ids", True),
    ("POST", "/announcements", ANNOUNCE, "audience", True),
    ("POST", "/tickets/1/actions/dispatch", "", "department_id", False),
    ("PATCH", "/interactions/c1", "", "talk_seconds", False),
    ("PATCH", "/interactions/c1", "", "customer_id", False),
]
CONSTANTS = ("1e309", "Infinity", "-Infinity", "NaN")  # refused by the JSON reader itself
FIELD_OK = {  # values that are right for some fields: not bad there
    "talk_seconds": {"1.5"},
}


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Api]:
    async with open_api(engine) as opened:
        yield opened


async def send(api: Api, method: str, path: str, text: str) -> tuple[int, Any]:
    headers = {
        "Authorization": f"Bearer {api.tokens[Role.ADMIN]}",
        "Content-Type": "application/json",
    }
    async with api.client.request(method, "/api" + path, data=text, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_bad_ids_and_numbers_in_bodies_are_400(api: Api) -> None:
    wrong = []
    for method, path, others, field, in_list in TARGETS:
        for bad in BAD:
            if bad in FIELD_OK.get(field, ()):
                continue
            value = f"[{bad}]" if in_list else bad
            status, problem = await send(api, method, path, f'{{{others}"{field}": {value}}}')
            said = str(problem.get("detail", "")) if isinstance(problem, dict) else ""
            named = field in said or (bad in CONSTANTS and "number" in said)
            if status != 400 or not named:
                wrong.append(f"{method} {path} {field}={bad}: {status} {said!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "bad", ["1e309", "Infinity", "18446744073709551616", "-1", "1.5", "abc", "[]", "%E2%91%A0"]
)
async def test_bad_ids_in_paths_and_queries_are_400(api: Api, bad: str) -> None:
    for path in (
        f"/tickets/{bad}",
        f"/customers/{bad}",
        f"/reports/repeat-callers?min_calls={bad}",
        f"/tickets?limit={bad}",
    ):
        problem = await api.call("GET", path, Role.ADMIN, expect=400)
        assert problem["detail"], path
    await api.call("GET", "/reports/churn-warnings?factor=1e309", Role.ADMIN, expect=400)


async def test_a_duplicate_account_number_is_409(api: Api) -> None:
    first = {"name": "张伟", "account_number": "BJ-1", "phones": ["13800138000"]}
    await api.call("POST", "/customers", Role.ADMIN, json=first, expect=201)
    again = await api.call(
        "POST", "/customers", Role.ADMIN, json={**first, "name": "李四"}, expect=409
    )
    assert "BJ-1" in again["detail"]
    other = await api.call("POST", "/customers", Role.ADMIN, json={"name": "王五"}, expect=201)
    clash = await api.call(
        "PATCH",
        f"/customers/{other['id']}",
        Role.ADMIN,
        json={"account_number": "BJ-1"},
        expect=409,
    )
    assert clash["status"] == 409
