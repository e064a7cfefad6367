"""End to end in Chromium: QA works out of the box. With no recordings.yaml the shipped
bilingual scorecard is there; the pages say plainly why no transcript appears and how
to add a speech model; filters take an agent's name and a disposition's label."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import caller, settings_for, until

WAIT = 30_000


async def test_qa_scores_a_call_with_the_shipped_scorecard(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])  # 王芳, extension 1001
    phones = [AgentPhone("1001", answer_after=0.2, talk_time=40)]
    async with desk_rig(tmp_path, time_scale=0.05, phones=phones, settings=settings) as r:
        assert r.engine.recordings.config.source == ""  # no recordings.yaml: the defaults
        r.add_user("qa1", "qa")
        reg = r.engine.recordings.registry
        calls = []
        for i, disposition in ((1, "ticket_opened"), (2, "resolved")):
            cid = r.sim.place_call(caller(i, "1"))
            await until(
                lambda cid=cid: (reg.call(cid) or {}).get("ended_at") is not None,
                30,
                "the call's recording stored",
            )
            await r.engine.writer.drain(timeout=10)
            await until(lambda cid=cid: r.store.get_interaction(cid) is not None, 20, "row")
            r.desk.crm.wrap_up("a1001", cid, disposition, "")
            calls.append(cid)
        ticket_call, other = calls
        async with chromium() as browser:
            qa = await browser.new_page(viewport={"width": 1366, "height": 768})
            await log_in(qa, r.base, "qa1", "/recordings?lang=zh")
            note = qa.locator("#stt-note")
            await expect(note).to_contain_text("通话转写需要语音识别模型（Vosk）")
            await expect(note).to_contain_text("models: {zh: /opt/vosk/vosk-model-small-cn-0.22")
            await qa.fill("input[name=agent]", "王芳")
            await qa.fill("input[name=disposition]", "已建工单")
            await qa.click("#go")
            row = qa.locator(f"tr.rec-row[data-call='{ticket_call}']")
            await expect(row).to_be_visible(timeout=WAIT)
            await expect(qa.locator(f"tr.rec-row[data-call='{other}']")).to_have_count(0)
            await expect(row).to_contain_text("王芳 (1001)")
            await expect(row).to_contain_text("账单查询")
            await expect(row).to_contain_text("已建工单")
            await screenshot(qa, tmp_path, "qa-list-zh.png")
            # English labels work as well, in any case.
            await qa.goto(f"{r.base}/recordings?lang=en&agent=a1001&disposition=resolved")
            await expect(qa.locator(f"tr.rec-row[data-call='{other}']")).to_be_visible()
            await expect(qa.locator(f"tr.rec-row[data-call='{ticket_call}']")).to_have_count(0)
            await qa.goto(f"{r.base}/recordings?lang=en&disposition=ticket%20OPENED")
            await expect(qa.locator(f"tr.rec-row[data-call='{ticket_call}']")).to_be_visible()
            await expect(qa.locator("#stt-note")).to_contain_text("Transcripts need a speech model")

            await qa.goto(f"{r.base}/recordings/calls/{ticket_call}?lang=zh")
            card = qa.locator(".scorecard").first
            await expect(card.locator("h3")).to_contain_text("标准服务质检 Standard service QA")
            await expect(card).to_contain_text("未泄露客户隐私")
            await expect(qa.locator("#stt-note")).to_be_visible()
            answers = {
                "greeting": "yes",
                "verify": "yes",
                "understand": "yes",
                "accurate": "yes",
                "ticket": "partial",  # 1 of 2
                "courtesy": "yes",
                "hold": "na",  # left out of both sides
                "privacy": "yes",
                "closing": "yes",
            }
            for qid, value in answers.items():
                await card.locator(f"input[name$='-{qid}'][value={value}]").check()
            await card.locator(".draft").click()
            await expect(card.locator(".result")).to_have_text("草稿 · 得分 93.3", timeout=WAIT)
            await card.locator(".submit").click()
            # (1+2+2+3+1+1+3+1) of (16 - 1 for n/a) = 14 / 15
            await expect(qa.locator("tr.evaluation td.score").first).to_have_text(
                "93.3", timeout=WAIT
            )
            await screenshot(qa, tmp_path, "qa-scored-zh.png")
            await qa.goto(f"{r.base}/recordings/calls/{ticket_call}?lang=en")
            await expect(qa.locator(".scorecard h4").first).to_have_text("Opening and verification")
            await expect(qa.locator("tr.evaluation td.score").first).to_have_text("93.3")
            await screenshot(qa, tmp_path, "qa-scored-en.png")
