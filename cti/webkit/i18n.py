"""One i18n mechanism for every page: Babel message catalogs, msgid = the English text.

Each feature keeps its catalog beside its code, ``<package>/locale/zh_CN/LC_MESSAGES/
<feature>.po``; :func:`catalogs` merges every ``.po`` found under the runtime packages.
English needs no catalog. The language of a request is ``?lang=zh|en``, then the
``cti_lang`` cookie (set by the language switch), then Chinese.
"""

from __future__ import annotations

import gettext
import importlib.util
import io
from functools import cache
from pathlib import Path

from aiohttp import web
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LOCALES = {"zh": "zh_CN"}  # our language codes -> catalog folders; en is the msgid itself
COOKIE = "cti_lang"
# Every package the running program ships (pyproject's packages.find).
RUNTIME_PACKAGES = ("cti", "ivr", "routing", "agent_desktop", "recordings", "crm")


def N_(msgid: str) -> str:
    """Mark a module-level string for extraction; translate it where it is shown."""
    return msgid


def NP_(context: str, msgid: str) -> str:
    """Mark a string with a message context (one English word, two meanings)."""
    return msgid


def lang_of(request: web.Request) -> str:
    lang = request.query.get("lang") or request.cookies.get(COOKIE) or DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


def package_dirs() -> list[Path]:
    """The folders of the runtime packages, found without importing them."""
    out = []
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            out.extend(Path(p) for p in spec.submodule_search_locations)
    return out


def po_files(locale: str) -> list[Path]:
    return sorted(
        p
        for root in package_dirs()
        for p in root.rglob(f"locale/{locale}/LC_MESSAGES/*.po")
        if "__pycache__" not in p.parts
    )


def read_catalog(path: Path, locale: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=path.stem)


def _translations(catalog: Catalog) -> Translations:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=catalog.domain)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The merged catalog of ``lang`` (read once per process)."""
    locale = LOCALES.get(lang)
    if locale is None:
        return gettext.NullTranslations()
    merged: Translations | None = None
    for path in po_files(locale):
        t = _translations(read_catalog(path, locale))
        if merged is None:
            merged = t
        else:
            merged.merge(t)
    return merged if merged is not None else gettext.NullTranslations()


def gettext_for(lang: str, msgid: str, **params: object) -> str:
    text = translations(lang).gettext(msgid)
    return text % params if params else text


def pgettext_for(lang: str, context: str, msgid: str, **params: object) -> str:
    text = translations(lang).pgettext(context, msgid)
    return text % params if params else text


def ngettext_for(lang: str, singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(lang).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def translate(request: web.Request, msgid: str, **params: object) -> str:
    """``msgid`` (English) in the request's language; ``%(name)s`` filled from params."""
    return gettext_for(lang_of(request), msgid, **params)


def ntranslate(request: web.Request, singular: str, plural: str, n: int, **params: object) -> str:
    """The plural form for ``n`` (``%(num)s`` is ``n``)."""
    return ngettext_for(lang_of(request), singular, plural, n, **params)


def labels(context: str, table: dict[str, str], lang: str) -> dict[str, str]:
    """A table code -> msgid (marked ``NP_(context, ...)``) in ``lang``."""
    return {k: pgettext_for(lang, context, v) for k, v in table.items()}


def both_languages(context: str, table: dict[str, str]) -> dict[str, tuple[str, str]]:
    """code -> (Chinese, English): for matching what a person typed in either language."""
    return {k: (pgettext_for("zh", context, v), v) for k, v in table.items()}
