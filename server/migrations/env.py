"""Alembic environment: run programmatically by `Database.upgrade` (no alembic.ini needed).

The caller passes its open connection in `config.attributes["connection"]`; a plain `alembic` command line
with `-x url=...` works too, for writing new revisions against a scratch database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from server.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place: let Alembic copy-and-move tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database to migrate: pass `-x url=...` or set sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as fresh:
        _run(fresh)
    engine.dispose()
