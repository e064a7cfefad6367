"""A local append-only journal: an interaction is on disk before the database sees it.

Each record is one JSON line ``{"id": ..., "record": {...}}``; once the database has it an
``{"ack": id}`` line follows. On start every record without an ack is replayed; the CRM
write is idempotent by call id, so replaying one that did land is harmless. When every
record is acknowledged the file is truncated, so it stays small in normal operation.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, path: Path | str, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._open: set[str] = set()
        self._fh = open(self.path, "a", encoding="utf-8")

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """Records written but not acknowledged, oldest first. A torn last line (the
        process died mid-write) is ignored: its record was never acknowledged to anyone."""
        records: dict[str, dict[str, Any]] = {}
        acked: set[str] = set()
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    item = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "ack" in item:
                    acked.add(item["ack"])
                elif "id" in item:
                    records[item["id"]] = item["record"]
        out = [(rid, rec) for rid, rec in records.items() if rid not in acked]
        self._open = {rid for rid, _ in out}
        return out

    def append(self, record_id: str, record: dict[str, Any]) -> None:
        """Write and flush (the record survives a crash of this process at once); the
        fsync that makes it survive a power cut is left to :meth:`sync`, which the
        writer runs in a thread so the event loop never waits on the disk."""
        self._write({"id": record_id, "record": record}, sync=False)
        self._open.add(record_id)

    def sync(self) -> None:
        if self._fsync:
            os.fsync(self._fh.fileno())

    def ack(self, record_id: str) -> None:
        # No fsync: a lost ack only costs an idempotent replay of a row already written.
        self._write({"ack": record_id}, sync=False)
        self._open.discard(record_id)
        if not self._open:
            self._fh.truncate(0)
            self._fh.seek(0)

    @property
    def depth(self) -> int:
        return len(self._open)

    def _write(self, item: dict[str, Any], *, sync: bool = True) -> None:
        self._fh.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()
        if sync and self._fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()
