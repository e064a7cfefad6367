"""The engine: one object, opened with ``async with``, that owns every long-lived task.

Wiring happens here and only here: the call model, bus, AMI sessions (one per Asterisk),
FastAGI server, routing executor, interaction writer and web app are built from the
settings and handed their dependencies. ``async with Engine(...)`` starts them in a
TaskGroup; leaving the block stops them, drains the interaction writer, and closes the
database, so SIGTERM loses no write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from cti import events as ev
from cti.agi.server import FastAgiServer
from cti.ami.session import AmiSession
from cti.bus import InProcessBus
from cti.calls import CallModel, SnapshotChannel
from cti.callstate import journey
from cti.interactions import InteractionSink, InteractionWriter
from cti.journal import Journal
from cti.metrics import install as install_metrics
from cti.settings import Settings
from ivr.wiring import build_ivr
from routing.executor import RoutingExecutor

log = logging.getLogger(__name__)


class Engine:
    def __init__(
        self,
        settings: Settings,
        sink: InteractionSink,
        *,
        clock: Callable[[], float] = time.time,
        web_app_factory: Callable[[Engine], Any] | None = None,
        agi_routes: dict[str, Any] | None = None,
        authenticate: Any = None,
        crm_store: Any = None,
        background: Sequence[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = (),
        cluster: Any = None,
    ) -> None:
        # -- cluster hook (issue 8): an object with ``may_act() -> bool`` (the node's lease,
        # cti/cluster/lease.py). While it says no, no AMI action leaves this engine.
        self.cluster = cluster
        self.authenticate = authenticate
        # Long-lived jobs of other parts (the CRM's announcement scheduler, ...): the
        # engine owns their tasks like its own, so they start and stop with it.
        self._background = tuple(background)
        self.settings = settings
        self.clock = clock
        self.bus = InProcessBus()
        dp = settings.dialplan
        self.model = CallModel(
            hold_contexts=(dp.hold_context,),
            agent_contexts=(dp.agent_context,),
            endpoints=settings.agent_endpoints(),
        )
        # IVR flows from config/ivr, validated here (before any file is opened): a broken
        # flow stops the start-up with file, line and node.
        self.ivr = build_ivr(settings, self.model, self.bus, clock=clock, crm_store=crm_store)
        self.journal = Journal(settings.journal_path)
        self.writer = InteractionWriter(sink, self.journal)
        self.bus.subscribe(self.writer.on_call_ended, ev.CallEnded)
        # Calls a previous run saw start but not end: the first resync accounts for them.
        # What the journal kept of them (service, IVR steps, wait, answer time) carries on:
        # a restart mid-call does not lose the journey (issue 11 finding 2).
        for call_id, info in self.journal.orphans():
            self.model.adopt(
                call_id,
                str(info.get("caller_number", "")),
                str(info.get("caller_name", "")),
                float(info.get("started_at") or clock()),
                journey=info,
            )
        self.bus.subscribe(
            self._journal_live,
            ev.CallStarted,
            ev.IvrEntered,
            ev.IvrStepTaken,
            ev.CallQueued,
            ev.AgentRinging,
            ev.CallAnswered,
            ev.CallTransferred,
        )
        # -- metrics (issue 8): a per-engine Prometheus registry fed from the bus.
        self.metrics = install_metrics(self)
        self.sessions: dict[str, AmiSession] = {}
        for ami in settings.asterisk:
            self.sessions[ami.name] = AmiSession(
                ami,
                on_event=self._on_ami_event,
                on_connect=self._resync,
                on_disconnect=self._on_disconnect,
                clock=clock,
            )
        routes = {**{route: self.ivr for route in self.ivr.routes}, **(agi_routes or {})}
        self.agi = FastAgiServer(routes, settings.fastagi_host, settings.fastagi_port)
        self.router = RoutingExecutor(
            settings, self.model, self.bus, self._primary_ami, clock=clock
        )
        # -- recordings (issue 7): registry, recorder, transcription, retention; it
        # subscribes itself to the bus and its task runs in the group below.
        from recordings.service import RecordingsService

        self.recordings = RecordingsService.for_engine(self)
        self._web_app_factory = web_app_factory
        self.web_runner: Any = None
        self.web_port: int | None = None
        self.resyncs = 0
        self.event_errors = 0
        # Raw AMI events for the web side's watchers (the desk's browser phones), after
        # the model and routing; each is called as listener(event, now).
        self.ami_listeners: list[Any] = []
        self._group: asyncio.TaskGroup | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    # ---- AMI plumbing ------------------------------------------------------------------
    def _primary_ami(self) -> AmiSession | None:
        if self.cluster is not None and not self.cluster.may_act():  # cluster hook: fenced
            return None
        for session in self.sessions.values():
            if session.connected.is_set():
                return session
        return None

    def _journal_live(self, event: ev.DomainEvent) -> None:
        if isinstance(event, ev.CallTransferred):
            if event.merged_call_id:
                self.journal.drop_live(event.merged_call_id)
            return
        call = self.model.calls.get(event.call_id)
        if call is None:
            return
        info = {
            "caller_number": call.caller_number,
            "caller_name": call.caller_name,
            "started_at": call.started_at,
            **journey(call),
        }
        # Marked at the start, and again once the caller id is known (Originate and many
        # trunks set it after the channel exists).
        if isinstance(event, ev.CallStarted) or self.journal.live_info(call.call_id) != info:
            self.journal.mark_live(call.call_id, info)

    def _on_ami_event(self, event: Any, now: float) -> None:
        try:
            for domain_event in self.model.apply(event, now):
                self.bus.publish(domain_event)
            # After the model, so the call is known when (say) its virtual-hold key arrives.
            self.router.on_ami_event(event, now)
            for listener in self.ami_listeners:
                listener(event, now)
        except Exception:
            # One odd event must not take the AMI session (and every call) down with it.
            self.event_errors += 1
            log.exception("AMI event not applied", extra={"event": event.name})

    async def _resync(self, session: AmiSession) -> None:
        """After every (re)connect: make the call model equal Asterisk's channels again."""
        self.model.begin_resync()
        result = await session.send("CoreShowChannels", timeout=30)
        rows = [SnapshotChannel.from_event(e) for e in result.events]
        before = set(self.model.live())
        changes = self.model.reconcile(rows, self.clock())
        ended = sum(isinstance(c, ev.CallEnded) for c in changes)
        found = sum(isinstance(c, ev.CallStarted) for c in changes)
        self.bus.publish_all(changes)
        await self._resync_queues(session)
        self.resyncs += 1
        self.bus.publish(
            ev.AmiResynced(
                self.clock(), session.settings.name, len(self.model.live()), ended, found
            )
        )
        log.info(
            "ami resynced",
            extra={
                "server": session.settings.name,
                "channels": len(rows),
                "live_before": len(before),
                "ended_while_away": ended,
                "found_while_away": found,
            },
        )

    async def _resync_queues(self, session: AmiSession) -> None:
        result = await session.send("QueueStatus", timeout=30)
        members, waiting = [], []
        for e in result.events:
            if e.name == "QueueMember":
                members.append(
                    ev.QueueMemberState(
                        e.get("Queue"),
                        e.get("Location") or e.get("StateInterface"),
                        e.get("Name"),
                        _int(e.get("Status")),
                        e.get("Paused") == "1",
                        _int(e.get("CallsTaken")),
                    )
                )
            elif e.name == "QueueEntry":
                waiting.append((e.get("Queue"), e.get("Channel"), _int(e.get("Wait"))))
        self.bus.publish(
            ev.QueuesResynced(self.clock(), session.settings.name, tuple(members), tuple(waiting))
        )

    def _on_disconnect(self, session: AmiSession, reason: str) -> None:
        self.bus.publish(ev.AmiDisconnected(self.clock(), session.settings.name, reason))

    # ---- lifecycle ---------------------------------------------------------------------
    async def __aenter__(self) -> Engine:
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            await stack.enter_async_context(self.agi)
            group = await stack.enter_async_context(asyncio.TaskGroup())
            stack.push_async_callback(self._stop_tasks)
            self._group = group
            self._tasks = [
                group.create_task(self.writer.run(), name="interaction-writer"),
                group.create_task(self.router.run(), name="routing"),
                group.create_task(self.recordings.run(), name="recordings"),  # issue 7
            ]
            self._tasks += [
                group.create_task(s.run(), name=f"ami-{name}") for name, s in self.sessions.items()
            ]
            self._tasks += [group.create_task(job(), name=name) for name, job in self._background]
            if self._web_app_factory is not None:
                await self._start_web(stack)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def _start_web(self, stack: contextlib.AsyncExitStack) -> None:
        from aiohttp import web

        app = self._web_app_factory(self)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        from cti.web import ssl_context

        site = web.TCPSite(
            runner,
            self.settings.web_host,
            self.settings.web_port,
            ssl_context=ssl_context(self.settings),
        )
        await site.start()
        self.web_runner = runner
        addresses = runner.addresses  # the bound (host, port), also for port 0
        self.web_port = addresses[0][1] if addresses else self.settings.web_port

    async def _stop_tasks(self) -> None:
        # Drain what the writer holds before cancelling it: every ended call lands.
        # cluster hook: a node without its lease cannot write; its records stay journalled
        # (and in the shared journal) for the active node, so waiting for them is useless.
        fenced = self.cluster is not None and not self.cluster.may_act()
        drained = await self.writer.drain(timeout=0.0 if fenced else 3.0)
        if not drained:
            log.error(
                "interaction writer did not drain; records stay in the journal",
                extra={"backlog": self.writer.backlog},
            )
        for session in self.sessions.values():
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await session.stop()
        for task in self._tasks:
            if not task.get_name().startswith("ami-"):
                task.cancel()
        for task in self._tasks:  # AMI sessions return on their own after stop()
            if task.get_name().startswith("ami-") and not task.done():
                try:
                    async with asyncio.timeout(2.0):
                        await asyncio.shield(task)
                except TimeoutError:
                    task.cancel()

    async def __aexit__(self, *exc: object) -> None:
        stack, self._stack = self._stack, None
        try:
            if stack is not None:
                await stack.aclose()
        finally:
            self.journal.close()

    async def wait_ready(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            for session in self.sessions.values():
                await session.ready.wait()

    @property
    def agi_port(self) -> int:
        return self.agi.port


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
