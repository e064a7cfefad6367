"""A websocket connection's life as a guarded state machine.

CONNECTING -> OPEN -> CLOSING -> CLOSED, with CONNECTING -> CLOSED when the handshake is
refused. Anything else is a bug in the caller and raises at once, rather than sending on
a socket that is already closing.
"""

from __future__ import annotations

from enum import StrEnum


class WsState(StrEnum):
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


_ALLOWED: dict[WsState, frozenset[WsState]] = {
    WsState.CONNECTING: frozenset({WsState.OPEN, WsState.CLOSED}),
    WsState.OPEN: frozenset({WsState.CLOSING, WsState.CLOSED}),
    WsState.CLOSING: frozenset({WsState.CLOSED}),
    WsState.CLOSED: frozenset(),
}


class IllegalTransition(RuntimeError):
    def __init__(self, current: WsState, wanted: WsState) -> None:
        super().__init__(f"websocket cannot go from {current.value} to {wanted.value}")
        self.current, self.wanted = current, wanted


class Guard:
    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = WsState.CONNECTING

    def move(self, wanted: WsState) -> None:
        if wanted not in _ALLOWED[self.state]:
            raise IllegalTransition(self.state, wanted)
        self.state = wanted

    def close(self) -> None:
        """To CLOSED from wherever it is (idempotent): the end of every path."""
        if self.state != WsState.CLOSED:
            self.move(WsState.CLOSED)

    @property
    def open(self) -> bool:
        return self.state == WsState.OPEN
