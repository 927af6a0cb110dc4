"""The FastAPI application: `create_app(settings)` wires the database, the clock, the routes, the error
handlers, the body size limit and (when SMTP is configured) the email worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server.api.clock import ArrivalTime
from server.api.deps import ServerState
from server.api.errors import BodyLimit, SafeErrors, install_error_handlers
from server.api.routes import assistant, auth, devices, health, parent_report, quarantine, records, sync
from server.core.config import Settings
from server.core.security import Passwords
from server.db import Database
from server.services.clock import server_clock
from server.services.mail import EmailWorker
from server.services.plan_reminders import run_reminders

log = logging.getLogger("besmart.server")


async def _remind_plans_every(database: Database, settings: Settings, seconds: int) -> None:
    """Smart Plan review reminders, checked at start and then every `seconds` (in a thread: the check reads the
    database). Running it often is safe: each reminder is sent once (server/services/plan_reminders.py)."""
    while True:
        try:
            await asyncio.to_thread(run_reminders, database, settings)
        except Exception as error:  # a failed check must not stop the server; the next one tries again
            log.warning("plan reminders: %s", type(error).__name__)
        await asyncio.sleep(seconds)


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
        reminders = (
            asyncio.create_task(_remind_plans_every(database, settings, settings.plan_reminder_interval_seconds))
            if settings.plan_reminder_interval_seconds
            else None
        )
        try:
            yield
        finally:
            if reminders is not None:
                reminders.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reminders
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
    for module in (health, auth, sync, records, quarantine, devices, assistant, parent_report):
        app.include_router(module.router)
    install_error_handlers(app)
    app.add_middleware(ArrivalTime)  # before the body is read: device clocks are measured against it
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SafeErrors)  # outermost of ours: nothing unexpected gets past it
    return app
