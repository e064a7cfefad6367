"""The lease that makes one engine node the active one: SET NX PX plus a fencing token.

The holder may act (AMI actions, CRM writes, fenced Redis writes) only while it can prove
the lease *by its own clock*: a grant or renewal sent at local time ``t`` is trusted until
``t + ttl - margin``. Redis starts the key's TTL after it receives the command, so the
holder's belief always ends before the key can expire and another node acquire it; the
margin covers clock-rate drift and a write already in flight. Renewal failing (Redis away)
therefore fences the holder at its deadline without any message from anyone.

Every grant takes a new token from a counter. Writes to Redis check the token inside the
same script (true fencing); readers of the event stream drop entries from a token lower
than one they have seen. The counter lives in Redis, which a restart without persistence
empties, so a node passes the highest token it has seen and the counter never goes back.

:class:`LeaseState` and :class:`AcquirePolicy` are the pure parts (no Redis, no clock
reads); :class:`RedisLease` is the thin shell around them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LeaseConfig:
    ttl: float = 2.0
    renew_every: float = 0.4
    # A standby polls this often and acquires only after seeing the key absent twice in a
    # row, so an incumbent that lost its key to a Redis restart re-takes it first.
    poll_every: float = 0.5
    margin: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.renew_every < self.ttl - self.margin:
            raise ValueError("renew_every must be positive and well inside ttl - margin")


def token_of(value: str | None) -> int:
    if not value:
        return 0
    try:
        return int(value.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return 0


class LeaseState:
    """What this node may believe about its lease, given what Redis answered and when."""

    def __init__(self, config: LeaseConfig) -> None:
        self.config = config
        self.value: str | None = None  # "<node>:<token>" as stored in Redis
        self.holder: str | None = None  # the last value Redis showed, ours or not
        self.deadline = -math.inf
        self.highest_token = 0

    @property
    def token(self) -> int:
        return token_of(self.value)

    def granted(self, value: str, sent_at: float) -> None:
        """Redis confirmed ``value`` for a request sent at ``sent_at`` (local clock)."""
        self.value = value
        self.deadline = sent_at + self.config.ttl - self.config.margin
        self.seen(value)

    def seen(self, value: str | None) -> None:
        self.holder = value
        self.highest_token = max(self.highest_token, token_of(value))

    def refused(self, holder: str | None) -> None:
        """Someone else holds it: stop believing at once."""
        self.value = None
        self.deadline = -math.inf
        self.seen(holder)

    def may_act(self, now: float) -> bool:
        return self.value is not None and now < self.deadline


class AcquirePolicy:
    """When a standby should try to take the lease: after two absent observations in a
    row, or at once when ``eager`` (the node was the holder and is re-taking its own)."""

    def __init__(self) -> None:
        self._absent_before = False

    def should_try(self, absent: bool, *, eager: bool = False) -> bool:
        ready = absent and (eager or self._absent_before)
        self._absent_before = absent
        return ready


_GRANT = """
local t = redis.call('INCR', KEYS[2])
local m = tonumber(ARGV[3])
if t < m then t = m; redis.call('SET', KEYS[2], t) end
local v = ARGV[1] .. ':' .. t
redis.call('SET', KEYS[1], v, 'PX', ARGV[2])
"""

ACQUIRE = (
    """
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
"""
    + _GRANT
    + "return {1, v}"
)

# ARGV[4]: the value we hold. Absent key: Redis restarted (or we renewed late, but then
# we are past our deadline and not acting): take a fresh token rather than the old one.
RENEW = (
    """
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[4] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return {1, cur} end
if cur then return {0, cur} end
"""
    + _GRANT
    + "return {1, v}"
)

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisLease:
    def __init__(
        self,
        redis: Any,
        node_id: str,
        *,
        prefix: str = "cti",
        config: LeaseConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ":" in node_id:
            raise ValueError("node id must not contain ':'")
        self.redis = redis
        self.node_id = node_id
        self.key = f"{prefix}:lease"
        self.counter = f"{prefix}:lease:token"
        self.config = config or LeaseConfig()
        self.state = LeaseState(self.config)
        self.clock = clock
        self._policy = AcquirePolicy()
        self.renewals = 0
        self.failed_renewals = 0

    # -- the fence every action checks ----------------------------------------------------
    def may_act(self) -> bool:
        return self.state.may_act(self.clock())

    @property
    def value(self) -> str | None:
        return self.state.value

    # -- one round trip each ----------------------------------------------------------------
    async def _script(self, script: str, *argv: Any) -> tuple[int, str]:
        sent_at = self.clock()
        ttl_ms = int(self.config.ttl * 1000)
        res = await self.redis.eval(
            script, 2, self.key, self.counter, self.node_id, ttl_ms,
            self.state.highest_token + 1, *argv,
        )  # fmt: skip
        ok, value = int(res[0]), _text(res[1])
        if ok:
            self.state.granted(value, sent_at)
        else:
            self.state.refused(value)
        return ok, value

    async def try_acquire(self, *, eager: bool = False) -> bool:
        holder = _text(await self.redis.get(self.key))
        self.state.seen(holder)
        if not self._policy.should_try(holder is None, eager=eager):
            return False
        ok, _ = await self._script(ACQUIRE)
        return bool(ok)

    async def renew(self) -> bool:
        ok, _ = await self._script(RENEW, self.state.value or "")
        self.renewals += 1
        return bool(ok)

    async def release(self) -> None:
        if self.state.value is not None:
            value = self.state.value
            self.state.refused(None)
            await self.redis.eval(RELEASE, 1, self.key, value)

    # -- loops ------------------------------------------------------------------------------
    async def acquire(self) -> None:
        """Wait until this node holds the lease (Redis errors are waited out)."""
        while True:
            try:
                if await self.try_acquire():
                    return
            except (RedisError, OSError) as exc:
                log.warning("lease poll failed", extra={"error": repr(exc)})
            await asyncio.sleep(self.config.poll_every)

    async def hold(self, on_change: Callable[[bool], None] | None = None) -> None:
        """Renew while holding. Returns when another node holds the lease. Past the local
        deadline (Redis unreachable) this node is fenced; it keeps trying and, if Redis
        comes back with the key absent, takes a fresh token and acts again."""
        acting = self.may_act()
        while True:
            try:
                if self.state.value is not None:
                    ok = await self.renew()
                else:
                    ok = await self.try_acquire(eager=True)
                if not ok and self.state.value is None and self.state.holder is not None:
                    _notify(on_change, acting, False)
                    return
            except (RedisError, OSError) as exc:
                self.failed_renewals += 1
                log.warning("lease renewal failed", extra={"error": repr(exc)})
            now_acting = self.may_act()
            _notify(on_change, acting, now_acting)
            acting = now_acting
            # While fenced retry faster: every moment without a lease is a moment no node acts.
            step = self.config.renew_every if acting else self.config.renew_every / 2
            if acting:
                step = min(step, max(0.0, self.state.deadline - self.clock()))
            await asyncio.sleep(step)


def _notify(cb: Callable[[bool], None] | None, before: bool, after: bool) -> None:
    if cb is not None and before != after:
        cb(after)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
