"""Sums over a department tree: each department's figures plus all of its descendants'."""

from __future__ import annotations

from collections.abc import Mapping


def roll_up(
    parents: Mapping[int, int | None], own: Mapping[int | None, Mapping[str, float]]
) -> dict[int, dict[str, float]]:
    """For every department in ``parents`` (id -> parent id), the sum of ``own`` figures over
    its subtree. Figures of unknown departments (or None) count nowhere."""
    totals: dict[int, dict[str, float]] = {d: {} for d in parents}
    for department, figures in own.items():
        seen: set[int] = set()
        node = department
        while node is not None and node in parents and node not in seen:  # a cycle ends it
            seen.add(node)
            into = totals[node]
            for name, value in figures.items():
                into[name] = into.get(name, 0) + value
            node = parents[node]
    return totals


def preorder(parents: Mapping[int, int | None], root: int | None = None) -> list[tuple[int, int]]:
    """(department, depth) in tree order, children by id: the order a report reads in. With
    ``root`` only that subtree, depth counted from it."""
    children: dict[int | None, list[int]] = {}
    for d, p in parents.items():
        children.setdefault(p if p in parents else None, []).append(d)
    order: list[tuple[int, int]] = []
    stack = [
        (d, 0) for d in sorted(children.get(None, []) if root is None else [root], reverse=True)
    ]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append((node, depth))
        stack.extend((c, depth + 1) for c in sorted(children.get(node, []), reverse=True))
    return order
