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


P = Permission
_READ = {P.CUSTOMER_READ, P.TICKET_READ, P.ANNOUNCEMENT_READ, P.KB_READ, P.INTERACTION_READ}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset(_READ | {P.CUSTOMER_WRITE, P.TICKET_WRITE, P.INTERACTION_WRITE}),
    Role.DEPARTMENT_STAFF: frozenset(_READ - {P.INTERACTION_READ} | {P.TICKET_WRITE}),
    Role.QA: frozenset(_READ | {P.FOLLOWUP_WRITE, P.RECORDING_PLAY, P.REPORT_READ}),
    Role.SUPERVISOR: frozenset(
        _READ
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

    def can(self, permission: Permission) -> bool:
        return self.active and permission in ROLE_PERMISSIONS[self.role]
