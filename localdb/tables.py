"""The on-device tables, declared with SQLModel (the DDL of schema version 1 is generated from them).

Plain columns hold only random ids, kind, profile id, timestamps and sync bookkeeping. Everything a person
wrote — names, free text, the fields of every record, tokens — lives in `body`/`base`/`value` blobs
encrypted by `localdb.crypto`, each bound to its table, column and row.
"""

from __future__ import annotations

from sqlalchemy import Index, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class LocalTable(SQLModel, registry=registry()):
    """Base of the device's tables: their own metadata, apart from the server's tables."""


class Meta(LocalTable, table=True):
    """Plain bookkeeping: store id, device id, wrapped keys (salt/nonce/ciphertext only), counters."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class Vault(LocalTable, table=True):
    """Small sensitive values (server tokens, the signed-in user): encrypted, bound to their name."""

    __tablename__ = "vault"
    name: str = Field(primary_key=True)
    value: bytes


class RecordRow(LocalTable, table=True):
    """One record as this device sees it: the server's state (`base`) plus pending local ops (`body`)."""

    __tablename__ = "record"
    # Few indexes on purpose: every index is another page written by every tap.
    __table_args__ = (
        Index("record_by_profile", "profile_id", "kind", "occurred_at"),
        # Partial: a clicker tap (the hot path) never writes to it; taps are found by profile.
        Index("record_by_kind", "kind", "occurred_at", sqlite_where=text("kind != 'clicker_event'")),
        {"sqlite_with_rowid": False},
    )
    id: str = Field(primary_key=True)
    kind: str
    profile_id: str | None = None
    #: the moment the record is about (its kind's time field), ISO-8601 UTC, for range queries
    occurred_at: str | None = None
    #: newest HLC version of any field (sync bookkeeping; also restores the clock after a restart)
    version: str
    deleted: bool = False
    body: bytes
    base: bytes | None = None
    #: the op ids of this device's first and newest change to the record (NULL: none), so every op of it still
    #: in the outbox has an op id between them: a clicker tap's "waiting to sync" flag is one look-up by op id
    #: there, which spares every tap an entry in the outbox's record_id index (schema version 2)
    first_op: int | None = None
    last_op: int | None = None


class OutboxRow(LocalTable, table=True):
    """A local op not yet acknowledged by the server.

    `op_id` increases per device and is never reused: the next id is one above both the newest queued op
    and meta `op_seq`, which records the highest id ever removed from here (acknowledged or purged).
    """

    __tablename__ = "outbox"
    # Partial, as `record_by_kind`: a clicker tap (the hot path) never writes to it; a tap's ops are found by
    # op id, between its record's `first_op` and `last_op`.
    __table_args__ = (Index("ix_outbox_record_id", "record_id", sqlite_where=text("kind != 'clicker_event'")),)
    op_id: int = Field(primary_key=True)
    record_id: str
    kind: str
    profile_id: str | None = None
    hlc: str
    body: bytes


class DraftRow(LocalTable, table=True):
    """A half-finished form (e.g. an incident report), so it survives a restart of the app."""

    __tablename__ = "draft"
    id: str = Field(primary_key=True)
    kind: str
    profile_id: str | None = Field(default=None, index=True)
    updated_at: str
    body: bytes


class SyncIssueRow(LocalTable, table=True):
    """An op the server quarantined or a conflict to review, kept for the "needs review" list."""

    __tablename__ = "sync_issue"
    id: str = Field(primary_key=True)
    profile_id: str | None = Field(default=None, index=True)
    created_at: str
    body: bytes
