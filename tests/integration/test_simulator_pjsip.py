"""The simulator's PJSIP-style channels (SimConfig(channels="pjsip")): what a real
Asterisk shows with SIP phones (shared/asterisk/README.md, "How AMI differs with PJSIP
channels"): one channel per leg named PJSIP/<endpoint>-<8 hex>, no ;1/;2 halves and no
LocalBridge, no OriginateResponse for an inbound caller, the caller's channel is the
call's Linkedid, and an agent's phone really rings (Newstate Ringing, DialState RINGING,
DeviceStateChange RINGING). The engine handles such calls as it does Local ones."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from cti import events as ev
from cti.settings import DialplanConfig
from cti.simulator import AgentPhone, CallerSpec
from tests.integration.enginekit import caller, rig, settings_for, until

PJSIP = re.compile(r"PJSIP/(trunk|100\d)-[0-9a-f]{8}")


def _settings(tmp: Path):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings_for(tmp), dialplan=DialplanConfig())  # PJSIP/{ext}


async def test_an_ivr_call_to_a_sip_phone_in_pjsip_channels(tmp_path: Path) -> None:
    phones = [AgentPhone(x, answer_after=1.0, talk_time=3.0) for x in ("1001", "1002", "1003")]
    async with rig(
        tmp_path, time_scale=0.05, phones=phones, settings=_settings(tmp_path),
        sim_options={"channels": "pjsip"},
    ) as r:  # fmt: skip
        seen: list[dict[str, str]] = []
        r.sim.pbx.listeners.append(lambda pairs: seen.append(dict(pairs)))
        cid = r.sim.place_call(caller(1, "1"))
        await until(lambda: cid in r.ended_ids(), 30, "the call to end")
        [end] = [e for e in r.ended if e.call_id == cid]
    names = {f[k] for f in seen for k in ("Channel", "DestChannel") if f.get(k)}
    assert names and all(PJSIP.fullmatch(n) for n in names), names
    assert len([f for f in seen if f.get("Event") == "Newchannel"]) == 2, "one per leg"
    events = {f.get("Event") for f in seen}
    assert "LocalBridge" not in events and "OriginateResponse" not in events
    [caller_new] = [f for f in seen if f.get("Event") == "Newchannel"][:1]
    assert caller_new["Channel"].startswith("PJSIP/trunk-")
    assert caller_new["ChannelStateDesc"] == "Ring"
    assert caller_new["Uniqueid"] == caller_new["Linkedid"] == cid
    agent_leg = next(f["DestChannel"] for f in seen if f.get("Event") == "DialBegin")
    assert agent_leg.startswith("PJSIP/1001-")
    assert any(f.get("Event") == "Newstate" and f.get("Channel") == agent_leg
               and f.get("ChannelStateDesc") == "Ringing" for f in seen)  # fmt: skip
    assert any(f.get("Event") == "DialState" and f.get("DialStatus") == "RINGING" for f in seen)
    assert {"Device": "PJSIP/1001", "State": "RINGING"}.items() <= next(
        f for f in seen if f.get("Event") == "DeviceStateChange" and f.get("State") == "RINGING"
    ).items()
    assert end.reason == "completed" and end.answered_by == "1001"
    assert end.summary["service"] == "billing"
    assert end.summary["talk_seconds"] == pytest.approx(3.0 * 0.05, abs=0.5)


async def test_caller_hangs_up_while_a_sip_phone_rings(tmp_path: Path) -> None:
    phones = [AgentPhone("1001", answer_after=None)]
    async with rig(
        tmp_path, time_scale=0.02, phones=phones, settings=_settings(tmp_path),
        sim_options={"channels": "pjsip"},
    ) as r:  # fmt: skip
        r.sim.dialplan.cancel_gap = 0.02  # the race, every time
        cid = r.sim.place_call(
            CallerSpec("13900000001", entry="hold", caller_context="caller-wait", patience=3)
        )
        await until(lambda: cid in r.engine.model.calls, 5, "the call")
        r.engine.bus.publish_all(r.engine.model.queue(cid, "general", r.engine.clock()))
        await until(lambda: cid in r.ended_ids(), 10, "the caller to hang up")
        statuses = [e.status for e in r.events if isinstance(e, ev.AgentNoAnswer)]
        assert statuses == ["CANCEL"]
        assert r.engine.router.errors == 0 and r.sim.server.handler.counts["redirect"] == 1
        await until(
            lambda: r.engine.router.router.agents["a1001"].state.value == "ready", 5, "free"
        )
