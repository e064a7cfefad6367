"""The toolkit alone: times in the site's zone, the catalogs per language, templates and
static files found by unique names, the layout's CSRF wiring and escaping."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from cti.webkit import i18n, pages, timefmt
from cti.webkit.static import FILES


def test_localtime_is_the_site_zone_not_the_servers() -> None:
    noon_utc = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert timefmt.localtime(noon_utc, "Asia/Shanghai") == "2026-03-01 20:00"
    assert timefmt.localtime(noon_utc, "Europe/London") == "2026-03-01 12:00"
    # epoch seconds and naive UTC datetimes (the database's) are read as UTC
    assert timefmt.localtime(noon_utc.timestamp(), "Asia/Shanghai") == "2026-03-01 20:00"
    assert timefmt.localtime(datetime(2026, 3, 1, 16, 30), "Asia/Shanghai") == "2026-03-02 00:30"
    assert timefmt.localdate(datetime(2026, 3, 1, 16, 30), "Asia/Shanghai") == "2026-03-02"
    assert timefmt.localtime(None) == ""


def test_a_day_is_the_sites_day() -> None:
    start, end = timefmt.day_bounds(date(2026, 3, 2), "Asia/Shanghai")
    assert start == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    first, last = timefmt.days_range(date(2026, 3, 1), date(2026, 3, 31), "Asia/Shanghai")
    assert (last - first).days == 31
    with pytest.raises(ValueError):
        timefmt.days_range(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ValueError):
        timefmt.parse_day("2026-13-01")


def test_filters_in_templates_use_the_configured_zone() -> None:
    env = pages.make_env("en", "America/New_York")
    out = env.from_string("{{ t|localtime }} / {{ t|localdate }}").render(t=1772366400)
    assert out == "2026-03-01 07:00 / 2026-03-01"  # 12:00 UTC, EST


def test_catalogs_translate_per_language_and_fill_placeholders() -> None:
    assert i18n.gettext_for("zh", "Log in") == "登录"
    assert i18n.gettext_for("en", "Log in") == "Log in"
    msg = "Too many failed logins; try again in %(n)s seconds"
    assert i18n.gettext_for("zh", msg, n=7) == "登录失败次数过多，请在 7 秒后再试"
    # one English word, two meanings: the context picks the Chinese
    assert i18n.pgettext_for("zh", "dispositions", "Resolved") == "已解决"
    assert i18n.pgettext_for("zh", "ticket states", "Resolved") == "已办结"


def test_jinja_trans_blocks_escape_what_they_interpolate() -> None:
    env = pages.make_env("zh")
    html = env.from_string(
        "{% trans n=n %}Too many failed logins; try again in {{ n }} seconds{% endtrans %}"
    ).render(n="<b>5</b>")
    assert "&lt;b&gt;5&lt;/b&gt;" in html and "登录失败次数过多" in html


def test_template_and_static_names_are_unique_across_packages() -> None:
    names = Counter(p.name for d in pages.template_dirs() for p in d.glob("*.html"))
    assert [n for n, c in names.items() if c > 1] == []
    assert "htmx.min.js" in FILES and "echarts.min.js" in FILES
    folders = Counter(
        f.name
        for root in i18n.package_dirs()
        for d in root.rglob("static")
        if d.is_dir()
        for f in d.iterdir()
        if f.suffix in (".js", ".css", ".txt")
    )
    assert [n for n, c in folders.items() if c > 1] == []


def test_the_layout_wires_csrf_for_htmx_and_links_the_vendored_scripts() -> None:
    env = pages.make_env("en")
    html = env.get_template("layout.html").render(
        identity=type("U", (), {"username": "<i>x</i>"})(),
        csrf_token="tok123",
        nav=[],
        path="/",
        csrf_field=lambda: "",
    )
    assert '<meta name="csrf-token" content="tok123">' in html
    assert '<script src="/static/htmx.min.js"></script>' in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html
    js = FILES["webkit.js"].read_text()
    assert "htmx:configRequest" in js and "X-CSRF-Token" in js
    licence = FILES["htmx.LICENSE.txt"].read_text()
    assert "Zero-Clause BSD" in licence
