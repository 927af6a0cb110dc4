"""Device clocks: the measured offset of each device's clock and when it was measured.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot alter tables in place; on PostgreSQL it is a plain ALTER TABLE.
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("clock_offset_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("clock_checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.drop_column("clock_checked_at")
        batch.drop_column("clock_offset_ms")
