"""The interaction journal keeps what the database has not acknowledged."""

from __future__ import annotations

from pathlib import Path

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
