"""The IVR path in words: node kinds and the chosen option's words, for the pop and the
knowledge-base suggestions, from the shipped hotline flow."""

from __future__ import annotations

from agent_desktop import ivrpath
from ivr.loader import load_flows
from tests.conftest import REPO


def test_hotline_path_reads_as_words_and_feeds_the_kb_search() -> None:
    flows = load_flows(REPO / "config" / "ivr")
    steps = [
        {"node": "language", "key": "1"},
        {"node": "identify"},
        {"node": "main-menu", "key": "1"},
        {"node": "main-menu", "recognized": "电视没信号"},
        {"node": "nowhere", "key": "9"},
    ]
    labels = [s["label"] for s in ivrpath.describe(flows, steps)]
    assert labels[0] == ["菜单 1", "Menu 1"]
    assert labels[1] == ["客户识别", "Caller lookup"]
    assert labels[2] == ["菜单 1 · 账单", "Menu 1 · billing"]
    assert labels[4] == ["nowhere 9", "nowhere 9"]  # unknown node: its id, as it is
    words = ivrpath.search_words(flows, steps)
    assert words[:3] == ["账单", "缴费", "电费"] and "billing" in words
    assert words[-1] == "电视没信号"
