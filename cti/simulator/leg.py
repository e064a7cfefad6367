"""One call's runtime (``Leg``), shared by the dialplan, queue and AGI parts of the simulator.

It lives apart from ``dialplan.py`` so the modules that split the dialplan's work between
them can all name it without importing each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cti.simulator.model import Bridge, CallRecord, Channel
from cti.simulator.parties import CallerSpec

FOREVER = 10.0**9


@dataclass(eq=False)
class Leg:
    """Runtime of one call: the caller pair, the agent pair being dialled, the bridge."""

    spec: CallerSpec
    record: CallRecord
    c1: Channel
    c2: Channel
    a1: Channel | None = None
    a2: Channel | None = None
    bridge: Bridge | None = None
    where: str = "ivr"  # ivr | hold | dial | bridged | queue | gone
    agent: str | None = None
    dial_started: float = 0.0
    answered_at: float = 0.0
    in_agi: bool = False
    on_originated: Callable[[], None] | None = None
    queue_waiter: asyncio.Future[None] | None = field(default=None)
    queue: Any = None
    queue_member: Any = None
    agent_ctx: str = "agents"  # context of the agent pair being rung (Local/<ext>@<it>)


AgiRunner = Callable[[Leg, str], Awaitable[str]]


def local_device(ch: Channel) -> str:
    return ch.name.rsplit("-", 1)[0]
