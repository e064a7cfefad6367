from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recordings.ranges import ByteRange, Unsatisfiable, parse_range


def test_no_header_or_foreign_unit_is_the_whole_file() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("", 100) is None
    assert parse_range("items=0-5", 100) is None
    assert parse_range("bytes=abc", 100) is None
    assert parse_range("bytes=5-2", 100) is None  # invalid: ignored


def test_start_middle_open_and_suffix() -> None:
    assert parse_range("bytes=0-99", 1000) == ByteRange(0, 99)
    assert parse_range("bytes=500-599", 1000) == ByteRange(500, 599)
    assert parse_range("bytes=900-", 1000) == ByteRange(900, 999)
    assert parse_range("bytes=-100", 1000) == ByteRange(900, 999)
    assert parse_range("bytes=-5000", 1000) == ByteRange(0, 999)
    assert parse_range("bytes=990-5000", 1000) == ByteRange(990, 999)
    assert parse_range("bytes=0-1, 5-6", 1000) == ByteRange(0, 1)  # first range only
    assert ByteRange(900, 999).content_range(1000) == "bytes 900-999/1000"


def test_unsatisfiable() -> None:
    for header in ("bytes=1000-", "bytes=5000-6000", "bytes=-0"):
        with pytest.raises(Unsatisfiable):
            parse_range(header, 1000)
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-10", 0)


@given(st.integers(0, 10_000), st.integers(0, 20_000), st.integers(0, 20_000))
def test_a_range_always_lies_inside_the_file(size: int, a: int, b: int) -> None:
    for header in (f"bytes={a}-{b}", f"bytes={a}-", f"bytes=-{b}"):
        try:
            r = parse_range(header, size)
        except Unsatisfiable:
            continue
        if r is not None:
            assert 0 <= r.start <= r.end < size and r.length == r.end - r.start + 1
