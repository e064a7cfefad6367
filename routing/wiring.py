"""Engine wiring that routing needs and ``cti/engine.py`` does not do yet.

The engine hands AMI events to the call model only; the virtual-hold key (``DTMFEnd``)
is not a call-model event, so the routing executor must see the raw events too. The
intended engine change is one line at the end of ``Engine._on_ami_event``::

    self.router.on_ami_event(event, now)

Until then :func:`feed_raw_events` chains the executor behind each AMI session's event
handler (after the model, so the call is known when its key arrives).
"""

from __future__ import annotations

from typing import Any


def feed_raw_events(engine: Any) -> None:
    executor = engine.router
    for session in engine.sessions.values():
        inner = session._on_event

        def chained(event: Any, now: float, inner: Any = inner) -> None:
            inner(event, now)
            executor.on_ami_event(event, now)

        session._on_event = chained
