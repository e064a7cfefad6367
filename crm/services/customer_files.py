"""Import and export customers as CSV or XLSX files.

An import validates every row, writes the good ones and reports each refused cell (row,
column, reason). By default it runs in the caller's one unit of work: either the caller
commits every good row or, if anything fails underneath (a lost connection), nothing at all
is written. A large file is written with ``checkpoint`` (``uow.checkpoint``): each batch
is committed on its own, so the import never holds the database's write lock (SQLite's is
one for the whole file) for more than a batch, and logins and calls are written meanwhile.
A row whose account number another writer took in the meantime is reported like any other
taken account. Nothing is dropped without a line in the report.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from crm.customer_import_update import update_from_row
from crm.customer_rows import (
    IGNORED_COLUMN,
    Header,
    customer_row,
    header_for,
    in_file_order,
    parse_row,
    read_header,
)
from crm.model.audit import AuditEntry
from crm.model.customer import Customer
from crm.model.customer_import import ImportReport, Rejection
from crm.phone import NumberPlan
from crm.tabular import Table, TableFormat, read_table, write_table
from crm.uow import UnitOfWork

Progress = Callable[[int, int], None]  # (rows done, rows in the file)
BATCH = 500


def import_customers(
    uow: UnitOfWork,
    data: bytes,
    fmt: TableFormat | str,
    *,
    actor: str,
    plan: NumberPlan | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    source: str | None = None,
    checkpoint: Callable[[], None] | None = None,
    update_existing: bool = False,
) -> ImportReport:
    """Read a customers file and add every valid row; raises crm.tabular.UnreadableTable
    for bytes that are no CSV/XLSX at all. ``dry_run`` validates and writes nothing.
    ``update_existing``: a row whose account number exists updates that customer's changed
    fields (audited per customer) instead of being refused."""
    return import_table(
        uow,
        read_table(data, fmt),
        actor=actor,
        plan=plan,
        progress=progress,
        dry_run=dry_run,
        source=source,
        checkpoint=checkpoint,
        update_existing=update_existing,
    )


def import_table(
    uow: UnitOfWork,
    table: Table,
    *,
    actor: str,
    plan: NumberPlan | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    source: str | None = None,
    checkpoint: Callable[[], None] | None = None,
    update_existing: bool = False,
) -> ImportReport:
    plan = plan or NumberPlan()
    report = ImportReport(dry_run=dry_run)
    if not table or not any(table[0]):
        report.rejected.append(Rejection(1, "", "the file is empty or its first row is blank"))
        return report
    header = read_header(table[0])
    rows = [(n, cells) for n, cells in enumerate(table[1:], start=2) if any(cells)]
    report.total = len(rows)
    if header.rejections:
        report.rejected.extend(header.rejections)  # a misread column would misread every row
        return report
    # With checkpoints, small batches: the transaction is committed at the first batch end
    # after its time is up, so a slow machine still holds the write lock only briefly.
    batch = BATCH if checkpoint is None else 100
    taken = uow.customers.accounts_taken(_accounts(header, rows))
    first_row_of: dict[str, int] = {}
    pending: list[tuple[int, Customer]] = []
    for done, (row, cells) in enumerate(rows, start=1):
        customer, problems = parse_row(row, header, cells, plan)
        existing = _existing_account(header, cells, taken) if update_existing else None
        problems += _account_problems(
            row, header, cells, taken - {existing} if existing else taken, first_row_of
        )
        if not problems and existing is not None:
            assert customer is not None
            first_row_of[existing] = row
            problems = update_from_row(
                uow, row, header, customer, existing, actor=actor, dry_run=dry_run, report=report
            )
            if problems:
                report.rejected.extend(problems)
        elif problems:
            report.rejected.extend(in_file_order(header, problems))
        else:
            assert customer is not None
            if customer.account_number:
                first_row_of[customer.account_number] = row
            report.imported += 1
            if not dry_run:
                pending.append((row, customer))
        if len(pending) >= batch or (pending and done == report.total):
            if checkpoint is None:
                report.customer_ids += _add(uow, pending, actor, source)
            else:
                report.customer_ids += _add_guarded(uow, pending, actor, source, header, report)
                checkpoint()
            pending = []
        if progress is not None:
            progress(done, report.total)
    if not dry_run:
        uow.audit(
            actor,
            "customer.import_file",
            "customer",
            None,
            {
                "source": source,
                "rows": report.total,
                "imported": report.imported,
                "rejected_rows": len(report.rejected_rows),
            }
            | ({"updated": report.updated} if update_existing else {}),
        )
    return report


def _existing_account(header: Header, cells: list[str], taken: set[str]) -> str | None:
    if "account_number" not in header.keys:
        return None
    i = header.keys.index("account_number")
    account = cells[i].strip() if i < len(cells) else ""
    return account if account in taken else None


def _accounts(header: Header, rows: list[tuple[int, list[str]]]) -> list[str]:
    if "account_number" not in header.keys:
        return []
    i = header.keys.index("account_number")
    return [cells[i].strip() for _, cells in rows if i < len(cells) and cells[i].strip()]


def _account_problems(
    row: int, header: Header, cells: list[str], taken: set[str], first_row_of: dict[str, int]
) -> list[Rejection]:
    if "account_number" not in header.keys:
        return []
    i = header.keys.index("account_number")
    account = cells[i].strip() if i < len(cells) else ""
    column = header.written[i]
    if account in taken:
        return [Rejection(row, column, f"account number {account} already belongs to a customer")]
    if account in first_row_of:
        return [
            Rejection(
                row, column, f"account number {account} is also on row {first_row_of[account]}"
            )
        ]
    return []


def _add(
    uow: UnitOfWork, pending: list[tuple[int, Customer]], actor: str, source: str | None
) -> list[int]:
    # A few statements per batch instead of several per row: a large file holds the
    # database's write lock (SQLite) for seconds, not minutes.
    now = uow.clock()
    ids = uow.customers.add_many([c for _, c in pending], now)
    uow.audit_log.add_many(
        [
            AuditEntry(
                now, actor, "customer.import", "customer", str(i), {"row": row, "source": source}
            )
            for (row, _), i in zip(pending, ids, strict=True)
        ]
    )
    return ids


def _add_guarded(
    uow: UnitOfWork,
    pending: list[tuple[int, Customer]],
    actor: str,
    source: str | None,
    header: Header,
    report: ImportReport,
) -> list[int]:
    """:func:`_add` in a savepoint: between batches another writer may have taken an
    account number this file holds. Those rows are refused (and reported), the rest of
    the batch is written."""
    try:
        with uow.connection.begin_nested():
            return _add(uow, pending, actor, source)
    except IntegrityError:
        taken = uow.customers.accounts_taken(
            [c.account_number for _, c in pending if c.account_number]
        )
        if not taken:
            raise  # not an account clash: a real failure, for the caller to see
        column = header.written[header.keys.index("account_number")]
        keep = []
        for row, customer in pending:
            if customer.account_number in taken:
                report.imported -= 1
                report.rejected.append(
                    Rejection(
                        row,
                        column,
                        f"account number {customer.account_number} already belongs to a customer",
                    )
                )
            else:
                keep.append((row, customer))
        report.rejected.sort(key=lambda r: r.row)
        with uow.connection.begin_nested():
            return _add(uow, keep, actor, source)


def rejected_rows_table(table: Table, report: ImportReport) -> Table:
    """The refused rows of ``table`` with their reasons in a last column, for the user to
    fix and import again (the import ignores that column)."""
    reasons: dict[int, list[str]] = {}
    for r in report.rejected:
        reasons.setdefault(r.row, []).append(f"{r.column}: {r.reason}" if r.column else r.reason)
    if not table or 1 in reasons:
        return []
    header = [c for c in table[0]]
    width = len(header)
    if IGNORED_COLUMN in header:
        width = header.index(IGNORED_COLUMN)
        header = header[:width]
    out = [[*header, IGNORED_COLUMN]]
    for row in sorted(reasons):
        cells = table[row - 1][:width]
        out.append([*cells, *[""] * (width - len(cells)), "; ".join(reasons[row])])
    return out


def export_customers(uow: UnitOfWork, actor: str, fmt: TableFormat | str) -> bytes:
    """Every customer with phones, tags, contacts and archive, as a file import reads back.
    A bulk read of personal data, so it is audited."""
    everyone: list[Customer] = []
    for ids in uow.customers.iter_ids():
        everyone.extend(uow.customers.get_many(ids))
    width = max((len(c.contacts) for c in everyone), default=0)
    rows = [customer_row(c, width) for c in everyone]
    uow.audit(
        actor,
        "customer.export",
        "customer",
        None,
        {"customers": len(everyone), "format": TableFormat(fmt).value},
    )
    return write_table(fmt, header_for(width), rows, "customers")
