"""What each role's work does not need, it does not get (the one role table, issues 12 and
14): the live callers and the status page are for supervisors and admins; department staff
reach customers only through the tickets assigned to them, never by search or the API."""

from __future__ import annotations

from crm.model.organization import ROLE_PERMISSIONS, Role
from crm.model.organization import Permission as P


def test_department_staff_see_customers_only_through_their_tickets() -> None:
    staff = ROLE_PERMISSIONS[Role.DEPARTMENT_STAFF]
    assert P.CUSTOMER_READ not in staff and P.CUSTOMER_SEARCH not in staff
    assert P.INTERACTION_READ not in staff
    assert {P.TICKET_READ, P.TICKET_WRITE, P.TICKET_QUEUE} <= staff


def test_status_page_and_live_callers_for_supervisors_and_admins_only() -> None:
    for role, granted in ROLE_PERMISSIONS.items():
        allowed = role in (Role.SUPERVISOR, Role.ADMIN)
        assert (P.STATUS_VIEW in granted) is allowed, role
        assert (P.LIVE_CALLERS in granted) is allowed, role
