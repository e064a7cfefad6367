"""Which reads of a recording are audited as plays (pure).

Every play or download is audited, whatever its Range: a player that starts at byte 1,
or a download tool that fetches the file in pieces, is still someone listening. A
player seeking sends a burst of range requests for the same file; those within
``window`` seconds of the audited one are the same listening and are not audited again,
so seeking cannot flood the log, and a read is never left without an entry.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class PlayLog:
    def __init__(self, window: float = 600.0, max_keys: int = 10_000) -> None:
        self.window = window
        self.max_keys = max_keys
        self._last: OrderedDict[Hashable, float] = OrderedDict()

    def should_audit(self, key: Hashable, now: float) -> bool:
        """True for the first read of ``key`` (who, which file) in a window; records it."""
        seen = self._last.get(key)
        if seen is not None and now - seen < self.window:
            return False
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self.max_keys:
            # Forgetting the oldest key can only add an audit entry, never lose one.
            self._last.popitem(last=False)
        return True
