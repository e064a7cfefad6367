"""What agents do from their SIP phones on a real Asterisk: blind transfer (REFER), hold
and unhold (re-INVITE), several devices for one agent."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cti import events as ev
from cti.settings import AgentConfig, Settings
from tests.asterisk.media import AGENT_HZ, CALLER_HZ, seconds_with_tone
from tests.asterisk.pbx import AGENT_PASSWORDS
from tests.asterisk.phones import AgentPhone, Caller, Sipp
from tests.asterisk.rig import (
    agents_settle,
    assert_both_parties_recorded,
    desks,
    pops,
    real_rig,
    recording_files,
    until,
)


async def test_blind_transfer_from_the_phone(tmp_path: Path) -> None:
    """1001 answers and REFERs the caller to 1002: one interaction with both agents in it,
    each agent's recording segment kept under the call, both agents free afterwards."""
    async with real_rig(tmp_path, agents_on=("a1001", "a1002")) as r:
        r.engine.router.command("a1002", "not_ready", "busy")  # the IVR must pick 1001
        first = AgentPhone(
            tmp_path, "1001", ring_ms=800, talk_ms=1500, action="refer",
            action_values={"AFTER_MS": "2500", "TARGET": "1002", "AST_PORT": str(r.pbx.sip_port)},
        )  # fmt: skip
        second = AgentPhone(tmp_path, "1002", ring_ms=800, talk_ms=4000)
        caller = Caller(tmp_path, keys="1", hold_ms=60000)
        try:
            await first.register(r.pbx)
            await second.register(r.pbx)
            async with desks(r, ("a1001", "a1002")) as tabs:
                caller.dial(r.pbx)
                await until(lambda: r.of(ev.CallAnswered), 30, "1001 to answer")
                r.engine.router.command("a1002", "ready")
                await until(r.ended, 60, "the call to end")
                assert r.obs.named("BlindTransfer"), "Asterisk saw no blind transfer"
                assert len(r.ended()) == 1, [e.call_id for e in r.ended()]
                end = r.ended()[0]
                row = await r.wait_row(end.call_id)
                # Both agents in the one row; the call ends with the agent it was handed to.
                assert row.agents_offered == ["1001", "1002"], row.agents_offered
                assert row.agent_answered == "1002" and row.end_reason == "completed"
                assert row.extra["transfers"] == 1
                assert [t.kind for t in r.of(ev.CallTransferred, end.call_id)] == ["blind"]
                assert pops(tabs["a1001"], end.call_id) and pops(tabs["a1002"], end.call_id)
                # A segment per agent, both named after the call (<call>-1, <call>-2), and
                # each holds the caller and that agent.
                files = recording_files(r, row)
                assert [f.name for f in files] == [f"{end.call_id}-1.wav", f"{end.call_id}-2.wav"]
                for f in files:
                    assert seconds_with_tone(f, CALLER_HZ) >= 0.5, f
                    assert seconds_with_tone(f, AGENT_HZ) >= 0.5, f
                await agents_settle(r, {"a1001": "ready", "a1002": "ready"})
        finally:
            for p in (caller, first, second):
                p.stop()


async def test_hold_and_unhold_from_the_phone(tmp_path: Path) -> None:
    async with real_rig(tmp_path, agents_on=("a1001",)) as r:
        phone = AgentPhone(
            tmp_path, "1001", ring_ms=800, talk_ms=2000, action="hold",
            action_values={"AFTER_MS": "1500", "HOLD_MS": "3000"},
        )  # fmt: skip
        caller = Caller(tmp_path, keys="1", hold_ms=60000)
        try:
            await phone.register(r.pbx)
            async with desks(r, ("a1001",)) as tabs:
                caller.dial(r.pbx)
                await until(r.ended, 40, "the call to end")
                assert r.obs.named("Hold") and r.obs.named("Unhold")
                # The shipped music-on-hold class played to the held caller.
                assert r.obs.named("MusicOnHoldStart")
                end = r.ended()[0]
                row = await r.wait_row(end.call_id)
                assert row.agent_answered == "1001" and row.end_reason == "completed"
                assert 2.5 <= row.hold_seconds <= 4.5, row.hold_seconds
                assert row.talk_seconds >= 5, row.talk_seconds
                assert pops(tabs["a1001"], end.call_id)
                assert_both_parties_recorded(r, row)
                await agents_settle(r, {"a1001": "ready"})
        finally:
            caller.stop()
            phone.stop()


def _with_two_device_agent(s: Settings) -> Settings:
    agent = AgentConfig(
        "a1006", "周敏", "1006", {"billing": 9}, ("zh",), dial="PJSIP/1006&PJSIP/1006-mobile"
    )
    return dataclasses.replace(s, agents=(*s.agents, agent))


async def test_an_agent_with_two_devices(tmp_path: Path) -> None:
    """The shipped 1006 + 1006-mobile endpoints, one agent: both ring, the mobile answers,
    the desk phone stops ringing; the call is the agent's."""
    async with real_rig(tmp_path, agents_on=("a1006",), settings_hook=_with_two_device_agent) as r:
        desk_phone = AgentPhone(tmp_path, "1006", ring_ms=600000)
        mobile = AgentPhone(tmp_path, "1006-mobile", ring_ms=1500, talk_ms=3000)
        caller = Caller(tmp_path, keys="1", hold_ms=60000)
        try:
            await desk_phone.register(r.pbx)
            await mobile.register(r.pbx)
            async with desks(r, ("a1006",)) as tabs:
                caller.dial(r.pbx)
                await until(r.ended, 40, "the call to end")
                end = r.ended()[0]
                row = await r.wait_row(end.call_id)
                assert row.agent_answered == "1006" and row.end_reason == "completed"
                assert row.agents_offered == ["1006"]  # one agent, though two legs rang
                assert "INVITE" in desk_phone.messages() and "CANCEL" in desk_phone.messages()
                assert pops(tabs["a1006"], end.call_id)
                files = recording_files(r, row)
                assert sum(seconds_with_tone(f, CALLER_HZ) for f in files) >= 1
                assert sum(seconds_with_tone(f, AGENT_HZ) for f in files) >= 1
                await agents_settle(r, {"a1006": "ready"})
        finally:
            for p in (caller, desk_phone, mobile):
                p.stop()


async def test_attended_transfer_from_the_phone(tmp_path: Path) -> None:
    """1001 answers, calls 1002 on a second line, talks to them, then completes the
    transfer (REFER with Replaces): the caller talks to 1002; one interaction with both
    agents, both free afterwards."""
    async with real_rig(tmp_path, agents_on=("a1001", "a1002")) as r:
        r.engine.router.command("a1002", "not_ready", "busy")  # the IVR must pick 1001
        first = AgentPhone(tmp_path, "1001", ring_ms=800, talk_ms=30000, action="dialog")
        second = AgentPhone(tmp_path, "1002", ring_ms=500, talk_ms=6000)
        caller = Caller(tmp_path, keys="1", hold_ms=60000)
        consult: Sipp | None = None
        try:
            await first.register(r.pbx)
            await second.register(r.pbx)
            async with desks(r, ("a1001", "a1002")) as tabs:
                caller.dial(r.pbx)
                dialog = first.dir / "dialog.txt"
                await until(dialog.exists, 30, "1001 to answer")
                await until(lambda: len(dialog.read_text().split()) == 3, 5, "dialog.txt")
                call_id, ast_tag, my_tag = dialog.read_text().split()
                consult = Sipp(
                    tmp_path, "consult-1001", "consult.xml",
                    {"USER": "1001", "TARGET": "1002", "TALK_MS": "1500", "CALL_ID": call_id,
                     "AST_TAG": ast_tag, "MY_TAG": my_tag},
                )  # fmt: skip
                consult.start(r.pbx, "-m", "1", "-s", "1002", "-au", "1001", "-ap",
                              AGENT_PASSWORDS["1001"])  # fmt: skip
                await until(lambda: r.obs.named("AttendedTransfer"), 30, "the transfer")
                await until(lambda: not r.engine.model.live(), 40, "every call to end")
                ends = r.ended()
                assert len(ends) == 1, [(e.call_id, e.reason) for e in ends]
                row = await r.wait_row(ends[0].call_id)
                assert row.agents_offered == ["1001", "1002"], row.agents_offered
                assert row.agent_answered == "1002"  # who has the caller at the end
                assert row.end_reason == "completed" and row.extra["transfers"] == 1
                assert [t.kind for t in r.of(ev.CallTransferred, row.call_id)] == ["attended"]
                assert pops(tabs["a1001"], row.call_id)
                # Recorded: the call with 1001 (caller and agent), and the consultation
                # 1001 <-> 1002 under its own id, folded into this call.
                files = recording_files(r, row)
                assert sum(seconds_with_tone(f, CALLER_HZ) for f in files) >= 1
                assert sum(seconds_with_tone(f, AGENT_HZ) for f in files) >= 1
                merged = r.of(ev.CallTransferred, row.call_id)[0].merged_call_id
                assert list(r.pbx.monitor.glob(f"{merged}-*.wav")), "no consultation recording"
                await agents_settle(r, {"a1001": "ready", "a1002": "ready"})
        finally:
            for p in (caller, first, second, *([consult] if consult else [])):
                p.stop()
