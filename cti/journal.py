"""A local append-only journal: an interaction is on disk before the database sees it.

Three kinds of line:

- ``{"live": id, "info": {...}}`` when a call starts: should the engine die, the next one
  knows the call existed even if it ends before the next AMI resync (the resync then
  closes it as lost during the outage instead of it vanishing);
- ``{"id": id, "record": {...}}`` when a call ends: the interaction to write;
- ``{"ack": id}`` once the database has it;
- ``{"dropped": id}`` for a live call that will never end under its own id.

On start every record without an ack is replayed (the CRM write is idempotent by call
id) and every live call without a record is handed back as an orphan. The file is
truncated when nothing is outstanding and rewritten with only what is outstanding when
it grows, so it stays small in a center that is never idle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

COMPACT_EVERY = 20_000  # lines appended between rewrites


class Journal:
    def __init__(self, path: Path | str, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._open: dict[str, dict[str, Any]] = {}
        self._live: dict[str, dict[str, Any]] = {}
        self._orphans: dict[str, dict[str, Any]] = {}
        self._lines = 0
        self._load()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _load(self) -> None:
        """Read what a previous run left. A torn last line (the process died mid-write)
        is ignored: its record was never acknowledged to anyone."""
        if not self.path.exists():
            return
        records: dict[str, dict[str, Any]] = {}
        live: dict[str, dict[str, Any]] = {}
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
                elif "live" in item:
                    live[item["live"]] = item.get("info", {})
                elif "dropped" in item:
                    live.pop(item["dropped"], None)
        self._open = {rid: rec for rid, rec in records.items() if rid not in acked}
        self._orphans = {cid: info for cid, info in live.items() if cid not in records}
        self._live = dict(self._orphans)

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """Records written but not acknowledged, oldest first."""
        return list(self._open.items())

    def orphans(self) -> list[tuple[str, dict[str, Any]]]:
        """Calls a previous run saw start but never saw end."""
        return list(self._orphans.items())

    def mark_live(self, call_id: str, info: dict[str, Any]) -> None:
        """A call started. Flushed, not fsynced: it only helps account for the call."""
        self._live[call_id] = info
        self._write({"live": call_id, "info": info}, sync=False)

    def live_info(self, call_id: str) -> dict[str, Any] | None:
        return self._live.get(call_id)

    def append(self, record_id: str, record: dict[str, Any]) -> None:
        """Write and flush (the record survives a crash of this process at once); the
        fsync that makes it survive a power cut is left to :meth:`sync`, which the
        writer runs in a thread so the event loop never waits on the disk."""
        self._write({"id": record_id, "record": record}, sync=False)
        self._open[record_id] = record
        self._live.pop(record_id, None)
        self._orphans.pop(record_id, None)

    def sync(self) -> None:
        if self._fsync:
            os.fsync(self._fh.fileno())

    def ack(self, record_id: str) -> None:
        # No fsync: a lost ack only costs an idempotent replay of a row already written.
        self._write({"ack": record_id}, sync=False)
        self._open.pop(record_id, None)
        if not self._open and not self._live:
            self._fh.truncate(0)
            self._fh.seek(0)
            self._lines = 0
        elif self._lines >= COMPACT_EVERY:
            self._compact()

    def drop_live(self, call_id: str) -> None:
        """A call that will never end under its own id (merged into another by an
        attended transfer): no longer outstanding."""
        if self._live.pop(call_id, None) is not None:
            self._write({"dropped": call_id}, sync=False)
        self._orphans.pop(call_id, None)

    @property
    def depth(self) -> int:
        return len(self._open)

    def _compact(self) -> None:
        """Rewrite the file with only what is outstanding (atomic rename)."""
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            for cid, info in self._live.items():
                out.write(json.dumps({"live": cid, "info": info}, ensure_ascii=False) + "\n")
            for rid, rec in self._open.items():
                out.write(json.dumps({"id": rid, "record": rec}, ensure_ascii=False,
                                     default=str) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self._fh.close()
        os.replace(tmp, self.path)
        self._fh = open(self.path, "a", encoding="utf-8")
        self._lines = len(self._live) + len(self._open)

    def _write(self, item: dict[str, Any], *, sync: bool = True) -> None:
        self._fh.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()
        self._lines += 1
        if sync and self._fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()
