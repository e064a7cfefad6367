"""Prometheus metrics: ``/metrics`` in the text exposition format.

Each engine gets its own ``CollectorRegistry`` (never prometheus_client's global one), so
two engines in one process (tests, a multi-node rig) do not share counters. Two kinds of
figures:

* counted as they happen, from the bus: calls started, calls ended by reason;
* read at scrape time from the objects that already keep them (AMI sessions, the call
  model, the router, the interaction writer, the journal), so the hot paths pay nothing
  and the figures cannot drift from what the engine itself believes.

``/metrics`` bypasses the web login (Prometheus cannot log in); when the environment
variable ``CTI_METRICS_TOKEN`` is set, a scrape must send it as a bearer token.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cti import events as ev
from cti.callstate import CallState

if TYPE_CHECKING:
    from cti.engine import Engine

log = logging.getLogger(__name__)

PATH = "/metrics"
TOKEN_ENV = "CTI_METRICS_TOKEN"
DB_PROBE_TIMEOUT = 2.0  # a scrape must answer even while the database hangs


class EngineMetrics:
    """The engine's registry and the two counters fed from the bus."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.calls_started = Counter(
            "cti_calls_started", "Calls the engine saw begin.", registry=self.registry
        )
        self.calls_ended = Counter(
            "cti_calls_ended",
            "Calls ended, by reason (completed, abandoned, ivr_hangup, no_agent, ...).",
            ["reason"],
            registry=self.registry,
        )
        self.state = _EngineCollector(engine)
        self.registry.register(self.state)

    def on_event(self, event: Any) -> None:
        if isinstance(event, ev.CallStarted):
            self.calls_started.inc()
        elif isinstance(event, ev.CallEnded):
            self.calls_ended.labels(event.reason or "unknown").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def install(engine: Engine) -> EngineMetrics:
    """Create the engine's metrics and subscribe them to its bus (the one engine hook)."""
    metrics = EngineMetrics(engine)
    engine.bus.subscribe(metrics.on_event, ev.CallStarted, ev.CallEnded)
    return metrics


class _EngineCollector(Collector):
    """Figures read from the engine's own objects at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Set by the /metrics handler before each scrape (the probe needs an await,
        # collect() cannot); None until a database is known.
        self.database_up: float | None = None
        self.database_probe_seconds = 0.0

    def describe(self) -> Iterator[Metric]:
        return iter(())  # dynamic families: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        e = self._engine
        live = e.model.live()
        states = GaugeMetricFamily("cti_calls_live", "Live calls by state.", labels=["state"])
        for state in CallState:
            if state is not CallState.ENDED:
                states.add_metric([state.value], sum(1 for s in live.values() if s is state))
        yield states
        yield GaugeMetricFamily(
            "cti_calls_waiting",
            "Calls waiting for an agent.",
            value=sum(1 for s in live.values() if s is CallState.WAITING),
        )
        yield self._agents()
        yield from self._ami()
        w = e.writer
        yield CounterMetricFamily(
            "cti_interaction_writes", "Interaction rows written (new).", value=w.written
        )
        yield CounterMetricFamily(
            "cti_interaction_duplicates",
            "Interaction writes that found the call id already there (replays).",
            value=w.duplicates,
        )
        yield CounterMetricFamily(
            "cti_interaction_write_failures",
            "Failed interaction write attempts (each is retried).",
            value=w.failures,
        )
        yield GaugeMetricFamily(
            "cti_interaction_backlog", "Interactions queued for the database.", value=w.backlog
        )
        yield GaugeMetricFamily(
            "cti_journal_depth",
            "Interactions journaled locally and not yet acknowledged by the database.",
            value=e.journal.depth,
        )
        yield CounterMetricFamily(
            "cti_bus_handler_errors",
            "Bus subscribers that raised (delivery went on).",
            value=e.bus.handler_errors,
        )
        errors = CounterMetricFamily(
            "cti_task_errors",
            "Steps of long-lived tasks that raised; logged, and the task went on.",
            labels=["task"],
        )
        recorder = getattr(getattr(e, "recordings", None), "recorder", None)
        for task, value in (
            ("ami_events", e.event_errors),
            ("routing", e.router.errors),
            ("interaction_writer", e.writer.errors),
            ("recorder", getattr(recorder, "errors", 0)),
        ):
            errors.add_metric([task], value)
        yield errors
        if self.database_up is not None:
            yield GaugeMetricFamily(
                "cti_database_up", "1 if SELECT 1 on the CRM database worked.", self.database_up
            )
            yield GaugeMetricFamily(
                "cti_database_probe_seconds",
                "How long the database probe took.",
                value=self.database_probe_seconds,
            )

    def _agents(self) -> GaugeMetricFamily:
        from routing.model import AgentState

        family = GaugeMetricFamily("cti_agents", "Agents by state.", labels=["state"])
        agents = self._engine.router.router.agents.values()
        for state in AgentState:
            family.add_metric([state.value], sum(1 for a in agents if a.state is state))
        return family

    def _ami(self) -> Iterator[Metric]:
        sessions = self._engine.sessions
        up = GaugeMetricFamily(
            "cti_ami_up", "1 if the AMI link is logged in and resynced.", labels=["server"]
        )
        events = CounterMetricFamily(
            "cti_ami_events_received",
            "AMI events received (rate() gives events/s).",
            labels=["server"],
        )
        reconnects = CounterMetricFamily(
            "cti_ami_reconnects", "AMI reconnections after the first connect.", labels=["server"]
        )
        garbage = CounterMetricFamily(
            "cti_ami_garbage", "AMI messages that could not be parsed.", labels=["server"]
        )
        for name, s in sessions.items():
            up.add_metric([name], 1.0 if s.ready.is_set() else 0.0)
            events.add_metric([name], s.events_received)
            reconnects.add_metric([name], max(s.connects - 1, 0))
            garbage.add_metric([name], s.garbage_received)
        yield from (up, events, reconnects, garbage)
        yield CounterMetricFamily(
            "cti_ami_resyncs", "Call-model resyncs after a (re)connect.", value=self._engine.resyncs
        )


def probe_database(sql: Any) -> None:
    """``SELECT 1`` on the CRM database; raises when it is unreachable."""
    with sql.connect() as conn:
        conn.execute(text("SELECT 1"))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def mount_metrics(app: web.Application, engine: Engine, database: Any = None) -> None:
    """Serve ``/metrics`` ahead of the login middleware; ``database`` (a SQLAlchemy
    engine, optional) is probed at each scrape for ``cti_database_up``."""
    metrics: EngineMetrics = engine.metrics
    token = os.environ.get(TOKEN_ENV, "")

    async def scrape(request: web.Request) -> web.Response:
        if token and not hmac.compare_digest(
            request.headers.get("Authorization", ""), f"Bearer {token}"
        ):
            return web.Response(status=401, text="metrics token missing or wrong\n")
        if database is not None:
            await refresh_database_state(metrics, database)
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    @web.middleware
    async def metrics_first(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Prometheus has no session cookie: answer /metrics before the login check.
        if request.path == PATH and request.method in ("GET", "HEAD"):
            return await scrape(request)
        return await handler(request)

    app.middlewares.insert(0, metrics_first)
    app.router.add_get(PATH, scrape)


async def refresh_database_state(metrics: EngineMetrics, database: Any) -> None:
    """Probe the database (bounded in time) and keep the result for the next collect."""
    state = metrics.state
    started = time.monotonic()
    try:
        async with asyncio.timeout(DB_PROBE_TIMEOUT):
            await asyncio.to_thread(probe_database, database)
        state.database_up = 1.0
    except (TimeoutError, OSError, SQLAlchemyError) as exc:  # down or hanging: a figure
        state.database_up = 0.0
        log.info("database probe failed", extra={"error": repr(exc)})
    state.database_probe_seconds = round(time.monotonic() - started, 4)
