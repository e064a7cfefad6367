from __future__ import annotations

from recordings.segments import CallRecording


def test_segments_pauses_and_handover() -> None:
    rec = CallRecording("c1")
    assert not rec.pause(1.0, "ivr")  # nothing records yet: the next segment starts muted
    s1 = rec.start("c1-1.wav", "ch;2", "1001", 10.0)
    assert rec.paused
    assert rec.resume(12.0) and not rec.resume(12.5)
    assert rec.pause(13.0, "agent") and not rec.pause(13.5, "agent")
    s2 = rec.start("c1-2.wav", "ch;2", "1002", 15.0)  # a transfer ends the pause and s1
    assert s1.ended_at == 15.0 and s1.pauses == [[0.0, 2.0, "ivr"], [3.0, 5.0, "agent"]]
    assert s2.seq == 2 and not rec.paused
    rec.end(20.0)
    assert rec.current is None and s2.ended_at == 20.0
