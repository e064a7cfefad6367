"""The interaction journal keeps what the database has not acknowledged."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.journal import Journal


def test_unacknowledged_records_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path, fsync=False)
    j.append("a", {"call_id": "a", "caller_name": "张三"})
    j.append("b", {"call_id": "b"})
    j.ack("a")
    j.close()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"id": "c", "rec')  # torn write: the process died here
    j2 = Journal(path, fsync=False)
    assert j2.pending() == [("b", {"call_id": "b"})]
    assert j2.depth == 1
    j2.ack("b")
    assert path.stat().st_size == 0, "fully acknowledged journal is truncated"
    assert j2.pending() == []
    j2.close()


def test_calls_seen_live_but_never_ended_come_back_as_orphans(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal(path, fsync=False)
    j.mark_live("a", {"caller_number": "138"})
    j.mark_live("b", {"caller_number": "139"})
    j.mark_live("merged", {})
    j.drop_live("merged")  # folded into another call by an attended transfer
    j.append("b", {"call_id": "b"})
    j.close()  # the engine dies: "a" never ended, "b" never reached the database
    j2 = Journal(path, fsync=False)
    assert j2.orphans() == [("a", {"caller_number": "138"})]
    assert j2.pending() == [("b", {"call_id": "b"})]
    j2.ack("b")
    assert path.stat().st_size > 0, "an orphan is still outstanding"
    j2.append("a", {"call_id": "a"})
    j2.ack("a")
    assert path.stat().st_size == 0
    j2.close()


def test_a_busy_journal_is_compacted_to_what_is_outstanding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cti.journal.COMPACT_EVERY", 50)
    path = tmp_path / "j.jsonl"
    j = Journal(path, fsync=False)
    j.mark_live("always-up", {})  # a center that is never idle: never a moment to truncate
    for i in range(200):
        j.mark_live(str(i), {})
        j.append(str(i), {"n": i})
        j.ack(str(i))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 60, "rewritten with only what is outstanding"
    j.close()
    j2 = Journal(path, fsync=False)
    assert j2.orphans() == [("always-up", {})] and j2.pending() == []
    j2.close()
