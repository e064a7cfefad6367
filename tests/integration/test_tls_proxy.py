"""TLS and the trusted reverse proxy (issue 12, item 10), over real sockets: the engine
serves HTTPS with a self-signed certificate made by openssl, its cookies are Secure; a
proxy's X-Forwarded-* is believed from a trusted address only."""

from __future__ import annotations

import dataclasses
import re
import ssl
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

from crm.auth import create_user
from crm.uow import UnitOfWork
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.enginekit import rig, settings_for

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def seed(sql: Any) -> None:
    with UnitOfWork(sql) as uow:
        create_user(uow, username="boss", password="boss-password", role="supervisor")
        uow.commit()


def options(sql: Any, store: Any) -> dict[str, Any]:
    return {
        "web_app_factory": lambda e: make_app(e, crm_sql=sql),
        "authenticate": crm_authenticator(sql),
    }


async def login(http: aiohttp.ClientSession, base: str, **kw: Any) -> aiohttp.ClientResponse:
    async with http.get(f"{base}/login", **kw) as page:
        token = CSRF.search(await page.text())
    assert token is not None
    form = {"csrf": token.group(1), "username": "boss", "password": "boss-password"}
    return await http.post(f"{base}/login", data=form, allow_redirects=False, **kw)


async def test_https_with_a_self_signed_certificate_sets_secure_cookies(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    settings = dataclasses.replace(
        settings_for(tmp_path), web_port=0, web_tls_cert=str(cert), web_tls_key=str(key)
    )
    async with rig(tmp_path, settings=settings, prepare=seed, engine_options=options) as r:
        base = f"https://127.0.0.1:{r.engine.web_port}"
        trust = ssl.create_default_context(cafile=str(cert))
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            resp = await login(http, base, ssl=trust)
            assert resp.status == 302, await resp.text()
            cookie = resp.cookies["cti_session"]
            assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
            page = await http.get(f"{base}/wallboard", ssl=trust, allow_redirects=False)
            assert page.status == 200
        # Plain HTTP on the TLS port is not served.
        async with aiohttp.ClientSession() as plain:
            try:
                answered = await plain.get(f"http://127.0.0.1:{r.engine.web_port}/health")
                status: int | None = answered.status
            except aiohttp.ClientError:
                status = None
            assert status != 200


async def _failed_login_remote(r: Any, base: str, headers: dict[str, str]) -> tuple[bool, str]:
    """(session cookie Secure?, client address the audit saw for a wrong password)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{base}/login", headers=headers) as page:
            token = CSRF.search(await page.text())
        assert token is not None
        form = {"csrf": token.group(1), "username": "boss", "password": "wrong-password"}
        await http.post(f"{base}/login", data=form, headers=headers, allow_redirects=False)
        ok = await login(http, base, headers=headers)
        secure = bool(ok.cookies["cti_session"]["secure"])
    with UnitOfWork(r.sql, write=False) as uow:
        failed = uow.audit_log.query(action="auth.login_failed", limit=1)
    return secure, failed[0].detail["remote"]


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


async def test_forwarded_headers_count_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    trusted = dataclasses.replace(
        settings_for(tmp_path), web_port=0, web_trusted_proxies=("127.0.0.1/32",)
    )
    async with rig(tmp_path, settings=trusted, prepare=seed, engine_options=options) as r:
        base = f"http://127.0.0.1:{r.engine.web_port}"
        assert await _failed_login_remote(r, base, FORWARDED) == (True, "203.0.113.7")


async def test_forwarded_headers_from_anyone_else_are_ignored(tmp_path: Path) -> None:
    other = dataclasses.replace(
        settings_for(tmp_path), web_port=0, web_trusted_proxies=("10.0.0.0/8",)
    )
    async with rig(tmp_path, settings=other, prepare=seed, engine_options=options) as r:
        base = f"http://127.0.0.1:{r.engine.web_port}"
        assert await _failed_login_remote(r, base, FORWARDED) == (False, "127.0.0.1")
