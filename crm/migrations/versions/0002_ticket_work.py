"""ticket work: work-log entries, follow-up satisfaction by dimension, queue index

Revision ID: 0002_ticket_work
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_ticket_work"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_work_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_work_log_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_work_log")),
    )
    with op.batch_alter_table("ticket_work_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_work_log_ticket_id"), ["ticket_id"], unique=False
        )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attitude", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("timeliness", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("result_score", sa.Integer(), nullable=True))
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        # The dispatch center's overdue list: open tickets by due time.
        batch_op.create_index("ix_tickets_state_due", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_state_due")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_column("result_score")
        batch_op.drop_column("timeliness")
        batch_op.drop_column("attitude")
    with op.batch_alter_table("ticket_work_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_work_log_ticket_id"))
    op.drop_table("ticket_work_log")
