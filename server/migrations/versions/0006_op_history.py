"""The op log keeps each merged op of a record with a history (an incident's amendments and their reasons),
so the record's history is read from the ops themselves; looked up by record.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("op_log") as batch:
        batch.add_column(sa.Column("op", sa.Text(), nullable=True))
    op.create_index("ix_op_log_record_id", "op_log", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_op_log_record_id", "op_log")
    with op.batch_alter_table("op_log") as batch:
        batch.drop_column("op")
