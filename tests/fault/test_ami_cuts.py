"""Ten AMI link cuts under load: the simulator drops the engine's connection again and
again while queue calls flow; every resync makes the model equal the PBX again and
every call the engine could know is written exactly once.

The truth comes from an independent AMI observer on the same PBX. A call that began and
ended inside one outage cannot be known from AMI; it is counted, not asserted (with the
short test backoff outages last ~0.1 s, so there are usually none).

Sizes: CTI_FAULT_SCALE=5 multiplies the load and the cuts (the bench run).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from cti import events as ev
from cti.simulator import Simulator
from cti.simulator.load import run_load
from tests.fault.kit import Observer, figures, until
from tests.integration.enginekit import rig

SCALE = float(os.environ.get("CTI_FAULT_SCALE", "1"))
CUTS = int(10 * SCALE)
TIME_SCALE = 0.05


def sample(text: str, name: str) -> float:
    return sum(
        s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name
    )


def cut_all_but(sim: Simulator, obs: Observer) -> int:
    """Abort every AMI link into the simulator except the observer's, which must see all."""
    writer = obs.session._writer  # the observer's socket, to tell its link apart
    assert writer is not None
    mine = writer.get_extra_info("sockname")[1]
    cut = 0
    for link in list(sim.server.sessions):
        if link.writer.get_extra_info("peername")[1] != mine:
            link.abort()
            cut += 1
    return cut


async def test_ten_ami_link_cuts_under_load(tmp_path: Path) -> None:
    async with rig(tmp_path, time_scale=TIME_SCALE) as r, Observer(r.sim.ami_port).running() as obs:
        session = r.engine.sessions["sim"]
        outages: list[tuple[float, float]] = []
        resync_times: list[float] = []

        async def cut_repeatedly() -> None:
            for _ in range(CUTS):
                await until(lambda: len(r.sim.live_calls()) >= 3, 20, "calls in flight")
                before = r.engine.resyncs
                t_cut = time.time()
                assert cut_all_but(r.sim, obs) == 1
                resync_times.append(
                    await until(lambda b=before: r.engine.resyncs > b, 10, "reconnect + resync")
                )
                outages.append((t_cut, time.time()))
                # Hold the link up a moment so calls move on between cuts.
                seen = len(r.ended)
                await until(lambda n=seen: len(r.ended) >= n + 5, 20, "calls ending")

        async with asyncio.TaskGroup() as group:
            load = group.create_task(run_load(r.sim, 1.0, 10, 200 * SCALE, drain_timeout=120))
            group.create_task(cut_repeatedly())
        report = load.result()
        truth = obs.ended()
        assert obs.unbroken, "the observer saw every event"

        def unknowable(started: float, ended: float) -> bool:
            return any(a <= started and ended <= b for a, b in outages)

        expected = {cid for cid, c in truth.items() if not unknowable(c.started, c.ended or 0)}
        t0 = time.monotonic()
        await until(lambda: expected <= {e.call_id for e in r.ended}, 30, "every call ended")
        await until(lambda: r.engine.writer.written >= len(expected), 30, "rows written")
        reconcile = time.monotonic() - t0
        rows = await asyncio.to_thread(r.store.count_interactions)
        ended_ids = [e.call_id for e in r.ended]
        text = r.engine.metrics.exposition().decode()
    lost = expected - set(ended_ids)
    duplicated = len(ended_ids) - len(set(ended_ids))
    figures(
        "ami_link_cuts",
        cuts=len(outages),
        calls_placed=report.placed,
        calls_observed=len(truth),
        expected=len(expected),
        unknowable_inside_an_outage=len(truth) - len(expected),
        written=rows,
        lost=len(lost),
        duplicated=duplicated,
        resync_seconds_max=round(max(resync_times), 3),
        resync_seconds_mean=round(sum(resync_times) / len(resync_times), 3),
        reconcile_seconds_after_load=round(reconcile, 3),
        ami_events_received=sample(text, "cti_ami_events_received_total"),
    )
    assert len(outages) == CUTS
    assert not lost, sorted(lost)[:10]
    assert duplicated == 0
    assert rows == len(set(ended_ids)) and set(ended_ids) <= set(truth), "no row invented"
    assert session.connects == CUTS + 1
    assert sample(text, "cti_ami_reconnects_total") == CUTS
    assert sample(text, "cti_calls_ended_total") == len(ended_ids)
    assert sample(text, "cti_interaction_writes_total") == rows
    assert sum(isinstance(e, ev.AmiResynced) for e in r.events) == CUTS + 1
