"""Query words for the knowledge base: Chinese segmented with jieba, English stemmed.

A query like ``电视没信号`` has no spaces; jieba cuts it into words (``电视``, ``没``,
``信号``) and the search looks for those. English words are reduced to their Snowball stem
(``bills``, ``billing`` → ``bill``), which the substring search then finds inside
``bill``, ``bills`` and ``billing`` alike. Words that say nothing about the topic (``的``,
``no``, ``my``) are dropped. Pure: text in, words out.
"""

from __future__ import annotations

import logging
import re
from functools import cache

import jieba
import snowballstemmer

jieba.setLogLevel(logging.WARNING)  # it announces loading its dictionary at INFO

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[0-9a-z][0-9a-z'_-]*")
# Function words that match almost every article (and "no"/"not": "no signal" is about a
# signal). Short on purpose: topic words must never be dropped.
STOP_EN = frozenset(
    "a an and are as at be by can do does for from how i in is it my no not of on or our "
    "the to what when where why with you your".split()
)
STOP_ZH = frozenset(
    "的 了 吗 呢 吧 啊 是 在 和 与 及 我 你 您 他 她 它 没 没有 不 怎么 怎么办 如何 为什么".split()
)


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


def _chinese(chunk: str) -> list[str]:
    pieces = [w.strip() for w in jieba.cut_for_search(chunk)]
    words = [w for w in pieces if w and w not in STOP_ZH and not w.isspace()]
    longer = [w for w in words if len(w) > 1]
    # A lone character (无, 电) only counts when nothing longer was found.
    return longer or words


def query_words(query: str) -> list[str]:
    """The distinct words to look for, in query order (empty: browse everything)."""
    out: list[str] = []
    for chunk in query.casefold().split():
        if HAN.search(chunk):
            out.extend(_chinese(chunk))
            continue
        for word in LATIN_WORD.findall(chunk):
            if word in STOP_EN:
                continue
            stem = _stemmer().stemWord(word)
            # The stem finds bill/bills/billing; a stem cut below three letters would
            # match too much, so the word itself is kept then.
            out.append(stem if len(stem) >= 3 else word)
        rest = LATIN_WORD.sub(" ", chunk).split()
        out.extend(w for w in rest if w.strip("%_!?.,;:'\"()[]{}") == w and len(w) > 1)
    return [w for w in dict.fromkeys(out) if w]


def warm_up() -> None:
    """Load jieba's dictionary now (it loads lazily, taking about a second)."""
    jieba.initialize()
