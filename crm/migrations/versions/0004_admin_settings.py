"""admin settings: categories, priorities, reasons, alarm limits; user agent link; unit active

Revision ID: 0004_admin_settings
Revises: 0003_backoffice_lists
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_admin_settings"
down_revision = "0003_backoffice_lists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("extension", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_agent_id"), ["agent_id"])
    op.create_table(
        "ticket_categories",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("sla_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ticket_categories")),
    )
    op.create_table(
        "ticket_priorities",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("sla_minutes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_ticket_priorities")),
    )
    op.create_table(
        "reason_codes",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "code", name=op.f("pk_reason_codes")),
    )
    op.create_table(
        "alarm_thresholds",
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("warn", sa.Float(), nullable=False),
        sa.Column("critical", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("service", "metric", name=op.f("pk_alarm_thresholds")),
    )


def downgrade() -> None:
    op.drop_table("alarm_thresholds")
    op.drop_table("reason_codes")
    op.drop_table("ticket_priorities")
    op.drop_table("ticket_categories")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_agent_id"), type_="unique")
        batch_op.drop_column("extension")
        batch_op.drop_column("agent_id")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_column("active")
