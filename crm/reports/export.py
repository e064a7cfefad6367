"""Report rows as CSV or XLSX, through the formula-safe writers of crm.tabular."""

from __future__ import annotations

from typing import Any

from crm.tabular import write_csv, write_xlsx

Row = dict[str, Any]


def _table(rows: list[Row]) -> tuple[list[str], list[list[Any]]]:
    header = list(rows[0]) if rows else []
    return header, [[r.get(k) for k in header] for r in rows]


def to_csv(rows: list[Row]) -> str:
    """Plain CSV text, for programs; ``to_csv_bytes`` is the download Excel opens."""
    if not rows:
        return ""
    return write_csv(*_table(rows), bom=False).decode("utf-8")


def to_csv_bytes(rows: list[Row]) -> bytes:
    # With the UTF-8 BOM Excel shows Chinese department and customer names, not mojibake.
    return write_csv(*_table(rows)) if rows else b"\xef\xbb\xbf"


def to_xlsx(rows: list[Row], title: str = "report") -> bytes:
    return write_xlsx(*_table(rows), title=title)
