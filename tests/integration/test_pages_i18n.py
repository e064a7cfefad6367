"""Every page, as every role that may open it, in Chinese and in English: no English left
on a Chinese page and no Chinese on an English one (beyond an allow-list of codes and
names); each role lands on its home; the navigation links only pages the role may open."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from crm.auth import create_user
from crm.db import make_engine
from crm.uow import UnitOfWork
from cti import roles
from cti.web import make_app
from cti.webauth import crm_authenticator
from cti.webkit import nav
from tests.integration.enginekit import rig
from tests.integration.test_role_matrix import USERS, concrete, login, routes

# Words that stay as they are in Chinese text: product and protocol names, units, codes.
ALLOWED_ASCII = {
    "CTI",
    "AMI",
    "Asterisk",
    "IVR",
    "ASA",
    "AHT",
    "PBX",
    "CRM",
    "Vosk",
    "English",
    "sha256",
    "T",
    "s",
    "vosk",
    "model",
    "small",
    "cn",
    "en",
    "us",
    "zh",
    "opt",
    "models",
    "yaml",
    "recordings",
    "site",
    "transcribe",
    "false",
    "e.g",
}
HAN = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z][A-Za-z]+")
SKIP_PATHS = ("/static/", "/desk/static/", "/api/", "/metrics", "/health", "/logout")


class Visible(HTMLParser):
    """The text a person reads: element text and placeholder/title/alt attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "title"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "alt", "aria-label") and value:
                self.out.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "title"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.out.append(data.strip())


def visible(html: str) -> list[str]:
    parser = Visible()
    parser.feed(html)
    return parser.out


def untranslated(lang: str, texts: list[str], names: set[str]) -> list[str]:
    bad = []
    for t in texts:
        for name in names:
            t = t.replace(name, "")
        if lang == "zh":
            if [w for w in WORD.findall(t) if w not in ALLOWED_ASCII]:
                bad.append(t)
        elif HAN.search(t) and t != "中文":
            bad.append(t)
    return bad


def test_the_checker_flags_leftovers() -> None:
    html = "<p>工单</p><p>Tickets</p><input placeholder='Search'><script>var x</script>"
    assert untranslated("zh", visible(html), set()) == ["Tickets", "Search"]
    assert untranslated("en", visible("<p>工单</p><a>中文</a>"), set()) == ["工单"]


async def test_every_page_in_both_languages_as_every_role(tmp_path: Path) -> None:
    async with rig(tmp_path, time_scale=0.05) as r:
        sql = make_engine(r.engine.settings.database_url)
        fast = PasswordHasher(time_cost=1, memory_cost=8192)
        with UnitOfWork(sql) as uow:
            for role, name in USERS.items():
                create_user(uow, username=name, password=f"{name}-password", role=role, hasher=fast)
            uow.commit()
        app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
        # Names people gave things (users, agents, servers) are shown as they are.
        names = set(USERS.values()) | {a.name for a in r.engine.settings.agents}
        names |= set(r.engine.sessions)
        try:
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                pages = [
                    (path, need)
                    for method, path, need in routes(app)
                    if method == "GET"
                    and not path.startswith(SKIP_PATHS)
                    and not path.endswith((".json", "/ws"))
                ]
                assert {"/status", "/desk", "/wallboard", "/recordings", "/login"} <= {
                    p for p, _ in pages
                }
                wrong: list[str] = []
                seen = 0
                for role, name in USERS.items():
                    await login(client, name)
                    for path, need in pages:
                        if path == "/" or not roles.may({role.value}, need):
                            continue
                        for lang in ("zh", "en"):
                            resp = await client.get(f"{concrete(path)}?lang={lang}")
                            if resp.status == 404:  # an id that does not exist: its page
                                continue
                            html = await resp.text()
                            if "text/html" not in resp.headers.get("Content-Type", ""):
                                continue
                            seen += 1
                            lang_attr = 'lang="zh-CN"' if lang == "zh" else 'lang="en"'
                            if lang_attr not in html:
                                wrong.append(f"{role} {path} {lang}: no {lang_attr}")
                            for text in untranslated(lang, visible(html), names):
                                wrong.append(f"{role} {path} {lang}: {text!r}")
                assert seen >= 20, seen
                assert not wrong, "\n".join(sorted(set(wrong)))
        finally:
            sql.dispose()


async def test_each_role_lands_on_its_home_and_sees_only_its_pages(tmp_path: Path) -> None:
    async with rig(tmp_path, time_scale=0.05) as r:
        sql = make_engine(r.engine.settings.database_url)
        fast = PasswordHasher(time_cost=1, memory_cost=8192)
        with UnitOfWork(sql) as uow:
            for role, name in USERS.items():
                create_user(uow, username=name, password=f"{name}-password", role=role, hasher=fast)
            uow.commit()
        app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
        registered = {getattr(res, "canonical", None) for res in app.router.resources()}
        try:
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                client.session.cookie_jar.clear()
                anon = await client.get("/", allow_redirects=False)
                assert anon.status == 302 and anon.headers["Location"].startswith("/login")
                homes = dict(nav.HOMES)
                for role, name in USERS.items():
                    await login(client, name)
                    resp = await client.get("/", allow_redirects=False)
                    assert resp.status == 302, role
                    home = resp.headers["Location"]
                    if homes[role.value] in registered:
                        assert home == homes[role.value], (role, home)
                    # The home opens for the role; so does every link of its navigation.
                    page = await client.get(home)
                    assert page.status == 200, (role, home, page.status)
                    links = re.findall(
                        r'<nav class="main" id="nav">(.*?)</nav>', await page.text(), re.S
                    )
                    hrefs = re.findall(r'href="([^"]+)"', links[0]) if links else []
                    assert hrefs, (role, "no navigation")
                    for href in hrefs:
                        assert roles.may({role.value}, roles.need_for("GET", href)), (role, href)
                        assert (await client.get(href)).status == 200, (role, href)
                # The pages that exist today are the homes of agents and QA.
                assert homes["agent"] == "/desk" and homes["qa"] == "/recordings"
        finally:
            sql.dispose()
