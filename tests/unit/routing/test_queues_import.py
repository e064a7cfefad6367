"""queues.conf import: the traced lab file, includes, templates, repeated members, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.yamlsource import ConfigError
from routing import cli
from routing.config import load_routing
from routing.model import Strategy
from routing.queues_import import import_queues, to_yaml
from tests.conftest import FIXTURES

SITE = """\
[general]
persistentmembers = no

[base](!)            ; a template: not a queue
strategy = fewestcalls
timeout = 20
wrapuptime = 5

[billing](base)
servicelevel = 30
member => Local/1001@agents,0,王芳
member => Local/1002@agents,3
#include "queues-extra.conf"
#tryinclude "missing.conf"
"""
EXTRA = """\
[repair]
strategy = leastrecent
weight = 5
member => PJSIP/1002
member => Local/1003@agents,12,Emma
"""


def site(tmp_path: Path, text: str = SITE) -> Path:
    (tmp_path / "queues-extra.conf").write_text(EXTRA, encoding="utf-8")
    path = tmp_path / "queues.conf"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_traced_lab_queues_conf_gives_the_support_service() -> None:
    cfg = import_queues(FIXTURES / "configs" / "queues.conf")
    assert cfg.skills == ("support",)
    (svc,) = cfg.services
    assert svc.name == "support" and svc.skills == (("support", 1),)
    assert svc.strategy == Strategy.LONGEST_IDLE and svc.wrap_up == 0.0
    assert cfg.ring_timeout == 15.0
    assert cfg.agents == ()  # the lab adds members with QueueAdd


def test_includes_templates_and_repeated_members(tmp_path: Path) -> None:
    cfg = import_queues(site(tmp_path))
    assert cfg.skills == ("billing", "repair")
    billing, repair = cfg.services
    assert billing.strategy == Strategy.FEWEST_CALLS and billing.wrap_up == 5.0
    assert billing.target_seconds == 30.0
    assert repair.priority == 5 and repair.strategy == Strategy.LONGEST_IDLE
    agents = {a.extension: a for a in cfg.agents}
    assert dict(agents["1001"].skills) == {"billing": 10} and agents["1001"].name == "王芳"
    assert dict(agents["1002"].skills) == {"billing": 7, "repair": 10}
    assert dict(agents["1003"].skills) == {"repair": 1}, "penalty 12 still qualifies"
    assert dict(cfg.queue_members)["a1002"] == ("billing", "repair")
    assert cfg.ring_timeout == 20.0


def test_the_written_routing_file_loads_back_the_same(tmp_path: Path) -> None:
    cfg = import_queues(site(tmp_path))
    out = tmp_path / "routing.yaml"
    assert cli.main(["import-queues", str(tmp_path / "queues.conf"), "-o", str(out)]) == 0
    back = load_routing(out)
    assert back.services == cfg.services
    assert back.agents == cfg.agents
    assert back.queue_members == cfg.queue_members
    assert "王芳" in to_yaml(cfg)


@pytest.mark.parametrize(
    ("text", "file", "line", "words"),
    [
        ("EXTRA", "queues-extra.conf", 2, "unknown strategy"),
        (
            SITE.replace("member => Local/1002@agents,3", "member => Local/1002@agents,x"),
            "queues.conf",
            12,
            "penalty",
        ),
        (SITE.replace("[billing](base)", "[billing](nosuch)"), "queues.conf", 9, "template"),
        (SITE.replace("servicelevel = 30", "servicelevel 30"), "queues.conf", 10, "name = value"),
        (SITE.replace('"queues-extra.conf"', '"nope.conf"'), "queues.conf", 13, "no such file"),
    ],
)
def test_errors_name_the_file_and_line(
    tmp_path: Path, text: str, file: str, line: int, words: str
) -> None:
    path = site(tmp_path, SITE if text == "EXTRA" else text)
    if text == "EXTRA":  # the error is in the included file
        (tmp_path / "queues-extra.conf").write_text(EXTRA.replace("leastrecent", "bogus"))
    with pytest.raises(ConfigError) as err:
        import_queues(path)
    assert err.value.file.endswith(file) and err.value.line == line, str(err.value)
    assert words in str(err.value)
    assert cli.main(["import-queues", str(path)]) == 1


def test_include_cycle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "queues.conf"
    path.write_text('[a]\n#include "queues.conf"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="cycle"):
        import_queues(path)
