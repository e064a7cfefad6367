"""End to end in Chromium: the ticket-work pages of issue 14, one day per role, with a
screenshot of every page in both languages (var/screenshots/tickets-<page>-<lang>.png)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Page, expect

from crm.demo_data import load_demo
from crm.services.tickets import change_ticket, open_ticket
from crm.uow import UnitOfWork
from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.crm.test_work_pages import HOSTILE, seed
from tests.integration.desktop.kit import DeskRig, desk_rig
from tests.integration.enginekit import settings_for

WAIT = 20_000  # ms: a shared two-core machine


async def both_languages(page: Page, tmp: Path, base: str, path: str, name: str) -> None:
    """Screenshot a page in Chinese and English; the page's heading changes language."""
    sep = "&" if "?" in path else "?"
    for lang in ("en", "zh"):  # zh last: the tests go on in Chinese
        await page.goto(f"{base}{path}{sep}lang={lang}")
        await expect(page.locator("html")).to_have_attribute(
            "lang", "zh-CN" if lang == "zh" else "en"
        )
        await screenshot(page, tmp, f"tickets-{name}-{lang}.png")


def _no_alert(page: Page) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    return dialogs


async def test_department_staff_day(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as r:
        s = seed(r)
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            alerts = _no_alert(page)
            await log_in(page, r.base, "rep1", "/tickets/queue?lang=zh")
            rows = page.locator("tr[data-ticket]")
            await expect(rows).to_have_count(1)  # only the repair department's ticket
            await expect(rows.first).to_contain_text("<script>alert(1)</script>")
            await expect(page.locator("h1")).to_have_text("工单队列")
            await both_languages(page, tmp_path, r.base, "/tickets/queue", "queue")

            await rows.first.locator("a").first.click()
            await expect(page.locator("#state")).to_have_text("已派单")
            await expect(page.locator("#customer")).to_contain_text("13900001111")
            await expect(page.locator("#calls")).to_contain_text("1700000000.1")
            await page.click("#accept")
            await expect(page.locator("#state")).to_have_text("处理中")
            # The work log updates in place (htmx): the page is not reloaded.
            await page.evaluate("window.stillHere = true")
            await page.fill("#worklog input[name=note]", "上门检查，光猫故障")
            await page.fill("#worklog input[name=minutes]", "40")
            await page.click("#add-worklog")
            await expect(page.locator("#worklog")).to_contain_text("上门检查，光猫故障")
            await expect(page.locator("#worklog h3")).to_contain_text("共 40 分钟")
            assert await page.evaluate("window.stillHere === true")
            # a refused entry (too long a time) is said in the page, nothing logged
            await page.fill("#worklog input[name=note]", "整天")
            await page.eval_on_selector("#worklog input[name=minutes]", "e => e.max = 99999")
            await page.fill("#worklog input[name=minutes]", "5000")
            await page.click("#add-worklog")
            await expect(page.locator("#work-flash")).to_contain_text("请检查输入的内容。")
            await expect(page.locator("#worklog h3")).to_contain_text("共 40 分钟")
            assert await page.evaluate("window.stillHere === true")
            await both_languages(page, tmp_path, r.base, f"/tickets/{s['mine']}", "ticket")
            await page.fill("input[name=resolution]", "更换光猫，恢复上网")
            await page.click("#resolve")
            await expect(page.locator("#state")).to_have_text("已办结")
            await expect(page.locator("#resolution")).to_have_text("更换光猫，恢复上网")
            # another department's ticket is not there for them
            resp = await page.goto(f"{r.base}/tickets/{s['other']}")
            assert resp is not None and resp.status == 404
            assert not alerts
        with UnitOfWork(r.sql, write=False) as uow:
            t = uow.tickets.get(s["mine"])
            assert t is not None and t.state.value == "resolved"
            assert uow.followups.find(ticket_id=s["mine"])


def _overdue_ticket(r: DeskRig, title: str) -> int:
    with UnitOfWork(r.sql, clock=lambda: datetime.now(UTC) - timedelta(days=3)) as uow:
        t = open_ticket(uow, actor="a1001", title=title, category="repair")
        uow.commit()
    assert t.id is not None
    return t.id


async def test_supervisor_day(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    phones = [AgentPhone("1001", answer_after=None)]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.2) as r:
        s = seed(r)
        late = _overdue_ticket(r, "超时未派的报修")
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1500, "height": 1000})
            alerts = _no_alert(page)
            await log_in(page, r.base, "sup1", "/dispatch?lang=zh")
            # 1. dispatch an overdue ticket to a department and a person
            row = page.locator(f"#overdue tr[data-ticket='{late}']")
            await expect(row).to_contain_text("已超时")
            await both_languages(page, tmp_path, r.base, "/dispatch", "dispatch")
            row = page.locator(f"#overdue tr[data-ticket='{late}']")
            await row.locator("select[name=department_id]").select_option(label="维修部")
            await row.locator("input[name=assignee]").fill("rep2")
            await row.locator("button.dispatch").click()
            await expect(page.locator(f"#unassigned tr[data-ticket='{late}']")).to_have_count(0)
            row = page.locator(f"#overdue tr[data-ticket='{late}']")
            await expect(row).to_contain_text("rep2")
            await expect(row).to_contain_text("维修部")

            # 2. an unhappy follow-up: the ticket is reopened and re-dispatched
            with UnitOfWork(r.sql) as uow:
                change_ticket(uow, s["mine"], "resolve", "rep1", resolution="已修复")
                uow.commit()
                followup = uow.followups.find(ticket_id=s["mine"])[0]
            await page.goto(f"{r.base}/followups")
            await both_languages(page, tmp_path, r.base, "/followups", "followups")
            row = page.locator(f"tr[data-followup='{followup.id}']")
            for name, score in (("attitude", "4"), ("timeliness", "2"), ("result", "1")):
                await row.locator(f"select[name={name}]").select_option(score)
            await row.locator("select[name=overall]").select_option("2")
            await row.locator("input[name=comment]").fill("还是上不了网")
            await page.evaluate("window.stillHere = true")
            await row.locator("button.record").click()
            await expect(page.locator(f"tr[data-followup='{followup.id}']")).to_have_count(0)
            assert await page.evaluate("window.stillHere === true")  # swapped in place
            await page.goto(f"{r.base}/tickets/{s['mine']}")
            await expect(page.locator("#state")).to_have_text("已派单")
            await expect(page.locator("#history")).to_contain_text("已重开")
            await expect(page.locator("#summary")).to_contain_text("rep1")

            # 3. an incident linking 5 tickets; its announcement on an agent's desk
            ids = [s["mine"], s["other"], s["new"], late]
            with UnitOfWork(r.sql) as uow:
                fifth = open_ticket(uow, actor="a1001", title="朝阳区断网", category="repair")
                uow.commit()
            ids.append(fifth.id)  # type: ignore[arg-type]
            await page.goto(f"{r.base}/incidents")
            await both_languages(page, tmp_path, r.base, "/incidents", "incidents")
            form = page.locator("#open-incident")
            await form.locator("select[name=type]").select_option("cable")
            await form.locator("input[name=title]").fill("朝阳区光缆被挖断")
            await form.locator("textarea[name=areas]").fill("北京/朝阳区")
            await form.locator("button").click()
            await expect(page.locator("#incident-state")).to_have_text("处理中")
            await page.fill("input[name=ticket_ids]", ", ".join(str(i) for i in ids))
            await page.click("#link-tickets")
            await expect(page.locator("#linked tr[data-ticket]")).to_have_count(5)
            await page.fill("#announcement input[name=title]", "朝阳区宽带中断")
            await page.fill("#announcement textarea[name=body]", "抢修中，预计 18:00 恢复")
            await page.click("#save-announcement")
            await expect(page.locator("#announcement")).to_contain_text("预计 18:00 恢复")
            incident_path = page.url.split(r.base, 1)[1].split("?")[0]
            await both_languages(page, tmp_path, r.base, incident_path, "incident")

            agent = await browser.new_page(viewport={"width": 1400, "height": 900})
            await log_in(agent, r.base, "a1001", "/desk?lang=zh")
            await expect(agent.locator("#announcements")).to_contain_text(
                "朝阳区宽带中断", timeout=WAIT
            )
            await expect(agent.locator("#announcements")).to_contain_text("预计 18:00 恢复")

            await page.click("#close-incident")
            await expect(page.locator("#incident-state")).to_have_text("已关闭")
            with UnitOfWork(r.sql, write=False) as uow:
                for tid in ids:
                    t = uow.tickets.get(tid)
                    assert t is not None and t.state.value == "resolved", tid
                    assert uow.followups.find(ticket_id=tid, pending_only=True), tid
            await agent.reload()
            await expect(agent.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            await expect(agent.locator("#announcements")).not_to_contain_text("朝阳区宽带中断")

            # 4. an announcement: draft, publish (on the desk), revoke (gone from it)
            await page.goto(f"{r.base}/announcements")
            form = page.locator("#new-announcement")
            await form.locator("input[name=title]").fill(HOSTILE)
            await form.locator("textarea[name=body]").fill("系统今晚 22:00 升级")
            await form.locator("button").click()
            row = page.locator("#announcements tr[data-announcement]").first
            await expect(row.locator(".state")).to_have_text("草稿")
            await row.locator("button.publish").click()
            row = page.locator("#announcements tr[data-announcement]").first
            await expect(row.locator(".state")).to_have_text("已发布")
            await agent.reload()
            await expect(agent.locator("#announcements")).to_contain_text(
                "系统今晚 22:00 升级", timeout=WAIT
            )
            await expect(agent.locator("#announcements")).to_contain_text("<script>")
            await both_languages(page, tmp_path, r.base, "/announcements", "announcements")
            row = page.locator("#announcements tr[data-announcement]").first
            await row.locator("button.revoke").click()
            row = page.locator("#announcements tr[data-announcement]").first
            await expect(row.locator(".state")).to_have_text("已撤回")
            await agent.reload()
            await expect(agent.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            await expect(agent.locator("#announcements")).not_to_contain_text("系统今晚")
            assert not alerts


async def test_agent_day(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    phones = [AgentPhone("1001", answer_after=2.0, talk_time=3000.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.2) as r:
        r.add_user("a1001", "agent")
        with UnitOfWork(r.sql) as uow:
            load_demo(uow)
            uow.commit()
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            await log_in(page, r.base, "a1001", "/desk?lang=zh")
            await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            r.sim.place_call(CallerSpec("13600009999", "", dtmf=["0"]))
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "connected", timeout=WAIT
            )
            await page.fill("#t-title", "电视没有信号")
            await page.click("#t-create")
            await expect(page.locator("#tickets li[data-state='new']")).to_contain_text(
                "电视没有信号", timeout=WAIT
            )
            await page.fill("#kb-q", "电视没信号")
            await page.click("#kb-go")
            await expect(page.locator("#kb-results li").first).to_contain_text("电视没有信号怎么办")

            await page.goto(f"{r.base}/tickets/mine")
            mine = page.locator("tr[data-ticket]")
            await expect(mine.filter(has_text="电视没有信号")).to_have_count(1)
            await both_languages(page, tmp_path, r.base, "/tickets/mine", "mine")
            await both_languages(page, tmp_path, r.base, "/followups/mine", "my-followups")
