"""Customers: individuals and groups (companies) with contacts, phones, tags and an archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class CustomerKind(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


@dataclass(frozen=True)
class Phone:
    raw: str
    key: str  # normalized lookup key (E.164 digits), computed by crm.phone
    extension: str | None = None
    label: str | None = None


@dataclass
class Contact:
    name: str
    title: str | None = None
    email: str | None = None
    phones: list[Phone] = field(default_factory=list)
    id: int | None = None


class CustomerError(Exception):
    def __init__(self, customer_id: int | None, message: str) -> None:
        super().__init__(f"customer {customer_id}: {message}")
        self.customer_id = customer_id


class ArchiveLocked(CustomerError):
    def __init__(self, customer_id: int | None) -> None:
        super().__init__(customer_id, "the archive is locked and read-only")


class CustomerNotFound(CustomerError):
    def __init__(self, customer_id: int | None) -> None:
        super().__init__(customer_id, "no such customer")


@dataclass
class Customer:
    name: str
    kind: CustomerKind = CustomerKind.INDIVIDUAL
    account_number: str | None = None
    segment: str | None = None
    grade: str | None = None
    area: str | None = None
    address: str | None = None
    email: str | None = None
    tags: set[str] = field(default_factory=set)
    phones: list[Phone] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    archive: dict[str, Any] = field(default_factory=dict)
    archive_locked: bool = False
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def vip(self) -> bool:
        return "VIP" in self.tags

    def amend_archive(self, changes: dict[str, Any]) -> None:
        if self.archive_locked:
            raise ArchiveLocked(self.id)
        self.archive = {**self.archive, **changes}

    def lock_archive(self) -> None:
        self.archive_locked = True


@dataclass(frozen=True)
class CustomerCard:
    """What a screen pop or the IVR needs: found by one indexed phone lookup."""

    id: int
    name: str
    kind: CustomerKind
    account_number: str | None
    grade: str | None
    area: str | None
    contact_id: int | None = None
