"""The desk's browser phone (JsSIP over WebSocket, DTLS-SRTP) on the suite's real Asterisk,
driven in real Chromium: a SIPp caller through the IVR to the browser agent, answered and
controlled from the desk."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from cti import events as ev
from tests.asterisk.browserphone import chromium_for_phones, open_desk, phone_rig, registered
from tests.asterisk.phones import Caller
from tests.asterisk.rig import agents_settle, assert_both_parties_recorded, until


async def test_browser_agent_answers_a_caller_from_the_ivr(tmp_path: Path) -> None:
    """Key 1 (billing) routes the SIPp caller to 1001's browser phone: it rings, the agent
    answers on the desk, holds and resumes, keys 5 and 7, hangs up. The recording holds
    both sides: the caller's 440 Hz tone and the browser's microphone (1000 Hz)."""
    async with phone_rig(tmp_path, agents_on=("a1001",), browser_agents=("1001",)) as r:
        caller = Caller(tmp_path, keys="1", number="13800001234", name="张三丰", hold_ms=60000)
        try:
            async with chromium_for_phones(tmp_path) as browser:
                desk = await open_desk(browser, r, "a1001")
                await registered(r, "1001-web")
                caller.dial(r.pbx)
                await desk.wait_event("ringing", timeout=40)
                page = desk.page
                assert await page.text_content("#ph-status") == "Ringing"
                await page.click("#ph-answer")
                await desk.wait_event("confirmed")
                await until(lambda: r.of(ev.CallAnswered), 10, "the engine to see the answer")
                await desk.wait_event("first_rtp", timeout=10)
                await page.wait_for_timeout(2000)
                await page.click("#ph-hold")
                await until(lambda: r.obs.named("Hold"), 10, "Asterisk to see the hold")
                assert await page.text_content("#ph-status") == "On hold"
                await page.wait_for_timeout(3000)
                await page.click("#ph-hold")  # resume
                await until(lambda: r.obs.named("Unhold"), 10, "Asterisk to see the resume")
                await desk.wait_status("talking")
                for key in "57":
                    await page.click(f"#ph-keypad button[data-key='{key}']")
                    await page.wait_for_timeout(400)

                def agent_digits() -> list[str]:
                    return [
                        e.get("Digit") for e in r.obs.named("DTMFEnd")
                        if e.get("Channel", "").startswith("PJSIP/1001-web-")
                    ]  # fmt: skip

                await until(lambda: agent_digits() == ["5", "7"], 10, "DTMF 5 and 7 on AMI")
                assert any(
                    e.get("Channel", "").startswith("PJSIP/1001-web-") and e.get("Digit") == "5"
                    for e in r.obs.named("DTMFBegin")
                )
                quality = (await desk.phone())["quality"]
                assert quality["received"] > 50 and quality["grade"] in ("good", "fair"), quality
                assert "loss" in (await page.text_content("#ph-quality") or "")
                await page.wait_for_timeout(2000)
                await page.click("#ph-hangup")
                await until(r.ended, 20, "the call to end")
                end = r.ended()[0]
                row = await r.wait_row(end.call_id)
                assert row.agent_answered == "1001" and row.service == "billing"
                assert row.end_reason == "completed"
                assert 2.5 <= row.hold_seconds <= 5.0, row.hold_seconds
                assert_both_parties_recorded(r, row)
                await agents_settle(r, {"a1001": "ready"})
        finally:
            caller.stop()


async def test_blind_transfer_between_browser_agents(tmp_path: Path) -> None:
    """1001 answers in the browser and blind-transfers (REFER) to 1002, whose browser phone
    rings and answers by itself (auto-answer): one interaction with both agents."""
    async with phone_rig(
        tmp_path, agents_on=("a1001", "a1002"), browser_agents=("1001", "1002")
    ) as r:
        caller = Caller(tmp_path, keys="1", hold_ms=60000)
        try:
            async with chromium_for_phones(tmp_path) as browser:
                first = await open_desk(browser, r, "a1001")
                second = await open_desk(browser, r, "a1002")
                await registered(r, "1001-web")
                await registered(r, "1002-web")
                r.engine.router.command("a1002", "not_ready", "meeting")  # billing goes to 1001
                await second.page.check("#ph-auto")
                caller.dial(r.pbx)
                await first.wait_event("ringing", timeout=40)
                await first.page.click("#ph-answer")
                await first.wait_event("first_rtp", timeout=10)
                r.engine.router.command("a1002", "ready")
                await first.page.fill("#ph-xfer", "1002")
                await first.page.click("#ph-blind")
                await second.wait_event("ringing", timeout=20)
                await second.wait_event("first_rtp", timeout=10)
                await first.wait_event("ended", timeout=20)  # the transferor's leg is gone
                assert r.obs.named("BlindTransfer"), "Asterisk saw no blind transfer"
                await second.page.wait_for_timeout(2000)
                await second.page.click("#ph-hangup")
                await until(r.ended, 30, "the call to end")
                assert len(r.ended()) == 1
                end = r.ended()[0]
                row = await r.wait_row(end.call_id)
                assert row.agents_offered == ["1001", "1002"], row.agents_offered
                assert row.agent_answered == "1002" and row.end_reason == "completed"
                assert [t.kind for t in r.of(ev.CallTransferred, end.call_id)] == ["blind"]
                await agents_settle(r, {"a1001": "ready", "a1002": "ready"})
        finally:
            caller.stop()


async def test_closing_the_tab_takes_the_agent_out_of_routing(tmp_path: Path) -> None:
    """The browser agent closes the desk: within 5 s they are not ready, "phone offline"
    (Asterisk also loses the registration), and a caller for their skill is not offered
    to them."""
    async with phone_rig(tmp_path, agents_on=("a1001",), browser_agents=("1001",)) as r:
        caller = Caller(tmp_path, keys="1", hold_ms=30000)
        try:
            async with chromium_for_phones(tmp_path) as browser:
                desk = await open_desk(browser, r, "a1001", lang="zh")
                await registered(r, "1001-web")
                assert r.agent_state("a1001") == "ready"
                closed = time.monotonic()
                await desk.context.close()
                await until(lambda: r.agent_state("a1001") == "not_ready", 5, "not ready")
                took = time.monotonic() - closed
                agent = r.engine.router.router.agents["a1001"]
                assert agent.reason == "phone_offline", agent.reason
                assert took < 5, took
                # Asterisk saw the phone go (the tab unregistered as it closed).
                await until(
                    lambda: any(
                        e.get("AOR") == "1001-web" and e.get("ContactStatus") == "Removed"
                        for e in r.obs.named("ContactStatus")
                    ),
                    5,
                    "ContactStatus Removed for 1001-web",
                )
                caller.dial(r.pbx)
                await until(lambda: r.of(ev.CallQueued), 30, "the caller to wait for billing")
                await asyncio.sleep(6)  # a routing pass would offer within milliseconds
                assert not r.of(ev.AgentRinging), r.of(ev.AgentRinging)
                assert not [e for e in r.obs.named("DialBegin")], "Asterisk dialled someone"
                assert r.agent_state("a1001") == "not_ready"
            # The label the desk shows for the reason, in both languages.
            from agent_desktop.texts import NOT_READY_REASONS

            assert NOT_READY_REASONS["phone_offline"] == ("话机离线", "Phone offline")
        finally:
            caller.stop()
