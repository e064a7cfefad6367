"""The unit of work: one transaction, the repositories over it, and the audit trail."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction

from crm.model.audit import AuditEntry
from crm.repository.audit import AuditRepository
from crm.repository.customers import CustomerRepository
from crm.repository.followups import FollowUpRepository
from crm.repository.incidents import AnnouncementRepository, IncidentRepository
from crm.repository.interactions import InteractionRepository
from crm.repository.knowledge import KnowledgeRepository
from crm.repository.organization import DepartmentRepository, UserRepository
from crm.repository.settings import SettingsRepository
from crm.repository.tickets import TicketRepository
from crm.repository.worklog import WorkLogRepository

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """``with UnitOfWork(engine) as uow: ...; uow.commit()`` — leaving without commit rolls back."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now, write: bool = True) -> None:
        self._engine = engine
        self._write = write
        self.clock = clock
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self._began = 0.0

    def __enter__(self) -> UnitOfWork:
        conn = self._engine.connect()
        if self._write:
            conn = conn.execution_options(crm_write=True)
        self._conn = conn
        self._tx = conn.begin()
        self._began = time.monotonic()
        self._open_repositories(conn)
        return self

    def _open_repositories(self, conn: Connection) -> None:
        self.audit_log = AuditRepository(conn)
        self.customers = CustomerRepository(conn)
        self.interactions = InteractionRepository(conn)
        self.tickets = TicketRepository(conn)
        self.followups = FollowUpRepository(conn)
        self.incidents = IncidentRepository(conn)
        self.announcements = AnnouncementRepository(conn)
        self.departments = DepartmentRepository(conn)
        self.users = UserRepository(conn)
        self.knowledge = KnowledgeRepository(conn)
        self.work_log = WorkLogRepository(conn)
        self.settings = SettingsRepository(conn)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("the unit of work is not open")
        self._tx.commit()

    def checkpoint(self, hold: float = 0.25, pause: float = 0.12) -> None:
        """Once the transaction has been open ``hold`` seconds, commit what is done and go
        on in a new one. A long job (a big import) then holds SQLite's one write lock a
        quarter second at a time, and the ``pause`` lets the writers waiting meanwhile
        (logins, calls' interactions and recordings) take their turn: SQLite's busy
        handler looks again every 100 ms at most, so a longer pause never misses them."""
        if time.monotonic() - self._began < hold:
            return
        self.commit()
        time.sleep(pause)
        self.begin()

    def begin(self) -> None:
        """A new transaction after :meth:`commit`, on the same connection."""
        self._tx = self.connection.begin()
        self._began = time.monotonic()

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()

    def audit(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: object = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.audit_log.add(
            AuditEntry(
                at=self.clock(),
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=None if object_id is None else str(object_id),
                detail=detail,
            )
        )
