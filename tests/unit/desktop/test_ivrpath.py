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
        {"node": "identify", "recognized": "customer:1 by caller_id"},
        {"node": "incident-check", "recognized": "case 1 -> incident"},
        {"node": "main-menu", "key": "1"},
        {"node": "main-menu", "recognized": "电视没信号"},
        {"node": "nowhere", "key": "9"},
    ]
    shown = ivrpath.describe(flows, steps)
    labels = [s["label"] for s in shown]
    assert [s["node"] for s in shown] == [
        "language",
        "identify",
        "main-menu",
        "main-menu",
        "nowhere",
    ]
    assert shown[1]["recognized"] is None  # the lookup's note is not for the agent
    assert shown[3]["recognized"] == "电视没信号"  # what the caller said is
    assert labels[0] == ["菜单 1", "Menu 1"]
    assert labels[1] == ["客户识别", "Caller lookup"]
    assert labels[2] == ["菜单 1 · 账单", "Menu 1 · billing"]
    assert labels[4] == ["nowhere 9", "nowhere 9"]  # unknown node: its id, as it is
    words = ivrpath.search_words(flows, steps)
    assert words[:3] == ["账单", "缴费", "电费"] and "billing" in words
    assert words[-1] == "电视没信号"
