"""The local schema version and its migrations, applied when the store opens.

Plain columns hold only random ids, kind, profile id, timestamps and sync bookkeeping. Everything a person
wrote — names, free text, the fields of every record, tokens — lives in `body`/`base`/`value` blobs
encrypted by `localdb.crypto`, each bound to its table, column and row (tables: `localdb.tables`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _create_tables(db: sqlite3.Connection) -> None:
    # Imported here: SQLModel and SQLAlchemy cost ~0.4 s to import, and only a new store needs them.
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from localdb.tables import LocalTable

    dialect = sqlite.dialect()
    for table in LocalTable.metadata.sorted_tables:
        db.execute(str(CreateTable(table).compile(dialect=dialect)))
        for index in table.indexes:
            db.execute(str(CreateIndex(index).compile(dialect=dialect)))


def _op_range_and_partial_outbox_index(db: sqlite3.Connection) -> None:
    """Version 2: a record row names the op ids of this device's first and newest change to it, and a clicker
    tap no longer writes to the outbox's record_id index (one page less per tap). Every row and op is kept."""
    db.execute("ALTER TABLE record ADD COLUMN first_op INTEGER")
    db.execute("ALTER TABLE record ADD COLUMN last_op INTEGER")
    db.execute(
        "UPDATE record SET first_op = (SELECT min(op_id) FROM outbox WHERE outbox.record_id = record.id), "
        "last_op = (SELECT max(op_id) FROM outbox WHERE outbox.record_id = record.id) "
        "WHERE id IN (SELECT record_id FROM outbox)"
    )  # while the full record_id index is still there
    db.execute("DROP INDEX ix_outbox_record_id")
    db.execute("CREATE INDEX ix_outbox_record_id ON outbox (record_id) WHERE kind != 'clicker_event'")


#: Local schema migrations, applied in order on open. Index 0 creates the tables as `localdb.tables` declares
#: them today, on an empty database (which is then at SCHEMA_VERSION); index i >= 1 upgrades a database at
#: user_version i to i + 1. To change the tables, change `localdb.tables` and append an upgrade that brings a
#: database of the previous version to the same shape (`tests/localdb/test_schema.py` checks both agree).
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables, _op_range_and_partial_outbox_index]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION in one transaction; returns the version it was at."""
    db.execute("BEGIN IMMEDIATE")
    try:
        found: int = db.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise RuntimeError(
                f"this data was written by a newer version of besmart (schema {found}, we know "
                f"{SCHEMA_VERSION}): update the app"
            )
        if found == 0:
            MIGRATIONS[0](db)  # today's tables: no upgrade to run
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        else:
            for version in range(found, SCHEMA_VERSION):
                MIGRATIONS[version](db)
                db.execute(f"PRAGMA user_version = {version + 1}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return found
