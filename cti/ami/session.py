"""The AMI session: one TCP link to one Asterisk, kept alive and brought back.

Why not panoramisk's Manager: it decodes each chunk on its own (Chinese names split
across reads are lost), reconnects after a fixed 2 s with no resync, never checks the
ping's reply, and fires handlers as forgotten tasks. This session keeps the pure codec
and correlator for the wire and adds: login (plain or MD5 challenge), replies matched
by ActionID with timeouts, a keep-alive whose pong must arrive in time, reconnect with
capped and jittered backoff that resets after a good connection, and an ``on_connect``
hook that the engine uses to resync its call model after every (re)connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass

from cti.ami.correlation import ActionResult, Correlator
from cti.ami.protocol import (
    AmiParser,
    Event,
    FieldValue,
    Garbage,
    Greeting,
    LocalProtocolError,
    RemoteProtocolError,
    Response,
    encode_action,
)
from cti.ami.wanted import ENGINE_EVENTS
from cti.ratelog import Summary

log = logging.getLogger(__name__)


class AmiError(Exception):
    pass


class AmiNotConnected(AmiError):
    """An action was sent while the link is down; the caller decides whether to retry."""


class AmiConnectionLost(AmiError):
    pass


class AmiAuthError(AmiError):
    pass


class AmiTimeout(AmiError):
    pass


class AmiActionInvalid(AmiError, LocalProtocolError):
    """The action holds what AMI cannot carry (a line break in a value, a lone
    surrogate): nothing was sent. Both an :class:`AmiError`, so every caller that
    handles a failed action handles it (logs, counts, goes on), and the codec's typed
    :class:`LocalProtocolError`."""


@dataclass(frozen=True, slots=True)
class AmiSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "cti"
    secret: str = ""
    md5_auth: bool = False
    name: str = "default"
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 15.0
    ping_timeout: float = 5.0

    def __repr__(self) -> str:  # never print the secret
        return (
            f"AmiSettings(name={self.name!r}, host={self.host!r}, port={self.port}, "
            f"username={self.username!r}, secret='***')"
        )


def backoff(
    initial: float = 0.25, factor: float = 2.0, cap: float = 30.0, rng: random.Random | None = None
) -> Iterator[float]:
    """Delays for reconnecting: a random start, growing by ``factor``, capped; "full
    jitter" so a fleet of engines does not reconnect in lockstep after an Asterisk
    restart."""
    rnd = rng or random.Random()
    delay = initial
    while True:
        yield rnd.uniform(delay / 2, delay)
        delay = min(cap, delay * factor)


EventHandler = Callable[[Event, float], None]
ConnectHook = Callable[["AmiSession"], Awaitable[None]]
DisconnectHook = Callable[["AmiSession", str], None]


class AmiSession:
    def __init__(
        self,
        settings: AmiSettings,
        *,
        on_event: EventHandler,
        on_connect: ConnectHook | None = None,
        on_disconnect: DisconnectHook | None = None,
        backoff_factory: Callable[[], Iterator[float]] = backoff,
        clock: Callable[[], float] = time.time,
        only_events: frozenset[str] | None = ENGINE_EVENTS,
    ) -> None:
        self.settings = settings
        self._on_event = on_event
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._backoff_factory = backoff_factory
        self._clock = clock
        self._only = only_events
        self._writer: asyncio.StreamWriter | None = None
        self._correlator = Correlator()
        self._futures: dict[str, asyncio.Future[ActionResult]] = {}
        self._ids = itertools.count(1)
        self.connected = asyncio.Event()
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()  # logged in and resynced
        self.version = ""  # the AMI protocol's, from the banner ("11.0.0")
        self.pbx_version = ""  # Asterisk's own, from CoreSettings ("22.10.1")
        self.connects = 0
        self.events_received = 0
        self.garbage_received = 0
        self._garbage_log = Summary(interval=10.0)

    # ---- public ----------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, and reconnect until :meth:`stop` (or cancellation)."""
        delays = self._backoff_factory()
        while not self._stopping.is_set():
            reason = "closed"
            started = time.monotonic()
            try:
                await self._connect_once()
            except (OSError, AmiError, RemoteProtocolError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                was_up = self.connected.is_set()
                self._teardown()
                if was_up and self._on_disconnect is not None:
                    self._on_disconnect(self, reason)
            if self._stopping.is_set():
                return
            if time.monotonic() - started > 10 * self.settings.ping_interval or was_up:
                delays = self._backoff_factory()  # a good connection resets the backoff
            delay = next(delays)
            log.warning(
                "ami link %s down (%s); reconnecting in %.2fs",
                self.settings.name,
                reason,
                delay,
                extra={"server": self.settings.name, "reason": reason, "retry_in": round(delay, 3)},
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopping.wait()

    async def stop(self) -> None:
        """Log off and make :meth:`run` return at its next safe point. Preferred over
        cancelling it, which could cut a connect halfway and leak its socket."""
        self._stopping.set()
        await self.close()

    async def send(
        self,
        action: str,
        fields: Mapping[str, FieldValue] | None = None,
        *,
        timeout: float | None = None,
    ) -> ActionResult:
        if not self.connected.is_set():
            raise AmiNotConnected(f"AMI {self.settings.name} is not connected")
        return await self._send(action, fields, timeout=timeout)

    async def _send(
        self,
        action: str,
        fields: Mapping[str, FieldValue] | None = None,
        *,
        timeout: float | None = None,
    ) -> ActionResult:
        writer = self._writer
        if writer is None or writer.is_closing():
            raise AmiNotConnected(f"AMI {self.settings.name} is not connected")
        action_id = f"cti-{next(self._ids)}"
        try:
            # Encoded before anything is registered: a refused action leaves no state.
            data = encode_action(action, action_id, fields)
        except LocalProtocolError as exc:
            raise AmiActionInvalid(f"{action} not sent: {exc}") from exc
        future: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        self._futures[action_id] = future
        self._correlator.expect(action_id)
        writer.write(data)
        try:
            async with asyncio.timeout(timeout or self.settings.action_timeout):
                return await future
        except TimeoutError:
            raise AmiTimeout(f"no reply to {action} within the timeout") from None
        finally:
            self._futures.pop(action_id, None)
            self._correlator.forget(action_id)

    async def close(self) -> None:
        writer = self._writer
        if writer is not None and not writer.is_closing():
            with contextlib.suppress(AmiError, OSError):
                await self._send("Logoff", timeout=1.0)
        self._teardown()

    # ---- one connection ----------------------------------------------------------------
    async def _connect_once(self) -> None:
        s = self.settings
        async with asyncio.timeout(s.connect_timeout):
            reader, writer = await asyncio.open_connection(s.host, s.port)
        self._writer = writer
        if self._stopping.is_set():
            return
        parser = AmiParser(only_events=self._only)
        try:
            async with asyncio.timeout(s.connect_timeout):
                pending = await self._read_greeting(reader, parser)
            async with asyncio.TaskGroup() as group:
                reader_task = group.create_task(self._read_loop(reader, parser, pending))
                await self._login()
                self.connects += 1
                self.connected.set()
                log.info("ami connected", extra={"server": s.name, "version": self.version})
                pinger = group.create_task(self._keepalive())
                # Not awaited here: a PBX slow to answer must not hold up the connection.
                asked = group.create_task(self._read_pbx_version())
                if self._on_connect is not None:
                    await self._on_connect(self)
                self.ready.set()
                await reader_task
                pinger.cancel()
                asked.cancel()
        except* AmiConnectionLost as group_exc:
            raise group_exc.exceptions[0] from None
        except* (OSError, RemoteProtocolError, AmiError, TimeoutError) as group_exc:
            raise group_exc.exceptions[0] from None

    async def _read_pbx_version(self) -> None:
        """The banner names the AMI protocol version, not Asterisk's: ask CoreSettings.
        A PBX that will not say is still connected; the version just stays unknown."""
        try:
            result = await self._send("CoreSettings")
        except (AmiError, TimeoutError) as exc:
            log.info("ami: no CoreSettings answer", extra={"error": str(exc)})
            return
        self.pbx_version = (result.response.get("AsteriskVersion") or "") if result.ok else ""

    async def _read_greeting(self, reader: asyncio.StreamReader, parser: AmiParser) -> list:
        while True:
            data = await reader.read(65536)
            if not data:
                raise AmiConnectionLost("closed before the banner")
            messages = parser.feed(data)
            if messages:
                first = messages[0]
                if not isinstance(first, Greeting):
                    raise AmiError("peer is not an Asterisk manager (no banner)")
                self.version = first.version
                return messages[1:]

    async def _login(self) -> None:
        s = self.settings
        if s.md5_auth:
            challenge = await self._send("Challenge", {"AuthType": "md5"})
            key = hashlib.md5((challenge.response.get("Challenge") + s.secret).encode()).hexdigest()
            result = await self._send(
                "Login", {"AuthType": "md5", "Username": s.username, "Key": key}
            )
        else:
            result = await self._send("Login", {"Username": s.username, "Secret": s.secret})
        if not result.ok:
            raise AmiAuthError(f"login as {s.username!r} refused: {result.response.message}")

    async def _read_loop(
        self, reader: asyncio.StreamReader, parser: AmiParser, pending: list
    ) -> None:
        self._dispatch(pending)
        while True:
            data = await reader.read(65536)
            if not data:
                raise AmiConnectionLost("Asterisk closed the connection")
            self._dispatch(parser.feed(data))

    def _dispatch(self, messages: list) -> None:
        now = self._clock()
        for msg in messages:
            if isinstance(msg, Event):
                done = self._correlator.on_event(msg)
                if done is None:
                    self.events_received += 1
                    self._on_event(msg, now)
                elif done is not True:
                    self._resolve(*done)
            elif isinstance(msg, Response):
                done = self._correlator.on_response(msg)
                if done is not None:
                    self._resolve(*done)
            elif isinstance(msg, Garbage):
                self.garbage_received += 1
                # A peer may send hundreds a second: the first at once, then one line
                # per interval with how many there were.
                if count := self._garbage_log.hit():
                    log.warning(
                        "ami garbage ignored",
                        extra={"reason": msg.reason, "size": len(msg.raw), "count": count},
                    )

    def _resolve(self, action_id: str, result: ActionResult) -> None:
        future = self._futures.get(action_id)
        if future is not None and not future.done():
            future.set_result(result)

    async def _keepalive(self) -> None:
        s = self.settings
        while True:
            await asyncio.sleep(s.ping_interval)
            try:
                result = await self.send("Ping", timeout=s.ping_timeout)
            except AmiTimeout:
                raise AmiConnectionLost("keep-alive: no pong in time") from None
            if not result.ok:
                raise AmiConnectionLost(f"keep-alive refused: {result.response.message}")

    def _teardown(self) -> None:
        self.connected.clear()
        self.ready.clear()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        self._correlator.clear()
        for future in self._futures.values():
            if not future.done():
                future.set_exception(AmiConnectionLost("connection lost before the reply"))
        self._futures.clear()
