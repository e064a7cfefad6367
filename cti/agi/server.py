"""The FastAGI server: Asterisk's ``AGI(agi://engine/<route>)`` lands in a handler.

Each connection is a task the server tracks; ``close()`` cancels them and waits. A peer
that stalls, closes early or sends garbage costs one logged line and its socket, and a
handler that raises costs its own call only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Self

from cti.agi.channel import (
    AgiChannel,
    AgiConnectionLost,
    AgiError,
    AgiHangup,
    log_fields,
    read_event,
)
from cti.agi.environment import AgiEnvironment
from cti.agi.errors import AgiProtocolError, RemoteProtocolError
from cti.agi.protocol import DEFAULT_MAX_ENV_SIZE, DEFAULT_MAX_LINE_SIZE, AgiConnection

Handler = Callable[[AgiChannel], Awaitable[None]]

log = logging.getLogger("cti.agi.server")


class FastAgiServer:
    """Serve FastAGI on ``host:port``; ``routes`` maps the URL path (``ivr``) to a handler.

    ``command_timeout`` bounds the wait for each reply (None: no bound; a command can
    override it), ``env_timeout`` the time a new peer has to send its whole environment.
    """

    def __init__(
        self,
        routes: Mapping[str, Handler],
        host: str = "127.0.0.1",
        port: int = 4573,
        *,
        command_timeout: float | None = 300.0,
        env_timeout: float = 10.0,
        close_timeout: float = 5.0,
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
        max_env_size: int = DEFAULT_MAX_ENV_SIZE,
        backlog: int = 512,
    ) -> None:
        self._routes = MappingProxyType(dict(routes))
        self._host = host
        self._port = port
        self._command_timeout = command_timeout
        self._env_timeout = env_timeout
        self._close_timeout = close_timeout
        self._max_line_size = max_line_size
        self._max_env_size = max_env_size
        self._backlog = backlog
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def port(self) -> int:
        """The bound port (the real one when constructed with ``port=0``)."""
        if self._server is None:
            raise RuntimeError("FastAgiServer is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def active_sessions(self) -> int:
        return len(self._tasks)

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("FastAgiServer already started")
        self._closing = False
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, backlog=self._backlog
        )
        log.info("fastagi listening host=%s port=%d", self._host, self.port)

    async def close(self) -> None:
        """Stop listening, cancel every session and wait for them."""
        server, self._server = self._server, None
        if server is None:
            return
        self._closing = True
        server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        await server.wait_closed()
        log.info("fastagi closed sessions_cancelled=%d", len(tasks))

    async def serve_forever(self) -> None:
        """Serve until cancelled (e.g. as a task of the engine's TaskGroup), then close.

        Let it do the start too: a task cancelled before its first step never runs its
        ``finally``, and a server started outside would then stay open."""
        if self._server is None:
            await self.start()
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            await self.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ sessions

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback, not a coroutine: the task is created and tracked here, in
        # connection_made, so close() can never miss a session that has not run yet.
        if self._closing:
            writer.transport.abort()
            return
        task = asyncio.create_task(self._session(reader, writer), name="fastagi-session")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer(writer)
        conn = AgiConnection(max_line_size=self._max_line_size, max_env_size=self._max_env_size)
        graceful = False
        try:
            env = await self._read_environment(conn, reader, peer)
            if env is not None:
                await self._dispatch(env, conn, reader, writer)
            graceful = True
        finally:
            await self._release(writer, graceful)

    async def _read_environment(
        self, conn: AgiConnection, reader: asyncio.StreamReader, peer: str
    ) -> AgiEnvironment | None:
        try:
            async with asyncio.timeout(self._env_timeout):
                event = await read_event(conn, reader)
        except TimeoutError:
            log.warning(
                "fastagi peer=%s sent no complete environment within %ss (got %d bytes)",
                peer,
                self._env_timeout,
                conn.bytes_received,
                extra={"peer": peer},
            )
            return None
        except (RemoteProtocolError, AgiConnectionLost) as exc:
            # A bare connect-and-close is a health check; anything else is worth a warning.
            level = logging.DEBUG if conn.bytes_received == 0 else logging.WARNING
            log.log(level, "fastagi peer=%s rejected: %s", peer, exc, extra={"peer": peer})
            return None
        if not isinstance(event, AgiEnvironment):  # the codec yields nothing else first
            log.warning("fastagi peer=%s unexpected first event %r", peer, event)
            return None
        return event

    async def _dispatch(
        self,
        env: AgiEnvironment,
        conn: AgiConnection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        extra = log_fields(env)
        channel = AgiChannel(env, conn, reader, writer, command_timeout=self._command_timeout)
        handler = self._routes.get(env.route)
        if handler is None:
            route = env.route[:80]  # the peer chose it: keep the log line bounded
            log.warning("fastagi no route route=%r channel=%s", route, env.channel, extra=extra)
            # Say why in Asterisk's console too; the dialplan then sees the script end.
            with contextlib.suppress(AgiError, AgiProtocolError):
                await channel.verbose(
                    f"FastAGI: no route {env.route!r}", reply_timeout=self._env_timeout
                )
            return
        log.info(
            "fastagi session start route=%s channel=%s uniqueid=%s",
            env.route,
            env.channel,
            env.uniqueid,
            extra=extra,
        )
        try:
            await handler(channel)
        except AgiHangup as exc:
            log.info(
                "fastagi session ended by hangup channel=%s: %s", env.channel, exc, extra=extra
            )
        except (AgiError, AgiProtocolError) as exc:
            log.warning("fastagi session failed channel=%s: %s", env.channel, exc, extra=extra)
        except Exception:
            # The boundary of one call: log it with its id and keep serving the others.
            log.exception(
                "fastagi handler failed route=%s channel=%s uniqueid=%s",
                env.route,
                env.channel,
                env.uniqueid,
                extra=extra,
            )
        else:
            log.info("fastagi session done channel=%s", env.channel, extra=extra)

    async def _release(self, writer: asyncio.StreamWriter, graceful: bool) -> None:
        transport = writer.transport
        try:
            if graceful:
                writer.close()
            else:
                transport.abort()  # cancelled or failed: do not wait on the peer
            async with asyncio.timeout(self._close_timeout):
                await writer.wait_closed()
        except TimeoutError:
            transport.abort()
        except OSError:
            pass
        except BaseException:
            transport.abort()
            raise


def _peer(writer: asyncio.StreamWriter) -> str:
    info = writer.get_extra_info("peername")
    if isinstance(info, tuple) and len(info) >= 2:
        return f"{info[0]}:{info[1]}"
    return str(info)
