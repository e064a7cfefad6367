"""PostgreSQL (the CRM database) is stopped under load and started again.

A real throwaway PostgreSQL cluster holds the CRM. While it is down the engine goes on
handling calls: every ended call is journaled locally (``cti_journal_depth`` grows,
``cti_database_up`` says 0) and the writer retries with its production backoff; once
the server is back the journal drains and every call is in the database exactly once.

Sizes: the default run stops PostgreSQL for 5 s; CTI_PG_OUTAGE_SECONDS=30 is the bench
run (``.venv/bin/pytest -s tests/fault/test_pg_outage.py`` prints the figures).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections import Counter
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from crm.db import make_engine
from cti.metrics import EngineMetrics, refresh_database_state
from cti.simulator.load import run_load
from tests.fault.kit import figures, until
from tests.integration.crm.postgres import Cluster, start_cluster
from tests.integration.enginekit import rig, settings_for

OUTAGE = float(os.environ.get("CTI_PG_OUTAGE_SECONDS", "5"))
TIME_SCALE = 0.05


def pg_ctl(cluster: Cluster, action: str) -> None:
    """Stop or start the same cluster (its data stays): PostgreSQL going away and back."""
    args = [str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data), "-w", "-t", "60"]
    if action == "stop":
        cluster._run(*args, "-m", "fast", "stop")
    else:
        options = (
            f"-p {cluster.port} -k {cluster.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c max_connections=50"
        )
        cluster._run(*args, "-o", options, "-l", str(cluster.root / "log"), "start")


async def database_up(metrics: EngineMetrics, sql: object) -> float:
    await refresh_database_state(metrics, sql)
    text_ = metrics.exposition().decode()
    return next(
        s.value
        for f in text_string_to_metric_families(text_)
        for s in f.samples
        if s.name == "cti_database_up"
    )


async def test_postgresql_stopped_under_load(tmp_path: Path) -> None:
    cluster = await asyncio.to_thread(start_cluster)
    try:
        url = cluster.url("postgres")
        settings = dataclasses.replace(settings_for(tmp_path), database_url=url)
        probe_sql = make_engine(url)
        async with rig(tmp_path, time_scale=TIME_SCALE, settings=settings) as r:
            engine = r.engine
            model_seconds = (OUTAGE + 8) / TIME_SCALE
            figures_: dict[str, float] = {}

            async def outage() -> None:
                await until(lambda: engine.writer.written >= 20, 30, "rows landing")
                assert await database_up(engine.metrics, probe_sql) == 1.0
                await asyncio.to_thread(pg_ctl, cluster, "stop")
                t_stop = time.monotonic()
                ended_before = len(r.ended)
                await until(lambda: engine.journal.depth >= 10, 30, "calls journaled")
                assert await database_up(engine.metrics, probe_sql) == 0.0
                # The outage itself (its length is the scenario, not a wait for a state).
                await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - t_stop)))
                figures_["journal_depth_at_restart"] = engine.journal.depth
                figures_["calls_ended_during_outage"] = len(r.ended) - ended_before
                figures_["write_failures_during_outage"] = engine.writer.failures
                await asyncio.to_thread(pg_ctl, cluster, "start")
                t_up = time.monotonic()
                figures_["outage_seconds"] = round(t_up - t_stop, 2)
                await until(lambda: engine.journal.depth == 0, 60, "journal drained")
                figures_["journal_drained_seconds_after_restart"] = round(
                    time.monotonic() - t_up, 2
                )
                assert await database_up(engine.metrics, probe_sql) == 1.0

            async with asyncio.TaskGroup() as group:
                load = group.create_task(run_load(r.sim, 1.0, 10, model_seconds, drain_timeout=120))
                group.create_task(outage())
            report = load.result()
            ended = Counter(e.call_id for e in r.ended)
            await until(lambda: engine.journal.depth == 0, 60, "journal drained at the end")
            await until(lambda: engine.writer.written >= len(ended), 60, "every row written")

            def rows() -> dict[str, int]:
                with probe_sql.connect() as conn:
                    q = text("select call_id, count(*) from interactions group by call_id")
                    return {cid: n for cid, n in conn.execute(q)}

            written = await asyncio.to_thread(rows)
        probe_sql.dispose()
    finally:
        await asyncio.to_thread(cluster.stop)
    lost = set(ended) - set(written)
    duplicated = [cid for cid, n in written.items() if n > 1] + [
        cid for cid, n in ended.items() if n > 1
    ]
    figures(
        "postgresql_outage",
        calls_placed=report.placed,
        expected=len(ended),
        written=len(written),
        lost=len(lost),
        duplicated=len(duplicated),
        **figures_,
    )
    assert report.placed == len(ended)
    assert figures_["calls_ended_during_outage"] >= 10
    assert figures_["write_failures_during_outage"] >= 1
    assert not lost, sorted(lost)[:10]
    assert not duplicated
    assert set(written) == set(ended), "no row invented"
