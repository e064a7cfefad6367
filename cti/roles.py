"""Who may use which route and websocket command: the one table, shared by the code and
the tests.

The roles and what each may do are ``crm.model.organization.ROLE_PERMISSIONS``; this
module names the permission every web route and websocket command needs. The CRM API's
routes carry theirs in ``crm/api/routes.py`` (:func:`api_routes` lists them here too).
The web app refuses (403) a logged-in user whose role lacks the permission, and refuses
to start if any route it registered is missing from :data:`WEB_ROUTES`. Handlers still
check what the table cannot know: whose call, whose evaluation, whose agent state.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from crm.model.organization import ROLE_PERMISSIONS, Role
from crm.model.organization import Permission as P


class Access(Enum):
    PUBLIC = "public"  # no login (the login form, health; /metrics has its own token)
    LOGGED_IN = "logged_in"  # any role


Need = P | Access

WEB_ROUTES: dict[tuple[str, str], Need] = {
    ("GET", "/health"): Access.PUBLIC,
    ("GET", "/login"): Access.PUBLIC,
    ("POST", "/login"): Access.PUBLIC,
    ("GET", "/metrics"): Access.PUBLIC,
    ("GET", "/logout"): Access.LOGGED_IN,
    ("GET", "/"): Access.LOGGED_IN,  # sends each role to its home
    ("GET", "/status"): P.STATUS_VIEW,
    ("GET", "/static/{name}"): Access.PUBLIC,  # the layout's css/js, htmx, ECharts
    ("GET", "/calls.json"): P.LIVE_CALLERS,
    ("GET", "/routing/agents"): P.ROUTING_VIEW,
    ("POST", "/routing/agents/{agent}/{command}"): P.AGENT_STATE,
    ("GET", "/routing/queues"): P.ROUTING_VIEW,
    ("POST", "/routing/reload"): P.ROUTING_RELOAD,
    ("POST", "/routing/calls/{call}/callback"): P.CALLBACK_REQUEST,
    ("GET", "/recordings"): P.RECORDINGS_VIEW,
    ("GET", "/recordings/calls/{call_id}"): P.RECORDINGS_VIEW,
    ("GET", "/recordings/audio/{segment_id}"): P.RECORDINGS_VIEW,
    ("GET", "/recordings/files/{name}"): P.RECORDINGS_VIEW,
    ("POST", "/recordings/calls/{call_id}/evaluations"): P.QA_SCORE,
    ("PUT", "/recordings/evaluations/{evaluation_id}"): P.QA_SCORE,
    ("POST", "/recordings/evaluations/{evaluation_id}/amend"): P.QA_AMEND,
    ("GET", "/recordings/evaluations/{evaluation_id}/amendments"): P.QA_SCORES_VIEW,
    ("GET", "/recordings/scores"): P.QA_SCORES_VIEW,
    ("GET", "/recordings/calibration/{call_id}"): P.QA_CALIBRATE,
    ("POST", "/recordings/calls/{call_id}/{action}"): P.RECORDING_PAUSE,
    ("POST", "/recordings/calls/{call_id}/hold"): P.RECORDING_HOLD,
    ("GET", "/desk"): P.DESK_USE,
    ("GET", "/desk/ws"): P.DESK_USE,
    ("GET", "/desk/static/{name}"): Access.LOGGED_IN,
    # The browser phone: an agent's own SIP credentials, and the phone's own report of a
    # lost registration (the handlers add: only the agent's own desk).
    ("GET", "/desk/phone-credentials"): P.DESK_USE,
    ("POST", "/desk/phone-status"): P.DESK_USE,
    ("GET", "/wallboard"): P.WALLBOARD_VIEW,
    ("GET", "/wallboard/ws"): P.WALLBOARD_VIEW,
    ("GET", "/wallboard/data.json"): P.WALLBOARD_VIEW,
    # Issue 14, ticket work (h-work): crm/web/{tickets,dispatch,followups,incidents,
    # announcements}.py. Handlers also scope department staff to their department.
    ("GET", "/tickets/queue"): P.TICKET_QUEUE,
    ("GET", "/tickets/mine"): P.DESK_USE,
    ("GET", "/tickets/{ticket_id}"): P.TICKET_READ,
    ("POST", "/tickets/{ticket_id}/{action}"): P.TICKET_WRITE,
    ("GET", "/dispatch"): P.TICKET_DISPATCH,
    ("POST", "/dispatch/{ticket_id}"): P.TICKET_DISPATCH,
    ("POST", "/dispatch/{ticket_id}/escalate"): P.TICKET_DISPATCH,
    ("GET", "/followups"): P.FOLLOWUP_WRITE,
    ("GET", "/followups/mine"): P.DESK_USE,
    ("POST", "/followups/{followup_id}/result"): P.FOLLOWUP_WRITE,
    ("POST", "/followups/{followup_id}/call"): P.FOLLOWUP_WRITE,
    ("GET", "/incidents"): P.INCIDENT_WRITE,
    ("POST", "/incidents"): P.INCIDENT_WRITE,
    ("GET", "/incidents/{incident_id}"): P.INCIDENT_WRITE,
    ("POST", "/incidents/{incident_id}/{action}"): P.INCIDENT_WRITE,
    ("GET", "/announcements"): P.ANNOUNCEMENT_WRITE,
    ("POST", "/announcements"): P.ANNOUNCEMENT_WRITE,
    ("POST", "/announcements/{announcement_id}/{action}"): P.ANNOUNCEMENT_WRITE,
    # issue 14, customers and knowledge base (h-people): crm/web/customers.py, knowledge.py
    ("GET", "/customers"): P.CUSTOMER_SEARCH,
    ("GET", "/customers/import"): P.CUSTOMER_IMPORT,
    ("POST", "/customers/import"): P.CUSTOMER_IMPORT,
    ("GET", "/customers/export"): P.CUSTOMER_EXPORT,
    ("GET", "/customers/{customer_id}"): P.CUSTOMER_SEARCH,
    ("GET", "/customers/{customer_id}/edit"): P.CUSTOMER_WRITE,
    ("POST", "/customers/{customer_id}/edit"): P.CUSTOMER_WRITE,
    ("POST", "/customers/{customer_id}/archive"): P.CUSTOMER_WRITE,
    ("GET", "/kb"): P.KB_READ,
    ("GET", "/kb/articles/{article_id}"): P.KB_READ,
    ("GET", "/kb/edit"): P.KB_WRITE,
    ("GET", "/kb/edit/new"): P.KB_WRITE,
    ("POST", "/kb/edit/new"): P.KB_WRITE,
    ("GET", "/kb/edit/{article_id}"): P.KB_WRITE,
    ("POST", "/kb/edit/{article_id}"): P.KB_WRITE,
    ("POST", "/kb/edit/{article_id}/review"): P.KB_WRITE,
    **{
        # Admin pages and the reports page (crm/web/admin_*.py, crm/web/reports.py).
        ("GET", "/admin/users"): P.USER_ADMIN,
        ("POST", "/admin/users"): P.USER_ADMIN,
        ("POST", "/admin/users/{username}"): P.USER_ADMIN,
        ("GET", "/admin/departments"): P.ORG_WRITE,
        ("POST", "/admin/departments"): P.ORG_WRITE,
        ("POST", "/admin/departments/{department_id}"): P.ORG_WRITE,
        ("GET", "/admin/categories"): P.SETTINGS_ADMIN,
        ("POST", "/admin/categories/{code}"): P.SETTINGS_ADMIN,
        ("POST", "/admin/priorities/{level}"): P.SETTINGS_ADMIN,
        ("GET", "/admin/reasons"): P.SETTINGS_ADMIN,
        ("POST", "/admin/reasons"): P.SETTINGS_ADMIN,
        ("GET", "/admin/alarms"): P.SETTINGS_ADMIN,
        ("POST", "/admin/alarms"): P.SETTINGS_ADMIN,
        ("GET", "/admin/audit"): P.AUDIT_READ,
        ("GET", "/admin/audit/export.{fmt}"): P.AUDIT_READ,
        ("GET", "/reports"): P.REPORT_READ,
        ("GET", "/reports/export/{name}.{fmt}"): P.REPORT_READ,
    },
}

# Websocket commands per socket (agent_desktop/protocol.py defines their schemas).
WS_COMMANDS: dict[str, dict[str, P]] = {
    "/desk/ws": {
        name: P.DESK_USE
        for name in (
            "ping",
            "login",
            "ready",
            "not_ready",
            "logout",
            "hangup",
            "transfer",
            "record",
            "dial",
            "customer_create",
            "ticket_create",
            "ticket_update",
            "wrapup",
            "dismiss",
        )
    }
    | {"kb_search": P.KB_READ},
    "/wallboard/ws": {"ping": P.WALLBOARD_VIEW, "agent": P.WALLBOARD_VIEW},
}


_ROLE_NAMES = frozenset(r.value for r in Role)


def may(roles: Iterable[str], need: Need) -> bool:
    """May a user holding ``roles`` (None-free; anonymous is no roles) do ``need``?"""
    if need is Access.PUBLIC:
        return True
    known = [Role(r) for r in roles if r in _ROLE_NAMES]
    if need is Access.LOGGED_IN:
        return bool(known)
    return any(need in ROLE_PERMISSIONS[r] for r in known)


def need_for(method: str, canonical: str) -> Need | None:
    """The table's entry for a route (HEAD counts as GET); None if the route is missing."""
    return WEB_ROUTES.get(("GET" if method == "HEAD" else method, canonical))


def api_routes() -> list[tuple[str, str, Need]]:
    """The CRM API's routes (under /api) with what they need, from crm/api/routes.py."""
    from crm.api.app import ALL_ROUTES

    out: list[tuple[str, str, Need]] = []
    for r in ALL_ROUTES:
        need: Need = Access.PUBLIC if r.public else (r.permission or Access.LOGGED_IN)
        out.append((r.method, "/api" + r.path, need))
    return out


def unlisted(app: Any) -> list[tuple[str, str]]:
    """Routes registered on ``app`` that neither table lists."""
    api = {(method, path) for method, path, _ in api_routes()}
    missing = []
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD" or not hasattr(resource, "canonical"):
            continue
        key = (route.method, resource.canonical)
        if key not in api and need_for(*key) is None:
            missing.append((route.method, resource.canonical))
    return missing
