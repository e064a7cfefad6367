"""What an import of customers reports back: the rows it refused and why."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    """One refused cell. ``row`` is the spreadsheet row number the user sees (the header is
    row 1, so the first customer is row 2); ``column`` is the header as written in the file."""

    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    total: int = 0  # non-blank data rows in the file
    imported: int = 0
    updated: int = 0  # update-existing mode: customers found by account number and changed
    unchanged: int = 0  # update-existing mode: found, and the row changes nothing
    rejected: list[Rejection] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    dry_run: bool = False

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejected})

    @property
    def ok(self) -> bool:
        return not self.rejected
