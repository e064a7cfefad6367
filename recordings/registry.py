"""The registry's door to the database: calls, segments, transcripts (blocking SQL).

From asyncio, call it through ``asyncio.to_thread``. Writes open SQLite's write lock up
front (the CRM engine's ``crm_write`` option), as the CRM's own unit of work does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from recordings.schema import rec_calls, rec_segments, rec_transcripts


class Registry:
    def __init__(self, sql: Engine) -> None:
        self.sql = sql

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        with self.sql.connect() as conn:
            conn.execution_options(crm_write=True)
            with conn.begin():
                yield conn

    # ---- calls --------------------------------------------------------------------
    def ensure_call(self, call_id: str, started_at: float, **fields: Any) -> None:
        with self.write() as conn:
            found = conn.execute(
                select(rec_calls.c.call_id).where(rec_calls.c.call_id == call_id)
            ).first()
            if found is None:
                conn.execute(insert(rec_calls).values(
                    call_id=call_id, started_at=started_at, duration=0.0, legal_hold=False,
                    transcript_status="none", **fields))
            elif fields:
                conn.execute(update(rec_calls).where(rec_calls.c.call_id == call_id)
                             .values(**fields))

    def update_call(self, call_id: str, **fields: Any) -> None:
        with self.write() as conn:
            conn.execute(update(rec_calls).where(rec_calls.c.call_id == call_id).values(**fields))

    def call(self, call_id: str) -> dict[str, Any] | None:
        with self.sql.connect() as conn:
            row = conn.execute(select(rec_calls).where(rec_calls.c.call_id == call_id)).first()
            return dict(row._mapping) if row else None

    # ---- segments -----------------------------------------------------------------
    def add_segment(self, call_id: str, seq: int, leg: str, name: str, *, channel: str,
                    agent: str, started_at: float) -> int:
        with self.write() as conn:
            result = conn.execute(insert(rec_segments).values(
                call_id=call_id, seq=seq, leg=leg, name=name, channel=channel, agent=agent,
                started_at=started_at, pauses=[], status="recording"))
            return int(result.inserted_primary_key[0])

    def update_segment(self, segment_id: int, **fields: Any) -> None:
        with self.write() as conn:
            conn.execute(update(rec_segments).where(rec_segments.c.id == segment_id)
                         .values(**fields))

    def segments(self, call_id: str) -> list[dict[str, Any]]:
        with self.sql.connect() as conn:
            rows = conn.execute(select(rec_segments).where(rec_segments.c.call_id == call_id)
                                .order_by(rec_segments.c.seq, rec_segments.c.leg))
            return [dict(r._mapping) for r in rows]

    def segment(self, segment_id: int) -> dict[str, Any] | None:
        with self.sql.connect() as conn:
            row = conn.execute(select(rec_segments).where(rec_segments.c.id == segment_id)
                               ).first()
            return dict(row._mapping) if row else None

    def all_segments(self, statuses: tuple[str, ...] = ("stored", "missing", "changed")
                     ) -> list[dict[str, Any]]:
        with self.sql.connect() as conn:
            rows = conn.execute(select(rec_segments).where(rec_segments.c.status.in_(statuses))
                                .order_by(rec_segments.c.id))
            return [dict(r._mapping) for r in rows]

    # ---- transcripts --------------------------------------------------------------
    def untranscribed(self, limit: int = 100) -> list[dict[str, Any]]:
        """Stored segments of live (not deleted) calls that have no transcript yet."""
        with self.sql.connect() as conn:
            done = select(rec_transcripts.c.segment_id)
            rows = conn.execute(
                select(rec_segments, rec_calls.c.service)
                .join(rec_calls, rec_calls.c.call_id == rec_segments.c.call_id)
                .where(rec_segments.c.status == "stored", rec_segments.c.id.not_in(done),
                       rec_calls.c.deleted_at.is_(None),
                       rec_calls.c.transcript_status.in_(("pending", "partial")))
                .order_by(rec_segments.c.id).limit(limit))
            return [dict(r._mapping) for r in rows]

    def save_transcript(self, segment_id: int, call_id: str, *, language: str, text: str,
                        words: list[list[Any]], audio_seconds: float, cpu_seconds: float,
                        now: float) -> None:
        with self.write() as conn:
            conn.execute(insert(rec_transcripts).values(
                segment_id=segment_id, language=language, text=text, words=words,
                audio_seconds=audio_seconds, cpu_seconds=cpu_seconds, created_at=now))
            texts = conn.execute(
                select(rec_transcripts.c.text)
                .join(rec_segments, rec_segments.c.id == rec_transcripts.c.segment_id)
                .where(rec_segments.c.call_id == call_id).order_by(rec_segments.c.seq))
            joined = " ".join(t for (t,) in texts if t).lower()
            left = conn.execute(
                select(rec_segments.c.id).where(
                    rec_segments.c.call_id == call_id, rec_segments.c.status == "stored",
                    rec_segments.c.id.not_in(select(rec_transcripts.c.segment_id)))).first()
            conn.execute(update(rec_calls).where(rec_calls.c.call_id == call_id).values(
                transcript_text=joined, transcript_status="partial" if left else "done"))

    def transcripts(self, call_id: str) -> list[dict[str, Any]]:
        with self.sql.connect() as conn:
            rows = conn.execute(
                select(rec_transcripts, rec_segments.c.seq, rec_segments.c.leg)
                .join(rec_segments, rec_segments.c.id == rec_transcripts.c.segment_id)
                .where(rec_segments.c.call_id == call_id)
                .order_by(rec_segments.c.seq, rec_segments.c.leg))
            return [dict(r._mapping) for r in rows]

    def segment_by_name(self, name: str) -> dict[str, Any] | None:
        with self.sql.connect() as conn:
            row = conn.execute(select(rec_segments).where(rec_segments.c.name == name)).first()
            return dict(row._mapping) if row else None
