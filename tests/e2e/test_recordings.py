"""End to end in Chromium: a QA user finds a recorded call, plays it, scores it; the agent
sees the score; the play is in the audit log (read by an admin through /api/audit)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from playwright.async_api import expect

from cti.simulator import AgentPhone
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import caller, settings_for, until
from tests.integration.recordings.kit import write_config

WAIT = 30_000
FORM = {
    "name": "Basic QA",
    "sections": [
        {
            "title": {"zh": "开场", "en": "Opening"},
            "questions": [
                {"id": "greet", "text": {"zh": "规范问候", "en": "Proper greeting"}, "weight": 2},
                {
                    "id": "verify",
                    "text": {"zh": "核实身份", "en": "Verified identity"},
                    "weight": 1,
                },
            ],
        },
        {
            "title": {"zh": "合规", "en": "Compliance"},
            "questions": [
                {
                    "id": "card",
                    "text": {"zh": "未复述卡号", "en": "No card number read back"},
                    "weight": 3,
                    "fatal": True,
                }
            ],
        },
    ],
}


async def test_qa_finds_plays_and_scores_agent_sees_it(tmp_path: Path) -> None:
    write_config(tmp_path, transcribe=False, scorecards=[FORM])
    settings = dataclasses.replace(
        settings_for(tmp_path),
        source=str(tmp_path / "site.yaml"),
        recordings_dir=str(tmp_path / "rec"),
    )
    phones = [AgentPhone("1001", answer_after=0.2, talk_time=60)]
    async with desk_rig(tmp_path, time_scale=0.05, phones=phones, settings=settings) as r:
        for name, role in (("qa1", "qa"), ("a1001", "agent"), ("boss", "admin")):
            r.add_user(name, role)
        cid = r.sim.place_call(caller(7, "1"))
        reg = r.engine.recordings.registry
        await until(
            lambda: (reg.call(cid) or {}).get("ended_at") is not None,
            30,
            "the call's recording stored",
        )
        base = f"http://127.0.0.1:{r.engine.web_port}"
        async with chromium() as browser:
            qa = await browser.new_page()
            await log_in(qa, base, "qa1", "/recordings?lang=en")
            await qa.fill("input[name=agent]", "1001")
            await qa.select_option("select[name=service]", "billing")
            await qa.click("#go")
            row = qa.locator(f"tr.rec-row[data-call='{cid}']")
            await expect(row).to_be_visible(timeout=WAIT)
            await row.locator("a.open").click()
            await expect(qa.locator("#call h2")).to_have_text(cid, timeout=WAIT)

            player = qa.locator("audio.player").first
            await player.evaluate("a => { a.muted = true; return a.play(); }")
            await qa.wait_for_function(
                "() => document.querySelector('audio.player').currentTime > 0.2", timeout=WAIT
            )

            card = qa.locator(".scorecard").first
            await card.locator("input[name$='-greet'][value=yes]").check()
            await card.locator("input[name$='-verify'][value=no]").check()
            await card.locator("input[name$='-card'][value=yes]").check()
            await card.locator(".comment").fill("良好 good")
            await card.locator(".submit").click()
            score_cell = qa.locator("tr.evaluation td.score").first
            await expect(score_cell).to_have_text("83.3", timeout=WAIT)
            await expect(qa.locator("tr.evaluation").first).to_contain_text("submitted")
            await screenshot(qa, tmp_path, "recordings-qa-call.png")

            agent = await (await browser.new_context()).new_page()
            await log_in(agent, base, "a1001", "/recordings/scores?lang=zh")
            await expect(agent.locator("#my-evaluations td.score")).to_have_text(
                "83.3", timeout=WAIT
            )
            await expect(agent.locator("h2")).to_contain_text("我的质检得分")
            await screenshot(agent, tmp_path, "recordings-agent-scores.png")

            admin = await (await browser.new_context()).new_page()
            await log_in(admin, base, "boss", "/status")
            resp = await admin.request.get(f"{base}/api/audit?action=recording.play")
            assert resp.ok, await resp.text()
            rows = [a for a in json.loads(await resp.text()) if a["action"] == "recording.play"]
            assert [(a["actor"], a["object_id"]) for a in rows] == [("qa1", cid)]
