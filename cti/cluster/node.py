"""Cluster nodes: engine candidates (one active, the others hot standbys) and web nodes.

An engine node waits for the lease with its settings loaded, its flows validated and its
database open. Holding the lease it builds and enters an :class:`~cti.engine.Engine`
(AMI connects; the resync rebuilds the calls), then in this order: restores agents'
presence from the shared agent hash, replays the shared journal (CallEnded records no
node has confirmed in the CRM), waits for the first resync, and ends the calls the
previous engine believed live that Asterisk no longer has. When another node holds the
lease it leaves the engine and hands its unconfirmed records to the shared journal.

``python -m cti.cluster.node --config site.yaml --role engine --node-id a``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import hmac
import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from cti import events as ev
from cti.cluster.codec import decode
from cti.cluster.lease import LeaseConfig, RedisLease
from cti.cluster.redis_bus import RedisEventSource, StreamPublisher, snapshot
from cti.cluster.shared_state import Keys, LiveState, agent_changes, ended_while_away

log = logging.getLogger(__name__)


class NotLeader(RuntimeError):
    """A CRM write was attempted by a node that cannot prove its lease."""


class FencedSink:
    """The CRM door of an engine node: refuses to write without the lease, and reports
    each confirmed write so the shared journal can drop it. ``record`` runs in the
    writer's thread, hence the thread-safe hop back to the loop."""

    def __init__(
        self,
        inner: Any,
        may_act: Callable[[], bool],
        on_written: Callable[[str], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.inner, self.may_act, self.on_written, self.loop = inner, may_act, on_written, loop

    def record(self, record: dict[str, Any]) -> bool:
        if not self.may_act():
            raise NotLeader(record.get("call_id"))
        new = bool(self.inner.record(record))
        self.loop.call_soon_threadsafe(self.on_written, record["call_id"])
        return new


EngineFactory = Callable[[Any, Any], Any]  # (cluster fence, sink) -> Engine


class EngineNode:
    def __init__(
        self,
        redis: Any,
        node_id: str,
        sink: Any,
        make_engine: EngineFactory,
        *,
        keys: Keys | None = None,
        lease: LeaseConfig | None = None,
        wall: Callable[[], float] = time.time,
        mirror_every: float = 0.05,
    ) -> None:
        self.redis = redis
        self.node_id = node_id
        self.sink = sink
        self.make_engine = make_engine
        self.keys = keys or Keys()
        self.lease = RedisLease(redis, node_id, prefix=self.keys.prefix, config=lease)
        self.wall = wall
        self.mirror_every = mirror_every
        self.engine: Any = None
        self.terms = 0

    async def _status(self, state: str, **extra: Any) -> None:
        fields = {"state": state, "at": self.wall(), **{k: str(v) for k, v in extra.items()}}
        with contextlib.suppress(OSError, RedisError):
            await self.redis.hset(self.keys.node(self.node_id), mapping=fields)

    async def run(self) -> None:
        while True:
            await self._status("standby")
            await self.lease.acquire()
            self.terms += 1
            await self._term()

    async def _term(self) -> None:
        acquired_at = self.wall()
        _, calls, agents = await snapshot(self.redis, self.keys)
        shared_journal = await self.redis.hgetall(self.keys.unwritten)
        unwritten = {_s(k): _s(v) for k, v in shared_journal.items()}
        publisher = StreamPublisher(self.redis, self.keys, self.lease)
        publisher.state.load(calls, agents)
        publisher.unwritten.update(unwritten)
        believed_live = dict(publisher.state.calls)
        sink = FencedSink(
            self.sink, self.lease.may_act, publisher.written, asyncio.get_running_loop()
        )
        engine = self.make_engine(self.lease, sink)
        self.engine = engine
        _restore_presence(engine, publisher.state.agents)
        engine.bus.subscribe(publisher.on_event)
        resynced = asyncio.Event()
        engine.bus.subscribe(lambda _e: resynced.set(), ev.AmiResynced)
        try:
            async with engine, asyncio.TaskGroup() as tg:
                pub = tg.create_task(publisher.run(), name="stream-publisher")
                mirror = tg.create_task(self._mirror(engine, publisher), name="agent-mirror")
                hold = tg.create_task(self.lease.hold(), name="lease")
                for payload in unwritten.values():
                    engine.writer.on_call_ended(decode(payload))
                await _first(resynced.wait(), hold)
                if not hold.done():
                    gap = ended_while_away(believed_live, engine.model.calls, self.wall())
                    engine.bus.publish_all(gap)
                    await self._record_takeover(acquired_at, len(gap), len(unwritten), engine)
                await hold  # returns when another node holds the lease
                pub.cancel()
                mirror.cancel()
            handed = await publisher.hand_off()
            log.warning("lease lost; engine stopped", extra={"handed_off": handed})
        finally:
            self.engine = None

    async def _record_takeover(self, acquired_at: float, gap: int, replayed: int, engine: Any):
        fields = {
            "node": self.node_id,
            "token": self.lease.state.token,
            "acquired_at": acquired_at,
            "resynced_at": self.wall(),
            "ended_while_away": gap,
            "replayed": replayed,
            "agi_port": engine.agi_port,
        }
        await self._status("active", token=self.lease.state.token, agi_port=engine.agi_port)
        await self.redis.xadd(self.keys.takeovers, {k: str(v) for k, v in fields.items()})

    async def _mirror(self, engine: Any, publisher: StreamPublisher) -> None:
        """Routing has no agent-state events: diff its agents and publish the changes."""
        known = {a: (e.get("state"), e.get("call_id")) for a, e in publisher.state.agents.items()}
        agents = engine.router.router.agents
        while True:
            now = self.wall()
            rows = [(a.id, str(a.state.value), a.call_id) for a in agents.values()]
            for change in agent_changes(known, rows, now):  # type: ignore[arg-type]
                publisher.on_event(change)
            await asyncio.sleep(self.mirror_every)


def _restore_presence(engine: Any, agents: dict[str, dict[str, Any]]) -> None:
    """Agents that were not ready or logged out stay so on the new active node; busy
    states are not restored: the resync tells which calls still hold an agent."""
    for agent_id, entry in agents.items():
        action = {"not_ready": "not_ready", "logged_out": "logout"}.get(entry.get("state", ""))
        if action and agent_id in engine.router.router.agents:
            with contextlib.suppress(Exception):  # a state the router refuses: keep its own
                engine.router.command(agent_id, action)


async def _first(aw: Any, task: asyncio.Task[Any]) -> None:
    waiter = asyncio.ensure_future(aw)
    try:
        await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()


class LiveView:
    """What a web node's pages read: live calls and agents, kept from the stream,
    resuming after its last id on reconnect and reloading the snapshot when Redis came
    back as a new (empty) server."""

    def __init__(self, redis: Any, keys: Keys | None = None) -> None:
        self.redis = redis
        self.keys = keys or Keys()
        self.state = LiveState()
        self.source = RedisEventSource(redis, self.keys)
        self.applied = 0
        self.reloads = 0
        self.ready = asyncio.Event()

    async def _load(self) -> None:
        while True:
            try:
                last, calls, agents = await snapshot(self.redis, self.keys)
                break
            except (OSError, RedisError) as exc:
                log.warning("snapshot failed", extra={"error": repr(exc)})
                await asyncio.sleep(0.1)
        self.state.load(calls, agents)
        self.source.last_id = last
        self.reloads += 1

    async def run(self) -> None:
        await self._load()
        self.ready.set()
        async for _sid, event in self.source:
            if self.source.restarted:
                self.source.restarted = False
                await self._load()
                continue
            self.state.apply(event)
            self.applied += 1


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# -- the launcher --------------------------------------------------------------------------
async def _engine_main(args: argparse.Namespace, settings: Any, redis: Any) -> None:
    from crm.db import create_schema, make_engine
    from crm.store import InteractionStore
    from cti.crm_sink import CrmSink
    from cti.engine import Engine

    sql = make_engine(settings.database_url)
    await asyncio.to_thread(create_schema, sql)
    store = InteractionStore(sql)
    journal = args.journal or f"{settings.journal_path}.{args.node_id}"
    node_settings = dataclasses.replace(settings, journal_path=journal)

    def build(fence: Any, sink: Any) -> Engine:
        return Engine(node_settings, sink, cluster=fence, crm_store=store)

    lease = LeaseConfig(ttl=args.lease_ttl, renew_every=args.lease_ttl / 5,
                        poll_every=args.lease_ttl / 4, margin=args.lease_ttl / 10)  # fmt: skip
    keys = Keys(args.prefix)
    node = EngineNode(redis, args.node_id, CrmSink(store), build, keys=keys, lease=lease)
    print(f"NODE {args.node_id} role=engine standby", flush=True)
    gc.freeze()  # start-up objects live for the run: keep them out of full collections
    try:
        await node.run()
    finally:
        sql.dispose()


def live_handler(view: Any, token: str) -> Any:
    """``/cluster/live`` lists live callers' numbers: only for a caller holding the node's
    bearer token (``CTI_LIVE_TOKEN``); with none configured, nobody reads it."""
    from aiohttp import web

    async def live(request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            raise web.HTTPUnauthorized(
                text="a bearer token (CTI_LIVE_TOKEN) is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return web.json_response({"calls": view.state.calls, "agents": view.state.agents})

    return live


async def _web_main(args: argparse.Namespace, redis: Any) -> None:
    from aiohttp import web

    view = LiveView(redis, Keys(args.prefix))
    app = web.Application()
    app.router.add_get("/cluster/live", live_handler(view, os.environ.get("CTI_LIVE_TOKEN", "")))
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        port = runner.addresses[0][1]
        async with asyncio.TaskGroup() as tg:
            tg.create_task(view.run())
            await view.ready.wait()
            print(f"NODE {args.node_id} role=web port={port}", flush=True)
    finally:
        await runner.cleanup()


async def _main(args: argparse.Namespace) -> int:
    import redis.asyncio as aioredis

    from cti.settings import load_settings

    settings = load_settings(args.config) if args.config else None
    url = args.redis or (settings.redis_url if settings else None)
    if not url:
        raise SystemExit("no Redis URL: give --redis or redis: url: in the site file")
    redis = aioredis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=5.0)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if args.role == "engine":
            main = _engine_main(args, settings, redis)
        else:
            main = _web_main(args, redis)
        async with asyncio.TaskGroup() as tg:
            job = tg.create_task(main)
            await _first(stop.wait(), job)
            job.cancel()
    finally:
        await redis.aclose()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cti.cluster.node")
    p.add_argument("--role", choices=["engine", "web"], required=True)
    p.add_argument("--config", type=Path)
    p.add_argument("--node-id", required=True)
    p.add_argument("--redis")
    p.add_argument("--prefix", default="cti")
    p.add_argument("--lease-ttl", type=float, default=2.0)
    p.add_argument("--journal")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    raise SystemExit(main())
