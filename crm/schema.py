"""The CRM tables (SQLAlchemy Core). Migrations in crm/migrations create exactly these.

Repositories translate rows to the pure domain objects in crm/model; nothing else touches
these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from crm.types import NAMING_CONVENTION, UTCDateTime, json_column_type

metadata = MetaData(naming_convention=NAMING_CONVENTION)

departments = Table(
    "departments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", ForeignKey("departments.id"), nullable=True, index=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("area", String(200), nullable=True),
    # Deactivated units stay (tickets and users point at them) but take no new work.
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(32), nullable=False),
    Column("department_id", ForeignKey("departments.id"), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    # The routing agent and the phone extension this user works as (agents only).
    Column("agent_id", String(64), nullable=True, unique=True),
    Column("extension", String(32), nullable=True),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object_type", String(64), nullable=False),
    Column("object_id", String(64), nullable=True),
    Column("detail", json_column_type(), nullable=True),
    Index("ix_audit_log_actor_at", "actor", "at"),
    Index("ix_audit_log_object", "object_type", "object_id", "at"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("account_number", String(64), nullable=True, unique=True),
    Column("segment", String(64), nullable=True),
    Column("grade", String(32), nullable=True),
    Column("area", String(200), nullable=True, index=True),
    Column("address", Text, nullable=True),
    Column("email", String(200), nullable=True),
    Column("archive", json_column_type(), nullable=True),
    Column("archive_locked", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_customers_name_id", "name", "id"),
)

customer_tags = Table(
    "customer_tags",
    metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(64), primary_key=True),
    Index("ix_customer_tags_tag", "tag"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("name", String(200), nullable=False),
    Column("title", String(200), nullable=True),
    Column("email", String(200), nullable=True),
)

phone_numbers = Table(
    "phone_numbers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), nullable=True),
    Column("number_key", String(20), nullable=False),
    Column("extension", String(16), nullable=True),
    Column("raw", String(64), nullable=False),
    Column("label", String(32), nullable=True),
    # Covering index: the caller-ID lookup reads only these columns.
    Index("ix_phone_numbers_key_customer", "number_key", "customer_id", "contact_id"),
    Index("ix_phone_numbers_customer", "customer_id"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=True, index=True),
    Column("category", String(32), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(32), nullable=False, index=True),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("department_id", ForeignKey("departments.id"), nullable=True, index=True),
    Column("assignee", String(64), nullable=True),
    Column("incident_id", ForeignKey("incidents.id"), nullable=True, index=True),
    Column("suspend_reason", Text, nullable=True),
    Column("resolution", Text, nullable=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("version", Integer, nullable=False, default=1),
    Index("ix_tickets_state_due", "state", "due_at"),
)

ticket_history = Table(
    "ticket_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("event", String(64), nullable=False),
    Column("from_state", String(32), nullable=True),
    Column("to_state", String(32), nullable=True),
    Column("detail", json_column_type(), nullable=True),
)

followups = Table(
    "followups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("state", String(16), nullable=False, index=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime, nullable=True),
    Column("satisfaction", Integer, nullable=True),
    Column("comment", Text, nullable=True),
    Column("done_by", String(64), nullable=True),
    # Satisfaction by dimension (1-5); "satisfaction" above is the overall score.
    Column("attitude", Integer, nullable=True),
    Column("timeliness", Integer, nullable=True),
    Column("result_score", Integer, nullable=True),
)

# Work-log entries (工作记录): what department staff did on a ticket, and how long it took.
ticket_work_log = Table(
    "ticket_work_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("note", Text, nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(32), nullable=False),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("state", String(16), nullable=False, index=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("expected_end_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("created_by", String(64), nullable=False),
)

incident_areas = Table(
    "incident_areas",
    metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("area", String(200), primary_key=True),
    Index("ix_incident_areas_area", "area"),
)

announcements = Table(
    "announcements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("publish_at", UTCDateTime, nullable=True),
    Column("published_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("archived_at", UTCDateTime, nullable=True),
    Column("incident_id", ForeignKey("incidents.id"), nullable=True, index=True),
    Column("audience", json_column_type(), nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

kb_articles = Table(
    "kb_articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("category", String(64), nullable=False, index=True),
    Column("lang", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # draft -> review -> published (crm.model.knowledge.ArticleState); agents see published.
    Column("state", String(16), nullable=False, server_default="published", index=True),
    Column("updated_by", String(64), nullable=True),
)

interactions = Table(
    "interactions",
    metadata,
    Column("call_id", String(128), primary_key=True),
    # False while only late fields (disposition, notes) arrived before the call itself.
    Column("complete", Boolean, nullable=False),
    Column("started_at", UTCDateTime, nullable=True, index=True),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("caller_number", String(64), nullable=True),
    Column("caller_key", String(20), nullable=True, index=True),
    Column("caller_name", String(200), nullable=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=True, index=True),
    Column("direction", String(16), nullable=True),
    Column("service", String(64), nullable=True),
    Column("queue", String(64), nullable=True),
    Column("ivr_steps", json_column_type(), nullable=True),
    Column("wait_seconds", Float, nullable=True),
    Column("agents_offered", json_column_type(), nullable=True),
    Column("agent_answered", String(64), nullable=True),
    Column("transfers", json_column_type(), nullable=True),
    Column("talk_seconds", Float, nullable=True),
    Column("hold_seconds", Float, nullable=True),
    Column("wrapup_seconds", Float, nullable=True),
    Column("end_reason", String(64), nullable=True),
    Column("disposition", String(64), nullable=True),
    Column("notes", Text, nullable=True),
    Column("recording_refs", json_column_type(), nullable=True),
    Column("transcript_ref", String(300), nullable=True),
    Column("extra", json_column_type(), nullable=True),
)

interaction_tickets = Table(
    "interaction_tickets",
    metadata,
    Column("call_id", ForeignKey("interactions.call_id", ondelete="CASCADE"), primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    UniqueConstraint("ticket_id", "call_id", name="uq_interaction_tickets_ticket_call"),
)

# Site settings an administrator edits (crm.services.settings); built-in defaults in
# crm.model.settings fill whatever a site never set.
ticket_categories = Table(
    "ticket_categories",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    Column("sla_minutes", Integer, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

ticket_priorities = Table(
    "ticket_priorities",
    metadata,
    Column("level", Integer, primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    # A cap on the category's time: an urgent repair is due sooner than a normal one.
    Column("sla_minutes", Integer, nullable=True),
)

reason_codes = Table(
    "reason_codes",
    metadata,
    Column("kind", String(16), primary_key=True),  # disposition | not_ready
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("position", Integer, nullable=False, default=0),
)

alarm_thresholds = Table(
    "alarm_thresholds",
    metadata,
    Column("service", String(64), primary_key=True),  # "" is the site default
    Column("metric", String(32), primary_key=True),
    Column("warn", Float, nullable=False),
    Column("critical", Float, nullable=False),
)
