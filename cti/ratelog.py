"""Rate-limited logging of a repeating condition (pure; the clock is injected).

A peer that sends garbage can send hundreds of messages a second; one warning each buries
the log and costs more than the garbage. :class:`Summary` lets the first occurrence
through at once, counts the rest, and lets one line through per ``interval`` that says
how many there were since the last line.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Summary:
    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self._clock = clock
        self._last: float | None = None
        self._pending = 0

    def hit(self) -> int:
        """Count one occurrence; the number to report now (0: stay quiet)."""
        self._pending += 1
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            return 0
        self._last, count, self._pending = now, self._pending, 0
        return count

    def flush(self) -> int:
        """Occurrences not yet reported (at the end of a connection, say)."""
        count, self._pending = self._pending, 0
        return count
