"""The same call through the simulator and through a real Asterisk 22, compared field by
field in the interaction row the engine writes (issue 11, "What to build" 4).

Scenario: a caller (13600001111, 李四) reaches the shipped IVR (cti-inbound -> cti-ivr),
keys 2 (repairs); the only ready agent, 1002, is reached over a Local channel (dial string
``Local/2002@test-agents``), rings 1 s, answers, talks 4 s and hangs up. Real Asterisk:
a Local-channel caller Originated into cti-inbound with parties.conf's ``test-caller``.
Simulator: the same caller into its shipped cti-ivr, at time scale 1 (real seconds).

Every field of the row is compared except those listed in ``MUST_DIFFER``, each with the
reason it cannot be equal.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from crm.model.interaction import InteractionRecord
from cti.demo import DEMO_PROMPTS
from cti.settings import Settings, load_settings
from cti.simulator import AgentPhone, CallerSpec
from tests.asterisk.pbx import AMI_SECRET
from tests.asterisk.rig import SITE, real_rig, until
from tests.integration.enginekit import rig

NUMBER, NAME = "13600001111", "李四"
TALK = 4.0

# field -> why it cannot be equal between two runs of the same call
MUST_DIFFER = {
    "call_id": "Asterisk's Linkedid: <boot epoch>.<counter> of each PBX's own first channel",
    "started_at": "wall-clock time of each run",
    "ended_at": "wall-clock time of each run",
    "recording_refs": "file names are <call id>-<n>.wav; compared as names with the id cut",
    "extra.timeline": "timestamps of each run; the sequence of states is compared instead",
}
# Real seconds measured on two PBXs: equal within a tolerance, not to the millisecond.
APPROX = {"wait_seconds": 1.0, "talk_seconds": 1.0, "hold_seconds": 0.01, "wrapup_seconds": 0.01}


def _local_agent(s: Settings) -> Settings:
    agents = tuple(
        dataclasses.replace(a, dial="Local/2002@test-agents") if a.id == "a1002" else a
        for a in s.agents
    )
    return dataclasses.replace(s, agents=agents)


def _flat(row: InteractionRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(row):
        value = getattr(row, f.name)
        if f.name == "extra":
            for k, v in value.items():
                out[f"extra.{k}"] = v
        else:
            out[f.name] = value
    out["ivr_steps"] = [
        {k: v for k, v in step.items() if k != "at"} for step in row.ivr_steps
    ]  # the step's time is the run's clock
    out["extra.timeline states"] = [state for state, _ in row.extra.get("timeline") or []]
    out["recording names"] = [
        re.sub(r"^.*?-(\d+\.wav)$", r"<call>-\1", n) for n in row.recording_refs
    ]
    return out


async def _real(tmp: Path) -> InteractionRecord:
    async with real_rig(tmp, agents_on=("a1002",), settings_hook=_local_agent) as r:
        reply = await r.obs.action(
            [("Action", "Originate"), ("ActionID", "cmp-caller"),
             ("Channel", "Local/4008001234@cti-inbound"), ("Context", "test-caller"),
             ("Exten", "s"), ("Priority", "1"), ("CallerID", f"{NAME} <{NUMBER}>"),
             ("Variable", "CTI_KEYS=2"), ("Variable", "CTI_TALK=30"), ("Async", "true")]
        )  # fmt: skip
        assert reply.ok, reply
        await until(r.ended, 40, "the real call to end")
        row = await r.wait_row(r.ended()[0].call_id)
        await until(lambda: bool(r.row(row.call_id).recording_refs), 20, "recording refs")
        # One recording owner (finding 7): the engine's file, and no empty second one from
        # the dialplan, in Asterisk's whole spool.
        files = sorted(p.name for p in r.pbx.monitor.iterdir())
        assert files == [f"{row.call_id}-1.wav"], files
        return r.row(row.call_id)


async def _sim(tmp: Path) -> InteractionRecord:
    os.makedirs(tmp, exist_ok=True)
    with mock.patch.dict(os.environ, {"CTI_AMI_SECRET": AMI_SECRET, "CTI_WEB_SECRET": "x"}):
        base = load_settings(SITE, base=tmp)
    settings = _local_agent(
        dataclasses.replace(
            base,
            source="<test>",
            # the simulator's AMI user (rig() points it at the simulator's port)
            asterisk=(dataclasses.replace(base.asterisk[0], host="127.0.0.1", secret="ctisecret"),),
            fastagi_host="127.0.0.1",
            fastagi_port=0,
            database_url=f"sqlite:///{tmp / 'crm.sqlite3'}",
            journal_path=str(tmp / "journal.jsonl"),
            recordings_dir=str(tmp / "rec"),
            wrap_up_seconds=0.0,
        )
    )
    phones = [AgentPhone("2002", answer_after=1.0, talk_time=TALK)]
    async with rig(tmp, time_scale=1.0, phones=phones, settings=settings) as r:
        r.sim.install_sounds(DEMO_PROMPTS)
        for agent in settings.agents:
            if agent.id != "a1002":
                r.engine.router.command(agent.id, "logout")
        cid = r.sim.place_call(
            CallerSpec(NUMBER, NAME, entry="ivr", dtmf=["2"], language="zh", patience=30)
        )
        await until(lambda: cid in r.ended_ids(), 40, "the simulated call to end")
        await until(lambda: r.engine.writer.written >= 1, 20, "the row written")

        def refs() -> bool:
            row = r.store.get_interaction(cid)
            return row is not None and bool(row.recording_refs)

        await until(refs, 20, "recording refs")
        row = r.store.get_interaction(cid)
        assert row is not None
        return row


async def test_the_same_call_gives_the_same_row_on_the_simulator_and_on_asterisk(
    tmp_path: Path, asterisk_build: Path
) -> None:
    real = _flat(await _real(tmp_path / "real"))
    sim = _flat(await _sim(tmp_path / "sim"))
    assert real["service"] == "repair" and real["agent_answered"] == "1002", real
    compared, differ = [], []
    for name in sorted(set(real) | set(sim)):
        if name in MUST_DIFFER:
            continue
        a, b = real.get(name), sim.get(name)
        tolerance = APPROX.get(name)
        same = a == b if tolerance is None else a == pytest.approx(b, abs=tolerance)
        compared.append(name)
        if not same:
            differ.append(f"{name}: real={a!r} simulator={b!r}")
    assert not differ, "fields that differ:\n" + "\n".join(differ)
    # Not a vacuous comparison: the journey's fields were there to compare.
    for name in ("caller_number", "caller_name", "service", "ivr_steps", "agents_offered",
                 "agent_answered", "end_reason", "extra.hangup_cause",
                 "extra.timeline states", "recording names", "talk_seconds"):  # fmt: skip
        assert name in compared
    assert real["ivr_steps"] and real["recording names"] == ["<call>-1.wav"]
    assert real["talk_seconds"] == pytest.approx(TALK, abs=1.0)
