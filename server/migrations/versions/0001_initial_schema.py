"""Initial schema: records, accounts, devices, tokens, op log, quarantine, audit log, email jobs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("record_kind", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("profile_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_org_at", "audit_log", ["org_id", "at"], unique=False)
    op.create_index("ix_audit_log_profile", "audit_log", ["profile_id"], unique=False)

    op.create_table(
        "auth_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_auth_token")),
    )
    op.create_index(op.f("ix_auth_token_device_id"), "auth_token", ["device_id"], unique=False)
    op.create_index(op.f("ix_auth_token_user_id"), "auth_token", ["user_id"], unique=False)

    op.create_table(
        "counter",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counter")),
    )
    op.bulk_insert(
        sa.table("counter", sa.column("name", sa.String), sa.column("value", sa.BigInteger)),
        [{"name": "seq", "value": 0}],
    )
    op.create_table(
        "device",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pull_from", sa.BigInteger(), nullable=True),
        sa.Column("pull_issued", sa.BigInteger(), nullable=True),
        sa.Column("pull_added", sa.Text(), server_default="[]", nullable=False),
        sa.Column("pull_removed", sa.Text(), server_default="[]", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
    )
    op.create_index(op.f("ix_device_user_id"), "device", ["user_id"], unique=False)

    op.create_table(
        "device_profile",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "profile_id", name=op.f("pk_device_profile")),
    )
    op.create_table(
        "email_job",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("notification_id", sa.String(length=64), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_job")),
        sa.UniqueConstraint("message_id", name=op.f("uq_email_job_message_id")),
    )
    op.create_index("ix_email_job_due", "email_job", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "login_counter",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_counter")),
    )
    op.create_table(
        "op_log",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("op_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "op_id", name=op.f("pk_op_log")),
    )
    op.create_table(
        "profile_staff",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_profile_staff")),
    )
    op.create_index("ix_profile_staff_profile", "profile_staff", ["profile_id", "kind"], unique=False)
    op.create_index("ix_profile_staff_staff", "profile_staff", ["staff_id", "kind"], unique=False)

    op.create_table(
        "quarantined_op",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("op_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=True),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_op")),
    )
    op.create_index("ix_quarantined_op_org_status", "quarantined_op", ["org_id", "status"], unique=False)

    op.create_table(
        "record",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=True),
        sa.Column("recipient_id", sa.String(length=64), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record")),
        sa.UniqueConstraint("org_id", "reference", name=op.f("uq_record_org_id_reference")),
        sa.UniqueConstraint("seq", name=op.f("uq_record_seq")),
    )
    op.create_index("ix_record_org_kind", "record", ["org_id", "kind"], unique=False)
    op.create_index("ix_record_org_seq", "record", ["org_id", "seq"], unique=False)
    op.create_index("ix_record_profile_seq", "record", ["profile_id", "seq"], unique=False)
    op.create_index(op.f("ix_record_recipient_id"), "record", ["recipient_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    op.create_index(op.f("ix_user_account_org_id"), "user_account", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_user_account_org_id"), table_name="user_account")

    op.drop_table("user_account")
    op.drop_index(op.f("ix_record_recipient_id"), table_name="record")
    op.drop_index("ix_record_profile_seq", table_name="record")
    op.drop_index("ix_record_org_seq", table_name="record")
    op.drop_index("ix_record_org_kind", table_name="record")

    op.drop_table("record")
    op.drop_index("ix_quarantined_op_org_status", table_name="quarantined_op")

    op.drop_table("quarantined_op")
    op.drop_index("ix_profile_staff_staff", table_name="profile_staff")
    op.drop_index("ix_profile_staff_profile", table_name="profile_staff")

    op.drop_table("profile_staff")
    op.drop_table("op_log")
    op.drop_table("login_counter")
    op.drop_index("ix_email_job_due", table_name="email_job")

    op.drop_table("email_job")
    op.drop_table("device_profile")
    op.drop_index(op.f("ix_device_user_id"), table_name="device")

    op.drop_table("device")
    op.drop_table("counter")
    op.drop_index(op.f("ix_auth_token_user_id"), table_name="auth_token")
    op.drop_index(op.f("ix_auth_token_device_id"), table_name="auth_token")

    op.drop_table("auth_token")
    op.drop_index("ix_audit_log_profile", table_name="audit_log")
    op.drop_index("ix_audit_log_org_at", table_name="audit_log")

    op.drop_table("audit_log")
