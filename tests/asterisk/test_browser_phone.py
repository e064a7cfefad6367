"""The desk's browser phone (JsSIP over WebSocket, DTLS-SRTP) on the suite's real Asterisk,
driven in real Chromium: a SIPp caller through the IVR to the browser agent, answered and
controlled from the desk."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

from agent_desktop.views import STATIC_FILES
from cti import events as ev
from cti import phones
from tests.asterisk.browserphone import (
    CuttableLink,
    chromium_for_phones,
    open_desk,
    phone_rig,
    registered,
)
from tests.asterisk.phones import Caller
from tests.asterisk.rig import agents_settle, assert_both_parties_recorded, until
from tests.integration.desktop.kit import client, login


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
                # Media on loopback: the ICE pair in use joins 127.0.0.1 to 127.0.0.1.
                path = (await desk.phone())["path"]
                assert path == {"local": "127.0.0.1", "remote": "127.0.0.1", "protocol": "udp"}
                quality = (await desk.phone())["quality"]
                assert quality["received"] > 50 and quality["grade"] in ("good", "fair"), quality
                assert "loss" in (await page.text_content("#ph-quality") or "")
                # Microphone and speaker lists come from the browser's devices (fake ones here).
                mics = await page.eval_on_selector_all("#ph-mic option", "os => os.length")
                speakers = await page.eval_on_selector_all("#ph-spk option", "os => os.length")
                assert mics >= 2 and speakers >= 2, (mics, speakers)
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
                assert await desk.page.text_content("#ph-status") == "已注册"
                assert await desk.page.text_content("#ph-answer") == "接听"
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
            # The label the desk shows for the reason, in both languages (the catalogs).
            from agent_desktop.texts import NOT_READY_REASONS, labels

            zh, en = (labels("not ready reasons", NOT_READY_REASONS, lang) for lang in ("zh", "en"))
            assert (zh["phone_offline"], en["phone_offline"]) == ("话机离线", "Phone offline")
        finally:
            caller.stop()


async def test_phone_credentials_stay_with_their_agent(tmp_path: Path, caplog: Any) -> None:
    """The SIP secrets are in no page, script or log (Asterisk's or the engine's, at debug
    level), and only the agent's own desk can fetch its own: not another agent, not a
    supervisor, not a script on another origin's form, not a cached copy."""
    caplog.set_level(logging.DEBUG)
    async with phone_rig(
        tmp_path, agents_on=("a1001", "a1002"), browser_agents=("1001", "1002")
    ) as r:
        secrets = phones.load(r.engine.settings.phone.secrets_path)
        words = [c.secret for c in secrets.values()]
        assert len(words) == 5 and all(len(w) >= 40 for w in words)
        mode = os.stat(r.engine.settings.phone.secrets_path).st_mode & 0o777
        assert mode == 0o600, oct(mode)
        include = (r.pbx.etc / "pjsip_webrtc_agents.conf").read_text(encoding="utf-8")
        assert "md5_cred" in include and not any(w in include for w in words)
        served: list[str] = []
        async with chromium_for_phones(tmp_path) as browser:
            desk = await open_desk(browser, r, "a1001")
            await registered(r, "1001-web")
            served.append(await desk.page.content())  # the live DOM, after the phone started
            storage = await desk.page.evaluate(
                "JSON.stringify([{...localStorage}, {...sessionStorage}])"
            )
            served.append(storage)
            assert "password" not in json.dumps(await desk.phone())
            # The browser fetched its secret with no-store: the HTTP cache keeps no copy.
            async with client() as a, client() as b, client() as boss, client() as anon:
                r.add_user("a1002")
                r.add_user("boss", role="supervisor")
                for session, user in ((a, "a1001"), (b, "a1002"), (boss, "boss")):
                    await login(session, r.base, user)
                for path in (
                    "/desk",
                    "/login",
                    "/wallboard",
                    *[f"/desk/static/{n}" for n in STATIC_FILES],
                ):
                    async with a.get(r.base + path) as resp:
                        served.append(await resp.text(errors="replace"))
                url = r.base + "/desk/phone-credentials"
                desk_header = {"X-CTI-Desk": "phone"}
                async with a.get(url, headers=desk_header) as resp:
                    assert resp.status == 200
                    assert "no-store" in resp.headers["Cache-Control"]
                    mine = await resp.json()
                assert mine["username"] == "1001-web"
                assert mine["password"] == secrets["1001"].secret
                async with b.get(url, headers=desk_header) as resp:
                    theirs = await resp.json()
                assert theirs["username"] == "1002-web"
                assert theirs["password"] == secrets["1002"].secret != mine["password"]
                # No way for agent B to name agent A: the endpoint takes no parameters.
                async with b.get(url + "?agent=a1001&extension=1001", headers=desk_header) as resp:
                    assert (await resp.json())["username"] == "1002-web"
                async with boss.get(url, headers=desk_header) as resp:
                    assert resp.status == 403
                async with a.get(url) as resp:  # not the desk's script (a form, an <img>)
                    assert resp.status == 403
                # The desk's phone-status write: same origin and the desk's header only.
                status_url = r.base + "/desk/phone-status"
                body = {"registered": False}
                evil = {**desk_header, "Origin": "http://evil.example"}
                async with a.post(status_url, json=body, headers=evil) as resp:
                    assert resp.status == 403
                async with a.post(status_url, json=body, headers={"Origin": r.base}) as resp:
                    assert resp.status == 403
                # With the session's CSRF token (issue 12), a malformed body is a 400.
                async with a.get(r.base + "/desk") as resp:
                    meta = re.search(r'name="csrf-token" content="([0-9a-f]+)"', await resp.text())
                assert meta is not None
                good = {**desk_header, "Origin": r.base, "X-CSRF-Token": meta.group(1)}
                async with a.post(status_url, data="[]", headers=good) as resp:
                    assert resp.status == 400
                assert r.agent_state("a1001") == "ready"
                async with anon.get(url, headers=desk_header, allow_redirects=False) as resp:
                    assert resp.status in (302, 401, 403)
                    assert secrets["1001"].secret not in await resp.text()
            # Asterisk's full SIP trace in its log, then a reload (REGISTER with digest auth
            # again) and a call, so every SIP message the phone exchanged is in a log too.
            await r.pbx.rx("core set verbose 5")
            await r.pbx.rx("logger add channel siptrace.log verbose,notice,warning,error")
            await r.pbx.rx("pjsip set logger on")
            await desk.page.reload()
            await desk.wait_status("registered")
            caller = Caller(tmp_path, keys="1", hold_ms=6000)
            try:
                await desk.page.check("#ph-auto")
                caller.dial(r.pbx)
                await desk.wait_event("first_rtp", timeout=40)
                await until(r.ended, 30, "the call to end")
            finally:
                caller.stop()
        for text in served:
            for word in words:
                assert word not in text
        logs = [p.read_text(errors="replace") for p in r.pbx.log.rglob("*") if p.is_file()]
        logs.append("\n".join(rec.getMessage() + " " + str(rec.__dict__) for rec in caplog.records))
        trace = (r.pbx.log / "siptrace.log").read_text(errors="replace")
        assert "REGISTER sip:" in trace and "Authorization: Digest" in trace, trace[-2000:]
        assert "INVITE sip:" in trace and 'username="1001-web"' in trace
        for text in logs:
            for word in words:
                assert word not in text


async def test_an_offer_the_browser_cannot_take_goes_to_the_next_agent_at_once(
    tmp_path: Path,
) -> None:
    """1001's chosen microphone is gone: answering fails in the browser, which refuses the
    INVITE (480). The dial ends then and there, and routing offers the caller to 1003 at
    once, not after the 20 s ring timeout."""
    async with phone_rig(
        tmp_path, agents_on=("a1001", "a1003"), browser_agents=("1001", "1003")
    ) as r:
        caller = Caller(tmp_path, keys="1", hold_ms=60000)
        try:
            async with chromium_for_phones(tmp_path) as browser:
                first = await open_desk(browser, r, "a1001")
                second = await open_desk(browser, r, "a1003")
                await registered(r, "1001-web")
                await registered(r, "1003-web")
                r.engine.router.command("a1003", "not_ready", "meeting")  # billing goes to 1001
                # A headset unplugged since it was chosen: its device id no longer exists.
                await first.page.evaluate(
                    """() => { const s = document.getElementById('ph-mic');
                    const o = document.createElement('option'); o.value = 'unplugged-headset';
                    o.textContent = 'Headset'; s.appendChild(o); s.value = o.value; }"""
                )
                caller.dial(r.pbx)
                await first.wait_event("ringing", timeout=40)
                r.engine.router.command("a1003", "ready")
                await first.page.click("#ph-answer")
                clicked = time.monotonic()
                ended = await first.wait_event("ended", timeout=10)
                assert ended["cause"] == "User Denied Media Access", ended
                await second.wait_event("ringing", timeout=10)
                took = time.monotonic() - clicked
                assert took < 5, f"re-offered after {took:.1f} s"
                refused = [e for e in r.of(ev.AgentNoAnswer) if e.agent == "1001"]
                assert refused and refused[0].status != "CANCEL", refused
                await second.page.click("#ph-answer")
                await second.wait_event("first_rtp", timeout=10)
                await second.page.click("#ph-hangup")
                await until(r.ended, 20, "the call to end")
                row = await r.wait_row(r.ended()[0].call_id)
                assert row.agents_offered == ["1001", "1003"], row.agents_offered
                assert row.agent_answered == "1003"
        finally:
            caller.stop()


async def test_attended_transfer_between_browser_agents(tmp_path: Path) -> None:
    """1001 answers, consults 1002 (the caller on hold), then completes: REFER with
    Replaces. The caller ends up talking with 1002; 1001's two legs are hung up."""
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
                await first.page.fill("#ph-xfer", "1002")
                await first.page.click("#ph-consult")
                await first.wait_event("hold")
                await second.wait_event("first_rtp", timeout=20)  # 1002 talks with 1001
                await first.wait_status("consulting")
                await first.page.click("#ph-complete")
                await first.wait_event("transferred", timeout=10)
                await until(lambda: r.obs.named("AttendedTransfer"), 10, "AttendedTransfer")
                await first.wait_status("registered", timeout=10)  # both its legs hung up
                await second.page.wait_for_timeout(2000)
                assert (await second.phone())["status"] == "talking"
                await second.page.click("#ph-hangup")
                call_id = r.of(ev.CallStarted)[0].call_id  # the customer's call
                await until(lambda: r.of(ev.CallEnded, call_id), 30, "the call to end")
                customer = await r.wait_row(call_id)
                assert customer.caller_number == "13800001234"
                # One interaction for the customer, under their call, with both agents.
                assert [e.call_id for e in r.ended()] == [call_id], r.ended()
                assert customer.agents_offered == ["1001", "1002"], customer.agents_offered
                assert customer.agent_answered == "1002" and customer.end_reason == "completed"
                assert [t.kind for t in r.of(ev.CallTransferred, call_id)] == ["attended"]
                await agents_settle(r, {"a1001": "ready", "a1002": "ready"})
        finally:
            caller.stop()


async def test_a_lost_phone_connection_takes_the_agent_out_and_the_phone_comes_back(
    tmp_path: Path,
) -> None:
    """The link between the browser and Asterisk drops (the desk's own websocket stays
    up): the phone tells the desk it lost its registration and the agent is made not
    ready, "phone offline", within 5 s (Asterisk alone would notice only at its next
    qualify). When the link returns the phone registers again by itself."""
    link = CuttableLink()
    async with phone_rig(tmp_path, agents_on=("a1001",), browser_agents=("1001",), link=link) as r:
        async with chromium_for_phones(tmp_path) as browser:
            desk = await open_desk(browser, r, "a1001")
            await registered(r, "1001-web")
            assert r.agent_state("a1001") == "ready"
            link.cut()
            await desk.wait_event("disconnected", timeout=10)
            cut = time.monotonic()
            await until(lambda: r.agent_state("a1001") == "not_ready", 5, "not ready")
            assert time.monotonic() - cut < 5
            assert r.engine.router.router.agents["a1001"].reason == "phone_offline"
            assert await desk.page.evaluate("window.ctiPhone.status") == "offline"
            link.restore()
            await desk.wait_event("registered", count=2, timeout=40)
            await registered(r, "1001-web")
            # Going ready again is the agent's own choice, on the desk.
            assert r.agent_state("a1001") == "not_ready"
