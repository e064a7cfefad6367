"""Ready agents indexed by skill and level, each bucket in the order agents became ready.

With thousands of agents a decision must not scan them all: a call needing
``billing >= 3`` looks only at the ``billing`` buckets of level 3 and up, and the first
qualified agent of a bucket is that bucket's longest idle (insertion order is ready order
because the router's time never runs backwards).
"""

from __future__ import annotations

from collections.abc import Iterator

from routing.model import Agent

ANY = "*"  # the bucket of every ready agent, for requirements without skills


class ReadyIndex:
    def __init__(self) -> None:
        self._by_skill: dict[str, dict[int, dict[str, None]]] = {}
        self._levels: dict[str, list[int]] = {}  # skill -> its levels, highest first
        self.count = 0

    def add(self, agent: Agent) -> None:
        self.count += 1
        for skill, level in (*agent.skills.items(), (ANY, 0)):
            levels = self._by_skill.setdefault(skill, {})
            bucket = levels.get(level)
            if bucket is None:
                bucket = levels[level] = {}
                self._levels[skill] = sorted(levels, reverse=True)
            bucket[agent.id] = None

    def remove(self, agent: Agent) -> None:
        self.count -= 1
        for skill, level in (*agent.skills.items(), (ANY, 0)):
            self._by_skill[skill][level].pop(agent.id, None)

    def buckets(self, skill: str | None, min_level: int) -> Iterator[dict[str, None]]:
        """Buckets of ready agents holding ``skill`` at ``min_level`` or more, best level
        first (``skill=None``: all ready agents)."""
        key = ANY if skill is None else skill
        levels = self._by_skill.get(key)
        if not levels:
            return
        for level in self._levels[key]:
            if level < min_level:
                return
            bucket = levels[level]
            if bucket:
                yield bucket

    def __len__(self) -> int:
        return self.count
