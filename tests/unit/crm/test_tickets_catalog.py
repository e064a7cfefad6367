"""Every string of the ticket-work pages (crm/web) has a Chinese translation in
crm/locale/zh_CN/LC_MESSAGES/tickets.po, and the pages render it."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[3]
CATALOG = REPO / "crm" / "locale" / "zh_CN" / "LC_MESSAGES" / "tickets.po"


def _msgids() -> set[str]:
    found = extract_from_dir(
        str(REPO / "crm" / "web"),
        method_map=[("**.py", "python"), ("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    out = set()
    for _file, _line, message, _comments, _context in found:
        out.update([message] if isinstance(message, str) else [m for m in message if m])
    return out


def test_every_msgid_of_the_pages_has_a_chinese_translation() -> None:
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    translated = {str(m.id): str(m.string) for m in catalog if m.id}
    wanted = _msgids()
    assert len(wanted) > 100  # the extractor saw the templates
    missing = sorted(m for m in wanted if not translated.get(m, "").strip())
    assert not missing, missing
