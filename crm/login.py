"""Password logins for the web form and the REST API: throttled, even in timing, and
hashed in a small pool of their own.

Why a pool of its own: argon2 is built to cost ~0.1 s of CPU and 64 MB per check. Run in
the default executor it queues ahead of the database work of calls (recordings, the
interaction writer), so a login flood used to cost calls their records. Here at most
``hash_workers`` checks run at once and at most ``hash_queue`` wait; the next attempt is
refused at once (:class:`Busy`, HTTP 503) without touching a thread.

A refused attempt is answered after ``refusal_delay`` (0.5 s) of idle waiting, so a
client retrying in a tight loop cannot turn refusals into a CPU load.

Throttling (the ``limits`` library, moving windows, per process): failures are counted
per username and per client address; past the limit every attempt is refused with
:class:`Throttled` (HTTP 429 with Retry-After) before any hash is checked, so the right
password does not get in either until the window has moved on. A success clears the
username's failures. Unknown and inactive users are checked against a dummy hash, so the
answer takes as long as for a real user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine

from crm.auth import AuthError, issue_token, verify_password
from crm.model.organization import User
from crm.uow import Clock, UnitOfWork, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginPolicy:
    user_failures: int = 5  # wrong passwords per username within the window, then locked
    ip_failures: int = 50  # per client address (a call center's agents may share one NAT)
    window_s: int = 900
    # At most half the cores check passwords (argon2 is CPU-bound and releases the GIL):
    # the other half stays with calls however many logins arrive.
    hash_workers: int = field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2))
    hash_queue: int = 4  # checks allowed to wait for a worker; more are refused (503)
    # A refused attempt (429/503) is answered after this pause: it costs no CPU while it
    # waits, and a client that retries in a loop is held to a few tries a second.
    refusal_delay: float = 0.5


class Throttled(AuthError):
    """Too many failures for this username or address; try again after ``retry_after``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"登录失败次数过多，请在 {retry_after} 秒后再试 / "
            f"too many failed logins; try again in {retry_after} s"
        )
        self.retry_after = retry_after


class Busy(AuthError):
    """Every password-check slot is taken; try again in a moment."""

    retry_after = 1

    def __init__(self) -> None:
        super().__init__(
            "登录人数过多，请稍后再试 / too many logins at once; try again in a moment"
        )


def _lower_priority() -> None:
    """Run this hashing thread at nice 10 (Linux schedules threads one by one): when the
    CPU is short, the event loop that carries the calls goes first."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class LoginGate:
    """One per process, shared by the login form and ``POST /api/login``."""

    def __init__(
        self,
        engine: Engine,
        *,
        policy: LoginPolicy | None = None,
        hasher: PasswordHasher | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self.policy = policy or LoginPolicy()
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        p = self.policy
        self._per_user = RateLimitItemPerSecond(p.user_failures, p.window_s)
        self._per_ip = RateLimitItemPerSecond(p.ip_failures, p.window_s)
        self._pool = ThreadPoolExecutor(
            p.hash_workers, thread_name_prefix="login-hash", initializer=_lower_priority
        )
        self._inflight = 0
        self._dummy: str | None = None
        self.refused_busy = 0
        self.refused_throttled = 0

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _retry_after(self, username: str, remote: str) -> int | None:
        waits = []
        for item, key in ((self._per_user, f"u:{username}"), (self._per_ip, f"ip:{remote}")):
            if not self._limiter.test(item, key):
                reset = self._limiter.get_window_stats(item, key).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits) if waits else None

    def _fail(self, username: str, remote: str) -> None:
        for item, key in ((self._per_user, f"u:{username}"), (self._per_ip, f"ip:{remote}")):
            if not self._limiter.hit(item, key):
                continue
            if not self._limiter.test(item, key):
                log.warning("login locked after repeated failures", extra={"key": key})

    def _check(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            if self._dummy is None:
                self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
            verify_password(self._dummy, password, self.hasher)  # same cost as a real user
            return False
        return verify_password(password_hash, password, self.hasher)

    async def login(self, username: str, password: str, remote: str) -> tuple[str, User]:
        """(bearer token, user), or :class:`AuthError` (:class:`Throttled`, :class:`Busy`)."""
        wait = self._retry_after(username, remote)
        if wait is not None:
            self.refused_throttled += 1
            await asyncio.sleep(self.policy.refusal_delay)
            raise Throttled(wait)
        if self._inflight >= self.policy.hash_workers + self.policy.hash_queue:
            self.refused_busy += 1
            await asyncio.sleep(self.policy.refusal_delay)
            raise Busy()
        self._inflight += 1
        try:
            user = await asyncio.to_thread(self._read_user, username)
            usable = user is not None and user.active
            stored = user.password_hash if usable and user is not None else None
            loop = asyncio.get_running_loop()
            good = await loop.run_in_executor(self._pool, self._check, stored, password)
        finally:
            self._inflight -= 1
        if not good or user is None:
            self._fail(username, remote)
            await asyncio.to_thread(self._audit_failure, username, remote)
            raise AuthError("wrong username or password")
        self._limiter.clear(self._per_user, f"u:{username}")
        token = await asyncio.to_thread(self._issue, user)
        return token, user

    def _read_user(self, username: str) -> User | None:
        with UnitOfWork(self.engine, clock=self.clock, write=False) as uow:
            return uow.users.by_username(username)

    def _audit_failure(self, username: str, remote: str) -> None:
        with UnitOfWork(self.engine, clock=self.clock) as uow:
            uow.audit(username, "auth.login_failed", "user", username, {"remote": remote})
            uow.commit()

    def _issue(self, user: User) -> str:
        with UnitOfWork(self.engine, clock=self.clock) as uow:
            token = issue_token(uow, user)
            uow.commit()
        return token
