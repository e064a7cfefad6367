"""Secrets never reach the logs; session cookies cannot be forged or outlive expiry."""

from __future__ import annotations

import io
import json
import logging

from cti.ami.protocol import encode_action
from cti.ami.session import AmiSettings
from cti.logs import setup_logging
from cti.websession import Identity, sign, verify


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


def test_session_tokens() -> None:
    ident = Identity("王芳", frozenset({"agent"}))
    token = sign(ident, "k", now=100.0, ttl=60)
    assert verify(token, "k", 120.0) == ident
    assert verify(token, "other", 120.0) is None
    assert verify(token, "k", 200.0) is None, "expired"
    assert verify(token[:-4] + "AAAA", "k", 120.0) is None
    assert verify("garbage!!", "k", 120.0) is None
    assert ident.has("agent") and not ident.has("supervisor")
