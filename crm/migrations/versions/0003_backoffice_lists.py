"""back-office lists: customer name index, knowledge-base review states

Revision ID: 0003_backoffice_lists
Revises: 0002_ticket_work
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_backoffice_lists"
down_revision = "0002_ticket_work"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Customer search by name prefix pages over (name, id) on 1,000,000 rows.
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_name_id", ["name", "id"], unique=False)
    # Articles written before the review step existed stay visible: they were published.
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(16), nullable=False, server_default="published")
        )
        batch_op.add_column(sa.Column("updated_by", sa.String(64), nullable=True))
        batch_op.create_index("ix_kb_articles_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_kb_articles_state")
        batch_op.drop_column("updated_by")
        batch_op.drop_column("state")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_name_id")
