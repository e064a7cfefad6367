"""Through the simulator: MixMonitor per agent, a transfer's linked segments, registry
durations and checksums equal to the files', and `verify` finding a changed file."""

from __future__ import annotations

from pathlib import Path

from cti.simulator import AgentPhone
from recordings.cli import verify_files
from tests.integration.enginekit import Rig, caller, until
from tests.integration.recordings.kit import (
    answered,
    rec_rig,
    segments_started,
    sha256,
    stored,
    wav_seconds,
)


async def test_transfer_gives_linked_segments_whose_facts_match_the_files(tmp_path: Path) -> None:
    phones = [AgentPhone("1001", answer_after=0.5, talk_time=600),
              AgentPhone("1002", answer_after=0.5, talk_time=600),
              AgentPhone("1003", answer_after=0.5, talk_time=600)]
    async with rec_rig(tmp_path, time_scale=0.05, phones=phones, transcribe=False) as r:
        cid = r.sim.place_call(caller(1, "1"))
        await answered(r, "1001")
        await segments_started(r, cid, 1)
        seg1 = r.engine.recordings.recorder._calls[cid].segments[0]
        await until(lambda: r.engine.clock() - seg1.started_at > 0.3, 5, "talk on segment 1")
        ami = r.engine._primary_ami()
        ch = r.engine.model.caller_channel(cid)
        # The transfer as the engine does it: the next agent, then the caller redirected.
        assert (await ami.send("Setvar", {"Channel": ch, "Variable": "AGENT",
                                          "Value": "1002"})).ok
        assert (await ami.send("Setvar", {"Channel": ch, "Variable": "AGENT_DIAL",
                                          "Value": "Local/1002@cti-agents"})).ok
        assert (await ami.send("Redirect", {"Channel": ch, "Context": "cti-connect",
                                            "Exten": "s", "Priority": "1"})).ok
        await answered(r, "1002")
        await segments_started(r, cid, 2)
        await drop_first_agent(r, cid, "1001")
        seg2 = r.engine.recordings.recorder._calls[cid].segments[1]
        await until(lambda: r.engine.clock() - seg2.started_at > 0.3, 5, "talk on segment 2")
        caller_leg = ch.removesuffix(";2") + ";1"
        assert (await ami.send("Hangup", {"Channel": caller_leg})).ok
        await stored(r, cid)

        reg = r.engine.recordings.registry
        segs = reg.segments(cid)
        assert [(s["seq"], s["agent"], s["status"]) for s in segs] == [
            (1, "1001", "stored"), (2, "1002", "stored")]
        total = 0.0
        for s in segs:
            path = tmp_path / "rec" / s["name"]
            assert s["name"].startswith(cid)  # named by the call id
            assert s["sha256"] == sha256(path)
            assert s["size"] == path.stat().st_size
            assert abs(s["duration"] - wav_seconds(path)) < 0.001
            assert s["duration"] > 0.25  # 0.3 s of talk (recordings last the real talk)
            assert s["format"] == "wav/pcm16/8000/1ch"
            total += s["duration"]
        call = reg.call(cid)
        assert call is not None and abs(call["duration"] - total) < 0.01
        assert call["agent"] == "1002" and call["service"] == "billing"
        # The CRM write follows the recorder's on its own writer: wait for the row.
        await until(lambda: r.store.get_interaction(cid) is not None, 10, "interaction row")
        interaction = r.store.get_interaction(cid)
        assert interaction is not None
        assert interaction.recording_refs == [s["name"] for s in segs]

        report = verify_files(r.engine.recordings.config, reg)
        assert report.ok and report.checked == 2
        first = tmp_path / "rec" / segs[0]["name"]
        first.write_bytes(first.read_bytes()[:-2] + b"\x01\x00")
        (tmp_path / "rec" / segs[1]["name"]).unlink()
        report = verify_files(r.engine.recordings.config, reg)
        assert report.changed == [segs[0]["name"]] and report.missing == [segs[1]["name"]]
        assert not report.ok


async def drop_first_agent(r: Rig, call_id: str, ext: str) -> None:
    """What Asterisk does when the caller is redirected out of the bridge: Dial() ends and
    the first agent's Local pair hangs up. The simulator keeps that pair attached to the
    caller's leg, so it is detached here and hung up through AMI like a lone channel."""
    model, ami = r.engine.model, r.engine._primary_ami()
    names = [model.channels[u].name for u in model.calls[call_id].channels
             if u in model.channels and model.channels[u].name.startswith(f"Local/{ext}@")]
    for name in names:
        r.sim.dialplan.legs.pop(name, None)
        assert (await ami.send("Hangup", {"Channel": name})).ok
