from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from crm.cli import admin_main
from crm.model.customer import ArchiveLocked, Contact, Customer, CustomerKind
from crm.model.customer_import import Rejection
from crm.services.customer_files import export_customers, import_customers
from crm.services.customers import add_customer, amend_archive, make_phone, update_customer
from crm.store import InteractionStore
from crm.tabular import read_table, write_csv
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock

# What Excel writes for "CSV UTF-8": a BOM, CRLF, Chinese headers and text.
MIXED = (
    "\ufeff客户名称,类型,户号,电话,标签,区域,联系人1姓名,联系人1电话\r\n"
    '张伟,个人,BJ-1,"+86 138 0013 8000 | 家=010-8888 6666 转 12",VIP，老客户,北京/朝阳区,,\r\n'
    "华为技术,集团,G-1,400 830 8300,,广东/深圳,王经理,13900139000;13700137000\r\n"
    "重复,个人,BJ-1,13600136000,,,,\r\n"
    ",,,,,,,\r\n"
    "老户,个人,OLD-1,abc,,,王,1\r\n"
    "Anna Li,individual,,0086 137 2000 3000,,,,\r\n"
).encode()


def _existing(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        add_customer(uow, Customer(name="老户", account_number="OLD-1"), "seed")
        uow.commit()


def test_import_writes_good_rows_and_reports_every_bad_cell(
    engine: Engine, clock: FakeClock
) -> None:
    _existing(engine, clock)
    seen: list[tuple[int, int]] = []
    with UnitOfWork(engine, clock=clock) as uow:
        report = import_customers(
            uow, MIXED, "csv", actor="boss", progress=lambda d, t: seen.append((d, t))
        )
        uow.commit()
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]  # the blank row is no customer
    assert (report.total, report.imported) == (5, 3)
    assert report.rejected == [
        Rejection(4, "户号", "account number BJ-1 is also on row 2"),
        Rejection(6, "户号", "account number OLD-1 already belongs to a customer"),
        Rejection(6, "电话", "'abc' is not a phone number"),
        Rejection(6, "联系人1姓名", "only group customers (kind group/集团) have contacts"),
        Rejection(6, "联系人1电话", "'1' is not a phone number"),
    ]
    assert report.rejected_rows == [4, 6]
    store = InteractionStore(engine)
    card = store.find_customer_by_phone("01088886666")
    assert card is not None and card.name == "张伟" and card.account_number == "BJ-1"
    contact = store.find_customer_by_phone("+86 137 0013 7000")
    assert contact is not None and contact.name == "华为技术" and contact.contact_id is not None
    assert store.find_customer_by_phone("13600136000") is None
    with UnitOfWork(engine, write=False) as uow:
        zhang = uow.customers.get(report.customer_ids[0])
        audit = uow.audit_log.query(actor="boss")
    assert zhang is not None and zhang.tags == {"VIP", "老客户"} and zhang.area == "北京/朝阳区"
    assert [a.action for a in audit].count("customer.import") == 3
    summary = next(a for a in audit if a.action == "customer.import_file")
    assert summary.detail == {"source": None, "rows": 5, "imported": 3, "rejected_rows": 2}


def test_dry_run_and_a_bad_header_write_nothing(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        report = import_customers(uow, MIXED, "csv", actor="boss", dry_run=True)
        bad = import_customers(uow, b"name,colour\nx,red\n", "csv", actor="boss")
        uow.commit()
        assert uow.customers.count() == 0
    assert report.dry_run and (report.total, report.imported) == (5, 3)
    assert bad.rejected == [Rejection(1, "colour", "unknown column")] and bad.imported == 0


def test_a_failure_underneath_writes_nothing(engine: Engine, clock: FakeClock) -> None:
    class Broken(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done == 2:
            raise Broken  # stands for a lost connection half way through

    with pytest.raises(Broken), UnitOfWork(engine, clock=clock) as uow:
        import_customers(uow, MIXED, "csv", actor="boss", progress=progress)
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        assert uow.customers.count() == 0


def _rich_customers(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        add_customer(
            uow,
            Customer(
                name="Mary Chen 陈美玲",
                account_number="GZ-1",
                grade="gold",
                segment="家庭",
                area="广东/广州/天河区",
                address="天河路 1 号",
                email="mary@example.cn",
                tags={"VIP", "投诉多"},
                phones=[
                    make_phone("+86 137 2000 3000", label="手机"),
                    make_phone("020-3888 1234 ext 8"),
                ],
                archive={"合同": "C-2024-001"},
                archive_locked=True,
            ),
            "seed",
        )
        add_customer(
            uow,
            Customer(
                name="=cmd|' /C calc'!A0",
                kind=CustomerKind.GROUP,
                phones=[make_phone("4008308300")],
                contacts=[
                    Contact(name="王经理", title="采购", phones=[make_phone("13900139000")]),
                    Contact(name="Li", email="li@example.cn"),
                ],
            ),
            "seed",
        )
        uow.commit()


def _comparable(c: Customer) -> tuple[object, ...]:
    contacts = [(x.name, x.title, x.email, x.phones) for x in c.contacts]
    return (c.name, c.kind, c.account_number, c.grade, c.segment, c.area, c.address, c.email,
            c.tags, c.phones, contacts, c.archive, c.archive_locked)  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trips_through_import(engine: Engine, clock: FakeClock, fmt: str) -> None:
    _rich_customers(engine, clock)
    with UnitOfWork(engine, clock=clock) as uow:
        data = export_customers(uow, "boss", fmt)
        before = [uow.customers.get(i) for i in (1, 2)]
        [audit] = uow.audit_log.query(action="customer.export")
        uow.commit()
    assert audit.detail == {"customers": 2, "format": fmt}
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        assert "'=cmd|" in data.decode("utf-8-sig")  # not a formula when Excel opens it
    with UnitOfWork(engine, clock=clock) as uow:
        for table in ("phone_numbers", "contacts", "customer_tags", "customers"):
            uow.connection.exec_driver_sql(f"DELETE FROM {table}")
        report = import_customers(uow, data, fmt, actor="boss")
        uow.commit()
    assert report.rejected == [] and report.imported == 2
    with UnitOfWork(engine, write=False) as uow:
        after = [uow.customers.get(i) for i in report.customer_ids]
    assert [_comparable(c) for c in after if c] == [_comparable(c) for c in before if c]


def test_xlsx_made_by_hand_with_numbers_imports(engine: Engine) -> None:
    book = Workbook()
    book.active.append(["姓名", "电话", "户号"])
    book.active.append(["赵六", 13800138000, 100234])
    out = io.BytesIO()
    book.save(out)
    with UnitOfWork(engine) as uow:
        report = import_customers(uow, out.getvalue(), "xlsx", actor="boss")
        uow.commit()
    assert report.imported == 1
    card = InteractionStore(engine).find_customer_by_phone("+8613800138000")
    assert card is not None and card.account_number == "100234"


def test_cli_imports_with_a_progress_bar_and_exports(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    source, rejected, exported = tmp_path / "in.csv", tmp_path / "bad.csv", tmp_path / "out.xlsx"
    source.write_bytes(MIXED)
    code = admin_main(
        ["--database", url, "import-customers", str(source), "--rejected-out", str(rejected)]
    )
    out, err = capsys.readouterr()
    assert code == 1  # some rows refused
    assert err.endswith("[##############################] 100% 5/5 rows\n")
    assert "\r[######........................]  20% 1/5 rows" in err
    assert out.splitlines() == [
        "imported 3 of 5 rows; 2 rows rejected:",
        "  row 4, column 户号: account number BJ-1 is also on row 2",
        "  row 6, column 电话: 'abc' is not a phone number",
        "  row 6, column 联系人1姓名: only group customers (kind group/集团) have contacts",
        "  row 6, column 联系人1电话: '1' is not a phone number",
        f"rejected rows written to {rejected}",
    ]
    fixable = read_table(rejected.read_bytes(), "csv")
    assert fixable[0][-1] == "import_errors" and fixable[1][:3] == ["重复", "个人", "BJ-1"]
    assert fixable[1][-1] == "户号: account number BJ-1 is also on row 2"
    fixable[1][2] = "BJ-2"  # the user fixes a row and imports the file as it is
    rejected.write_bytes(write_csv(fixable[0], fixable[1:2]))
    assert admin_main(["--database", url, "import-customers", str(rejected)]) == 0
    assert admin_main(["--database", url, "export-customers", str(exported)]) == 0
    assert "exported 4 customers" in capsys.readouterr().out
    exported_rows = read_table(exported.read_bytes(), "xlsx")
    assert sorted(r[0] for r in exported_rows[1:]) == ["", "BJ-1", "BJ-2", "G-1"]
    not_csv = tmp_path / "bad.xlsx"
    not_csv.write_bytes(b"PK\x03\x04 nope")
    assert admin_main(["--database", url, "import-customers", str(not_csv)]) == 2


def test_a_locked_archive_survives_any_write(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        cid = add_customer(uow, Customer(name="王芳"), "seed")
        amend_archive(uow, cid, {"合同": "C-1"}, "boss", lock=True)
        uow.commit()
    with UnitOfWork(engine, clock=clock) as uow:
        with pytest.raises(ArchiveLocked):
            amend_archive(uow, cid, {"合同": "forged"}, "mallory")
        with pytest.raises(ArchiveLocked):
            update_customer(uow, cid, {"archive": {}}, "mallory")
        # Even code that skips the handlers cannot overwrite it or take the lock off.
        customer = uow.customers.get(cid)
        assert customer is not None
        customer.archive, customer.archive_locked, customer.grade = {}, False, "gold"
        uow.customers.save(customer, clock())
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        stored = uow.customers.get(cid)
    assert stored is not None and stored.grade == "gold"
    assert stored.archive == {"合同": "C-1"} and stored.archive_locked


def test_a_batched_import_reports_an_account_taken_meanwhile(
    engine: Engine, clock: FakeClock
) -> None:
    """Committed batch by batch, an import lets other writers in between: one of them
    takes an account number of a later row. That row is refused and reported, the rest
    of its batch is written, nothing is lost silently."""
    rows = ["名称,户号"] + [f"客户{i},ACC-{i}" for i in range(1200)]
    data = ("\n".join(rows) + "\n").encode()
    batches = 0

    with UnitOfWork(engine, clock=clock) as uow:

        def checkpoint() -> None:
            nonlocal batches
            uow.commit()
            batches += 1
            if batches == 1:  # another writer, between two batches
                with UnitOfWork(engine, clock=clock) as other:
                    add_customer(other, Customer(name="抢先", account_number="ACC-900"), "x")
                    other.commit()
            uow.begin()

        report = import_customers(uow, data, "csv", actor="boss", checkpoint=checkpoint)
        uow.commit()
    assert batches == 12  # 100 rows a batch when committing as it goes
    assert report.imported == 1199 and report.rejected == [
        Rejection(902, "户号", "account number ACC-900 already belongs to a customer")
    ]
    with UnitOfWork(engine, write=False) as uow:
        assert uow.customers.count() == 1200
        assert len(report.customer_ids) == 1199
