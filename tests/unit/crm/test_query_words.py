"""Query words: jieba cuts Chinese, English is stemmed, filler words are dropped."""

from __future__ import annotations

import pytest

from crm.model.words import query_words


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("电视没信号", ["电视", "信号"]),
        ("账单", ["账单"]),
        ("空气开关", ["空气", "开关"]),
        ("bill", ["bill"]),
        ("Bills", ["bill"]),
        ("billing", ["bill"]),
        ("no signal", ["signal"]),
        ("How do I pay my BILLS?", ["pay", "bill"]),
        ("宽带 broadband", ["宽带", "broadband"]),
        ("", []),
        ("   ", []),
    ],
)
def test_query_words(query: str, words: list[str]) -> None:
    assert query_words(query) == words
