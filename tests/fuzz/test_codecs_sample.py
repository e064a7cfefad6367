"""A sample of bench/fuzz_codecs.py in the default suite: 30,000 mutated trace inputs per
codec (the bench runs 1,000,000). No crash, no hang, buffers within the caps."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import REPO

INPUTS = 30_000


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_codecs", REPO / "bench" / "fuzz_codecs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_codecs", module)
    spec.loader.exec_module(module)
    return module


def test_ami_codec_fuzz_sample(fixtures_dir: object) -> None:
    stats = _bench().run("ami", INPUTS, seed=20240801, hang_ms=2000)
    assert stats.inputs == INPUTS
    assert not stats.crashes, stats.crashes[:3]
    assert stats.hangs == 0, stats.slowest_ms
    assert 0 < stats.max_buffered <= stats.cap
    assert set(stats.exceptions) <= {"RemoteProtocolError"}
    assert stats.exceptions["RemoteProtocolError"] > 100  # the caps and the framing did bite


def test_agi_codec_fuzz_sample(fixtures_dir: object) -> None:
    stats = _bench().run("agi", INPUTS, seed=20240802, hang_ms=2000)
    assert stats.inputs == INPUTS
    assert not stats.crashes, stats.crashes[:3]
    assert stats.hangs == 0, stats.slowest_ms
    assert 0 < stats.max_buffered <= stats.cap
    assert set(stats.exceptions) <= {"RemoteProtocolError"}
    assert stats.messages > INPUTS  # most inputs still parse into events
