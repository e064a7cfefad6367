"""The route table: one line per route with its permission. The app and the OpenAPI
document are both built from it, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from crm.api import customer_views, people, report_views, work
from crm.model.organization import Permission as P
from crm.tabular import XLSX_MIME

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON, CSV, XLSX = "application/json", "text/csv", XLSX_MIME
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    permission: P | None  # None: any logged-in user
    summary: str
    public: bool = False
    query: tuple[str, ...] = ()  # optional query parameters, for the OpenAPI document
    body: str = JSON  # the request body's media type (POST, PUT, PATCH)
    produces: tuple[str, ...] = (JSON,)


ROUTES: tuple[Route, ...] = (
    Route("POST", "/login", people.post_login, None, "Log in; returns a bearer token", True),
    Route("POST", "/logout", people.post_logout, None, "End the session"),
    Route("GET", "/me", people.get_me, None, "The logged-in user"),
    Route("GET", "/users", people.get_users, P.USER_ADMIN, "List users"),
    Route("POST", "/users", people.post_user, P.USER_ADMIN, "Create a user"),
    Route(
        "PATCH",
        "/users/{username}",
        people.patch_user,
        P.USER_ADMIN,
        "Deactivate ({active: false}), change role or password (each ends the user's "
        "sessions at once), or move them to another department_id",
    ),
    Route("GET", "/departments", people.get_departments, P.TICKET_READ, "List departments"),
    Route("POST", "/departments", people.post_department, P.ORG_WRITE, "Add a department"),
    Route(
        "GET",
        "/audit",
        people.get_audit,
        P.AUDIT_READ,
        "Query the audit log, newest first; since is inclusive, until exclusive",
        query=("actor", "object_type", "object_id", "action", "since", "until", "limit"),
    ),
    Route("GET", "/customers", people.get_customers, P.CUSTOMER_READ, "Search customers"),
    Route("POST", "/customers", people.post_customer, P.CUSTOMER_WRITE, "Add a customer"),
    Route(
        "GET",
        "/customers/lookup",
        people.lookup_customer,
        P.CUSTOMER_READ,
        "Find customers by a phone number in any form",
    ),
    # Fixed paths before /customers/{customer_id}: the router tries them in this order.
    Route(
        "POST",
        "/customers/import",
        customer_views.post_customer_import,
        P.CUSTOMER_IMPORT,
        "Import customers from a CSV or XLSX file (multipart field 'file', or the raw body); "
        "good rows are written, refused ones reported by row and column; 413 over the size cap",
        query=("format", "dry_run", "filename"),
        body=MULTIPART,
    ),
    Route(
        "GET",
        "/customers/export",
        customer_views.get_customer_export,
        P.CUSTOMER_EXPORT,
        "Download every customer as CSV (UTF-8 with BOM) or XLSX; the import reads it back",
        query=("format",),
        produces=(CSV, XLSX),
    ),
    Route(
        "GET",
        "/customers/{customer_id}/archive",
        customer_views.get_customer_archive,
        P.CUSTOMER_READ,
        "Read a customer's archive and whether it is locked (audited)",
    ),
    Route(
        "PATCH",
        "/customers/{customer_id}/archive",
        customer_views.patch_customer_archive,
        P.CUSTOMER_WRITE,
        "Amend the archive ({changes, lock}); refused with 409 once it is locked",
    ),
    Route(
        "GET",
        "/customers/{customer_id}",
        people.get_customer_record,
        P.CUSTOMER_READ,
        "Open a customer record (audited)",
    ),
    Route(
        "PATCH",
        "/customers/{customer_id}",
        people.patch_customer,
        P.CUSTOMER_WRITE,
        "Change a customer",
    ),
    Route("GET", "/tickets", work.get_tickets, P.TICKET_READ, "List tickets"),
    Route("POST", "/tickets", work.post_ticket, P.TICKET_WRITE, "Open a ticket"),
    Route(
        "GET", "/tickets/{ticket_id}", work.get_ticket, P.TICKET_READ, "A ticket with its history"
    ),
    Route(
        "POST",
        "/tickets/{ticket_id}/actions/{action}",
        work.post_ticket_action,
        P.TICKET_WRITE,
        "dispatch, transfer, start, suspend, resume, resolve, close, reopen",
    ),
    Route("GET", "/followups", work.get_followups, P.TICKET_READ, "List follow-ups"),
    Route(
        "POST",
        "/followups/{followup_id}/result",
        work.post_followup_result,
        P.FOLLOWUP_WRITE,
        "Record a follow-up result (satisfaction 1-5 overall; attitude, timeliness, result 1-5)",
    ),
    Route(
        "GET",
        "/incidents",
        work.get_incidents,
        P.TICKET_READ,
        "List incidents, or open ones for ?area= or ?phone=",
    ),
    Route("POST", "/incidents", work.post_incident, P.INCIDENT_WRITE, "Open an incident"),
    Route(
        "POST",
        "/incidents/{incident_id}/tickets",
        work.post_incident_tickets,
        P.INCIDENT_WRITE,
        "Link tickets to an incident",
    ),
    Route(
        "POST",
        "/incidents/{incident_id}/close",
        work.post_incident_close,
        P.INCIDENT_WRITE,
        "Close an incident, resolving its tickets",
    ),
    Route(
        "GET",
        "/announcements",
        work.get_announcements,
        P.ANNOUNCEMENT_READ,
        "Announcements visible to me (?all=1 for every one)",
    ),
    Route(
        "POST",
        "/announcements",
        work.post_announcement,
        P.ANNOUNCEMENT_WRITE,
        "Draft an announcement",
    ),
    Route(
        "POST",
        "/announcements/{announcement_id}/{action}",
        work.post_announcement_action,
        P.ANNOUNCEMENT_WRITE,
        "schedule, publish, revoke, archive",
    ),
    Route("GET", "/kb", work.get_kb, P.KB_READ, "Search the knowledge base"),
    Route("POST", "/kb", work.post_kb, P.KB_WRITE, "Add an article"),
    Route("PATCH", "/kb/{article_id}", work.patch_kb, P.KB_WRITE, "Change an article"),
    Route(
        "GET",
        "/interactions/{call_id}",
        work.get_interaction,
        P.INTERACTION_READ,
        "One call's journey",
    ),
    Route(
        "PUT",
        "/interactions/{call_id}",
        work.put_interaction,
        P.INTERACTION_CORRECT,
        "Record or correct a call (supervisors; audited with old and new values). The "
        "engine's own write of a live call later completes the row, keeping these values",
    ),
    Route(
        "PATCH",
        "/interactions/{call_id}",
        work.patch_interaction,
        P.INTERACTION_WRITE,
        "Add a disposition, notes or the customer to a call you handled; supervisors may "
        "correct any field (audited with old and new values)",
    ),
    Route(
        "GET",
        "/reports/{name}",
        report_views.get_report,
        P.REPORT_READ,
        "tickets-by-{category,state,department-id,priority} and sla-breaches "
        "(?department_id= narrows to that subtree), satisfaction, "
        "tickets-rollup and repair-stats (by department, summed over each subtree), "
        "calls-by-{hour,day,service,end-reason,queue,direction,disposition} (?tz= for days), "
        "repeat-callers, churn-warnings; ?format=json|csv|xlsx",
        query=report_views.REPORT_QUERY,
        produces=(JSON, CSV, XLSX),
    ),
)
