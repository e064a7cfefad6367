"""Issue 11 findings 2 and 8 through the simulator.

2. The engine dies in the middle of a talk and a new one starts: the interaction keeps its
   service, IVR steps, wait and the real talk start; the recording is one complete file,
   never overwritten, and no segment number is used twice.
8. Asterisk on another host: MixMonitor is given the spool as Asterisk sees it, the engine
   reads the same files where that spool is mounted on its own host; a file that is not
   there when the call ends is marked missing with a clear error, and `verify` registers
   it once it shows up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shutil
from pathlib import Path

import pytest

from crm.db import create_schema, make_engine
from crm.store import InteractionStore
from cti import events as ev
from cti.crm_sink import CrmSink
from cti.demo import DEMO_PROMPTS
from cti.engine import Engine
from cti.simulator import AgentPhone, SimConfig, Simulator
from recordings.cli import verify_files
from tests.integration.enginekit import caller, settings_for, until
from tests.integration.recordings.kit import stored, wav_seconds, write_config

SCALE = 0.02  # model seconds -> real seconds


def _connected(engine: Engine, cid: str) -> bool:
    return engine.model.live().get(cid) is not None and engine.model.live()[cid].value in (
        "connected",
    )


async def test_engine_restart_mid_talk_keeps_the_journey_and_one_whole_recording(
    tmp_path: Path,
) -> None:
    write_config(tmp_path, transcribe=False)
    settings = dataclasses.replace(
        settings_for(tmp_path),
        source=str(tmp_path / "site.yaml"),
        recordings_dir=str(tmp_path / "rec"),
    )
    sql = make_engine(settings.database_url)
    create_schema(sql)
    store = InteractionStore(sql)
    phones = [AgentPhone(a.extension, answer_after=1.0, talk_time=600) for a in settings.agents]
    cfg = SimConfig(
        agents=phones, time_scale=SCALE, recordings_dir=tmp_path / "rec", noanswer_to_hold=True
    )
    cfg.sounds.update(DEMO_PROMPTS)
    try:
        async with Simulator(cfg) as sim:
            settings = dataclasses.replace(
                settings, asterisk=(dataclasses.replace(settings.asterisk[0], port=sim.ami_port),)
            )
            first = Engine(settings, CrmSink(store))
            seen: list[ev.DomainEvent] = []
            first.bus.subscribe(seen.append)
            async with first:
                sim.set_agi_target("127.0.0.1", first.agi_port)
                await first.wait_ready(10)
                cid = sim.place_call(caller(7, key="1"))  # billing
                await until(lambda: _connected(first, cid), 30, "the call connected")
                answer = next(e for e in seen if isinstance(e, ev.CallAnswered))
                rec1 = first.recordings.recorder
                await until(
                    lambda: cid in rec1._calls and rec1._calls[cid].current is not None,
                    10,
                    "the recording started",
                )
                # Talk a while under the first engine (40 model seconds).
                await asyncio.sleep(40 * SCALE)
                before = first.model.calls[cid]
                service, steps = before.service, list(before.ivr_steps)
                wait = answer.waited
            # The first engine is gone mid-talk (what it journalled is what a SIGKILL
            # leaves: every line is flushed as written). The talk goes on meanwhile.
            await asyncio.sleep(10 * SCALE)
            second = Engine(settings, CrmSink(store))
            ended: list[ev.CallEnded] = []
            second.bus.subscribe(ended.append, ev.CallEnded)
            async with second:
                sim.set_agi_target("127.0.0.1", second.agi_port)
                await second.wait_ready(10)
                await until(lambda: _connected(second, cid), 10, "the call adopted, connected")
                await asyncio.sleep(20 * SCALE)
                ch = next(
                    c
                    for c in sim.pbx.channels.values()
                    if c.name == second.model.caller_channel(cid)
                )
                sim.dialplan.ami_hangup(ch, 16)
                await until(lambda: any(e.call_id == cid for e in ended), 10, "the call to end")
                await until(lambda: second.writer.written >= 1, 10, "the row written")
                reg = second.recordings.registry

                def done() -> bool:
                    call = reg.call(cid)
                    return call is not None and call["ended_at"] is not None

                await until(done, 30, "the recording stored")
                segs = reg.segments(cid)
                errors = second.recordings.recorder.errors
            row = await asyncio.to_thread(store.get_interaction, cid)
    finally:
        sql.dispose()
    assert row is not None
    assert row.service == service == "billing"
    assert [s["node"] for s in row.ivr_steps] == [s["node"] for s in steps] != []
    assert row.wait_seconds == pytest.approx(wait, abs=0.05)
    # Talk counted from the answer under the first engine: 40 + 10 + 20 model seconds.
    assert row.talk_seconds >= 70 * SCALE * 0.95, row.talk_seconds
    assert row.agent_answered == answer.agent
    # One recording, the first engine's, finished by the second: nothing overwritten.
    assert errors == 0
    assert [(s["seq"], s["status"]) for s in segs] == [(1, "stored")], segs
    path = tmp_path / "rec" / segs[0]["name"]
    assert wav_seconds(path) == pytest.approx(segs[0]["duration"], abs=0.001)
    # The whole talk: as long as the row's talk time (both real seconds).
    assert segs[0]["duration"] == pytest.approx(row.talk_seconds, abs=0.25)


async def test_a_new_segment_after_a_restart_never_reuses_a_number(tmp_path: Path) -> None:
    """The caller's channel changed while no engine watched (a transfer): the next
    segment takes the next number, the earlier file is kept."""
    from recordings.config import RecordingsConfig
    from recordings.recorder import Recorder
    from recordings.registry import Registry
    from recordings.schema import create_tables

    sql = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    create_schema(sql)
    create_tables(sql)
    reg = Registry(sql)
    reg.ensure_call("9.1", 1.0)
    reg.add_segment("9.1", 1, "mix", "9.1-1.wav", channel="old;2", agent="1001", started_at=1.0)

    class Reply:
        ok = True

    class Ami:  # the two actions the recorder sends, answered as Asterisk does
        def __init__(self) -> None:
            self.sent: list[tuple[str, dict[str, str]]] = []

        async def send(self, action: str, fields: dict[str, str]) -> Reply:
            self.sent.append((action, fields))
            return Reply()

    class Model:
        def __init__(self) -> None:
            self.calls: dict[str, object] = {}

        def recording_channel(self, call_id: str) -> str:
            return "new;2"

    ami = Ami()
    rec = Recorder(
        RecordingsConfig(directory=str(tmp_path)), reg, Model(), lambda: ami, lambda e: None
    )
    await rec._start_segment("9.1", "1002", 5.0)
    files = [f["File"] for a, f in ami.sent if a == "MixMonitor"]
    assert files == [str(tmp_path / "9.1-2.wav")]
    assert [(s["seq"], s["name"]) for s in reg.segments("9.1")] == [
        (1, "9.1-1.wav"),
        (2, "9.1-2.wav"),
    ]
    sql.dispose()


async def test_asterisk_on_another_host_writes_its_path_and_the_engine_reads_its_mount(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.integration.enginekit import rig

    spool = tmp_path / "asterisk-host" / "monitor"  # where Asterisk writes
    spool.mkdir(parents=True)
    mount = tmp_path / "engine-host" / "monitor"  # the same spool, mounted on the engine
    mount.parent.mkdir(parents=True)
    mount.symlink_to(spool, target_is_directory=True)
    write_config(tmp_path, transcribe=False, directory=str(mount), asterisk_directory=str(spool))
    settings = dataclasses.replace(settings_for(tmp_path), source=str(tmp_path / "site.yaml"))
    phones = [AgentPhone(a.extension, answer_after=0.5, talk_time=20) for a in settings.agents]
    caplog.set_level(logging.ERROR, logger="recordings.recorder")
    async with rig(tmp_path, time_scale=0.02, phones=phones, settings=settings) as r:
        handler = r.sim.server.handler
        files: list[str] = []
        real = handler.do_mixmonitor

        def spy(s, a, aid):  # type: ignore[no-untyped-def]
            files.append(a["File"][0])
            return real(s, a, aid)

        handler.do_mixmonitor = spy
        cid = r.sim.place_call(caller(3, "1"))
        await stored(r, cid)
        [seg] = r.engine.recordings.registry.segments(cid)
        assert files == [str(spool / seg["name"])], "Asterisk is given its own path"
        assert seg["status"] == "stored" and seg["duration"] > 0.3  # 20 model s at 0.02

        # The mount is down when the next call ends: a clear error, the segment missing...
        mount.unlink()
        mount.mkdir()
        cid2 = r.sim.place_call(caller(4, "1"))
        await stored(r, cid2)
        [seg2] = r.engine.recordings.registry.segments(cid2)
        assert seg2["status"] == "missing"
        assert any("not found" in rec.getMessage() for rec in caplog.records)
        # ...until it is back: verify registers the file it now sees.
        shutil.rmtree(mount)
        mount.symlink_to(spool, target_is_directory=True)
        report = verify_files(r.engine.recordings.config, r.engine.recordings.registry)
        assert seg2["name"] in report.recovered
        again = r.engine.recordings.registry.segment(seg2["id"])
        assert again is not None and again["status"] == "stored" and again["duration"] > 0.3
