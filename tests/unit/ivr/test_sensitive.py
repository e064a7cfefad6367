"""Digits flagged sensitive (card numbers) ask the adapter to mute the recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.yamlsource import ConfigError
from ivr import messages as m
from ivr.loader import load_flow
from ivr.prompts import load_catalog
from tests.unit.ivr.helpers import FLOWS, PROMPTS, SERVICES


def _flow_with(tmp_path: Path, flag: str):  # type: ignore[no-untyped-def]
    text = (FLOWS / "hotline.yaml").read_text(encoding="utf-8")
    marker = "    store_as: account\n"
    assert marker in text
    path = tmp_path / "hotline.yaml"
    path.write_text(text.replace(marker, marker + f"    sensitive: {flag}\n"), encoding="utf-8")
    return load_flow(path, prompts=load_catalog(PROMPTS), services=SERVICES)


def test_a_sensitive_collect_node_reads_keys_with_the_recording_muted(tmp_path: Path) -> None:
    flow = _flow_with(tmp_path, "true")
    node = next(n for n in flow.nodes.values() if getattr(n, "store_as", "") == "account")
    assert node.sensitive
    plain = load_flow(FLOWS / "hotline.yaml", prompts=load_catalog(PROMPTS), services=SERVICES)
    assert not plain.nodes[node.id].sensitive


def test_sensitive_must_be_true_or_false(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected true or false"):
        _flow_with(tmp_path, "sometimes")


def test_read_keys_carries_the_flag() -> None:
    assert m.ReadKeys("p", 16, 5000, sensitive=True).sensitive
    assert not m.ReadKeys("p", 16, 5000).sensitive
