"""When and how the client syncs: on unlock, when connectivity returns, a few seconds after a local change,
every few minutes while online, and on "Sync now" — one run at a time, never blocking the UI, with one status
the screens show as one sentence (`describe`): up to date / N changes waiting / offline since … / syncing.

Connectivity is noticed by a cheap periodic reachability check (GET /health, short timeout) and by failed
syncs. No failure — the server, the network or a full disk — ends the background loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from localdb.store import LocalStore, StorageError, StorageFull, StoreError
from sync.engine import SyncEngine, SyncProgress, SyncReport
from sync.gateway import OfflineError, ReauthRequired, ServerGateway, SyncFailure

LAST_SYNCED_SECRET = "last_synced"
#: a local change is pushed this long after the last of a burst of changes (taps come in bursts)
PUSH_DELAY_SECONDS = 3.0
#: how often the background loop checks that the server is reachable
PROBE_SECONDS = 15.0
#: records per pulled page. Parsing a page is one call that holds the GIL (~7 ms for 500 records quiet, 15-50 ms
#: under load) and applying it holds the store's lock: half pages halved both, and the event loop's p99 stall
#: with them (bench/RESULTS.md, "what held the loop"), at the same records per second (pages are fetched ahead)
PULL_LIMIT = 250

STORAGE_FULL_SYNC = (
    "This device is out of storage, so syncing has paused. Nothing is lost: free some space and besmart syncs again."
)
STORAGE_UNAVAILABLE_SYNC = (
    "besmart cannot write to its data folder on this device, so syncing has paused. Nothing is lost: check the "
    "device's storage."
)
UNEXPECTED_SYNC = "Sync failed unexpectedly. Your changes are kept on this device; besmart will try again."

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None = None  # None: not known yet
    #: when the server was first found unreachable in this offline spell
    offline_since: dt.datetime | None = None
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


def changes(count: int) -> str:
    return f"{count} change{'' if count == 1 else 's'}"


def describe(status: SyncStatus, *, now: dt.datetime | None = None) -> str:
    """The sync status as one sentence, from one state: syncing (with progress) / offline since … / the last
    sync did not finish / N changes waiting / up to date. Never two states at once ("Synced just now · 2 waiting
    to sync" said both)."""
    now = now or dt.datetime.now(dt.UTC)
    if status.syncing:
        if status.phase == "push" and status.total > 0:
            return f"Syncing: sent {status.done} of {changes(status.total)}…"
        if status.phase == "pull" and status.done > 0:
            # How many pages are left is not known: the count received so far shows a long first sync moving.
            return f"Syncing: received {status.done:,} record{'' if status.done == 1 else 's'}…"
        return "Syncing…"
    if status.online is False:
        since = status.offline_since
        sentence = "Offline" if since is None else f"Offline since {_clock_time(since, now)}"
        return f"{sentence}, {changes(status.pending)} waiting to sync" if status.pending else sentence
    if status.error or status.needs_sign_in:
        # Not "up to date": the line under the status says why the last sync did not finish.
        sentence = "The last sync did not finish"
        return f"{sentence}, {changes(status.pending)} waiting to sync" if status.pending else sentence
    if status.pending:
        return f"{changes(status.pending)} waiting to sync"
    if status.last_synced is None:
        return "Not synced yet"
    minutes = int((now - status.last_synced).total_seconds() // 60)
    return "Up to date (synced just now)" if minutes < 1 else f"Up to date (synced {_ago(minutes)} ago)"


def _clock_time(moment: dt.datetime, now: dt.datetime) -> str:
    local, today = moment.astimezone(), now.astimezone()
    return f"{local:%H:%M}" if local.date() == today.date() else f"{local:%d %b %H:%M}"


def _ago(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


class SyncService:
    """Runs the sync engine for one unlocked store, through `gateway`, and keeps a status for the screens."""

    def __init__(
        self,
        store: LocalStore,
        gateway: ServerGateway,
        *,
        on_change: Callable[[SyncStatus], None] | None = None,
        push_delay_seconds: float = PUSH_DELAY_SECONDS,
        probe_seconds: float = PROBE_SECONDS,
    ) -> None:
        self.store = store
        self.engine = SyncEngine(store, gateway, on_progress=self._progress, pull_limit=PULL_LIMIT)
        self.push_delay_seconds = push_delay_seconds
        self.probe_seconds = probe_seconds
        self._listeners: list[Callable[[SyncStatus], None]] = [on_change] if on_change else []
        last = store.get_secret(LAST_SYNCED_SECRET) if not store.locked else None
        self.status = SyncStatus(
            last_synced=dt.datetime.fromisoformat(last) if last else None,
            pending=store.pending_count(audits=False),
        )
        self._running: asyncio.Task[SyncReport | None] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._push_timer: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()

    def subscribe(self, listener: Callable[[SyncStatus], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[SyncStatus], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _set(self, **changes: Any) -> None:
        online = changes.get("online", self.status.online)
        if online is False and self.status.offline_since is None:
            changes["offline_since"] = dt.datetime.now(dt.UTC)
        elif online is not False:
            changes["offline_since"] = None
        self.status = replace(self.status, **changes)
        for listener in list(self._listeners):
            listener(self.status)

    def _progress(self, progress: SyncProgress) -> None:
        self._set(phase=progress.phase, done=progress.done, total=progress.total)

    def _pending(self) -> int:
        """The person's changes in the outbox (not the device's audit events), or the last count known when
        the store cannot be read (locked, closed)."""
        try:
            return self.store.pending_count(audits=False)
        except StoreError:
            return self.status.pending

    def refresh_pending(self) -> None:
        """Re-read the pending count after a local write (cheap: one COUNT)."""
        self._set(pending=self._pending())

    def changed(self) -> None:
        """After a local write: show the new count now, and push a few seconds after the last of a burst of
        changes, if the background loop runs (it checks the server is reachable first). Any thread may call it."""
        self.refresh_pending()
        loop = self._event_loop
        if loop is None or loop.is_closed() or self._loop_task is None or self._loop_task.done():
            return
        loop.call_soon_threadsafe(self._schedule_push)

    def _schedule_push(self) -> None:
        if self._push_timer is not None:
            self._push_timer.cancel()  # debounced: each change in a burst moves the push later
        self._push_timer = asyncio.get_running_loop().call_later(self.push_delay_seconds, self._wake.set)

    async def sync_now(self) -> SyncReport | None:
        """Run one sync, or wait for the one already running. Failures end up in `status.error`."""
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._run())
        return await asyncio.shield(self._running)

    async def _run(self) -> SyncReport | None:
        self._set(syncing=True, error=None, done=0, total=0, phase="push")
        try:
            # The connection pool, if no unlock built it yet (`ServerGateway.prepare`: its CA bundle alone held the
            # event loop ~60-90 ms, the longest stall of a sync); a no-op once it is built.
            await asyncio.to_thread(self.engine.gateway.prepare)
            report = await self.engine.sync()
            if not report.wiped:
                now = dt.datetime.now(dt.UTC)
                # a durable commit: off the event loop the screens use (an fsync there froze them)
                await asyncio.to_thread(self.store.put_secret, LAST_SYNCED_SECRET, now.isoformat())
        except OfflineError as error:
            self._set(syncing=False, online=False, error=str(error), pending=self._pending())
            return None
        except ReauthRequired as error:
            self._set(syncing=False, needs_sign_in=True, error=str(error), pending=self._pending())
            return None
        except SyncFailure as error:
            self._set(syncing=False, online=True, error=str(error), pending=self._pending())
            return None
        except StorageError as error:
            # The server answered; this device could not keep what came back. Every step the store takes is one
            # transaction, so nothing is half-written: the next sync after space returns carries on.
            message = STORAGE_FULL_SYNC if isinstance(error, StorageFull) else STORAGE_UNAVAILABLE_SYNC
            self._set(syncing=False, error=message, pending=self._pending())
            return None
        except asyncio.CancelledError:
            self._set(syncing=False)
            raise
        except Exception as error:  # never leave the status "syncing" for good
            # Only the type: messages may quote records (children's data).
            log.warning("sync failed unexpectedly: %s", type(error).__name__)
            self._set(syncing=False, error=UNEXPECTED_SYNC, pending=self._pending())
            return None
        if report.wiped:
            self._set(syncing=False, wiped=True, pending=0)
            return report
        self._set(
            syncing=False,
            online=True,
            last_synced=now,
            pending=self._pending(),
            needs_sign_in=False,
            # A sync that sent only the audit of what was opened changed nothing a screen shows: rendering the
            # screen again would only close a menu or drop a tap made meanwhile.
            generation=self.status.generation + (1 if report.pushed_shown or report.pulled or report.purged else 0),
        )
        return report

    def request_sync(self) -> None:
        """Ask the background loop to sync soon (e.g. after a submit)."""
        self._wake.set()

    def start(self, interval_seconds: float) -> None:
        """Start the background loop: sync now, then every `interval_seconds`, when asked, a few seconds after
        a local change, and as soon as the server is reachable again; check reachability every few seconds."""
        self._event_loop = asyncio.get_running_loop()
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self._loop(interval_seconds))

    async def _loop(self, interval_seconds: float) -> None:
        probe = min(interval_seconds, self.probe_seconds)
        next_sync = 0.0  # sync at once
        while True:
            if self.store.locked or self.status.wiped:
                return
            # Cleared before the sync: a change made during it wakes the next round instead of being missed.
            woken = self._wake.is_set()
            self._wake.clear()
            try:
                was_offline = self.status.online is False
                online = await self.engine.gateway.healthy()
                # Notified on every probe, not only on a change: "synced N min ago" stays true.
                self._set(online=online)
                if online and (woken or was_offline or time.monotonic() >= next_sync):
                    await self.sync_now()
                    # A sync that failed with the server reachable (a full disk, a refused request) is tried
                    # again within a minute, so the status recovers soon after the cause goes.
                    failed = self.status.error is not None and self.status.online is not False
                    next_sync = time.monotonic() + (min(interval_seconds, 4 * probe) if failed else interval_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the loop is what syncs the outbox: it must not die
                log.warning("background sync round failed: %s", type(error).__name__)
            # Not before the next probe; sooner if the next periodic sync is due first.
            wait = min(probe, max(0.0, next_sync - time.monotonic())) if next_sync else probe
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def stop(self) -> None:
        if self._push_timer is not None:
            self._push_timer.cancel()
            self._push_timer = None
        for task in (self._loop_task, self._running):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._loop_task = self._running = None
        # Like a locked device's keys, its connections are let go; the next sync opens new ones.
        await self.engine.gateway.aclose()
