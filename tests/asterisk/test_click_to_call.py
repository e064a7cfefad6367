"""Click-to-call on a real Asterisk (issue 11 finding 10, issue 13 item 4).

The desk's click-to-call Originates into the site's configured contexts: the agent's
phone first (``Local/1002@cti-agents`` dialling the agent's AGENT_DIAL, here a Local-
channel agent that answers and plays a 1000 Hz tone), then the outbound context with the
customer's number (a test-only context here, set in site.yaml's ``dialplan:``, since the
shipped cti-outbound dials a real carrier; the customer answers and plays 440 Hz). The row
and the recording belong to the agent, last as long as the talk and hold both voices.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from agent_desktop import DESK
from cti.settings import Settings
from recordings.search import Filters, search
from tests.asterisk.media import AGENT_HZ, CALLER_HZ, seconds_with_tone
from tests.asterisk.rig import real_rig, until

NUMBER = "13800001234"
CUSTOMER = """
[test-outbound]
exten => _X.,1,NoOp(test outbound to ${EXTEN})
 same => n,Dial(Local/${EXTEN}@test-customer,30)
 same => n,Hangup()

[test-customer]
exten => _X.,1,Ringing()
 same => n,Wait(1)
 same => n,Answer()
 same => n,PlayTones(440)
 same => n,Wait(20)
 same => n,Hangup()
"""


def _site(s: Settings) -> Settings:
    agents = tuple(
        dataclasses.replace(a, dial="Local/2002@test-agents") if a.id == "a1002" else a
        for a in s.agents
    )
    dp = dataclasses.replace(s.dialplan, outbound_context="test-outbound")
    return dataclasses.replace(s, agents=agents, dialplan=dp)


async def test_click_to_call_is_recorded_and_attributed_to_the_agent(tmp_path: Path) -> None:
    async with real_rig(
        tmp_path, agents_on=("a1002",), extra_dialplan=CUSTOMER, settings_hook=_site
    ) as r:
        desk = r.engine.web_runner.app[DESK]
        reply = await desk.outbound.dial("a1002", "a1002", NUMBER, None)
        cid = reply["call_id"]
        await until(lambda: any(e.call_id == cid for e in r.ended()), 40, "the call to end")
        originates = r.obs.named("Newchannel")
        row = await r.wait_row(cid)
        reg = r.engine.recordings.registry

        def stored() -> bool:
            call = reg.call(cid)
            return call is not None and call["ended_at"] is not None

        await until(stored, 30, "the recording stored")
        call = reg.call(cid)
        segs = reg.segments(cid)
        mine = search(r.engine.recordings.sql, Filters.from_query({}, "1002"))
        assert r.engine_alive()
    assert originates and any("@cti-agents-" in e.get("Channel") for e in originates)
    assert row.direction == "outbound" and row.caller_number == NUMBER
    assert row.agent_answered == "1002" and row.end_reason == "completed"
    # test-agents talks 4 s from its own answer; the customer answers 1 s after ringing.
    assert 2.0 <= row.talk_seconds <= 4.5, row.talk_seconds
    assert call is not None and call["agent"] == "1002"
    [seg] = segs
    assert seg["agent"] == "1002" and seg["status"] == "stored"
    assert seg["duration"] == pytest.approx(row.talk_seconds, abs=0.6)
    path = r.pbx.monitor / seg["name"]
    assert sorted(p.name for p in r.pbx.monitor.iterdir()) == [seg["name"]], "one file"
    assert seconds_with_tone(path, AGENT_HZ) >= 1.0, "the agent's voice"
    assert seconds_with_tone(path, CALLER_HZ) >= 1.0, "the customer's voice"
    assert cid in {m["call_id"] for m in mine}, "in the agent's own recordings"
