"""The server's tables (SQLModel), kept in their own metadata apart from the device's.

Records of every kind live in one table as their merged `RecordState` (JSON), with the plain columns sync
needs to filter and page: organisation, scope, individual, recipient, incident reference and the sequence
number of their last accepted change. The rest is server bookkeeping: accounts, devices and tokens, the op
log that makes push idempotent, quarantined ops, the audit log, email jobs and counters.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

#: an auto-incrementing 64-bit key (SQLite only auto-increments INTEGER PRIMARY KEY)
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A moment stored as UTC: timestamptz on PostgreSQL, naive UTC on SQLite; always read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("server timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _moment(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


#: stable constraint names, so migrations can refer to them on every database
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class ServerTable(SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING))):
    """Base of the server's tables."""

    if TYPE_CHECKING:
        # SQLAlchemy sets `__table__` on every mapped class; SQLModel's types do not declare it. Services query
        # the tables through it (`Record.__table__.c.seq`), so it is declared here for the type checker only.
        __table__: ClassVar[Table]


class Counter(ServerTable, table=True):
    """Named counters: `seq` (the change sequence) and `incident:<org id>` (the next incident number).
    Incrementing one locks its row until commit, which is what serialises the allocation."""

    __tablename__ = "counter"
    name: str = Field(primary_key=True, max_length=100)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class Record(ServerTable, table=True):
    """One record's merged state. `seq` is renewed by every accepted change."""

    __tablename__ = "record"
    __table_args__ = (
        Index("ix_record_org_seq", "org_id", "seq"),
        Index("ix_record_profile_seq", "profile_id", "seq"),
        Index("ix_record_org_kind", "org_id", "kind"),
        UniqueConstraint("org_id", "reference"),
    )
    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32)
    org_id: str = Field(max_length=64)
    scope: str = Field(max_length=16)
    profile_id: str | None = Field(default=None, max_length=64)
    recipient_id: str | None = Field(default=None, max_length=64, index=True)
    reference: str | None = Field(default=None, max_length=100)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    deleted: bool = False
    state: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: dt.datetime = _moment()


class ProfileStaff(ServerTable, table=True):
    """Who is linked to an individual: live `access_grant` and `key_staff` records, indexed for lookups."""

    __tablename__ = "profile_staff"
    __table_args__ = (
        Index("ix_profile_staff_staff", "staff_id", "kind"),
        Index("ix_profile_staff_profile", "profile_id", "kind"),
    )
    record_id: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    profile_id: str = Field(max_length=64)
    staff_id: str = Field(max_length=64)


class UserAccount(ServerTable, table=True):
    """A staff member's sign-in. `id` is their `staff` record; name, email, role and active mirror it."""

    __tablename__ = "user_account"
    id: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(max_length=64, index=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    active: bool = True
    password_hash: str | None = Field(default=None, max_length=200)
    created_at: dt.datetime = _moment()
    password_changed_at: dt.datetime | None = _moment(nullable=True)


class Device(ServerTable, table=True):
    """A registered device (one account's store on one machine) and what its pulls have told it."""

    __tablename__ = "device"
    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=64, index=True)
    name: str = Field(default="", max_length=200)
    #: active, lost or revoked (the last two get a wipe at next contact)
    status: str = Field(default="active", max_length=16)
    created_at: dt.datetime = _moment()
    last_seen_at: dt.datetime | None = _moment(nullable=True)
    # The last pull answer: the cursor it was asked from and the cursor it returned, and the scope change
    # it announced, made final only when the device comes back with that cursor (it applied the page).
    pull_from: int | None = Field(default=None, sa_column=Column(BigInteger))
    pull_issued: int | None = Field(default=None, sa_column=Column(BigInteger))
    pull_added: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    pull_removed: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    # The device's clock as last measured (server time minus device time, ms) and when: its pushed stamps
    # are corrected by it (server.services.clock).
    clock_offset_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    clock_checked_at: dt.datetime | None = _moment(nullable=True)


class DeviceProfile(ServerTable, table=True):
    """An individual whose records a device holds."""

    __tablename__ = "device_profile"
    device_id: str = Field(primary_key=True, max_length=64)
    profile_id: str = Field(primary_key=True, max_length=64)


class AuthToken(ServerTable, table=True):
    """An access or refresh token, stored as its SHA-256 (a stolen table grants nothing)."""

    __tablename__ = "auth_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=8)  # access | refresh
    user_id: str = Field(max_length=64, index=True)
    device_id: str = Field(max_length=64, index=True)
    created_at: dt.datetime = _moment()
    expires_at: dt.datetime = _moment()
    revoked: bool = False


class LoginCounter(ServerTable, table=True):
    """Failed sign-ins in the current window, per account (`account:<email>`) and per address (`addr:`)."""

    __tablename__ = "login_counter"
    key: str = Field(primary_key=True, max_length=300)
    window_start: dt.datetime = _moment()
    count: int = 0


class OpLog(ServerTable, table=True):
    """Every op accepted from a device (applied or quarantined): the key that makes push idempotent. For a
    record with a history (`server.services.history`), the merged op itself (JSON), with its reason: the
    history is read from these, never from a second copy of the record."""

    __tablename__ = "op_log"
    device_id: str = Field(primary_key=True, max_length=64)
    op_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    record_id: str = Field(max_length=64, index=True)
    status: str = Field(max_length=16)
    received_at: dt.datetime = _moment()
    op: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class QuarantinedOp(ServerTable, table=True):
    """An op held back (e.g. its author had lost access), kept whole for a lead to apply or discard."""

    __tablename__ = "quarantined_op"
    __table_args__ = (Index("ix_quarantined_op_org_status", "org_id", "status"),)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    org_id: str = Field(max_length=64)
    device_id: str = Field(max_length=64)
    op_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    actor_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    record_id: str = Field(max_length=64)
    profile_id: str | None = Field(default=None, max_length=64)
    op: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending | applied | discarded
    created_at: dt.datetime = _moment()
    resolved_by: str | None = Field(default=None, max_length=64)
    resolved_at: dt.datetime | None = _moment(nullable=True)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class AuditLog(ServerTable, table=True):
    """Who read or wrote which child's record, when, from which device; and each sync, as one row."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_org_at", "org_id", "at"),
        Index("ix_audit_log_profile", "profile_id"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    at: dt.datetime = _moment()
    org_id: str = Field(max_length=64)
    actor_id: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=16)
    record_kind: str = Field(max_length=32)
    record_id: str | None = Field(default=None, max_length=64)
    profile_id: str | None = Field(default=None, max_length=64)
    #: JSON: what a whole-request event covered (a sync's counts and the individuals whose records it sent)
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AssistantLog(ServerTable, table=True):
    """One request to the language model and its answer, both pseudonymised (as the model saw them), with
    who asked and for which individual; kept for the organisation's review, purged after a retention period."""

    __tablename__ = "assistant_log"
    __table_args__ = (Index("ix_assistant_log_org_at", "org_id", "at"),)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    at: dt.datetime = _moment(index=True)
    org_id: str = Field(max_length=64)
    actor_id: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    task: str = Field(max_length=32)
    profile_id: str | None = Field(default=None, max_length=64)
    model: str = Field(default="", max_length=200)
    #: ok | failed (the endpoint did not answer usefully)
    status: str = Field(max_length=16)
    request: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))


class EmailJob(ServerTable, table=True):
    """One email to send, with its retries. `message_id` is fixed when the job is made, so a message that
    must be sent again after a crash carries the same Message-ID and receivers can drop the copy."""

    __tablename__ = "email_job"
    __table_args__ = (Index("ix_email_job_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    org_id: str = Field(max_length=64)
    notification_id: str = Field(max_length=64)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: dt.datetime = _moment()
    claimed_until: dt.datetime | None = _moment(nullable=True)
    claim_token: str | None = Field(default=None, max_length=64)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: dt.datetime = _moment()
    sent_at: dt.datetime | None = _moment(nullable=True)
    #: a PDF sent with the email (the written report to parents); cleared once the email is sent
    attachment: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    attachment_name: str | None = Field(default=None, max_length=200)


metadata = ServerTable.metadata
