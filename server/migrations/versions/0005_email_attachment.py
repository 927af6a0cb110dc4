"""An email job may carry a PDF attachment (the written report to parents, emailed where the organisation
allows it); it is cleared once the email is sent.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("email_job", sa.Column("attachment", sa.LargeBinary(), nullable=True))
    op.add_column("email_job", sa.Column("attachment_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("email_job") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("attachment_name")
        batch.drop_column("attachment")
