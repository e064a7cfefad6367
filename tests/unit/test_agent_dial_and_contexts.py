"""Issue 11 findings 5 and 10: each agent's phone is a configurable dial string, and the
click-to-call and callback contexts are configurable, defaulting to the shipped ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cti import events as ev
from cti.ami.protocol import Event
from cti.calls import CallModel
from cti.settings import DialplanConfig, load_settings
from cti.yamlsource import ConfigError
from routing.config import CallbackConfig
from routing.virtualhold import callback_for
from tests.conftest import REPO

BASE = """asterisk:
  - {host: 127.0.0.1, port: 5038, username: cti, secret: x}
"""


def _site(tmp: Path, text: str) -> Path:
    p = tmp / "site.yaml"
    p.write_text(BASE + text, encoding="utf-8")
    return p


def _contexts() -> set[str]:
    text = (REPO / "config" / "asterisk" / "extensions.conf").read_text(encoding="utf-8")
    return set(re.findall(r"^\[([^\]]+)\]", text, re.M))


def test_every_context_the_engine_uses_is_in_the_shipped_dialplan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CTI_AMI_SECRET", "x")
    monkeypatch.setenv("CTI_WEB_SECRET", "y")
    shipped = _contexts()
    for dp in (DialplanConfig(), load_settings(REPO / "config" / "site.yaml").dialplan):
        used = {
            dp.hold_context,
            dp.connect_context,
            dp.agent_context,
            dp.outbound_context,
            dp.callback_context,
        }
        assert used <= shipped, used - shipped
    assert DialplanConfig().outbound_context == "cti-outbound"
    assert DialplanConfig().callback_context == "cti-callback"


def test_the_callback_originate_uses_the_site_contexts() -> None:
    dp = DialplanConfig(callback_context="my-callback", connect_context="my-connect")
    cb = callback_for(CallbackConfig(), dp)
    assert (cb.channel, cb.context) == ("Local/{number}@my-callback", "my-connect")
    own = CallbackConfig(channel="PJSIP/{number}@trunk2", context="x")
    assert callback_for(own, dp) == own  # routing.yaml's own section wins


def test_shipped_dialplan_dials_the_whole_agent_dial_string() -> None:
    text = (REPO / "config" / "asterisk" / "extensions.conf").read_text(encoding="utf-8")
    assert "Dial(${AGENT_DIAL}," in text
    assert "Dial(PJSIP/${EXTEN},30)" not in text, "cti-agents must not hard-code PJSIP"
    # One recording owner (finding 7): the engine; the dialplan starts no MixMonitor.
    assert "MixMonitor(" not in text


def test_agents_have_their_own_dial_strings(tmp_path: Path) -> None:
    s = load_settings(
        _site(
            tmp_path,
            "dialplan: {agent_dial: 'PJSIP/{extension}'}\n"
            "agents:\n"
            "  - {id: a, name: A, extension: '1001'}\n"
            "  - {id: b, name: B, extension: '1002', dial: 'PJSIP/1002&PJSIP/1002-mobile'}\n"
            "  - {id: c, name: C, extension: '1003', dial: 'Local/1003@home-office'}\n"
            "  - {id: d, name: D, extension: '1004', dial: 'PJSIP/13800001111@trunk'}\n",
        )
    )
    assert s.agent_dial("1001") == "PJSIP/1001"
    assert s.agent_dial("1002") == "PJSIP/1002&PJSIP/1002-mobile"
    assert s.agent_dial("1003") == "Local/1003@home-office"
    assert s.agent_dial("1004") == "PJSIP/13800001111@trunk"
    assert s.agent_endpoints() == {
        "1001": "1001",
        "1002": "1002",
        "1002-mobile": "1002",
        "1003": "1003",
    }


@pytest.mark.parametrize(
    "dial,needle",
    [
        ("PJSIP/1001,20", "may not hold"),
        ("1001", "TECH/resource"),
        ("PJSIP/1001&mobile", "TECH/resource"),
    ],
)
def test_bad_dial_strings_are_refused_with_the_line(tmp_path: Path, dial: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(
            _site(tmp_path, f"agents:\n  - {{id: a, name: A, extension: '1', dial: '{dial}'}}\n")
        )
    assert needle in str(err.value) and err.value.line == 4


def _call(model: CallModel) -> None:
    model.apply(
        Event(
            "Newchannel", {"Uniqueid": "1.1", "Linkedid": "1.1", "Channel": "PJSIP/pstn-00000001"}
        ),
        1.0,
    )


def _dial(model: CallModel, dest: str) -> list[ev.DomainEvent]:
    return model.apply(
        Event(
            "DialBegin",
            {
                "Channel": "PJSIP/pstn-00000001",
                "Uniqueid": "1.1",
                "DestChannel": dest,
                "DestUniqueid": "1.2",
            },
        ),
        2.0,
    )


def test_a_second_device_rings_as_its_agent() -> None:
    model = CallModel(endpoints={"1002": "1002", "1002-mobile": "1002"})
    _call(model)
    [ringing] = _dial(model, "PJSIP/1002-mobile-0000000a")
    assert isinstance(ringing, ev.AgentRinging) and ringing.agent == "1002"


def test_a_trunk_leg_rings_as_the_agent_routing_offered() -> None:
    model = CallModel(endpoints={"1001": "1001"})
    _call(model)
    model.offering("1.1", "1004")
    [ringing] = _dial(model, "PJSIP/trunk-0000000b")
    assert ringing.agent == "1004"
