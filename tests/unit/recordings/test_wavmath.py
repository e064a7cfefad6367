"""WAV math on the real MixMonitor file from the lab (2.5 s of mute in the middle)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from recordings.files import facts, pcm_window, silent_stretches
from recordings.wavmath import NotWav, parse_header, peak, samples, snap_pauses, zero_runs


def test_real_mixmonitor_file(fixtures_dir: Path) -> None:
    path = fixtures_dir / "recording" / "e_record_hangup.wav"
    f = facts(path)
    assert f.info is not None and f.info.complete
    assert f.info.format == "wav/pcm16/8000/1ch"
    assert 5.3 < f.info.duration < 5.7
    assert f.size == path.stat().st_size and len(f.sha256) == 64
    runs = silent_stretches(path, 1.0)
    # The 2.5 s mute, plus the silent gaps of the 440 Hz beeps (300 ms on, 700 off) on its sides.
    assert len(runs) == 1 and 2.5 <= runs[0][1] - runs[0][0] < 3.2
    start, end = runs[0]
    assert peak(samples(pcm_window(path, start, end))) == 0
    assert peak(samples(pcm_window(path, 0, start))) > 1000


def header(data_size: int, claimed: int | None = None) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    return (b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVE" + b"fmt " +
            struct.pack("<I", 16) + fmt + b"data" +
            struct.pack("<I", data_size if claimed is None else claimed))


def test_header_still_being_written_is_incomplete() -> None:
    info = parse_header(header(1600, claimed=0), 44 + 1600)
    assert info.data_size == 1600 and not info.complete and info.duration == 0.1
    assert parse_header(header(1600), 44 + 1600).complete
    with pytest.raises(NotWav):
        parse_header(b"RIFX" + bytes(40), 44)


def test_zero_runs_and_odd_alignment() -> None:
    pcm = struct.pack("<4h", 1, 2, 3, 256) + bytes(2 * 800) + struct.pack("<h", 5)
    runs = zero_runs(pcm, 8000, 0.05)
    assert runs == [(4 / 8000, 804 / 8000)]


def test_snap_only_within_tolerance() -> None:
    runs = [(1.02, 2.01), (5.0, 9.0)]
    assert snap_pauses([(1.0, 2.0), (5.5, 6.5)], runs, 0.15) == [(1.02, 2.01), (5.5, 6.5)]
