"""Departments (a tree walked with recursive queries) and users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, literal, select, update

from crm.model.organization import Department, Role, UnitKind, User
from crm.schema import departments, users


class DepartmentRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, d: Department) -> int:
        d.id = self._conn.execute(
            insert(departments).values(**_department_row(d)).returning(departments.c.id)
        ).scalar_one()
        return d.id

    def save(self, d: Department) -> None:
        self._conn.execute(
            update(departments).where(departments.c.id == d.id).values(**_department_row(d))
        )

    def get(self, department_id: int) -> Department | None:
        row = (
            self._conn.execute(select(departments).where(departments.c.id == department_id))
            .mappings()
            .first()
        )
        return None if row is None else _department(row)

    def all(self) -> list[Department]:
        rows = self._conn.execute(select(departments).order_by(departments.c.id)).mappings()
        return [_department(r) for r in rows]

    def subtree_ids(self, department_id: int) -> list[int]:
        """The department and everything under it, for dispatch scopes and report roll-ups."""
        tree = (
            select(departments.c.id)
            .where(departments.c.id == department_id)
            .cte("tree", recursive=True)
        )
        tree = tree.union_all(select(departments.c.id).where(departments.c.parent_id == tree.c.id))
        return sorted(self._conn.execute(select(tree.c.id)).scalars())

    def ancestor_ids(self, department_id: int) -> list[int]:
        up = (
            select(departments.c.id, departments.c.parent_id, literal(0).label("depth"))
            .where(departments.c.id == department_id)
            .cte("up", recursive=True)
        )
        up = up.union_all(
            select(
                departments.c.id, departments.c.parent_id, (up.c.depth + 1).label("depth")
            ).where(departments.c.id == up.c.parent_id)
        )
        return list(self._conn.execute(select(up.c.id).order_by(up.c.depth)).scalars())


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, u: User) -> int:
        u.id = self._conn.execute(
            insert(users).values(**_user_row(u)).returning(users.c.id)
        ).scalar_one()
        return u.id

    def save(self, u: User) -> None:
        self._conn.execute(update(users).where(users.c.id == u.id).values(**_user_row(u)))

    def by_username(self, username: str) -> User | None:
        row = (
            self._conn.execute(select(users).where(users.c.username == username)).mappings().first()
        )
        return None if row is None else _user(row)

    def by_agent(self, agent_id: str) -> User | None:
        row = (
            self._conn.execute(select(users).where(users.c.agent_id == agent_id)).mappings().first()
        )
        return None if row is None else _user(row)

    def get(self, user_id: int) -> User | None:
        row = self._conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
        return None if row is None else _user(row)

    def all(self) -> list[User]:
        return [_user(r) for r in self._conn.execute(select(users).order_by(users.c.id)).mappings()]


def _department(r: Any) -> Department:
    return Department(
        id=r["id"],
        code=r["code"],
        name=r["name"],
        kind=UnitKind(r["kind"]),
        parent_id=r["parent_id"],
        area=r["area"],
        active=r["active"],
    )


def _department_row(d: Department) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "kind": d.kind.value,
        "parent_id": d.parent_id,
        "area": d.area,
        "active": d.active,
    }


def _user_row(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role.value,
        "password_hash": u.password_hash,
        "department_id": u.department_id,
        "active": u.active,
        "created_at": u.created_at,
        "agent_id": u.agent_id,
        "extension": u.extension,
    }


def _user(r: Any) -> User:
    return User(
        id=r["id"],
        username=r["username"],
        display_name=r["display_name"],
        role=Role(r["role"]),
        password_hash=r["password_hash"],
        department_id=r["department_id"],
        active=r["active"],
        created_at=r["created_at"],
        agent_id=r["agent_id"],
        extension=r["extension"],
    )
