"""The event bus: a small interface with an in-process implementation.

Subscribers are plain callables run synchronously in publish order, so the call model,
routing and the CRM writer see events in exactly the order they happened. A subscriber
that must do I/O hands the event to a queue it owns; the bus never creates tasks.
A subscriber that raises is logged and does not stop delivery to the others: one faulty
consumer must not starve the CRM writer of the call's end.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


class Bus(Protocol):
    def publish(self, event: Any) -> None: ...

    def subscribe(self, handler: Handler, *types: type) -> Callable[[], None]: ...


class InProcessBus:
    def __init__(self) -> None:
        self._handlers: list[tuple[Handler, tuple[type, ...]]] = []
        self.published = 0
        self.handler_errors = 0
        self._pending: deque[Any] = deque()
        self._delivering = False

    def subscribe(self, handler: Handler, *types: type) -> Callable[[], None]:
        """Call ``handler`` for events of ``types`` (all events if none given).
        Returns a function that unsubscribes."""
        entry = (handler, types)
        self._handlers.append(entry)

        def unsubscribe() -> None:
            if entry in self._handlers:
                self._handlers.remove(entry)

        return unsubscribe

    def publish(self, event: Any) -> None:
        """Deliver ``event`` to every subscriber. An event published by a subscriber while
        another is being delivered waits until that delivery is complete, so every
        subscriber sees events in one and the same order (a CallEnded before the
        WrapUpCompleted it caused, whoever subscribed first)."""
        self._pending.append(event)
        if self._delivering:
            return
        self._delivering = True
        try:
            while self._pending:
                self._deliver(self._pending.popleft())
        finally:
            self._delivering = False

    def _deliver(self, event: Any) -> None:
        self.published += 1
        for handler, types in tuple(self._handlers):
            if types and not isinstance(event, types):
                continue
            try:
                handler(event)
            except Exception:
                self.handler_errors += 1
                log.exception("bus subscriber %r failed on %s", handler, type(event).__name__)

    def publish_all(self, events: list[Any]) -> None:
        for event in events:
            self.publish(event)
