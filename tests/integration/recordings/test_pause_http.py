"""Pausing a call's recording over HTTP follows the desk's rule (cti.call_control): the
agent on that call or a supervisor may; another agent may not, and a call that is not in
progress is a 409. Real engine + simulator + web app over TCP."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.integration.desktop.kit import PASSWORD, client, desk_rig
from tests.integration.enginekit import settings_for, until


async def login(http: aiohttp.ClientSession, base: str, username: str) -> str:
    """Log in through the form; returns the session's CSRF token for JSON posts."""
    async with http.get(f"{base}/login") as resp:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', await resp.text())
    assert found is not None
    async with http.post(
        f"{base}/login",
        data={"csrf": found.group(1), "username": username, "password": PASSWORD, "next": "/"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 302 and "error" not in resp.headers["Location"]
    # The token bound to the session is on every page after login, refusals included.
    async with http.get(f"{base}/") as resp:
        meta = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', await resp.text())
    assert meta is not None
    return meta.group(1)


async def test_only_the_agent_on_the_call_or_a_supervisor_pauses_it(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:2])
    phones = [AgentPhone("1001", answer_after=0.2, talk_time=100000.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones) as r:
        r.engine.router.command("a1002", "not_ready", "break")
        for name, role in (("a1001", "agent"), ("a1002", "agent"), ("boss", "supervisor")):
            r.add_user(name, role)
        cid = r.sim.place_call(CallerSpec("13700007777", "", dtmf=["1"]))
        rec = r.engine.recordings.recorder

        def recording() -> bool:
            call = r.engine.model.calls.get(cid)
            return (
                call is not None
                and call.answered_by == "1001"
                and cid in rec._calls
                and rec._calls[cid].current is not None
            )

        await until(recording, 30, "a1001 on the call, recording")
        url = f"{r.base}/recordings/calls/{cid}"
        async with client() as other, client() as mine, client() as boss:
            tokens = {}
            for http, name in ((other, "a1002"), (mine, "a1001"), (boss, "boss")):
                tokens[name] = await login(http, r.base, name)

            async def post(http: aiohttp.ClientSession, name: str, action: str) -> int:
                headers = {"X-CSRF-Token": tokens[name]}
                async with http.post(f"{url}/{action}", json={}, headers=headers) as resp:
                    return resp.status

            assert await post(other, "a1002", "pause") == 403
            assert not rec.is_paused(cid), "another agent's pause was refused"
            assert await post(mine, "a1001", "pause") == 200
            assert rec.is_paused(cid)
            assert await post(other, "a1002", "resume") == 403
            assert rec.is_paused(cid)
            assert await post(boss, "boss", "resume") == 200
            assert not rec.is_paused(cid)
            async with other.post(
                f"{r.base}/recordings/calls/nosuch.1/pause",
                json={},
                headers={"X-CSRF-Token": tokens["a1002"]},
            ) as resp:
                assert resp.status == 409
