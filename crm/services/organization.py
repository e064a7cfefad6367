"""Organization handlers: departments and service points."""

from __future__ import annotations

from crm.model.organization import Department, UnitKind
from crm.uow import UnitOfWork


def add_department(
    uow: UnitOfWork,
    *,
    actor: str,
    code: str,
    name: str,
    kind: UnitKind | str,
    parent_id: int | None = None,
    area: str | None = None,
) -> Department:
    if parent_id is not None and uow.departments.get(parent_id) is None:
        raise LookupError(f"department {parent_id}: no such parent")
    department = Department(
        code=code, name=name, kind=UnitKind(kind), parent_id=parent_id, area=area
    )
    uow.departments.add(department)
    uow.audit(actor, "department.create", "department", department.id, {"code": code})
    return department
