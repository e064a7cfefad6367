"""Failover bench: SIGKILL the active engine node mid-load; print the failover time and
the lost/duplicated interaction counts (one JSON line).

    .venv/bin/python bench/cluster_failover.py [--rate 4] [--seconds 8] [--kill-after 3]

Starts its own redis-server, PostgreSQL, simulator (this process) and two engine nodes
(`python -m cti.cluster.node`), like tests/integration/cluster/test_failover.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis.asyncio as aioredis

from crm.db import create_schema, make_engine
from tests.integration.cluster import clusterkit as kit
from tests.integration.cluster.redisproc import RedisProcess
from tests.integration.crm.postgres import start_cluster

AGENTS = 12


async def bench(rate: float, seconds: float, kill_after: float) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    pg = start_cluster()
    server = RedisProcess(tmp / "redis")
    server.start()
    redis = aioredis.Redis.from_url(server.url, socket_connect_timeout=0.5)
    sql = make_engine(pg.url("postgres"))
    create_schema(sql)
    nodes: list[kit.Node] = []
    try:
        async with kit.simulator(tmp, AGENTS, answer_after=0.3, talk=2.5) as sim:
            kit.add_members(sim, AGENTS)
            site = kit.write_site(tmp, sim.ami_port, pg.url("postgres"), server.url, AGENTS)
            nodes.append(await kit.start_node(site, "a", tmp))
            await kit.wait_for(lambda: kit.takeovers(redis), 30, "node a active")
            nodes.append(await kit.start_node(site, "b", tmp))

            async def b_standby() -> bool:
                return await redis.hget("cti:node:b", "state") == b"standby"

            await kit.wait_for(b_standby, 30, "node b standby")
            load = kit.Load(sim, rate=rate)
            placing = asyncio.create_task(load.run(seconds))
            try:
                await asyncio.sleep(kill_after)
                killed_at = time.time()
                nodes[0].kill()

                async def by_b() -> list[dict[str, str]]:
                    return [t for t in await kit.takeovers(redis) if t["node"] == "b"]

                took = (await kit.wait_for(by_b, 30, "node b took over"))[0]
            finally:
                await placing
            await sim.wait_until_idle(60)
            ended = sim.ended_calls()

            async def written() -> bool:
                counts = await asyncio.to_thread(kit.crm_counts, sql)
                return set(ended) <= set(counts) and not await redis.hlen("cti:unwritten")

            try:
                await kit.wait_for(written, 20, "all written")
            except AssertionError:
                pass
            counts = await asyncio.to_thread(kit.crm_counts, sql)
            resynced = float(took["resynced_at"])
            lost = [c for c in ended if c not in counts]
            invisible = [c for c in lost if load.wall(ended[c].started) > killed_at
                         and load.wall(ended[c].ended) < resynced]  # fmt: skip
            reasons = await asyncio.to_thread(kit.crm_reasons, sql)
            return {
                "failover_seconds": round(resynced - killed_at, 3),
                "lease_acquired_after": round(float(took["acquired_at"]) - killed_at, 3),
                "calls": len(ended),
                "written": len(counts),
                "lost": len(lost),
                "lost_invisible_in_gap": len(invisible),
                "duplicated": sum(n - 1 for n in counts.values() if n > 1),
                "ended_while_away": int(took["ended_while_away"]),
                "replayed_from_shared_journal": int(took["replayed"]),
                "lost_during_disconnect_rows": sum(
                    r == "lost_during_disconnect" for r in reasons.values()
                ),
            }
    finally:
        for node in nodes:
            await node.stop()
        await redis.aclose()
        server.stop()
        sql.dispose()
        pg.stop()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rate", type=float, default=4.0)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--kill-after", type=float, default=3.0)
    a = p.parse_args()
    print(json.dumps(asyncio.run(bench(a.rate, a.seconds, a.kill_after))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
