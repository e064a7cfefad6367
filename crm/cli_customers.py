"""``cti admin import-customers`` and ``export-customers``: files, a progress bar, a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from crm.model.customer_import import ImportReport
from crm.services.customer_files import export_customers, import_table, rejected_rows_table
from crm.tabular import TableFormat, UnreadableTable, guess_format, read_table, write_table
from crm.uow import UnitOfWork

ACTOR = "cli:admin"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    formats = [f.value for f in TableFormat]
    imp = commands.add_parser("import-customers", help="import customers from CSV or XLSX")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=formats, help="default: from the file name/content")
    imp.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    imp.add_argument(
        "--rejected-out",
        type=Path,
        help="write the refused rows with their reasons here, to fix and import again",
    )
    exp = commands.add_parser("export-customers", help="export every customer")
    exp.add_argument("file", type=Path)
    exp.add_argument("--format", choices=formats, help="default: from the file name (csv)")


class ProgressBar:
    """A one-line textual bar; redrawn only when the whole percent changes, so a million
    rows do not mean a million writes to the terminal."""

    def __init__(self, out: TextIO, width: int = 30) -> None:
        self._out, self._width, self._shown = out, width, -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        if percent == self._shown:
            return
        self._shown = percent
        filled = self._width * percent // 100
        bar = "#" * filled + "." * (self._width - filled)
        end = "\n" if done >= total else ""
        self._out.write(f"\r[{bar}] {percent:3d}% {done}/{total} rows{end}")
        self._out.flush()


def import_command(engine: Engine, args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    fmt = TableFormat(args.format) if args.format else guess_format(data, args.file.name)
    try:
        table = read_table(data, fmt)
    except UnreadableTable as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 2
    with UnitOfWork(engine) as uow:
        report = import_table(
            uow,
            table,
            actor=ACTOR,
            progress=ProgressBar(sys.stderr),
            dry_run=args.dry_run,
            source=args.file.name,
            checkpoint=uow.checkpoint,  # batches: a running engine keeps writing meanwhile
        )
        uow.commit()
    print_report(report, sys.stdout)
    if args.rejected_out and report.rejected:
        fixable = rejected_rows_table(table, report)
        if fixable:
            out_fmt = guess_format(b"", args.rejected_out.name)
            args.rejected_out.write_bytes(write_table(out_fmt, fixable[0], fixable[1:], "rejected"))
            print(f"rejected rows written to {args.rejected_out}")
    return 1 if report.rejected else 0


def print_report(report: ImportReport, out: TextIO) -> None:
    verb = "would import" if report.dry_run else "imported"
    out.write(f"{verb} {report.imported} of {report.total} rows")
    if not report.rejected:
        out.write("; no row rejected\n")
        return
    out.write(f"; {len(report.rejected_rows)} rows rejected:\n")
    for r in report.rejected:
        out.write(f"  row {r.row}, column {r.column or '-'}: {r.reason}\n")


def export_command(engine: Engine, args: argparse.Namespace) -> int:
    fmt = TableFormat(args.format) if args.format else guess_format(b"", args.file.name)
    with UnitOfWork(engine) as uow:
        data = export_customers(uow, ACTOR, fmt)
        count = uow.customers.count()
        uow.commit()  # the export is audited
    args.file.write_bytes(data)
    print(f"exported {count} customers to {args.file}")
    return 0
