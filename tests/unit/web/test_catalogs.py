"""Translations are complete: every string a person reads (Python, Jinja templates, the
tables the desk's scripts receive) has a non-empty zh_CN translation in the catalogs,
and no msgid means two different things in two catalogs."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from cti.webkit import i18n

# What marks text for translation in this code base (see cti/webkit/i18n.py).
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "N_": None,
    "NP_": ((1, "c"), 2),
    "translate": (2,),
    "gettext_for": (2,),
    "pgettext_for": ((2, "c"), 3),
    "ntranslate": (2, 3),
    "ngettext_for": (2, 3),
}
METHODS = [
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]


def extracted() -> dict[tuple[str | None, str], list[str]]:
    """(context, msgid) -> where it is used, over every runtime package."""
    found: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for root in i18n.package_dirs():
        for name, lineno, message, _comments, context in extract_from_dir(
            str(root), METHODS, keywords=KEYWORDS, comment_tags=()
        ):
            if "__pycache__" in name or "/.venv" in name:
                continue
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found[(context, msgid)].append(f"{root.name}/{name}:{lineno}")
    return found


def catalog_entries() -> dict[tuple[str | None, str], list[tuple[Path, str]]]:
    entries: dict[tuple[str | None, str], list[tuple[Path, str]]] = defaultdict(list)
    for path in i18n.po_files("zh_CN"):
        for m in i18n.read_catalog(path, "zh_CN"):
            if not m.id:
                continue
            msgid = m.id[0] if isinstance(m.id, tuple) else m.id
            text = m.string if isinstance(m.string, str) else "|".join(m.string)
            entries[(m.context, msgid)].append((path, text))
    return entries


def test_the_extraction_sees_every_feature() -> None:
    # Guards the test itself: a broken extractor would find nothing and pass.
    places = {where.split("/")[0] for uses in extracted().values() for where in uses}
    assert {"cti", "agent_desktop", "recordings"} <= places, places


def test_every_msgid_has_a_chinese_translation() -> None:
    entries = catalog_entries()
    missing = [
        f"{msgid!r} (context {ctx!r}) used at {uses[0]}"
        for (ctx, msgid), uses in sorted(extracted().items(), key=lambda kv: kv[1][0])
        if not any(text.strip() for _path, text in entries.get((ctx, msgid), []))
    ]
    assert not missing, "untranslated (add to the feature's zh_CN .po):\n" + "\n".join(missing)


def test_no_msgid_has_two_different_translations() -> None:
    conflicts = [
        f"{msgid!r} (context {ctx!r}): "
        + "; ".join(f"{p.parent.parent.parent.parent.name}/{p.name}={t!r}" for p, t in found)
        for (ctx, msgid), found in catalog_entries().items()
        if len({t for _p, t in found}) > 1
    ]
    assert not conflicts, "one msgid, two meanings (give one a context):\n" + "\n".join(conflicts)


def test_placeholders_survive_translation() -> None:
    # A translation that drops %(n)s or {left} shows people a number-less sentence.
    import re

    holes = re.compile(r"%\(\w+\)s|\{\w+\}")
    bad = [
        f"{msgid!r} -> {text!r}"
        for (_ctx, msgid), found in catalog_entries().items()
        for _p, text in found
        if sorted(holes.findall(msgid)) != sorted(holes.findall(text))
    ]
    assert not bad, "\n".join(bad)
