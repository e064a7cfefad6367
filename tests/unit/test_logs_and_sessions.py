"""Secrets never reach the logs; session cookies cannot be forged or outlive expiry."""

from __future__ import annotations

import io
import json
import logging

import pytest

from crm.jsonbody import BadBody, parse_object
from cti.ami.protocol import encode_action
from cti.ami.session import AmiSettings
from cti.logs import setup_logging
from cti.websecurity import safe_next
from cti.websession import Identity


def test_secrets_are_masked_in_structured_logs() -> None:
    buf = io.StringIO()
    setup_logging("DEBUG", buf)
    log = logging.getLogger("t")
    login = encode_action("Login", "1", {"Username": "cti", "Secret": "hunter2"}).decode()
    log.debug(
        "sent %s",
        login,
        extra={"password": "hunter2", "settings": repr(AmiSettings(secret="hunter2"))},
    )
    log.info("plain", extra={"call_id": "1.2"})
    out = buf.getvalue()
    assert "hunter2" not in out
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["password"] == "***" and "Secret: ***" in first["msg"]
    assert second["call_id"] == "1.2"
    logging.getLogger().handlers.clear()


def test_identity_roles() -> None:
    ident = Identity("王芳", frozenset({"agent"}))
    assert ident.has("agent") and not ident.has("supervisor")
    assert Identity("root", frozenset({"admin"})).has("supervisor")


@pytest.mark.parametrize(
    "raw",
    [
        "//evil.host",
        "/%09/evil.host",
        "/\t/evil.host",
        "/\\evil.host",
        "\\evil.host",
        "/\r\n/evil.host",
        "https://evil.host/",
        "javascript:alert(1)",
        "%2F%2Fevil.host",
        "/%2F/evil.host",
        "/%5Cevil.host",
        "evil.host",
        "",
        " /x",
        "/%0d%0aSet-Cookie:x=1",
    ],
)
def test_safe_next_refuses_other_sites(raw: str) -> None:
    assert safe_next(raw) == "/"


@pytest.mark.parametrize("raw", ["/", "/desk", "/recordings?agent=1001&page=2", "/a%20b"])
def test_safe_next_keeps_own_paths(raw: str) -> None:
    assert safe_next(raw) == raw


def test_json_body_depth_size_and_constants() -> None:
    assert parse_object('{"a": [[{"b": "[[[["}]]}') == {"a": [[{"b": "[[[["}]]}
    with pytest.raises(BadBody, match="deeper"):
        parse_object('{"a":' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(BadBody, match="not a JSON number"):
        parse_object('{"n": NaN}')
    with pytest.raises(BadBody, match="object"):
        parse_object("[1]")
    with pytest.raises(BadBody) as big:
        parse_object(b" " * (2 * 1024 * 1024))
    assert big.value.status == 413
