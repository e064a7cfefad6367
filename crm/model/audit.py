"""The operation audit log: who did what to which object, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    detail: dict[str, Any] | None = None
    id: int | None = None
