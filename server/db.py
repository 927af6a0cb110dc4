"""The database: engine, transactions and migrations, for SQLite (the default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout; every write transaction starts with `BEGIN IMMEDIATE` (so two
writers never deadlock upgrading a read lock) and, within one process, writers queue on a lock instead of
spinning in SQLite's busy handler. On PostgreSQL (psycopg 3) several processes share one database; a
transaction that loses a deadlock or serialisation race is retried whole. A constraint violation is never
retried: it fails the same way again. Code that creates a row another transaction may be creating at the
same moment uses `insert_new`, which cannot fail on the other's row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Result, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

log = logging.getLogger("besmart.server.db")

T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: pg_advisory_lock key held while migrating, so processes starting together migrate once
_MIGRATION_LOCK = 0x6265736D  # "besm"
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def normalise_url(url: str) -> str:
    """`postgresql://` → psycopg 3's driver name; everything else unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run with `Session.execute` changed. The session types its result as a
    plain `Result`; for a Core UPDATE/DELETE it is a `CursorResult`, which counts them."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


class Database:
    """One process's connection to the server database."""

    def __init__(self, url: str, *, pool_size: int = 10, max_writers: int = 4) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.is_postgres = parsed.get_backend_name() == "postgresql"
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=pool_size,
                max_overflow=pool_size,
            )
            _sqlite_setup(self.engine)
        else:
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=2 * pool_size)
        # Readers on SQLite begin DEFERRED: WAL lets them run beside the one writer.
        self._read_engine = self.engine.execution_options(sqlite_begin="DEFERRED")
        # SQLite has one writer at a time: writers queue here rather than spin in SQLite's busy handler. On
        # PostgreSQL a few writers at once overlap their waits on the database; more would only contend for
        # the interpreter lock while holding row locks that others wait for.
        self._write_lock = threading.BoundedSemaphore(1 if self.is_sqlite else max_writers)

    @contextmanager
    def session(self, *, queue: bool = True) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on an exception. `queue=False`
        (PostgreSQL only; SQLite has one writer and always queues): do not wait for a writer slot — for a
        short transaction that writes a row or two and takes no lock others hold long (a pull)."""
        lock: AbstractContextManager[Any] = self._write_lock if queue or self.is_sqlite else nullcontext()
        with lock, Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only transaction (never blocks behind writers on SQLite)."""
        with Session(self._read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def run(self, work: Callable[[Session], T], *, attempts: int = 4, queue: bool = True) -> T:
        """Run `work` in a write transaction, retrying it whole after a deadlock, a lost serialisation race
        or a busy SQLite file — what can succeed when tried again. `queue`: see `session`."""
        for attempt in range(attempts):
            try:
                with self.session(queue=queue) as session:
                    return work(session)
            except OperationalError as error:
                if attempt + 1 >= attempts or not _retryable(error):
                    raise
                log.info("retrying a transaction after %s", type(error.orig).__name__)
        raise AssertionError("unreachable")

    def upgrade(self) -> None:
        """Apply the Alembic migrations up to head."""
        from alembic import command
        from alembic.config import Config

        # Alembic's plugin set-up chatter is of no use in the server's log.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.connect() as connection:
            if self.is_postgres:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
                connection.commit()
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            finally:
                if self.is_postgres:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
                    connection.commit()

    def dispose(self) -> None:
        self.engine.dispose()


def insert_new(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same primary key exists — committed, or being inserted by a
    concurrent transaction (PostgreSQL waits for it); True when this call inserted it. For rows that two
    transactions may create at once (a counter, a device), where a plain INSERT would fail one of them."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    key = [column.name for column in table.primary_key.columns]
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return bool(result.rowcount)


def _retryable(error: DBAPIError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _RETRY_SQLSTATES:
        return True
    return "database is locked" in str(error.orig)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite, so that BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")
