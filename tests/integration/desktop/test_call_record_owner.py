"""In the running engine a call names its agent by extension (1001) while the person
logs in as a1001: the CRM API still knows the call is theirs. The agent who handled the
call adds notes over HTTP; another agent cannot; nobody but a supervisor changes who
answered. Real engine + simulator + web app over TCP."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.integration.desktop.kit import PASSWORD, desk_rig
from tests.integration.enginekit import settings_for, until


async def token(http: aiohttp.ClientSession, base: str, username: str) -> dict[str, str]:
    async with http.post(
        f"{base}/api/login", json={"username": username, "password": PASSWORD}
    ) as resp:
        assert resp.status == 200, await resp.text()
        return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def test_the_agent_who_answered_adds_notes_over_http(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:2])
    phones = [AgentPhone("1001", answer_after=0.5, talk_time=2.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones) as r:
        r.engine.router.command("a1002", "not_ready", "break")
        for name, role in (("a1001", "agent"), ("a1002", "agent"), ("boss", "supervisor")):
            r.add_user(name, role)
        cid = r.sim.place_call(CallerSpec("13700007777", "", dtmf=["1"]))
        await until(
            lambda: (
                (row := r.store.get_interaction(cid)) is not None and row.end_reason is not None
            ),
            30,
            "the engine's row of the ended call",
        )
        row = r.store.get_interaction(cid)
        assert row is not None and row.agent_answered == "1001"
        url = f"{r.base}/api/interactions/{cid}"
        async with aiohttp.ClientSession() as http:
            mine, other = await token(http, r.base, "a1001"), await token(http, r.base, "a1002")
            boss = await token(http, r.base, "boss")
            async with http.patch(url, json={"notes": "已处理"}, headers=mine) as resp:
                assert resp.status == 200, await resp.text()
            async with http.patch(url, json={"notes": "not mine"}, headers=other) as resp:
                assert resp.status == 403
            async with http.patch(url, json={"agent_answered": "1002"}, headers=mine) as resp:
                assert resp.status == 403
            async with http.patch(url, json={"agent_answered": "1002"}, headers=boss) as resp:
                assert resp.status == 200
        row = r.store.get_interaction(cid)
        assert row is not None and (row.notes, row.agent_answered) == ("已处理", "1002")
