"""Every string the admin and report pages show (crm/web: Python and Jinja2) has a
Simplified Chinese translation in crm's catalogs, and none of them conflicts with another
catalog's translation of the same English text."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[3]
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "N_": None, "gettext": None, "translate": (2,)}


def _catalog(path: Path) -> dict[str, str]:
    with path.open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def test_every_backoffice_string_is_translated_once() -> None:
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO / "crm" / "web"), METHODS, OPTIONS, KEYWORDS
        )
    }
    assert len(found) > 150  # the extraction sees the pages, not nothing
    ours: dict[str, str] = {}
    for name in ("admin.po", "reports.po"):
        ours.update(_catalog(REPO / "crm" / "locale" / "zh_CN" / "LC_MESSAGES" / name))
    missing = sorted(m for m in found if not ours.get(m))
    assert not missing, f"no zh_CN translation for {missing}"
    conflicts = []
    for other in sorted(REPO.glob("*/locale/zh_CN/LC_MESSAGES/*.po")):
        for msgid, text in _catalog(other).items():
            if msgid in ours and text and text != ours[msgid]:
                conflicts.append(f"{msgid!r}: {ours[msgid]!r} here, {text!r} in {other.name}")
    assert not conflicts, conflicts
