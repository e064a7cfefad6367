"""A recording file that never appears does not hold up other calls' recordings
(issue 12, item 13). In a burst, the first calls' MixMonitor files are written where
the engine does not look (a file lost on the PBX): the engine waits its whole budget for
each of those, yet every other call's file is registered within moments of its end,
and the lost ones end up marked missing. Real engine + simulator over TCP."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from cti import events as ev
from cti.settings import AgentConfig
from cti.simulator import AgentPhone
from recordings.events import RecordingStored
from tests.integration.enginekit import caller, rig, settings_for, until
from tests.integration.recordings.kit import write_config

AGENTS = tuple(AgentConfig(f"a{i}", f"坐席{i}", f"{2000 + i}", {"billing": 5}) for i in range(9))
LOST = 3  # the first three files go astray


async def test_missing_files_do_not_hold_up_the_other_recordings(tmp_path: Path) -> None:
    write_config(tmp_path, transcribe=False)
    settings = dataclasses.replace(
        settings_for(tmp_path, agents=AGENTS),
        source=str(tmp_path / "site.yaml"),
        recordings_dir=str(tmp_path / "rec"),
    )
    phones = [AgentPhone(a.extension, answer_after=0.2, talk_time=30) for a in AGENTS]
    async with rig(tmp_path, time_scale=0.02, phones=phones, settings=settings) as r:
        recorder = r.engine.recordings.recorder
        # A 12 s wait for a file that never comes (the default is 5 s): one blocked
        # recorder would hold each later call for 12 s per lost file ahead of it.
        recorder.config = dataclasses.replace(
            recorder.config, finalize_retries=60, finalize_delay=0.2
        )
        budget = 12.0
        handler = r.sim.server.handler
        real, sent = handler.do_mixmonitor, []
        astray = tmp_path / "elsewhere"
        astray.mkdir()

        def lose_some(s: Any, a: Any, aid: Any) -> Any:
            sent.append(a["File"][0])
            if len(sent) <= LOST:
                a = {**a, "File": [str(astray / Path(a["File"][0]).name)]}
            return real(s, a, aid)

        handler.do_mixmonitor = lose_some
        stored_at: dict[str, float] = {}
        ended_at: dict[str, float] = {}
        r.engine.bus.subscribe(
            lambda e: stored_at.setdefault(e.call_id, time.monotonic()), RecordingStored
        )
        r.engine.bus.subscribe(
            lambda e: ended_at.setdefault(e.call_id, time.monotonic()), ev.CallEnded
        )
        ids = [r.sim.place_call(caller(i, "1")) for i in range(len(AGENTS))]
        await until(lambda: len(sent) == len(ids), 30, "every call answered and recording")
        lost_calls = {Path(f).name.split("-")[0] for f in sent[:LOST]}
        await until(lambda: set(ids) <= set(ended_at), 30, "every call to end")
        good = [c for c in ids if c not in lost_calls]
        assert len(good) == len(ids) - LOST
        # Every call with its file is registered promptly, not after the lost ones' wait.
        await until(lambda: set(good) <= set(stored_at), budget / 2, "the good files stored")
        slowest = max(stored_at[c] - ended_at[c] for c in good)
        assert slowest < budget / 2, slowest
        registry = r.engine.recordings.registry
        for c in good:
            [seg] = registry.segments(c)
            assert seg["status"] == "stored" and seg["sha256"], seg
        # The lost ones are marked missing once their own wait is over.
        await until(lambda: set(ids) <= set(stored_at), budget * 3, "the lost files given up")
        missing = [c for c in ids if c not in good]
        assert all(registry.segments(c)[0]["status"] == "missing" for c in missing)
