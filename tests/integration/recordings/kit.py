"""The engine rig with recordings configured: the simulator and the engine share tmp/rec."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml

from cti import events as ev
from cti.simulator import AgentPhone
from tests.integration.enginekit import Rig, rig, settings_for, until


def write_config(tmp: Path, **config: Any) -> None:
    (tmp / "recordings.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                         encoding="utf-8")


@contextlib.asynccontextmanager
async def rec_rig(tmp: Path, *, time_scale: float = 0.05, phones: list[AgentPhone] | None = None,
                  **config: Any) -> AsyncIterator[Rig]:
    write_config(tmp, **config)
    settings = dataclasses.replace(settings_for(tmp), source=str(tmp / "site.yaml"),
                                   recordings_dir=str(tmp / "rec"))
    async with rig(tmp, time_scale=time_scale, phones=phones, settings=settings) as r:
        yield r


async def answered(r: Rig, agent: str, timeout: float = 20) -> ev.CallAnswered:
    def find() -> ev.CallAnswered | None:
        return next((e for e in r.events if isinstance(e, ev.CallAnswered)
                     and e.agent == agent), None)

    await until(lambda: find() is not None, timeout, f"agent {agent} to answer")
    found = find()
    assert found is not None
    return found


async def segments_started(r: Rig, call_id: str, n: int) -> None:
    rec = r.engine.recordings.recorder
    await until(lambda: call_id in rec._calls and len(rec._calls[call_id].segments) >= n
                and rec._calls[call_id].current is not None, 20, f"{n} segment(s) recording")


async def stored(r: Rig, call_id: str) -> None:
    await until(lambda: any(isinstance(e, ev.CallEnded) and e.call_id == call_id
                            for e in r.events), 30, "the call to end")
    reg = r.engine.recordings.registry

    def done() -> bool:
        call = reg.call(call_id)
        return call is not None and call["ended_at"] is not None

    # A local SQLite read per poll: cheap enough for the readiness loop.
    await until(done, 30, "the call's recordings to be stored")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()
