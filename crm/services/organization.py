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


def change_department(
    uow: UnitOfWork,
    department_id: int,
    *,
    actor: str,
    name: str | None = None,
    parent_id: int | None = None,
    to_root: bool = False,
    active: bool | None = None,
) -> Department:
    """Rename, move (under ``parent_id``, or to the top with ``to_root``) or (de)activate a
    unit; audited with old and new values. A unit never moves under itself or its subtree."""
    department = uow.departments.get(department_id)
    if department is None:
        raise LookupError(f"department {department_id}: no such department")
    changes: dict[str, object] = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            raise ValueError("name: 1 to 200 characters")
        if name != department.name:
            changes["name"] = {"old": department.name, "new": name}
            department.name = name
    if to_root or parent_id is not None:
        if parent_id is not None:
            if uow.departments.get(parent_id) is None:
                raise LookupError(f"department {parent_id}: no such parent")
            if parent_id in uow.departments.subtree_ids(department_id):
                raise ValueError("a department cannot move under itself or its own sub-units")
        new_parent = None if to_root else parent_id
        if new_parent != department.parent_id:
            changes["parent_id"] = {"old": department.parent_id, "new": new_parent}
            department.parent_id = new_parent
    if active is not None and active != department.active:
        changes["active"] = {"old": department.active, "new": active}
        department.active = active
    if changes:
        uow.departments.save(department)
        uow.audit(actor, "department.update", "department", department_id, changes)
    return department
