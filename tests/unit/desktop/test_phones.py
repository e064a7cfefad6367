"""cti.phones (browser-phone credentials, the pjsip include) and the desk's reading of
AMI ContactStatus."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from agent_desktop.phone import contact_change
from cti import phones
from cti.ami.protocol import Event

AGENTS = [phones.PhoneAgent("1001", "王芳"), phones.PhoneAgent("1002", 'Li "<x>" Wei')]


def test_provision_keeps_secrets_unless_rotated() -> None:
    first = phones.provision(AGENTS, "-web", {})
    assert first["1001"].username == "1001-web" and len(first["1001"].secret) >= 40
    assert first["1001"].secret != first["1002"].secret
    again = phones.provision(AGENTS, "-web", first)
    assert again == first
    rotated = phones.provision(AGENTS, "-web", first, rotate=True)
    assert all(rotated[e].secret != first[e].secret for e in first)


def test_an_extension_that_cannot_name_an_endpoint_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot name"):
        phones.provision([phones.PhoneAgent("10 01]", "x")], "-web", {})


def test_the_include_holds_digests_not_secrets() -> None:
    creds = phones.provision(AGENTS, "-web", {})
    text = phones.render_endpoints(AGENTS, creds)
    for c in creds.values():
        assert c.secret not in text
        digest = hashlib.md5(f"{c.username}:asterisk:{c.secret}".encode()).hexdigest()
        assert f"md5_cred = {digest}" in text
    assert "[1001-web](agent-webrtc)" in text and "[1001-web](agent-webrtc-aor)" in text
    assert 'callerid = "Li x Wei" <1002>' in text  # quotes and brackets cannot break out


def test_files_are_private(tmp_path: Path) -> None:
    out = tmp_path / "etc" / "pjsip_webrtc_agents.conf"
    secrets = tmp_path / "var" / "phone-secrets.json"
    creds = phones.write_endpoints(AGENTS, "-web", secrets, out)
    assert os.stat(secrets).st_mode & 0o777 == 0o600
    assert os.stat(out).st_mode & 0o777 == 0o640
    assert phones.load(secrets) == creds
    assert phones.write_endpoints(AGENTS, "-web", secrets, out) == creds  # stable


def _contact(status: str, aor: str = "1001-web") -> Event:
    return Event("ContactStatus", {"Event": "ContactStatus", "AOR": aor, "ContactStatus": status})


def test_contact_status_read_as_registration() -> None:
    assert contact_change(_contact("Removed")) == ("1001-web", False)
    assert contact_change(_contact("Unreachable")) == ("1001-web", False)
    assert contact_change(_contact("Created")) == ("1001-web", True)
    assert contact_change(_contact("Reachable")) == ("1001-web", True)
    assert contact_change(_contact("Unknown")) is None
    assert contact_change(_contact("Removed", aor="")) is None
    assert contact_change(Event("Hangup", {"Event": "Hangup"})) is None
