"""The recordings tables (SQLAlchemy Core) in the CRM's database.

Their own MetaData, created with ``create_all`` at start-up (idempotent), so this part
needs no migration in crm/; the types work on SQLite and PostgreSQL. Times are epoch
seconds (floats) in the engine's clock, the same numbers the call events carry.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from crm.types import NAMING_CONVENTION, json_column_type

metadata = MetaData(naming_convention=NAMING_CONVENTION)

rec_calls = Table(
    "rec_calls",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("caller_number", String(64), nullable=True),
    Column("customer_id", Integer, nullable=True, index=True),
    Column("agent", String(64), nullable=True, index=True),  # who answered first
    Column("service", String(64), nullable=True, index=True),
    Column("started_at", Float, nullable=False, index=True),
    Column("ended_at", Float, nullable=True),
    Column("duration", Float, nullable=False, default=0.0),
    Column("legal_hold", Boolean, nullable=False, default=False),
    Column("deleted_at", Float, nullable=True),
    Column("transcript_status", String(16), nullable=False, default="none"),
    Column("transcript_text", Text, nullable=True),  # lower-cased words, for search
)

rec_segments = Table(
    "rec_segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", ForeignKey("rec_calls.call_id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("seq", Integer, nullable=False),
    Column("leg", String(8), nullable=False),  # mix, caller, agent
    Column("name", String(200), nullable=False, unique=True),
    Column("channel", String(200), nullable=True),
    Column("agent", String(64), nullable=True, index=True),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
    Column("duration", Float, nullable=True),
    Column("size", Integer, nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("format", String(40), nullable=True),
    Column("pauses", json_column_type(), nullable=True),  # [[start, end, reason], ...]
    Column("status", String(16), nullable=False),  # recording, stored, missing, deleted
)

rec_transcripts = Table(
    "rec_transcripts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("segment_id", ForeignKey("rec_segments.id", ondelete="CASCADE"), nullable=False,
           unique=True),
    Column("language", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("words", json_column_type(), nullable=False),  # [[word, start, end, conf], ...]
    Column("audio_seconds", Float, nullable=False),
    Column("cpu_seconds", Float, nullable=False),
    Column("created_at", Float, nullable=False),
)

qa_forms = Table(
    "qa_forms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", json_column_type(), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("name", "version", name="uq_qa_forms_name_version"),
)

qa_evaluations = Table(
    "qa_evaluations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", String(128), nullable=False, index=True),
    Column("form_id", ForeignKey("qa_forms.id"), nullable=False),
    Column("evaluator", String(64), nullable=False),
    Column("agent", String(64), nullable=True, index=True),
    Column("status", String(16), nullable=False),  # draft, submitted
    Column("answers", json_column_type(), nullable=False),
    Column("comment", Text, nullable=True),
    Column("score", Float, nullable=True),
    Column("fatal", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("submitted_at", Float, nullable=True),
    Column("amendments", Integer, nullable=False, default=0),
)

qa_amendments = Table(
    "qa_amendments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evaluation_id", ForeignKey("qa_evaluations.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("before", json_column_type(), nullable=False),
    Column("after", json_column_type(), nullable=False),
)


def create_tables(sql: Engine) -> None:
    metadata.create_all(sql)
