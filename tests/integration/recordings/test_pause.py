"""Pause for card numbers: the muted stretch is digital silence in the file (measured on
its samples) and the registry marks it, from the desktop's call and from the IVR's event."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.simulator import AgentPhone
from recordings.events import SensitiveInputEnded, SensitiveInputStarted
from recordings.files import pcm_window
from recordings.segments import NotRecording
from recordings.wavmath import peak, samples
from tests.integration.enginekit import Rig, caller, until
from tests.integration.recordings.kit import answered, rec_rig, segments_started, stored


async def talk(r: Rig, seconds: float) -> None:
    """Let the call run: audio is written in real time at time_scale 1."""
    end = r.engine.clock() + seconds
    await until(lambda: r.engine.clock() >= end, seconds + 5, f"{seconds}s of talk")


async def test_paused_stretches_are_silent_and_marked(tmp_path: Path) -> None:
    phones = [AgentPhone("1001", answer_after=0.2, talk_time=600)]
    async with rec_rig(tmp_path, time_scale=1.0, phones=phones, transcribe=False) as r:
        cid = r.sim.place_call(caller(1, "1"))
        with pytest.raises(NotRecording):
            await r.engine.recordings.pause("no-such-call")
        await answered(r, "1001", timeout=30)
        await segments_started(r, cid, 1)
        rec = r.engine.recordings
        await talk(r, 0.8)
        await rec.pause(cid)  # the agent desktop's button
        assert rec.recorder.is_paused(cid)
        await talk(r, 1.0)
        await rec.resume(cid)
        await talk(r, 0.8)
        r.engine.bus.publish(SensitiveInputStarted(cid, r.engine.clock(), "ivr"))
        await until(lambda: rec.recorder.is_paused(cid), 5, "the IVR's pause")
        await talk(r, 1.0)
        r.engine.bus.publish(SensitiveInputEnded(cid, r.engine.clock()))
        await until(lambda: not rec.recorder.is_paused(cid), 5, "the IVR's resume")
        await talk(r, 0.8)
        ami = r.engine._primary_ami()
        assert (await ami.send("Hangup", {"Channel": r.engine.model.caller_channel(cid)
                                          .removesuffix(";2") + ";1"})).ok
        await stored(r, cid)

        (seg,) = rec.registry.segments(cid)
        pauses = seg["pauses"]
        assert [p[2] for p in pauses] == ["agent", "ivr"]
        path = tmp_path / "rec" / seg["name"]
        for start, end, _reason in pauses:
            assert 0.85 <= end - start <= 1.3  # ~1 s each, snapped to the zeros in the file
            inside = samples(pcm_window(path, start, end))
            assert len(inside) > 6000 and peak(inside) == 0
            # Around it the tones play: the pause did not silence the whole call.
            before = samples(pcm_window(path, max(0.0, start - 1.0), start))
            after = samples(pcm_window(path, end, end + 1.0))
            assert peak(before) > 1000 and peak(after) > 1000
