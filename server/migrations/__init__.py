"""Alembic migrations of the server database, applied on start by `server.db.Database.upgrade`."""
