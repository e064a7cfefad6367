"""The organization: departments and service points in a tree; users and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class UnitKind(StrEnum):
    HEAD_OFFICE = "head_office"
    REGION = "region"
    PROVINCE = "province"
    OUTLET = "outlet"
    DEPARTMENT = "department"


@dataclass
class Department:
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None = None
    area: str | None = None
    id: int | None = None
    active: bool = True


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    QA = "qa"
    DEPARTMENT_STAFF = "department_staff"
    ADMIN = "admin"


class Permission(StrEnum):
    CUSTOMER_READ = "customer.read"
    CUSTOMER_WRITE = "customer.write"
    CUSTOMER_IMPORT = "customer.import"
    CUSTOMER_EXPORT = "customer.export"
    TICKET_READ = "ticket.read"
    TICKET_WRITE = "ticket.write"
    FOLLOWUP_WRITE = "followup.write"
    INCIDENT_WRITE = "incident.write"
    ANNOUNCEMENT_READ = "announcement.read"
    ANNOUNCEMENT_WRITE = "announcement.write"
    KB_READ = "kb.read"
    KB_WRITE = "kb.write"
    INTERACTION_READ = "interaction.read"
    INTERACTION_WRITE = "interaction.write"  # add dispositions and notes to calls one handled
    INTERACTION_CORRECT = "interaction.correct"  # change any field of any call (audited)
    RECORDING_PLAY = "recording.play"
    REPORT_READ = "report.read"
    ORG_WRITE = "org.write"
    USER_ADMIN = "user.admin"
    AUDIT_READ = "audit.read"
    # The web surfaces (pages, websockets); cti/roles.py maps every route to one of these.
    STATUS_VIEW = "status.view"  # the status page: links, counts
    LIVE_CALLERS = "calls.live_callers"  # live callers' numbers and names, /calls.json
    DESK_USE = "desk.use"  # the agent desktop and its websocket
    WALLBOARD_VIEW = "wallboard.view"  # the wallboard, its websocket and commands
    ROUTING_VIEW = "routing.view"  # agent and queue lists
    AGENT_STATE = "routing.agent_state"  # an agent's own state; supervisors anyone's
    ROUTING_RELOAD = "routing.reload"
    CALLBACK_REQUEST = "routing.callback"
    RECORDINGS_VIEW = "recordings.view"  # agents: their own calls only
    RECORDINGS_ALL = "recordings.all"  # every call's recordings and scores
    RECORDING_PAUSE = "recordings.pause"  # the desk's pause/resume of a live recording
    RECORDING_HOLD = "recordings.hold"  # legal hold
    QA_SCORE = "qa.score"
    QA_AMEND = "qa.amend"
    QA_SCORES_VIEW = "qa.scores"  # agents: their own scores only
    QA_CALIBRATE = "qa.calibrate"
    # Issue 14, ticket work (h-work): the pages of department staff and supervisors.
    TICKET_QUEUE = "ticket.queue"  # a department's work-order queue (staff: their own)
    TICKET_DISPATCH = "ticket.dispatch"  # the dispatch center: dispatch, escalate
    # issue 14, customers and knowledge base (h-people): the customer search and list pages
    # (department staff see only their tickets' customers, through the ticket pages).
    CUSTOMER_SEARCH = "customer.search"
    # Admin pages (issue 14, h-admin): categories/SLA, reasons, alarm thresholds.
    SETTINGS_ADMIN = "settings.admin"


P = Permission
_READ = {P.CUSTOMER_READ, P.TICKET_READ, P.ANNOUNCEMENT_READ, P.KB_READ, P.INTERACTION_READ}
# The one role table: what each role may do, on every surface (the CRM API's routes in
# crm/api/routes.py, pages and websocket commands in cti/roles.py name these permissions).
# Least privilege: the status page and live callers' numbers only for supervisors;
# department staff read tickets of their own department's subtree only (enforced in
# crm/api/work.py) and customers only through those tickets.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset(
        _READ
        | {P.CUSTOMER_WRITE, P.TICKET_WRITE, P.INTERACTION_WRITE}
        | {P.DESK_USE, P.AGENT_STATE, P.RECORDINGS_VIEW, P.RECORDING_PAUSE}
        | {P.QA_SCORES_VIEW}
        | {P.CUSTOMER_SEARCH}  # issue 14, customers (h-people)
    ),
    Role.DEPARTMENT_STAFF: frozenset(
        # Customers only through their tickets (the ticket page shows the assignee the
        # customer's contact): no customer search, no customer API.
        _READ - {P.INTERACTION_READ, P.CUSTOMER_READ} | {P.TICKET_WRITE, P.TICKET_QUEUE}
    ),
    Role.QA: frozenset(
        _READ
        | {P.FOLLOWUP_WRITE, P.RECORDING_PLAY, P.REPORT_READ, P.RECORDINGS_VIEW}
        | {P.RECORDINGS_ALL}
        | {P.QA_SCORE, P.QA_AMEND, P.QA_SCORES_VIEW, P.QA_CALIBRATE}
    ),
    Role.SUPERVISOR: frozenset(
        _READ
        | {P.STATUS_VIEW, P.LIVE_CALLERS, P.WALLBOARD_VIEW, P.ROUTING_VIEW, P.AGENT_STATE}
        | {P.CALLBACK_REQUEST, P.RECORDINGS_VIEW, P.RECORDINGS_ALL, P.RECORDING_PAUSE}
        | {P.RECORDING_HOLD}
        | {P.QA_AMEND, P.QA_SCORES_VIEW, P.QA_CALIBRATE}
        | {
            P.CUSTOMER_WRITE,
            P.CUSTOMER_IMPORT,
            P.CUSTOMER_EXPORT,
            P.TICKET_WRITE,
            P.FOLLOWUP_WRITE,
            P.INCIDENT_WRITE,
            P.ANNOUNCEMENT_WRITE,
            P.KB_WRITE,
            P.INTERACTION_WRITE,
            P.INTERACTION_CORRECT,
            P.RECORDING_PLAY,
            P.REPORT_READ,
        }
        | {P.TICKET_QUEUE, P.TICKET_DISPATCH, P.CUSTOMER_SEARCH}  # issue 14's pages
    ),
    Role.ADMIN: frozenset(Permission),
}


@dataclass
class User:
    username: str
    display_name: str
    role: Role
    password_hash: str
    created_at: datetime
    department_id: int | None = None
    active: bool = True
    id: int | None = None
    agent_id: str | None = None  # the routing agent this user works as
    extension: str | None = None

    def can(self, permission: Permission) -> bool:
        return self.active and permission in ROLE_PERMISSIONS[self.role]
