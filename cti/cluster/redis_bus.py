"""The event bus across nodes: a Redis Stream as the event log.

:class:`StreamPublisher` (active engine) appends domain events to the stream in batches,
in bus order, and in the same Lua script applies the shared-state changes and checks the
lease value, so a node that lost its lease can append nothing (fencing inside Redis).
Events wait in an outbox while Redis is away and go out, in order, when it is back; after
any outage the hashes are re-seeded from the publisher's own fold, since a Redis restart
without persistence comes back empty.

:class:`RedisEventSource` (web nodes, standby) is an async iterator of ``(stream id,
event)`` from a given id; it reconnects with backoff and resumes after the last id it
yielded. Entries from a lease token lower than one already seen come from a deposed
engine and are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from redis.exceptions import RedisError, ResponseError

from cti import events as ev
from cti.ami.session import backoff
from cti.bus import InProcessBus
from cti.cluster.codec import CodecError, decode, encode
from cti.cluster.lease import RedisLease, token_of
from cti.cluster.shared_state import Keys, LiveState

log = logging.getLogger(__name__)

# KEYS: lease, stream, calls, agents, unwritten. ARGV: lease value, maxlen, token, node,
# n events, n payloads, then (op, field, value) triples.
PUBLISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('NOTLEADER') end
local n = tonumber(ARGV[5])
local last = ''
for i = 6, 5 + n do
  last = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[i], 't', ARGV[3],
                    'n', ARGV[4])
end
local hashes = {c = KEYS[3], a = KEYS[4], u = KEYS[5]}
for i = 6 + n, #ARGV, 3 do
  local op = ARGV[i]
  local key = hashes[string.sub(op, 1, 1)]
  if string.sub(op, 2, 2) == '+' then
    redis.call('HSET', key, ARGV[i + 1], ARGV[i + 2])
  elseif op == '!' then
    redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
  else
    redis.call('HDEL', key, ARGV[i + 1])
  end
end
return last
"""

# A consistent view: both hashes and the stream position they correspond to.
SNAPSHOT = """
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local last = '0-0'
if #top > 0 then last = top[1][1] end
return {last, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3])}
"""

Op = tuple[str, str, str]


class StreamPublisher:
    """Outbox from an engine's bus to the shared stream and hashes."""

    def __init__(
        self,
        redis: Any,
        keys: Keys,
        lease: RedisLease,
        *,
        maxlen: int = 100_000,
        batch: int = 500,
        backoff_factory: Callable[[], Iterator[float]] = lambda: backoff(0.05, 2.0, 1.0),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.lease = lease
        self.maxlen = maxlen
        self.batch = batch
        self._backoff_factory = backoff_factory
        self.state = LiveState()
        self.unwritten: dict[str, str] = {}  # call id -> encoded CallEnded
        self._outbox: deque[tuple[str | None, Op | None]] = deque()
        self._wake = asyncio.Event()
        self._reseed = True
        self.published = 0
        self.outages = 0
        self.last_id = ""

    # -- inputs (synchronous: called from bus delivery) -------------------------------------
    def on_event(self, event: Any) -> None:
        payload = encode(event)
        self._outbox.append((payload, None))
        for h, field, value in self.state.apply(event):
            self._op(h[0] + ("+" if value is not None else "-"), field, value or "")
        if isinstance(event, ev.CallEnded):
            # The shared journal: until the CRM confirms, any node taking over writes it.
            self.unwritten[event.call_id] = payload
            self._op("u+", event.call_id, payload)
        self._wake.set()

    def written(self, call_id: str) -> None:
        """The CRM has this call's interaction: drop it from the shared journal."""
        if self.unwritten.pop(call_id, None) is not None:
            self._op("u-", call_id, "")
            self._wake.set()

    def _op(self, op: str, field: str, value: str) -> None:
        self._outbox.append((None, (op, field, value)))

    @property
    def backlog(self) -> int:
        return len(self._outbox)

    # -- the task ---------------------------------------------------------------------------
    async def run(self) -> None:
        delays = self._backoff_factory()
        while True:
            if not self._outbox and not self._reseed:
                self._wake.clear()
                await self._wake.wait()
            value = self.lease.value
            if value is None or not self.lease.may_act():
                await asyncio.sleep(self.lease.config.renew_every / 2)  # fenced: wait
                continue
            try:
                if self._reseed:
                    await self._send(value, [], self._seed_ops())
                    self._reseed = False
                n = min(len(self._outbox), self.batch)
                items = [self._outbox[i] for i in range(n)]
                payloads = [p for p, _ in items if p is not None]
                ops = [o for _, o in items if o is not None]
                if items:
                    await self._send(value, payloads, ops)
                for _ in range(n):
                    self._outbox.popleft()
                self.published += len(payloads)
                delays = self._backoff_factory()
            except ResponseError as exc:
                if "NOTLEADER" not in str(exc):
                    raise
                log.warning("stream publish refused: lease not ours")
                await asyncio.sleep(self.lease.config.renew_every / 2)
            except (RedisError, OSError) as exc:
                self.outages += 1
                self._reseed = True  # Redis may have restarted empty
                delay = next(delays)
                log.warning("stream publish failed", extra={"error": repr(exc), "retry": delay})
                await asyncio.sleep(delay)

    def _seed_ops(self) -> list[Op]:
        calls, agents = self.state.dumps()
        ops: list[Op] = [("!", "", "")]
        ops += [("c+", k, v) for k, v in calls.items()]
        ops += [("a+", k, v) for k, v in agents.items()]
        ops += [("u+", k, v) for k, v in self.unwritten.items()]
        return ops

    async def _send(self, value: str, payloads: list[str], ops: list[Op]) -> None:
        k = self.keys
        argv: list[Any] = [value, self.maxlen, token_of(value), self.lease.node_id, len(payloads)]
        argv += payloads
        for op in ops:
            argv += op
        last = await self.redis.eval(
            PUBLISH, 5, k.lease, k.stream, k.calls, k.agents, k.unwritten, *argv
        )
        if last:
            self.last_id = _text(last)

    async def hand_off(self) -> int:
        """Leaving the active role: put every record the CRM has not confirmed into the
        shared journal, unfenced (HSETNX: a record is a fact; writing it twice is absorbed
        by the CRM's idempotency), so whoever is active next writes it."""
        if not self.unwritten:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for call_id, payload in self.unwritten.items():
            pipe.hsetnx(self.keys.unwritten, call_id, payload)
        await pipe.execute()
        return len(self.unwritten)


async def snapshot(redis: Any, keys: Keys) -> tuple[str, dict[str, str], dict[str, str]]:
    last, calls, agents = await redis.eval(SNAPSHOT, 3, keys.stream, keys.calls, keys.agents)
    return _text(last), _pairs(calls), _pairs(agents)


class RedisEventSource:
    """``async for stream_id, event in RedisEventSource(redis, keys, "0-0")``."""

    def __init__(
        self,
        redis: Any,
        keys: Keys,
        start_id: str = "$",
        *,
        block_ms: int = 500,
        count: int = 500,
        backoff_factory: Callable[[], Iterator[float]] = lambda: backoff(0.05, 2.0, 1.0),
        on_reconnect: Callable[[], None] | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.last_id = start_id
        self.block_ms = block_ms
        self.count = count
        self._backoff_factory = backoff_factory
        self.on_reconnect = on_reconnect
        self.max_token = 0
        self.stale_dropped = 0
        self.undecodable = 0
        self.reconnects = 0
        self.run_id: str | None = None
        self.restarted = False  # set when Redis came back as a different server

    def __aiter__(self) -> AsyncIterator[tuple[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[tuple[str, Any]]:
        delays = self._backoff_factory()
        failed = False
        while True:
            try:
                if self.run_id is None or failed:
                    await self._check_server(failed)
                    failed = False
                if self.last_id == "$":
                    last, _, _ = await snapshot(self.redis, self.keys)
                    self.last_id = last
                reply = await self.redis.xread(
                    {self.keys.stream: self.last_id}, count=self.count, block=self.block_ms
                )
                delays = self._backoff_factory()
            except (RedisError, OSError) as exc:
                failed = True
                delay = next(delays)
                log.warning("stream read failed", extra={"error": repr(exc), "retry": delay})
                await asyncio.sleep(delay)
                continue
            for _stream, entries in reply or ():
                for sid, fields in entries:
                    self.last_id = _text(sid)
                    event = self._decode(fields)
                    if event is not None:
                        yield self.last_id, event

    async def _check_server(self, reconnect: bool) -> None:
        info = await self.redis.info("server")
        run_id = str(info.get("run_id"))
        if reconnect:
            self.reconnects += 1
            if self.run_id is not None and run_id != self.run_id:
                # A new server: the ids we remember mean nothing there. Read its stream
                # from the start (it holds only what was published since it started).
                self.restarted = True
                self.last_id = "0-0"
            if self.on_reconnect is not None:
                self.on_reconnect()
        self.run_id = run_id

    def _decode(self, fields: dict[Any, Any]) -> Any:
        f = {_text(k): _text(v) for k, v in fields.items()}
        token = int(f.get("t") or 0)
        if token < self.max_token:
            self.stale_dropped += 1
            return None
        self.max_token = token
        try:
            return decode(f.get("e") or "")
        except CodecError as exc:
            # Not swallowed silently: counted and logged with the entry id.
            self.undecodable += 1
            log.error("undecodable stream entry", extra={"id": self.last_id, "error": str(exc)})
            return None


class RedisBus(InProcessBus):
    """The Bus interface on a web node: subscribers get the events of the shared stream
    (through :meth:`run`) in stream order, plus whatever this node publishes locally."""

    def __init__(self, source: RedisEventSource) -> None:
        super().__init__()
        self.source = source

    async def run(self) -> None:
        async for _sid, event in self.source:
            self.publish(event)


def _pairs(flat: list[Any]) -> dict[str, str]:
    it = iter(flat)
    return {_text(k): _text(v) for k, v in zip(it, it, strict=True)}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
