"""Issue 11 finding 9: a call cut by an Asterisk restart says so in its row."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cti import events as ev
from cti.ami.protocol import Event
from cti.calls import CallModel
from cti.simulator import AgentPhone
from tests.integration.enginekit import caller, rig, until
from tests.unit.test_calls import replay


def test_core_restart_with_a_live_call_ends_it_as_pbx_restart() -> None:
    # The real trace: SoftHangupRequest Cause 4 on every channel, Hangups, Shutdown.
    _, out = replay("f2_restart_live_call")
    [ended] = [e for e in out if isinstance(e, ev.CallEnded)]
    assert ended.reason == "pbx_restart"
    assert ended.answered_by == "1001"  # who was on it is kept


def test_a_normal_end_is_still_completed() -> None:
    _, out = replay("b_ivr_redirect")
    assert {e.reason for e in out if isinstance(e, ev.CallEnded)} == {"completed"}


def _live_call(model: CallModel, at: float) -> None:
    for uid, half in (("10.1", ";1"), ("10.2", ";2")):
        name = f"Local/s@cti-ivr-00000001{half}"
        model.apply(Event("Newchannel", {"Uniqueid": uid, "Linkedid": "10.1", "Channel": name}), at)


def test_link_lost_then_asterisk_booted_anew_ends_the_call_as_pbx_restart() -> None:
    # Asterisk was killed (no Shutdown event); the link comes back to a fresh process.
    model = CallModel()
    _live_call(model, 100.0)
    model.apply(Event("FullyBooted", {"Status": "Fully Booted", "Uptime": "0"}), 160.0)
    model.begin_resync()
    [ended] = model.reconcile([], 160.2)
    assert ended.reason == "pbx_restart"


def test_a_reconnect_to_the_same_asterisk_keeps_the_usual_reasons() -> None:
    model = CallModel()
    _live_call(model, 100.0)
    model.apply(Event("FullyBooted", {"Status": "Fully Booted", "Uptime": "3600"}), 160.0)
    model.begin_resync()
    [ended] = model.reconcile([], 160.2)
    assert ended.reason == "ivr_hangup"


async def test_simulated_core_restart_mid_talk_is_stored_as_pbx_restart(tmp_path: Path) -> None:
    phones = [AgentPhone(x, answer_after=0.5, talk_time=600.0) for x in ("1001", "1002")]
    async with rig(tmp_path, time_scale=0.01, phones=phones) as r:
        cid = r.sim.place_call(caller(1, key="1"))
        await until(
            lambda: any(isinstance(e, ev.CallAnswered) and e.call_id == cid for e in r.events),
            30,
            "the agent to answer",
        )
        await r.sim.restart()
        await until(lambda: cid in r.ended_ids(), 10, "the call to end")
        await until(lambda: r.engine.writer.written >= 1, 10, "the row written")
        row = await asyncio.to_thread(r.store.get_interaction, cid)
        assert row is not None
        assert row.end_reason == "pbx_restart"
        assert row.agent_answered is not None
