"""The in-process bus: one delivery order for every subscriber, faults isolated."""

from __future__ import annotations

import pytest

from cti.bus import InProcessBus


def test_events_published_by_a_subscriber_come_after_the_current_one() -> None:
    bus = InProcessBus()
    first: list[str] = []
    last: list[str] = []

    def reacts(event: str) -> None:
        first.append(event)
        if event == "CallEnded":
            bus.publish("WrapUpCompleted")

    bus.subscribe(reacts)
    bus.subscribe(last.append)
    bus.publish("CallEnded")
    assert first == last == ["CallEnded", "WrapUpCompleted"]


def test_a_failing_subscriber_does_not_starve_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = InProcessBus()
    got: list[int] = []

    def broken(event: int) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(got.append, int)
    bus.publish(1)
    bus.publish("not an int")
    assert got == [1] and bus.handler_errors == 2
    assert "bus subscriber" in caplog.text
    unsubscribe = bus.subscribe(got.append)
    unsubscribe()
    bus.publish(2)
    assert got == [1, 2]
