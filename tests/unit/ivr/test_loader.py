"""Flow files: the bundled ones load; broken ones fail with file, line and node."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.yamlsource import ConfigError
from ivr import flow as f
from ivr.loader import load_flow, load_flows
from ivr.prompts import load_catalog
from tests.unit.ivr.helpers import FLOWS, PROMPTS, SERVICES, basic, hotline

GOOD = """\
flow: t
route: t
start: menu
fallback: agent
nodes:
  menu:
    kind: menu
    prompt: main-menu
    options: {"1": agent}
    default: agent
  agent: {kind: transfer, service: general}
"""


def write(tmp_path: Path, text: str, name: str = "flow.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, **refs: object) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_flow(path, **refs)
    return info.value


def test_bundled_flows_load_with_prompts_and_services() -> None:
    flows = load_flows(FLOWS, prompts=load_catalog(PROMPTS), services=SERVICES)
    assert set(flows.routes) == {"ivr", "hotline"}
    h = hotline()
    kinds = {type(n).__name__ for n in h.nodes.values()}
    assert kinds >= {"MenuNode", "CollectNode", "LookupNode", "ConditionNode", "AnnounceNode",
                     "TicketStatusNode", "CallbackNode", "TransferNode", "HangupNode"}
    menu = basic().nodes["main-menu"]
    assert isinstance(menu, f.MenuNode)
    assert {o.key: o.goto for o in menu.options} == {
        "1": "to-billing", "2": "to-repair", "3": "to-installation", "4": "to-complaint"}


def test_a_good_minimal_flow(tmp_path: Path) -> None:
    flow = load_flow(write(tmp_path, GOOD))
    assert flow.start == "menu" and flow.agent_node is None
    assert isinstance(flow.nodes["menu"], f.MenuNode)


@pytest.mark.parametrize(
    ("change", "line", "where", "message"),
    [
        (("options: {\"1\": agent}", "options: {\"1\": agnet}"), 9, "nodes.menu.options.1",
         "goes to unknown node 'agnet'"),
        (("kind: menu", "kind: menuu"), 7, "nodes.menu.kind", "unknown kind 'menuu'"),
        (("options: {\"1\": agent}", "options: {\"x\": agent}"), 9, "nodes.menu.options.x",
         "menu key 'x'"),
        (("default: agent", "default: agent\n    retries: many"), 11, "nodes.menu.retries",
         "expected a whole number"),
        (("fallback: agent", "fallback: menu"), 4, "fallback",
         "must be a transfer or hangup node"),
        (("    prompt: main-menu\n", "    prompt: main-menu\n    colour: red\n"), 9,
         "nodes.menu.colour", "unknown key 'colour'"),
        (("start: menu", "start: nowhere"), 3, "start", "unknown node 'nowhere'"),
    ],
)
def test_broken_files_name_file_line_and_node(tmp_path: Path, change: tuple[str, str],
                                              line: int, where: str, message: str) -> None:
    err = error_of(tmp_path, GOOD.replace(*change))
    assert err.file.endswith("flow.yaml")
    assert (err.line, err.path) == (line, where), str(err)
    assert message in err.message


def test_unreachable_node_is_an_error(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD + "  orphan: {kind: hangup}\n")
    assert (err.line, err.path) == (12, "nodes.orphan")
    assert "unreachable" in err.message and "'orphan'" in err.message


def test_conditions_looping_on_themselves_are_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("start: menu", "start: a") + """\
  a: {kind: condition, cases: [{when: {vip: true}, goto: b}], default: menu}
  b: {kind: condition, cases: [{when: {vip: false}, goto: a}], default: menu}
"""
    err = error_of(tmp_path, text)
    assert err.path == "nodes.a" and "loops back" in err.message


def test_unknown_test_calendar_and_bad_hours(tmp_path: Path) -> None:
    text = GOOD.replace("start: menu", "start: c") + \
        "  c: {kind: condition, cases: [{when: {sunny: true}, goto: menu}], default: menu}\n"
    assert "unknown test 'sunny'" in error_of(tmp_path, text).message
    text = GOOD.replace("start: menu", "start: c") + \
        "  c: {kind: condition, cases: [{when: {open: office}}], default: menu}\n"
    assert "missing required key 'goto'" in error_of(tmp_path, text).message
    text = GOOD.replace("start: menu", "start: c") + \
        "  c: {kind: condition, cases: [{when: {open: office}, goto: menu}], default: menu}\n"
    err = error_of(tmp_path, text)
    assert "unknown calendar 'office'" in err.message and err.line == 12
    text = "calendars:\n  office:\n    hours: {mon-fri: [\"9-5\"]}\n" + GOOD
    err = error_of(tmp_path, text)
    assert err.line == 3 and "HH:MM-HH:MM" in err.message


def test_prompts_and_services_are_checked_when_known(tmp_path: Path) -> None:
    catalog = {"main-menu": {"zh": "菜单", "en": ""}}
    err = error_of(tmp_path, GOOD, prompts=catalog)
    assert err.path == "nodes.menu.prompt" and "no text for en" in err.message
    err = error_of(tmp_path, GOOD, prompts={})
    assert "unknown prompt 'main-menu'" in err.message
    err = error_of(tmp_path, GOOD, services=["billing"])
    assert err.path == "nodes.agent.service" and "unknown service 'general'" in err.message


def test_collect_and_speech_checks(tmp_path: Path) -> None:
    text = GOOD.replace("start: menu", "start: c") + """\
  c: {kind: collect, prompt: x, store_as: account, min_length: 9, max_length: 8,
      next: menu, default: menu}
"""
    assert "below min_length" in error_of(tmp_path, text).message
    text = GOOD.replace("    default: agent\n", "    default: agent\n    speech: true\n", 1)
    assert "no option has words" in error_of(tmp_path, text).message


def test_invalid_yaml_and_two_flows_on_one_route(tmp_path: Path) -> None:
    err = error_of(tmp_path, "flow: [\n")
    assert "invalid YAML" in err.message
    d = tmp_path / "flows"
    d.mkdir()
    write(d, GOOD, "a.yaml")
    write(d, GOOD, "b.yaml")
    with pytest.raises(ConfigError) as info:
        load_flows(d)
    assert "already served" in str(info.value) and info.value.file.endswith("b.yaml")


def test_checksums() -> None:
    assert f.luhn_ok("79927398713") and not f.luhn_ok("79927398710")
    assert f.checksum_ok("none", "12") and not f.checksum_ok("luhn", "12a")
    assert f.mod11_ok("07940") and not f.mod11_ok("07941")
