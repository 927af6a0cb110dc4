"""When and how the client syncs: on unlock, when connectivity returns, every few minutes while online,
after a submit, and on "Sync now" — one run at a time, never blocking the UI, with a status the screens show
(offline banner, last synced, pending count, progress, last error)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx

from localdb.store import LocalStore
from sync.engine import (
    OfflineError,
    ReauthRequired,
    SyncEngine,
    SyncFailure,
    SyncProgress,
    SyncReport,
)

LAST_SYNCED_SECRET = "last_synced"


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None = None  # None: not known yet
    syncing: bool = False
    done: int = 0
    total: int = 0
    phase: str = ""
    last_synced: dt.datetime | None = None
    pending: int = 0
    error: str | None = None
    needs_sign_in: bool = False
    wiped: bool = False
    #: increases after every sync that brought changes, so screens know to show them
    generation: int = 0

    @property
    def progress(self) -> float | None:
        """0..1 while syncing with a known total, else None (an indeterminate bar)."""
        if not self.syncing or self.total <= 0:
            return None
        return min(1.0, self.done / self.total)


class SyncService:
    """Runs the sync engine for one unlocked store and keeps a status for the screens."""

    def __init__(
        self,
        store: LocalStore,
        server_url: str,
        *,
        client: httpx.AsyncClient | None = None,
        on_change: Callable[[SyncStatus], None] | None = None,
        engine: SyncEngine | None = None,
    ) -> None:
        self.store = store
        self.engine = engine or SyncEngine(store, server_url, client=client, on_progress=self._progress)
        self._listeners: list[Callable[[SyncStatus], None]] = [on_change] if on_change else []
        last = store.get_secret(LAST_SYNCED_SECRET) if not store.locked else None
        self.status = SyncStatus(
            last_synced=dt.datetime.fromisoformat(last) if last else None,
            pending=store.pending_count(),
        )
        self._running: asyncio.Task[SyncReport | None] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def subscribe(self, listener: Callable[[SyncStatus], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[SyncStatus], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _set(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]
        for listener in list(self._listeners):
            listener(self.status)

    def _progress(self, progress: SyncProgress) -> None:
        self._set(phase=progress.phase, done=progress.done, total=progress.total)

    def refresh_pending(self) -> None:
        """Re-read the pending count after a local write (cheap: one COUNT)."""
        self._set(pending=self.store.pending_count())

    async def sync_now(self) -> SyncReport | None:
        """Run one sync, or wait for the one already running. Failures end up in `status.error`."""
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._run())
        return await asyncio.shield(self._running)

    async def _run(self) -> SyncReport | None:
        self._set(syncing=True, error=None, done=0, total=0, phase="push")
        try:
            report = await self.engine.sync()
        except OfflineError as error:
            self._set(syncing=False, online=False, error=str(error), pending=self.store.pending_count())
            return None
        except ReauthRequired as error:
            self._set(syncing=False, needs_sign_in=True, error=str(error), pending=self.store.pending_count())
            return None
        except SyncFailure as error:
            self._set(syncing=False, online=True, error=str(error), pending=self.store.pending_count())
            return None
        except asyncio.CancelledError:
            self._set(syncing=False)
            raise
        if report.wiped:
            self._set(syncing=False, wiped=True, pending=0)
            return report
        now = dt.datetime.now(dt.UTC)
        self.store.put_secret(LAST_SYNCED_SECRET, now.isoformat())
        self._set(
            syncing=False,
            online=True,
            last_synced=now,
            pending=self.store.pending_count(),
            needs_sign_in=False,
            generation=self.status.generation + (1 if report.pushed or report.pulled or report.purged else 0),
        )
        return report

    def request_sync(self) -> None:
        """Ask the background loop to sync soon (e.g. after a submit)."""
        self._wake.set()

    def start(self, interval_seconds: float) -> None:
        """Start the background loop: sync now, then every `interval_seconds` or when asked."""
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self._loop(interval_seconds))

    async def _loop(self, interval_seconds: float) -> None:
        while True:
            if self.store.locked or self.status.wiped:
                return
            online = await self.engine.online()
            if online != self.status.online:
                self._set(online=online)
            if online:
                await self.sync_now()
            # Offline: probe again soon, so a returning connection is noticed quickly.
            timeout = interval_seconds if online else min(interval_seconds, 15)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def stop(self) -> None:
        for task in (self._loop_task, self._running):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._loop_task = self._running = None
        await self.engine.aclose()
