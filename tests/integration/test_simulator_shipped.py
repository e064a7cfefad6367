"""The simulator where it used to differ from Asterisk (issue 11, "What to build" 4).

* it runs the shipped cti-* dialplan: cti-ivr into cti-entry, cti-hold, cti-connect dialling
  the engine's AGENT_DIAL, with no MixMonitor of its own (one recording per segment);
* STREAM FILE stops on its escape digits and says which key and where;
* keys pressed while nothing reads them are dropped, not queued for the next read;
* DialEnd CANCEL and the caller's Hangup arrive in separate TCP reads, sub-millisecond apart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

from cti import events as ev
from cti.ami.protocol import AmiParser, Event
from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator
from cti.simulator.leg import Leg
from tests.integration.enginekit import caller, settings_for, until
from tests.integration.recordings.kit import rec_rig, stored
from tests.integration.simhelpers import AgiConn, AgiServer, AmiClient

SCALE = 0.05


def _leg(sim: Simulator, linkedid: str) -> Leg:
    return next(leg for leg in sim.dialplan.legs.values() if leg.record.linkedid == linkedid)


async def test_escape_digits_stop_a_prompt_and_unread_keys_are_dropped(tmp_path: Path) -> None:
    sim_box: list[Simulator] = []
    replies: dict[str, str] = {}

    async def press_later(key: str, after: float) -> None:
        await asyncio.sleep(after * SCALE)
        sim = sim_box[0]
        leg = next(iter(sim.dialplan.legs.values()))
        await sim.dialplan._send_dtmf(leg, key)

    async def script(c: AgiConn) -> None:
        await c.cmd("ANSWER")
        # A key during a prompt without escape digits: read by nobody, dropped...
        press = asyncio.create_task(press_later("7", 0.5))
        replies["plain"] = await c.cmd('STREAM FILE menu ""')
        await press
        # ...so the next read does not get it.
        replies["after"] = await c.cmd("WAIT FOR DIGIT 500")
        # A key among the escape digits stops the prompt.
        press = asyncio.create_task(press_later("2", 0.5))
        replies["escape"] = await c.cmd('STREAM FILE menu "123"')
        await press
        replies["again"] = await c.cmd("WAIT FOR DIGIT 500")

    agi = AgiServer(script)
    port = await agi.start()
    cfg = SimConfig(agi_port=port, time_scale=SCALE, recordings_dir=tmp_path)
    cfg.sounds["menu"] = 8000 * 3  # a 3 s prompt
    try:
        async with Simulator(cfg) as sim:
            sim_box.append(sim)
            sim.place_call(CallerSpec("13800000001", caller_context="caller-wait", patience=30))
            await until(lambda: "again" in replies, 20, "the script to finish")
    finally:
        await agi.stop()
    assert replies["plain"] == "200 result=0 endpos=24000"
    assert replies["after"] == "200 result=0", "the key pressed during the prompt was dropped"
    code, endpos = replies["escape"].removeprefix("200 result=").split(" endpos=")
    assert code == str(ord("2"))
    assert 0 < int(endpos) < 24000, "interrupted part-way"
    assert replies["again"] == "200 result=0", "the escape key is not read a second time"


async def test_cancel_and_the_callers_hangup_come_in_separate_reads(tmp_path: Path) -> None:
    cfg = SimConfig(time_scale=SCALE, recordings_dir=tmp_path)  # default 0.5 ms gap
    async with Simulator(cfg) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.ami_port)
        reads: list[tuple[float, bytes]] = []

        async def pump() -> None:
            while data := await reader.read(65536):
                reads.append((time.monotonic(), data))

        task = asyncio.create_task(pump())
        cl = AmiClient()
        await cl.connect(sim.ami_port)
        await cl.login()
        writer.write(b"Action: Login\r\nUsername: cti\r\nSecret: ctisecret\r\n\r\n")
        lid = sim.place_call(
            CallerSpec("13800000002", entry="hold", caller_context="caller-wait", patience=3)
        )
        leg = _leg(sim, lid)
        await until(lambda: leg.where == "hold", 5, "the caller on hold")
        for pairs in (
            [("Action", "Setvar"), ("ActionID", "1"), ("Channel", leg.c2.name),
             ("Variable", "AGENT_DIAL"), ("Value", "Local/1009@cti-agents")],
            [("Action", "Redirect"), ("ActionID", "2"), ("Channel", leg.c2.name),
             ("Context", "cti-connect"), ("Exten", "s"), ("Priority", "1")],
        ):  # fmt: skip
            assert (await cl.action(pairs)).ok
        await sim.wait_until_idle(10)  # 1009 never answers; the caller gives up at 3 s
        await asyncio.sleep(0.05)  # scenario timing: let the last bytes arrive
        task.cancel()
        writer.close()
        await cl.close()
    parser, at = AmiParser(), []
    for t, data in reads:
        for msg in parser.feed(data):
            if isinstance(msg, Event):
                at.append((t, msg))
    [(t_cancel, _)] = [
        (t, m) for t, m in at if m.name == "DialEnd" and m.get("DialStatus") == "CANCEL"
    ]
    [(t_hangup, _)] = [
        (t, m) for t, m in at if m.name == "Hangup" and m.get("Channel") == leg.c2.name
    ]
    assert t_hangup > t_cancel, "the caller's Hangup came in a later read than the CANCEL"
    assert t_hangup - t_cancel < 0.05


async def test_an_answered_call_runs_the_shipped_contexts_and_leaves_one_recording(
    tmp_path: Path,
) -> None:
    phones = [AgentPhone(x, answer_after=0.5, talk_time=10) for x in ("1001", "1002", "1003")]
    async with rec_rig(tmp_path, time_scale=SCALE, phones=phones, transcribe=False) as r:
        seen: list[list[tuple[str, str]]] = []
        r.sim.pbx.listeners.append(seen.append)
        cid = r.sim.place_call(caller(1, "1"))
        await stored(r, cid)
    fields = [dict(p) for p in seen]
    contexts = {f.get("Context") for f in fields if f.get("Event") == "Newexten"}
    # (An agent is free: routing redirects the caller while the IVR still runs, before
    # cti-hold; the ring-no-answer test below waits there.)
    assert {"cti-ivr", "cti-entry", "cti-connect", "cti-agents"} <= contexts
    assert not contexts & {"ivr-entry", "hold", "connect", "agents"}, "not the lab's"
    dials = [f["AppData"] for f in fields if f.get("Application") == "Dial"]
    assert dials == ["Local/1001@cti-agents,20"], "cti-connect dials the engine's AGENT_DIAL"
    assert not [f for f in fields if f.get("Application") == "MixMonitor"]
    files = sorted(p.name for p in (tmp_path / "rec").glob("*.wav"))
    assert files == [f"{cid}-1.wav"], "one recording, the engine's"
    [end] = [e for e in r.ended if e.call_id == cid]
    assert end.answered_by == "1001"


async def test_a_ring_no_answer_goes_back_to_cti_hold_and_is_offered_again(
    tmp_path: Path,
) -> None:
    settings = dataclasses.replace(settings_for(tmp_path))
    phones = [AgentPhone("1001", answer_after=None), AgentPhone("1002", answer_after=0.5,
                                                                 talk_time=3)]  # fmt: skip
    from tests.integration.enginekit import rig

    async with rig(tmp_path, time_scale=0.02, phones=phones, settings=settings) as r:
        seen: list[list[tuple[str, str]]] = []
        r.sim.pbx.listeners.append(seen.append)
        cid = r.sim.place_call(caller(2, "0"))
        await until(lambda: cid in r.ended_ids(), 60, "the call to end")
        no = [e for e in r.events if isinstance(e, ev.AgentNoAnswer) and e.call_id == cid]
        [end] = [e for e in r.ended if e.call_id == cid]
    assert no and all(e.status == "NOANSWER" for e in no)
    back = [dict(p) for p in seen if dict(p).get("Event") == "Newexten"]
    assert any(f.get("Context") == "cti-hold" and f.get("Application") == "MusicOnHold"
               for f in back), "back to the shipped cti-hold after the no-answer"  # fmt: skip
    assert end.answered_by == "1002" and end.reason == "completed"
