"""Who may see and score which calls (pure): QA staff, supervisors and admins see every
recording; an agent only calls they took part in; only QA staff (and admins) score."""

from __future__ import annotations

from collections.abc import Iterable

REVIEWERS = ("qa", "supervisor")


def sees_all(roles: Iterable[str]) -> bool:
    r = set(roles)
    return "admin" in r or bool(r & set(REVIEWERS))


def may_play(roles: Iterable[str], me: str, call_agents: Iterable[str]) -> bool:
    roles = set(roles)
    if sees_all(roles):
        return True
    return "agent" in roles and me in set(call_agents)


def may_score(roles: Iterable[str]) -> bool:
    return bool({"qa", "admin"} & set(roles))


def may_amend(roles: Iterable[str]) -> bool:
    return bool({"qa", "supervisor", "admin"} & set(roles))


def may_hold(roles: Iterable[str]) -> bool:
    return bool({"supervisor", "admin"} & set(roles))
