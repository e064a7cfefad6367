"""Who may see and score which calls (pure, from the role table in cti/roles.py): QA
staff, supervisors and admins see every recording; an agent only calls they took part
in; only QA staff (and admins) score."""

from __future__ import annotations

from collections.abc import Iterable

from cti.roles import P, may


def sees_all(roles: Iterable[str]) -> bool:
    return may(roles, P.RECORDINGS_ALL)


def may_play(roles: Iterable[str], me: str, call_agents: Iterable[str]) -> bool:
    roles = set(roles)
    if sees_all(roles):
        return True
    return may(roles, P.RECORDINGS_VIEW) and me in set(call_agents)


def may_score(roles: Iterable[str]) -> bool:
    return may(roles, P.QA_SCORE)


def may_amend(roles: Iterable[str]) -> bool:
    return may(roles, P.QA_AMEND)


def may_hold(roles: Iterable[str]) -> bool:
    return may(roles, P.RECORDING_HOLD)
