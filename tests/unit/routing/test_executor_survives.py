"""Issue 11 finding 1: an action that raises does not stop the routing task; it is logged,
counted (cti_task_errors) and the agent is freed for the next offer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cti import events as ev
from cti.ami.protocol import Event
from cti.bus import InProcessBus
from cti.calls import CallModel
from routing.executor import RoutingExecutor
from tests.integration.enginekit import settings_for, until


class Broken:
    """An AMI link whose replies make no sense to the executor (a bug's stand-in)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(
        self, action: str, fields: dict[str, str], *, timeout: float | None = None
    ) -> Any:
        self.sent.append(action)
        raise RuntimeError("unexpected reply")


async def test_an_offer_that_raises_is_counted_and_routing_goes_on(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    model, bus = CallModel(hold_contexts=("cti-hold",)), InProcessBus()
    ami = Broken()
    ex = RoutingExecutor(settings, model, bus, lambda: ami)
    task = asyncio.create_task(ex.run())
    try:
        for uid in ("1.1", "2.1"):
            name = f"PJSIP/trunk-0000000{uid[0]}"
            for e in model.apply(
                Event("Newchannel", {"Uniqueid": uid, "Linkedid": uid, "Channel": name}), 1.0
            ):
                bus.publish(e)
            bus.publish_all(model.queue(uid, "general", 1.0))
        await until(lambda: ex.errors >= 2, 5, "both offers to fail")
        await asyncio.sleep(0.3)  # scenario timing: a spinning task would fail on and on
        # Each failure counts as that agent's refusal (cooldown): no endless re-offers.
        assert ex.errors <= 2 * len(ex.router.agents), ex.errors
        assert not task.done(), "the routing task is still running"
        assert "Redirect" in ami.sent
        # No agent is left reserved by a failed offer.
        assert all(a.state.value == "ready" for a in ex.router.agents.values())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert isinstance(ev.CallQueued("x", 1.0, "general"), ev.DomainEvent)
