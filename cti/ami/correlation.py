"""Matching AMI replies to the actions that caused them, without I/O.

A plain action completes with its Response. A list action (the Response says
``EventList: start``) completes with the event that says ``EventList: Complete``;
the events in between that carry its ActionID are its items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cti.ami.protocol import Event, Response


@dataclass(frozen=True, slots=True)
class ActionResult:
    response: Response
    events: tuple[Event, ...] = ()
    complete: Event | None = None

    @property
    def ok(self) -> bool:
        return self.response.ok


@dataclass(slots=True)
class _Pending:
    response: Response | None = None
    items: list[Event] = field(default_factory=list)


class Correlator:
    """Tracks actions in flight. ``on_response``/``on_event`` return the id and result of
    an action they completed, or None."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}

    def expect(self, action_id: str) -> None:
        self._pending[action_id] = _Pending()

    def forget(self, action_id: str) -> None:
        self._pending.pop(action_id, None)

    def clear(self) -> list[str]:
        ids = list(self._pending)
        self._pending.clear()
        return ids

    def __contains__(self, action_id: object) -> bool:
        return action_id in self._pending

    def on_response(self, response: Response) -> tuple[str, ActionResult] | None:
        aid = response.action_id
        if aid is None:
            return None
        pending = self._pending.get(aid)
        if pending is None:
            return None
        if response.starts_list and response.ok:
            pending.response = response
            return None
        del self._pending[aid]
        return aid, ActionResult(response)

    def on_event(self, event: Event) -> tuple[str, ActionResult] | bool | None:
        """Returns the completed action, True when the event was a list item it kept,
        or None when the event belongs to no list in flight (dispatch it)."""
        aid = event.action_id
        if aid is None:
            return None
        pending = self._pending.get(aid)
        if pending is None or pending.response is None:
            return None
        if event.get("EventList") == "Complete":
            del self._pending[aid]
            return aid, ActionResult(pending.response, tuple(pending.items), event)
        pending.items.append(event)
        return True
