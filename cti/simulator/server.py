"""The AMI TCP server: banner, login (plain and md5), event filtering, action dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cti.ami.protocol import (
    AmiParser,
    Event,
    Garbage,
    RemoteProtocolError,
    Response,
    encode_greeting,
    encode_headers,
)
from cti.simulator import events as ev
from cti.simulator.events import Pairs

if TYPE_CHECKING:
    from cti.simulator.actions import ActionHandler

Action = dict[str, list[str]]
log = logging.getLogger(__name__)
AUTH_TIMEOUT = 30.0  # seconds, Asterisk's manager.conf authtimeout default


def parse_action(message: object) -> Action:
    raw = b""
    if isinstance(message, Garbage):
        raw = message.raw
    elif isinstance(message, Event | Response):
        return {k: [v] for k, v in message.fields.items()}
    out: Action = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def _tv(ts: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class AmiSession:
    def __init__(
        self, server: AmiServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader, self.writer = reader, writer
        self.user: str | None = None
        self.events_on = True
        self.event_mask: set[str] | None = None
        self.challenge: str | None = None
        self.session_id = f"0x{id(self):x}"
        sock = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        self.local = f"IPV4/TCP/{sock[0]}/{sock[1]}"
        self.remote = f"IPV4/TCP/{peer[0]}/{peer[1]}"
        self.login_tv = ""
        self.closed = False

    def send(self, pairs: Pairs) -> None:
        if not self.closed and not self.writer.is_closing():
            self.writer.write(encode_headers(pairs))

    def deliver(self, pairs: Pairs) -> None:
        if self.user is None or not self.events_on:
            return
        if self.event_mask is not None:
            privilege = pairs[1][1] if len(pairs) > 1 and pairs[1][0] == "Privilege" else ""
            classes = {p.strip().lower() for p in privilege.split(",")}
            if not (classes & self.event_mask) and "all" not in self.event_mask:
                return
        self.send(pairs)

    def security(
        self,
        name: str,
        extra: Pairs,
        *,
        version: str = "1",
        severity: str = "Error",
        account: str = "",
    ) -> Pairs:
        pairs = [
            *ev.head(name),
            ("EventTV", _tv()),
            ("Severity", severity),
            ("Service", "AMI"),
            ("EventVersion", version),
        ]
        if name != "RequestBadFormat":
            pairs.append(("AccountID", account))
        pairs += [
            ("SessionID", self.session_id),
            ("LocalAddress", self.local),
            ("RemoteAddress", self.remote),
        ]
        return pairs + extra

    def abort(self) -> None:
        self.closed = True
        self.writer.transport.abort()

    async def serve(self) -> None:
        self.writer.write(encode_greeting("11.0.0"))
        parser = AmiParser(expect_greeting=False)
        try:
            while not self.closed:
                if self.user is None:
                    # Like Asterisk's manager.conf authtimeout: a connection that does not
                    # log in in time is dropped, so idle sockets cannot pile up.
                    try:
                        async with asyncio.timeout(self.server.auth_timeout):
                            data = await self.reader.read(65536)
                    except TimeoutError:
                        log.info("AMI client did not log in in time; dropped",
                                 extra={"remote": self.remote})
                        break
                else:
                    data = await self.reader.read(65536)
                if not data:
                    break
                try:
                    messages = parser.feed(data)
                except RemoteProtocolError as exc:
                    # An oversized or unframable message: the stream cannot go on. Refused
                    # plainly and the connection closed, never a traceback.
                    log.warning("AMI client message refused; connection closed",
                                extra={"remote": self.remote, "reason": str(exc)})
                    self.send([("Response", "Error"), ("Message", "Message too large")])
                    await self._linger()
                    break
                for message in messages:
                    action = parse_action(message)
                    if not await self.server.handler.handle(self, action):
                        self.closed = True
                        break
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.closed = True
            self.server.sessions.discard(self)
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()

    async def _linger(self, seconds: float = 1.0) -> None:
        """Before closing on a refusal: read and drop what the client is still sending,
        so the close is clean (a close with unread input resets the connection, and the
        client would lose the refusal)."""
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            await self.writer.drain()
            async with asyncio.timeout(seconds):
                while await self.reader.read(65536):
                    pass

    # -- authentication ---------------------------------------------------------------
    async def login(self, action: Action, aid: Pairs) -> bool:
        user = _one(action, "Username")
        users = self.server.users
        ok = False
        if user in users:
            secret = users[user]
            key = _one(action, "Key")
            if _one(action, "AuthType").lower() == "md5" or key:
                digest = hashlib.md5(((self.challenge or "") + secret).encode()).hexdigest()
                ok = self.challenge is not None and key.lower() == digest
            else:
                ok = _one(action, "Secret") == secret
        if not ok:
            name = "InvalidPassword" if user in users else "InvalidAccountID"
            extra: Pairs = [("SessionTV", "1970-01-01T00:00:00.000+0000")]
            if name == "InvalidPassword":
                extra = (
                    [("Challenge", ""), ("ReceivedChallenge", ""), ("ReceivedHash", ""), *extra]
                    if False
                    else extra
                )
            self.server.broadcast_security(
                self.security(
                    name, extra, version="2" if name == "InvalidPassword" else "1", account=user
                )
            )
            await asyncio.sleep(self.server.auth_failure_delay)
            self.send([("Response", "Error"), *aid, ("Message", "Authentication failed")])
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.drain()
            return False
        self.user = user
        events = _one(action, "Events").lower()
        if events == "off":
            self.events_on = False
        elif events and events != "on":
            self.event_mask = {e.strip() for e in events.split(",")}
        self.send([("Response", "Success"), *aid, ("Message", "Authentication accepted")])
        self.login_tv = _tv()
        uptime = str(int(self.server.uptime()))
        booted = [
            *ev.head("FullyBooted"),
            ("Uptime", uptime),
            ("LastReload", uptime),
            ("Status", "Fully Booted"),
        ]
        if self.server.after_login(self, booted):
            self.deliver(booted)
        auth = self.security(
            "SuccessfulAuth",
            [("UsingPassword", "0"), ("SessionTV", self.login_tv)],
            severity="Informational",
            account=user,
        )
        self.server.broadcast_security(auth)
        return True


def _one(action: Action, key: str) -> str:
    for k, values in action.items():
        if k.lower() == key.lower():
            return values[0]
    return ""


class AmiServer:
    def __init__(
        self,
        handler: ActionHandler,
        *,
        host: str,
        port: int,
        users: dict[str, str],
        auth_failure_delay: float,
        uptime: Callable[[], float],
    ) -> None:
        self.handler = handler
        self.host, self.port = host, port
        self.users = users
        self.auth_failure_delay = auth_failure_delay
        self.auth_timeout = AUTH_TIMEOUT
        self.uptime = uptime
        self.sessions: set[AmiSession] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._boot_tasks: set[asyncio.Task[None]] = set()
        self.boot_done = 0.0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AmiSession(self, reader, writer)
        self.sessions.add(session)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await session.serve()
        finally:
            if task is not None:
                self._tasks.discard(task)

    def broadcast(self, pairs: Pairs) -> None:
        for session in list(self.sessions):
            session.deliver(pairs)

    def broadcast_security(self, pairs: Pairs) -> None:
        self.broadcast(pairs)

    def drop_all(self) -> int:
        sessions = list(self.sessions)
        for session in sessions:
            session.abort()
        return len(sessions)

    async def shutdown(self) -> None:
        """Flush and close every session (the Shutdown event gets out), stop listening."""
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.closed = True
            session.writer.close()
        tasks = list(self._tasks) + list(self._boot_tasks)
        for task in self._boot_tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def booting(self, seconds: float) -> None:
        """Logins in the next ``seconds`` (real time) get FullyBooted only when boot ends."""
        self.boot_done = asyncio.get_running_loop().time() + seconds

    def after_login(self, session: AmiSession, pairs: Pairs) -> bool:
        """Deliver FullyBooted now, or when the boot ends; False if deferred."""
        delay = self.boot_done - asyncio.get_running_loop().time()
        if delay <= 0:
            return True

        async def later() -> None:
            await asyncio.sleep(delay)
            session.deliver(pairs)

        task = asyncio.get_running_loop().create_task(later())
        self._boot_tasks.add(task)
        task.add_done_callback(self._boot_tasks.discard)
        return False

    async def stop(self) -> None:
        for task in list(self._boot_tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.abort()
        # Aborted transports end each session's read loop; cancelling the handler tasks
        # instead makes asyncio's stream callback log a CancelledError.
        tasks = list(self._tasks)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
