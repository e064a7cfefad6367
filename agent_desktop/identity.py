"""Who may use which surface, and which routing agent a logged-in user is.

The mapping: a CRM user with the ``agent`` role drives the routing agent whose **id**
equals their username (``a1001``), or failing that whose **extension** does (``1001``).
Agents are declared in the site file (``agents:``) and users in the CRM (``cti users``),
so an administrator links them by naming the user after the agent. Administrators may
open the desktop too, under the same rule. Supervisors and administrators see the
wallboard; QA staff and department staff see neither.
"""

from __future__ import annotations

from typing import Any

from cti.roles import P, may
from cti.websession import Identity


def agent_id_for(identity: Identity, router: Any) -> str | None:
    """The routing agent this user is, or None (the role table says who may use a desk)."""
    if not may(identity.roles, P.DESK_USE):
        return None
    if identity.username in router.agents:
        return identity.username
    aid = router.by_extension.get(identity.username)
    return aid if aid in router.agents else None


def may_watch(identity: Identity) -> bool:
    return may(identity.roles, P.WALLBOARD_VIEW)
