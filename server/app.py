"""The FastAPI application: `create_app(settings)` wires the database, the clock, the routes, the error
handlers, the body size limit and (when SMTP is configured) the email worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server.api.clock import ArrivalTime
from server.api.deps import ServerState
from server.api.errors import BodyLimit, SafeErrors, install_error_handlers
from server.api.routes import assistant, auth, devices, health, quarantine, records, sync
from server.core.config import Settings
from server.core.security import Passwords
from server.db import Database
from server.services.clock import server_clock
from server.services.mail import EmailWorker

log = logging.getLogger("besmart.server")


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """The server app. Migrations run when it starts; so does the email worker if SMTP is set up."""
    database = db or Database(settings.url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database.upgrade()
        worker = EmailWorker(database, settings) if settings.smtp.enabled else None
        if worker is not None:
            worker.start()
        else:
            log.info("SMTP is not configured: notifications are delivered in the app only")
        app.state.email_worker = worker
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            database.dispose()

    app = FastAPI(
        title="besmart sync server",
        version="0.1.0",
        summary="Accounts, permissions, push/pull sync and notifications for besmart devices.",
        lifespan=lifespan,
    )
    app.state.server = ServerState(
        settings=settings,
        db=database,
        clock=server_clock(settings.clock_max_ahead_ms),
        passwords=Passwords(settings),
    )
    for module in (health, auth, sync, records, quarantine, devices, assistant):
        app.include_router(module.router)
    install_error_handlers(app)
    app.add_middleware(ArrivalTime)  # before the body is read: device clocks are measured against it
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SafeErrors)  # outermost of ours: nothing unexpected gets past it
    return app
