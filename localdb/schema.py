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


#: Local schema migrations, applied in order on open. Index i upgrades user_version i -> i + 1.
#: Version 1 creates the tables above; append a function to change them later.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables]

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
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return found
