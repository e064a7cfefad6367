"""The engine stops (or dies) while calls are up; the next one accounts for every call."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from crm.db import create_schema, make_engine
from crm.store import InteractionStore
from cti import events as ev
from cti.crm_sink import CrmSink
from cti.demo import DEMO_PROMPTS
from cti.engine import Engine
from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator
from tests.integration.enginekit import settings_for, until


async def test_calls_seen_by_a_dead_engine_are_written_by_the_next(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql = make_engine(settings.database_url)
    create_schema(sql)
    store = InteractionStore(sql)
    # Agents answer at once and talk "for ever" (10 min model time): the test ends calls.
    phones = [AgentPhone(a.extension, answer_after=0.5, talk_time=600) for a in settings.agents]
    cfg = SimConfig(
        agents=phones, time_scale=0.02, recordings_dir=tmp_path / "rec", noanswer_to_hold=True
    )
    cfg.sounds.update(DEMO_PROMPTS)
    try:
        async with Simulator(cfg) as sim:
            settings = dataclasses.replace(
                settings, asterisk=(dataclasses.replace(settings.asterisk[0], port=sim.ami_port),)
            )
            first = Engine(settings, CrmSink(store))
            async with first:
                sim.set_agi_target("127.0.0.1", first.agi_port)
                await first.wait_ready(10)
                gone = sim.place_call(CallerSpec("13800000001", "甲", dtmf=["1"]))
                stays = sim.place_call(CallerSpec("13800000002", "乙", dtmf=["2"]))
                await until(
                    lambda: (
                        {gone, stays}
                        <= {cid for cid, s in first.model.live().items() if s.value == "connected"}
                    ),
                    20,
                    "both calls connected",
                )
            # The engine is gone. One call ends while nobody watches; one goes on.
            ch = next(
                c
                for c in sim.pbx.channels.values()
                if c.call is not None and c.call.linkedid == gone
            )
            sim.dialplan.ami_hangup(ch, 16)
            await until(lambda: gone in sim.ended_calls(), 10, "the unwatched call to end")
            second = Engine(settings, CrmSink(store))
            ended: list[ev.CallEnded] = []
            second.bus.subscribe(ended.append, ev.CallEnded)
            async with second:
                sim.set_agi_target("127.0.0.1", second.agi_port)
                await second.wait_ready(10)
                await until(
                    lambda: any(e.call_id == gone for e in ended), 10, "the lost call accounted for"
                )
                assert stays in second.model.live(), "the live call was found by the resync"
                row = None

                def written() -> bool:
                    nonlocal row
                    row = store.get_interaction(gone)
                    return row is not None

                await until(written, 10, "the lost call's row")
                assert row is not None and row.end_reason == "lost_during_disconnect"
                assert row.caller_number == "13800000001"
                ch = next(
                    c
                    for c in sim.pbx.channels.values()
                    if c.call is not None and c.call.linkedid == stays
                )
                sim.dialplan.ami_hangup(ch, 16)
                await until(lambda: any(e.call_id == stays for e in ended), 10, "second ends")
                await until(lambda: second.writer.written >= 2, 10, "both rows")
            assert store.count_interactions() == 2
            assert [e.call_id for e in ended].count(gone) == 1
    finally:
        sql.dispose()
