"""The language model's log: each pseudonymised request and answer, who asked and for which individual.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assistant_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=True),
        sa.Column("task", sa.String(32), nullable=False),
        sa.Column("profile_id", sa.String(64), nullable=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assistant_log"),
    )
    op.create_index("ix_assistant_log_at", "assistant_log", ["at"])
    op.create_index("ix_assistant_log_org_at", "assistant_log", ["org_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_assistant_log_org_at", "assistant_log")
    op.drop_index("ix_assistant_log_at", "assistant_log")
    op.drop_table("assistant_log")
