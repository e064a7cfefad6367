"""Tables as bytes: read and write CSV and XLSX the way spreadsheet users produce them.

Pure functions over bytes, no files or database. Reading returns every cell as text, so a
phone number Excel stored as a number (13800138000) or an account number stored as 1.0 comes
back the way the user typed it. Writing guards against formula injection: a customer name
like ``=HYPERLINK(...)`` typed by a caller must not run when a supervisor opens the export.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

Table = list[list[str]]


class TableFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class UnreadableTable(ValueError):
    """The bytes are not a CSV or XLSX file we can read; nothing was imported."""


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"

# Excel on a Chinese Windows saves "CSV (comma delimited)" in GBK; GB18030 is its superset.
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# A cell starting like a formula; "+86 138 ..." and "-5" stay, "+cmd|..." does not.
_FORMULA_START = re.compile(r"^[=@\t\r]|^[+\-](?=.*[^0-9 ()\-.+])")


def guess_format(data: bytes, filename: str | None = None) -> TableFormat:
    if filename and filename.lower().endswith((".xlsx", ".xlsm")):
        return TableFormat.XLSX
    if filename and filename.lower().endswith((".csv", ".txt")):
        return TableFormat.CSV
    # An XLSX file is a ZIP archive; no text file starts with these bytes.
    return TableFormat.XLSX if data[:4] == b"PK\x03\x04" else TableFormat.CSV


def read_table(data: bytes, fmt: TableFormat | str) -> Table:
    """Every row of the first sheet as a list of stripped strings (header row included)."""
    fmt = TableFormat(fmt)
    rows = _read_xlsx(data) if fmt is TableFormat.XLSX else _read_csv(data)
    return [[unescape(cell) for cell in row] for row in rows]


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        return data.decode("utf-16")
    for encoding in _CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableTable("the CSV file is neither UTF-8 nor GB18030 text")


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    # Excel writes ";" in locales with a decimal comma and tabs for "Unicode text".
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        return [[c.strip() for c in row] for row in reader]
    except csv.Error as error:
        raise UnreadableTable(f"the CSV file is malformed: {error}") from None


def _read_xlsx(data: bytes) -> Table:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableTable(f"not a readable XLSX file: {error}") from None
    try:
        sheet = book.worksheets[0]
        return [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 13800138000.0 is a phone number, not a float
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def unescape(cell: str) -> str:
    """Undo ``escape``: a leading apostrophe before a formula character is ours."""
    if len(cell) > 1 and cell[0] == "'" and _FORMULA_START.match(cell[1:]):
        return cell[1:]
    return cell


def escape(cell: str) -> str:
    return "'" + cell if _FORMULA_START.match(cell) else cell


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> bytes:
    """UTF-8 CSV; with the BOM (the default) Excel shows Chinese text instead of mojibake."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(escape(v) if isinstance(v, str) else _cell(v) for v in row)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "sheet") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31] or "sheet")

    def cell(value: Any) -> Any:
        value = _cell(value)
        if not isinstance(value, str):
            return value
        # openpyxl turns any string starting with "=" into a formula; force plain text.
        typed = WriteOnlyCell(sheet, value=value)
        typed.data_type = "s"
        return typed

    sheet.append([cell(h) for h in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_table(
    fmt: TableFormat | str, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str
) -> bytes:
    if TableFormat(fmt) is TableFormat.XLSX:
        return write_xlsx(header, rows, title)
    return write_csv(header, rows)
