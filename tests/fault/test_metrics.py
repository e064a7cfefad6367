"""/metrics on the engine's web app: Prometheus text, no login, optional bearer token,
figures that follow the engine (calls, agents by state, AMI, journal, database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from crm.db import make_engine
from cti.web import make_app
from tests.integration.enginekit import caller, rig, until


def samples(text: str) -> dict[str, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


async def test_metrics_follow_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTI_METRICS_TOKEN", "scrape-secret")
    async with rig(tmp_path, time_scale=0.02) as r:
        sql = make_engine(r.engine.settings.database_url)
        client = TestClient(TestServer(make_app(r.engine, crm_sql=sql), host="127.0.0.1"))
        await client.start_server()
        try:
            async with client.get("/metrics") as resp:
                assert resp.status == 401  # the token is set: a scrape must carry it
            ids = [r.sim.place_call(caller(i)) for i in range(3)]
            await until(lambda: r.engine.writer.written == 3, 30, "three calls written")
            headers = {"Authorization": "Bearer scrape-secret"}
            async with client.get("/metrics", headers=headers) as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain")
                m = samples(await resp.text())
        finally:
            await client.close()
            sql.dispose()
    assert len(ids) == 3
    assert m["cti_calls_started_total"] == 3
    assert sum(v for k, v in m.items() if k.startswith("cti_calls_ended_total{")) == 3
    assert m["cti_interaction_writes_total"] == 3
    assert m["cti_journal_depth"] == 0
    assert m["cti_calls_waiting"] == 0
    assert m["cti_ami_up{server=sim}"] == 1
    assert m["cti_ami_events_received_total{server=sim}"] > 30
    assert m["cti_ami_reconnects_total{server=sim}"] == 0
    assert m["cti_database_up"] == 1
    agents = {k: v for k, v in m.items() if k.startswith("cti_agents{")}
    assert "cti_agents{state=ready}" in agents and sum(agents.values()) == len(
        r.engine.router.router.agents
    )
