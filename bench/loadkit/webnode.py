"""A cluster engine node that also serves the web app (login, desk websockets, /metrics).

``python -m cti.cluster.node --role engine`` builds its Engine without a web app, and a
``--role web`` node serves only ``/cluster/live``: no stock node offers the agent desk.
This launcher is the stock engine node (same EngineNode, Redis lease, stream publisher,
agent mirror, fenced CRM sink) with the same web app ``cti run`` mounts, so the bench can
put its agents on the active node. It prints ``ACTIVE web=<port> agi=<port>`` once its
engine holds the lease and its AMI link is ready.

    python -m bench.loadkit.webnode --config site.yaml --node-id a
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import signal
from typing import Any


async def main_async(args: argparse.Namespace) -> int:
    import redis.asyncio as aioredis

    from crm.db import create_schema, make_engine
    from crm.store import InteractionStore
    from cti.cluster.lease import LeaseConfig
    from cti.cluster.node import EngineNode
    from cti.cluster.shared_state import Keys
    from cti.crm_sink import CrmSink
    from cti.engine import Engine
    from cti.settings import load_settings
    from cti.web import make_app
    from cti.webauth import crm_authenticator

    settings = load_settings(args.config)
    assert settings.redis_url, "the site file needs redis: url:"
    redis = aioredis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=1.0, socket_timeout=5.0
    )
    sql = make_engine(settings.database_url)
    await asyncio.to_thread(create_schema, sql)
    store = InteractionStore(sql)
    node_settings = dataclasses.replace(
        settings, journal_path=f"{settings.journal_path}.{args.node_id}"
    )

    def build(fence: Any, sink: Any) -> Engine:
        return Engine(
            node_settings,
            sink,
            cluster=fence,
            crm_store=store,
            web_app_factory=lambda e: make_app(e, crm_sql=sql),
            authenticate=crm_authenticator(sql),
        )

    ttl = 2.0  # as the cluster tests and bench/cluster_failover.py run it
    lease = LeaseConfig(ttl=ttl, renew_every=ttl / 5, poll_every=ttl / 4, margin=ttl / 10)
    node = EngineNode(redis, args.node_id, CrmSink(store), build, keys=Keys("cti"), lease=lease)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def announce() -> None:
        # Polls (at most 10 minutes) until this node's engine is up; a standby never is.
        for _ in range(12000):
            engine = node.engine
            if (
                engine is not None
                and engine.web_port
                and all(s.ready.is_set() for s in engine.sessions.values())
            ):
                print(f"ACTIVE web={engine.web_port} agi={engine.agi_port}", flush=True)
                gc.freeze()  # as `cti run` and `cti node` do once started
                return
            await asyncio.sleep(0.05)

    print(f"NODE {args.node_id} standby", flush=True)
    try:
        async with asyncio.TaskGroup() as tg:
            job = tg.create_task(node.run())
            told = tg.create_task(announce())
            await stop.wait()
            # Cancelled children end the group normally; the engine leaves through its
            # own ``async with`` (drains the writer, closes the web app).
            job.cancel()
            told.cancel()
    finally:
        await redis.aclose()
        sql.dispose()
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--node-id", required=True)
    return asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
