"""The on-device tables (SQLModel) and the local schema migrations.

Plain columns hold only random ids, kind, profile id, timestamps and sync bookkeeping. Everything a person
wrote — names, free text, the fields of every record, tokens — lives in `body`/`base`/`value` blobs
encrypted by `localdb.crypto`, each bound to its table, column and row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlalchemy import Index, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import registry
from sqlalchemy.schema import CreateIndex, CreateTable
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


class OutboxRow(LocalTable, table=True):
    """A local op not yet acknowledged by the server.

    `op_id` increases per device and is never reused: the next id is one above both the newest queued op
    and meta `op_seq`, which records the highest id ever removed from here (acknowledged or purged).
    """

    __tablename__ = "outbox"
    op_id: int = Field(primary_key=True)
    record_id: str = Field(index=True)
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


def _create_tables(db: sqlite3.Connection) -> None:
    dialect = sqlite.dialect()
    for table in LocalTable.metadata.sorted_tables:
        db.execute(str(CreateTable(table).compile(dialect=dialect)))
        for index in table.indexes:
            db.execute(str(CreateIndex(index).compile(dialect=dialect)))


#: Local schema migrations, applied in order on open. Index i upgrades user_version i -> i + 1.
#: Version 1 creates the tables above; append a function to change them later.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION in one transaction; returns the version it was at."""
    db.execute("BEGIN IMMEDIATE")
    try:
        found = db.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise RuntimeError(
                f"this data was written by a newer version of besmart (schema {found}, we know "
                f"{SCHEMA_VERSION}): update the app"
            )
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return found
