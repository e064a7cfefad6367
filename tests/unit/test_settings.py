"""Site configuration: the shipped example loads; broken files name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.settings import load_settings
from cti.yamlsource import ConfigError
from tests.conftest import REPO


def test_shipped_example_site_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTI_AMI_SECRET", "s3cret")
    monkeypatch.setenv("CTI_WEB_SECRET", "w3b")
    s = load_settings(REPO / "config" / "site.yaml")
    assert s.asterisk[0].secret == "s3cret" and s.asterisk[0].md5_auth
    assert "s3cret" not in repr(s.asterisk[0]) and "w3b" not in repr(s)
    assert {svc.name for svc in s.services} >= {"billing", "repair", "complaint"}
    assert s.agents[0].name == "王芳" and s.agents[0].skills["billing"] == 5
    assert s.dialplan.connect_context == "cti-connect"


def _write(tmp: Path, text: str) -> Path:
    p = tmp / "site.yaml"
    p.write_text(text, encoding="utf-8")
    return p


BASE = """asterisk:
  - host: 127.0.0.1
    port: 5038
    username: cti
    secret: x
"""


@pytest.mark.parametrize(
    "extra,line,needle",
    [
        (
            "agents:\n  - {id: a, name: A, extension: '1', skills: {nope: 1}}\n",
            7,
            "unknown skill 'nope'",
        ),
        (
            "skills: [billing]\n"
            "agents:\n  - {id: a, name: A, extension: '1', skills: {billing: 11}}\n",
            8,
            "outside 1..10",
        ),
        (
            "agents:\n  - {id: a, name: A, extension: '1'}\n  - {id: b, name: B, extension: '1'}\n",
            8,
            "already used",
        ),
        ("wrap_up_seconds: soon\n", 6, "expected a number"),
        ("colour: blue\n", 6, "unknown key 'colour'"),
        ("web: {host: x, port: 99999}\n", 6, "outside 0..65535"),
    ],
)
def test_broken_config_names_file_line_and_key(
    tmp_path: Path, extra: str, line: int, needle: str
) -> None:
    path = _write(tmp_path, BASE + extra)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert err.value.file == str(path) and err.value.line == line, str(err.value)
    assert needle in str(err.value)


def test_missing_secret_env_and_bad_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_VAR", raising=False)
    path = _write(tmp_path, BASE.replace("secret: x", "secret_env: NO_SUCH_VAR"))
    with pytest.raises(ConfigError, match="NO_SUCH_VAR is not set"):
        load_settings(path)
    path = _write(tmp_path, "asterisk: [\n  - host: a\n")
    with pytest.raises(ConfigError, match="invalid YAML") as err:
        load_settings(path)
    assert err.value.line >= 2
    with pytest.raises(ConfigError, match="missing required key 'port'"):
        load_settings(_write(tmp_path, "asterisk:\n  - {host: a, username: b}\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.yaml")


def test_web_security_keys(tmp_path: Path) -> None:
    text = BASE + (
        "web: {host: 127.0.0.1, port: 8443, tls_cert: tls/c.pem, tls_key: tls/k.pem,\n"
        "      trusted_proxies: [10.0.0.5, 10.1.0.0/24], session_hours: 8,"
        " session_store: redis}\n"
    )
    s = load_settings(_write(tmp_path, text), base=tmp_path)
    assert s.web_tls_cert == str(tmp_path / "tls/c.pem")
    assert s.web_tls_key == str(tmp_path / "tls/k.pem")
    assert s.web_trusted_proxies == ("10.0.0.5", "10.1.0.0/24")
    assert (s.web_session_hours, s.web_session_store) == (8.0, "redis")


@pytest.mark.parametrize(
    "web,needle",
    [
        ("{host: h, port: 1, tls_cert: c.pem}", "both tls_cert and tls_key"),
        ("{host: h, port: 1, trusted_proxies: [proxy.example]}", "not an IP address"),
        ("{host: h, port: 1, session_store: disk}", "memory or redis"),
        ("{host: h, port: 1, tls: yes}", "tls"),
    ],
)
def test_web_security_keys_refused(tmp_path: Path, web: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_settings(_write(tmp_path, BASE + f"web: {web}\n"), base=tmp_path)


def test_time_zone_wrap_up_and_wallboard_thresholds(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        BASE
        + "time_zone: Europe/Berlin\nwrap_up_mode: agent\nwrap_up_seconds: 300\n"
        + "wallboard:\n  thresholds: {waiting: {warn: 4, critical: 9}}\n"
        + "services:\n  - name: billing\n    wrap_up_mode: timed\n    wrap_up_seconds: 15\n"
        + "    thresholds: {longest_wait: {warn: 20, critical: 40}}\n",
    )
    s = load_settings(path)
    assert (s.time_zone, s.wrap_up_mode, s.wrap_up_seconds) == ("Europe/Berlin", "agent", 300)
    assert s.thresholds == (("waiting", 4.0, 9.0),)
    svc = s.services[0]
    assert (svc.wrap_up_mode, svc.wrap_up_seconds) == ("timed", 15.0)
    assert svc.thresholds == (("longest_wait", 20.0, 40.0),)
    assert load_settings(_write(tmp_path, BASE)).time_zone == "Asia/Shanghai"


@pytest.mark.parametrize(
    "extra,needle",
    [
        ("time_zone: Mars/Olympus\n", "unknown time zone 'Mars/Olympus'"),
        ("wrap_up_mode: sometimes\n", "wrap_up_mode is 'agent'"),
        ("wallboard:\n  thresholds: {queue: {warn: 1, critical: 2}}\n", "unknown wallboard"),
        ("wallboard:\n  thresholds: {waiting: {warn: 1}}\n", "critical"),
    ],
)
def test_bad_time_zone_mode_or_threshold_is_refused(
    tmp_path: Path, extra: str, needle: str
) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_settings(_write(tmp_path, BASE + extra))
