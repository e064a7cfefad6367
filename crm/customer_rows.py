"""Customers as spreadsheet rows: the columns, their Chinese aliases, and row validation.

Pure: a row of strings in, a ``Customer`` or the list of what is wrong with it out. One row
is one customer. Lists inside a cell are separated by ``|`` (also newline, 、 ， ；); tags
accept ``,`` and ``;`` too. A phone may carry a label as ``mobile=138 0013 8000``. Group
customers list contacts in numbered columns: ``contact1_name``, ``contact1_title``,
``contact1_email``, ``contact1_phones``, ``contact2_name``, ... (or 联系人1姓名, 联系人1电话 ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from crm.model.customer import Contact, Customer, CustomerKind, Phone
from crm.model.customer_import import Rejection
from crm.phone import InvalidPhoneNumber, NumberPlan, normalize

COLUMNS = (
    "account_number",
    "name",
    "kind",
    "grade",
    "segment",
    "tags",
    "area",
    "address",
    "email",
    "phones",
    "archive",
    "archive_locked",
)
CONTACT_FIELDS = ("name", "title", "email", "phones")
# The reasons column of a rejected-rows file; ignored so the fixed file imports as it is.
IGNORED_COLUMN = "import_errors"
LIMITS = {
    "account_number": 64,
    "name": 200,
    "grade": 32,
    "segment": 64,
    "area": 200,
    "email": 200,
    "title": 200,
    "tag": 64,
    "phone": 64,
    "label": 32,
}
ALIASES = {
    "name": ("姓名", "名称", "客户名称", "客户姓名", "customer", "customer_name"),
    "kind": ("类型", "客户类型", "type"),
    "account_number": ("账号", "帐号", "户号", "客户编号", "用户编号", "account", "account_no"),
    "grade": ("等级", "客户等级", "level"),
    "segment": ("细分", "客户群", "分群", "客户细分"),
    "tags": ("标签", "tag"),
    "area": ("区域", "地区", "片区"),
    "address": ("地址", "联系地址"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "e-mail", "mail"),
    "phones": ("电话", "手机", "手机号", "联系电话", "电话号码", "phone", "phone_numbers"),
    "archive": ("档案",),
    "archive_locked": ("档案锁定",),
}
_ALIAS = {alias: column for column, names in ALIASES.items() for alias in (column, *names)}
_CONTACT_ZH = {"姓名": "name", "职务": "title", "职位": "title", "邮箱": "email", "电话": "phones"}
_CONTACT = re.compile(
    r"^contact_?(\d+)_?(name|title|email|phones?)$|^联系人(\d+)(姓名|职务|职位|邮箱|电话)$"
)
KINDS = {
    "individual": CustomerKind.INDIVIDUAL,
    "person": CustomerKind.INDIVIDUAL,
    "个人": CustomerKind.INDIVIDUAL,
    "个人客户": CustomerKind.INDIVIDUAL,
    "group": CustomerKind.GROUP,
    "company": CustomerKind.GROUP,
    "集团": CustomerKind.GROUP,
    "集团客户": CustomerKind.GROUP,
    "单位": CustomerKind.GROUP,
    "企业": CustomerKind.GROUP,
    "公司": CustomerKind.GROUP,
}
_TRUE, _FALSE = {"true", "1", "yes", "y", "是"}, {"false", "0", "no", "n", "否", ""}
_LIST = re.compile(r"[|\n、，；]")
_TAG_LIST = re.compile(r"[|\n、，；,;]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Complain = Callable[[str, str], None]  # (column key, reason)


@dataclass(frozen=True)
class Header:
    """The file's header: for each position, our key (``name``, ``contact2_phones``) and the
    text the user wrote, used in rejections."""

    keys: tuple[str, ...]
    written: tuple[str, ...]
    rejections: tuple[Rejection, ...] = ()


def read_header(cells: Sequence[str]) -> Header:
    keys: list[str] = []
    problems: list[Rejection] = []
    for text in cells:
        key = column_key(text)
        if not text.strip() or text.strip() == IGNORED_COLUMN:
            key = ""  # a blank header over an unused column, as Excel leaves them
        elif key is None:
            problems.append(Rejection(1, text, "unknown column"))
            key = ""
        elif key in keys:
            problems.append(Rejection(1, text, f"column {key} appears twice"))
            key = ""
        keys.append(key)
    if "name" not in keys:
        problems.append(Rejection(1, "name", "the file has no name column"))
    return Header(tuple(keys), tuple(cells), tuple(problems))


def column_key(text: str) -> str | None:
    plain = re.sub(r"[\s\-]+", "_", text.strip().lower())
    if plain in _ALIAS:
        return _ALIAS[plain]
    match = _CONTACT.match(plain)
    if match is None:
        return None
    number = match.group(1) or match.group(3)
    part = match.group(2) or _CONTACT_ZH[match.group(4)]
    return f"contact{int(number)}_{'phones' if part.startswith('phone') else part}"


def parse_row(
    row: int, header: Header, cells: Sequence[str], plan: NumberPlan
) -> tuple[Customer | None, list[Rejection]]:
    """The customer on spreadsheet row ``row``, or None and every reason it was refused."""
    values = {k: (cells[i].strip() if i < len(cells) else "") for i, k in enumerate(header.keys)}
    named = dict(zip(header.keys, header.written, strict=True))
    problems: list[Rejection] = []

    def bad(key: str, reason: str) -> None:
        problems.append(Rejection(row, named.get(key, key), reason))

    def text(key: str, limit: str | None = None) -> str | None:
        value = values.get(key) or None
        if value is not None and len(value) > LIMITS[limit or key]:
            bad(key, f"longer than {LIMITS[limit or key]} characters")
        return value

    for i, cell in enumerate(cells):
        unnamed = i >= len(header.keys) or not header.written[i].strip()
        if unnamed and cell.strip():
            # Dropping it would lose data without a word; the user must name the column.
            problems.append(Rejection(row, f"column {i + 1}", "a value under no header"))
    name = text("name")
    if name is None:
        bad("name", "a customer needs a name")
    kind = KINDS.get((values.get("kind") or "individual").lower())
    if kind is None:
        bad("kind", f"kind {values['kind']!r} is not individual or group (个人/集团)")
    email = text("email")
    if email is not None and not _EMAIL.match(email):
        bad("email", f"{email!r} is not an e-mail address")
    tags = {t.strip() for t in _TAG_LIST.split(values.get("tags", "")) if t.strip()}
    for tag in sorted(tags):
        if len(tag) > LIMITS["tag"]:
            bad("tags", f"tag {tag[:20]!r}... is longer than {LIMITS['tag']} characters")
    archive, locked = _archive(values, bad)
    customer = Customer(
        name=name or "",
        kind=kind or CustomerKind.INDIVIDUAL,
        account_number=text("account_number"),
        segment=text("segment"),
        grade=text("grade"),
        area=text("area"),
        address=values.get("address") or None,
        email=email,
        tags=tags,
        phones=parse_phones(values.get("phones", ""), plan, lambda r: bad("phones", r)),
        contacts=_contacts(values, plan, bad),
        archive=archive,
        archive_locked=locked,
    )
    if customer.contacts and kind is CustomerKind.INDIVIDUAL:
        first = next(k for k in header.keys if k.startswith("contact") and values.get(k))
        bad(first, "only group customers (kind group/集团) have contacts")
    return (None, in_file_order(header, problems)) if problems else (customer, [])


def in_file_order(header: Header, problems: list[Rejection]) -> list[Rejection]:
    """Sorted by row, then by column as they stand in the file, as the user reads them."""
    position = {w: i for i, w in enumerate(header.written) if w.strip()}

    def place(r: Rejection) -> tuple[int, int]:
        if r.column in position:
            return r.row, position[r.column]
        number = r.column.removeprefix("column ")
        return r.row, int(number) - 1 if number.isdigit() else len(header.written)

    return sorted(problems, key=place)


def _split_ascii(part: str) -> list[str]:
    # ASCII , and ; also mark an extension ("010-8888 6666,123"), so they part two numbers
    # only when what follows has enough digits to be a number of its own.
    pieces = re.split(r"([,;])", part)
    items = [pieces[0]]
    for sep, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        if len(re.sub(r"\D", "", piece)) >= 7:
            items.append(piece)
        else:
            items[-1] += sep + piece
    return items


def parse_phones(cell: str, plan: NumberPlan, bad: Callable[[str], None]) -> list[Phone]:
    """Every phone in ``cell``; each one that is not a number is reported through ``bad``."""
    phones: list[Phone] = []
    seen: set[tuple[str, str | None]] = set()
    for part in _LIST.split(cell):
        for item in _split_ascii(part):
            item = item.strip()
            if not item:
                continue
            written_label, _, raw = item.rpartition("=")
            raw, label = raw.strip(), written_label.strip() or None
            if len(raw) > LIMITS["phone"] or (label and len(label) > LIMITS["label"]):
                bad(f"{item[:30]!r} is too long for a phone number or its label")
                continue
            try:
                number = normalize(raw, plan)
            except InvalidPhoneNumber:
                bad(f"{raw!r} is not a phone number")
                continue
            if (number.key, number.extension) in seen:
                continue  # the same number written twice in two forms
            seen.add((number.key, number.extension))
            phones.append(Phone(raw=raw, key=number.key, extension=number.extension, label=label))
    return phones


def _contacts(values: dict[str, str], plan: NumberPlan, bad: Complain) -> list[Contact]:
    numbers = sorted({int(k[7 : k.index("_")]) for k in values if k.startswith("contact")})
    contacts = []
    for n in numbers:
        cell = {f: values.get(f"contact{n}_{f}", "") for f in CONTACT_FIELDS}
        if not any(cell.values()):
            continue
        key = f"contact{n}_"
        if not cell["name"]:
            bad(key + "name", "a contact needs a name")
        for f in ("name", "title", "email"):
            if len(cell[f]) > LIMITS["name" if f == "name" else f]:
                bad(key + f, "too long")
        if cell["email"] and not _EMAIL.match(cell["email"]):
            bad(key + "email", f"{cell['email']!r} is not an e-mail address")
        phones = parse_phones(cell["phones"], plan, partial(bad, key + "phones"))
        contacts.append(
            Contact(
                name=cell["name"],
                title=cell["title"] or None,
                email=cell["email"] or None,
                phones=phones,
            )
        )
    return contacts


def _archive(values: dict[str, str], bad: Complain) -> tuple[dict[str, object], bool]:
    archive: dict[str, object] = {}
    if values.get("archive"):
        try:
            loaded = json.loads(values["archive"])
        except json.JSONDecodeError as error:
            bad("archive", f"not JSON: {error.msg}")
        else:
            if isinstance(loaded, dict):
                archive = loaded
            else:
                bad("archive", "the archive must be a JSON object")
    flag = values.get("archive_locked", "").lower()
    if flag not in _TRUE | _FALSE:
        bad("archive_locked", f"{flag!r} is not true or false")
    return archive, flag in _TRUE


def header_for(max_contacts: int) -> list[str]:
    extra = [f"contact{n}_{f}" for n in range(1, max_contacts + 1) for f in CONTACT_FIELDS]
    return [*COLUMNS, *extra]


def _phones_cell(phones: list[Phone]) -> str:
    return " | ".join(f"{p.label}={p.raw}" if p.label else p.raw for p in phones)


def customer_row(customer: Customer, max_contacts: int) -> list[str]:
    """The customer as one row under ``header_for(max_contacts)``; import reads it back."""
    row = [
        customer.account_number or "",
        customer.name,
        customer.kind.value,
        customer.grade or "",
        customer.segment or "",
        " | ".join(sorted(customer.tags)),
        customer.area or "",
        customer.address or "",
        customer.email or "",
        _phones_cell(customer.phones),
        json.dumps(customer.archive, ensure_ascii=False, sort_keys=True)
        if customer.archive
        else "",
        "true" if customer.archive_locked else "false",
    ]
    for n in range(max_contacts):
        if n < len(customer.contacts):
            c = customer.contacts[n]
            row += [c.name, c.title or "", c.email or "", _phones_cell(c.phones)]
        else:
            row += ["", "", "", ""]
    return row
