from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from crm.customer_rows import customer_row, header_for, parse_row, read_header
from crm.model.customer import Customer, CustomerKind
from crm.model.customer_import import Rejection
from crm.phone import NumberPlan
from crm.tabular import (
    TableFormat,
    UnreadableTable,
    guess_format,
    read_table,
    write_csv,
    write_xlsx,
)

PLAN = NumberPlan()


def _parse(
    header: list[str], cells: list[str], row: int = 2
) -> tuple[Customer | None, list[Rejection]]:
    return parse_row(row, read_header(header), cells, PLAN)


def test_chinese_headers_map_to_columns() -> None:
    header = read_header(["客户名称", "户号", "手机", "标签", "联系人1姓名", "联系人1电话", ""])
    assert header.keys == (
        "name",
        "account_number",
        "phones",
        "tags",
        "contact1_name",
        "contact1_phones",
        "",
    )
    assert header.rejections == ()


def test_a_bad_header_is_refused_on_row_one() -> None:
    header = read_header(["Name", "phone", "phones", "colour"])
    assert header.rejections == (
        Rejection(1, "phones", "column phones appears twice"),
        Rejection(1, "colour", "unknown column"),
    )
    assert read_header(["phones"]).rejections == (
        Rejection(1, "name", "the file has no name column"),
    )


def test_a_good_row_in_every_common_phone_form() -> None:
    customer, problems = _parse(
        ["name", "kind", "phones", "tags", "account_number", "grade", "area"],
        [
            " 张伟 ",
            "个人",
            "+86 138-0013-8000 | 家=010 8888 6666 转 12\n０１３９１１１１２２２２,(0)21 6000 1234",
            "VIP，老客户; vip",
            "BJ-1",
            "gold",
            "北京/朝阳区",
        ],
    )
    assert problems == [] and customer is not None
    assert customer.name == "张伟" and customer.kind is CustomerKind.INDIVIDUAL
    assert [(p.key, p.extension, p.label) for p in customer.phones] == [
        ("8613800138000", None, None),
        ("861088886666", "12", "家"),
        ("8613911112222", None, None),
        ("862160001234", None, None),
    ]
    assert customer.tags == {"VIP", "老客户", "vip"}


def test_ascii_comma_is_an_extension_or_a_second_number() -> None:
    customer, _ = _parse(["name", "phones"], ["x", "010-88886666,123; 13900139000"])
    assert customer is not None
    assert [(p.key, p.extension) for p in customer.phones] == [
        ("861088886666", "123"),
        ("8613900139000", None),
    ]


def test_every_problem_of_a_row_is_reported_by_column() -> None:
    customer, problems = _parse(
        ["名称", "类型", "电话", "邮箱", "archive", "archive_locked"],
        ["", "外星人", "12 | abc", "no-at-sign", "[1]", "maybe"],
        row=7,
    )
    assert customer is None
    assert problems == [
        Rejection(7, "名称", "a customer needs a name"),
        Rejection(7, "类型", "kind '外星人' is not individual or group (个人/集团)"),
        Rejection(7, "电话", "'12' is not a phone number"),
        Rejection(7, "电话", "'abc' is not a phone number"),
        Rejection(7, "邮箱", "'no-at-sign' is not an e-mail address"),
        Rejection(7, "archive", "the archive must be a JSON object"),
        Rejection(7, "archive_locked", "'maybe' is not true or false"),
    ]


def test_contacts_belong_to_group_customers_only() -> None:
    header = ["name", "kind", "contact1_name", "contact1_phones", "contact2_title"]
    group, problems = _parse(header, ["华为", "集团", "王经理", "13900139000", ""])
    assert problems == [] and group is not None and group.kind is CustomerKind.GROUP
    assert [(c.name, [p.key for p in c.phones]) for c in group.contacts] == [
        ("王经理", ["8613900139000"])
    ]
    _, problems = _parse(header, ["张三", "individual", "王", "", ""])
    assert problems == [
        Rejection(2, "contact1_name", "only group customers (kind group/集团) have contacts")
    ]
    _, problems = _parse(header, ["华为", "group", "", "", "经理"])
    assert problems == [Rejection(2, "contact2_name", "a contact needs a name")]


def test_a_value_under_no_header_is_refused_not_dropped() -> None:
    _, problems = _parse(["name", "", "phones"], ["x", "lost?", "13800138000", "extra"])
    assert problems == [
        Rejection(2, "column 2", "a value under no header"),
        Rejection(2, "column 4", "a value under no header"),
    ]
    customer, problems = _parse(["name", "", "import_errors"], ["x", "", "old reason"])
    assert problems == [] and customer is not None


def test_over_long_values_are_refused() -> None:
    _, problems = _parse(["name", "grade"], ["x" * 201, "g" * 33])
    assert [p.column for p in problems] == ["name", "grade"]


def test_a_customer_row_reads_back_as_the_same_customer() -> None:
    header = ["name", "kind", "phones", "tags", "archive", "archive_locked", "contact1_name"]
    original, _ = _parse(
        header,
        [
            "=HYPERLINK(1)",
            "group",
            "办公=+86 10 8888 6666 ext 9",
            "a|b",
            '{"合同": "C-1"}',
            "是",
            "李",
        ],
    )
    assert original is not None
    written = header_for(1)
    again, problems = parse_row(3, read_header(written), customer_row(original, 1), PLAN)
    assert problems == [] and again == original


def test_csv_with_bom_gbk_and_semicolons() -> None:
    rows = [["name", "phones"], ["张伟", "13800138000"]]
    assert read_table("\ufeffname,phones\r\n张伟,13800138000\r\n".encode(), "csv") == rows
    assert read_table("name,phones\n张伟,13800138000\n".encode("gb18030"), "csv") == rows
    assert read_table("name;phones\n张伟;13800138000\n".encode(), "csv") == rows
    assert read_table("name\tphones\n张伟\t13800138000\n".encode("utf-16"), "csv") == rows
    with pytest.raises(UnreadableTable):
        read_table(b"name\n\x00\xff\xfe\xfa", "csv")


def test_xlsx_numbers_come_back_as_typed() -> None:
    book = Workbook()
    book.active.append(["name", "phones", "account_number"])
    book.active.append(["张伟", 13800138000, 1001.0])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    assert guess_format(data) is TableFormat.XLSX and guess_format(b"a,b") is TableFormat.CSV
    assert read_table(data, "xlsx") == [
        ["name", "phones", "account_number"],
        ["张伟", "13800138000", "1001"],
    ]
    with pytest.raises(UnreadableTable):
        read_table(b"PK\x03\x04 not really", "xlsx")


def test_exports_do_not_carry_formulas() -> None:
    rows = [["=1+1", "+86 138 0013 8000", "+cmd|' /C calc'!A0", "-5", "@SUM(A1)"]]
    text = write_csv(["a", "b", "c", "d", "e"], rows).decode("utf-8-sig")
    assert text.splitlines()[1] == "'=1+1,+86 138 0013 8000,'+cmd|' /C calc'!A0,-5,'@SUM(A1)"
    assert read_table(write_csv(["a", "b", "c", "d", "e"], rows), "csv")[1] == rows[0]
    sheet = load_workbook(io.BytesIO(write_xlsx(["a"], [["=1+1"]]))).active
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
