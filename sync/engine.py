"""The client sync engine: push the outbox, then pull until caught up. It does no I/O of its own: every request
goes through `sync.gateway.ServerGateway`.

One `SyncEngine.sync()` run:

1. **Push** the outbox in batches, one request at a time (the server gets a device's batches in order).
   Every op the server answered for (applied, conflict, duplicate, quarantined, rejected) is removed from the
   outbox only after the answer arrived; quarantined, rejected and conflicting ops are kept on the device as
   sync issues for a person to review. While the server works on a batch, the device reads the next one and
   marks it as being sent, and acknowledges the one before.
2. **Pull** pages after the device's cursor. Each page and its cursor are applied in one transaction by the
   store, which keeps pending local edits on top (rebase); the next page is fetched meanwhile. A profile
   leaving the user's scope is purged after its pending ops were pushed; a wipe instruction deletes data and
   keys.

Every push and pull tells the server the device's wall clock; the server answers how far off it is. Once
the outbox is empty (every op stamped with the old offset has been pushed and corrected by the server),
the device applies that offset to its clock, so its later stamps are in the server's time.

Failures are the gateway's (`sync.gateway`: retries with back-off, then `OfflineError`; refusals as
`ServerError`; an expired session that cannot be refreshed as `ReauthRequired`); the outbox keeps every op
that was not answered for. Progress is reported through a callback; cancelling the task that runs `sync()` is
safe at any point, because every step the store takes is one transaction.

The store's work (reading the outbox, applying a page of a thousand records, acknowledging) runs in a worker
thread, so the event loop that runs the engine — the one the screens use — is not held up while it happens.
While a run lasts, the objects that existed before it are left out of the garbage collector's full passes
(`gc.freeze`): a page of records makes tens of thousands of short-lived objects, and each full pass over the
whole app's heap that they trigger stopped every thread for 100–200 ms. The GIL's switch interval is 1 ms
instead of 5 while a run lasts, so those threads hand it back to the loop sooner, and the next page's request
goes out before the store locks itself to apply a page (the request reads the session and clock from the store).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sync.gateway import DeviceLink, Pulled, ServerError, ServerGateway
from sync.hlc import CLOCK_TOLERANCE_MS, Stamp
from sync.merge import RecordState, RecordStateData
from sync.ops import Op
from sync.protocol import DEFAULT_PULL_LIMIT, PushRequest, PushResponse

Phase = Literal["push", "pull", "purge", "done"]


class SyncStore(DeviceLink, Protocol):
    """What the engine needs from the device's store (implemented by `localdb.store.LocalStore`); its session
    and clock are what the gateway needs (`DeviceLink`)."""

    @property
    def cursor(self) -> int: ...
    def pending_count(self) -> int: ...
    def take_for_sending(
        self, limit: int = 500, *, profile_id: str | None = None, after: int | None = None
    ) -> list[Op]: ...
    def acknowledge(self, op_ids: Iterable[int]) -> None: ...
    def apply_pulled(self, states: Iterable[RecordState | RecordStateData], cursor: int) -> None: ...
    def rebase(self, record_ids: Iterable[str]) -> None: ...
    def purge_profile(self, profile_id: str) -> None: ...
    def add_sync_issue(self, issue_id: str, profile_id: str | None, details: dict[str, Any]) -> None: ...
    def wipe(self) -> None: ...
    def set_clock_offset(self, offset_ms: int, floor: Stamp) -> None: ...


@dataclass(frozen=True)
class SyncProgress:
    phase: Phase
    done: int
    total: int


@dataclass
class SyncReport:
    pushed: int = 0
    #: of those, the ones whose answer can change what a screen shows: all but the device's own audit of what
    #: was opened here, which no screen shows as waiting (app.sync_service: a screen is not rendered again for it)
    pushed_shown: int = 0
    conflicts: int = 0
    quarantined: int = 0
    rejected: int = 0
    pulled: int = 0
    purged: list[str] = field(default_factory=list)
    wiped: bool = False
    references: dict[str, str] = field(default_factory=dict)  # record id -> incident reference


class SyncEngine:
    """Syncs one device's store with the server, through `gateway` (bound to this store's session and clock)."""

    def __init__(
        self,
        store: SyncStore,
        gateway: ServerGateway,
        *,
        on_progress: Callable[[SyncProgress], None] | None = None,
        push_batch: int = 200,
        pull_limit: int = DEFAULT_PULL_LIMIT,
    ) -> None:
        self.store = store
        self.gateway = gateway.for_device(store)
        self.on_progress = on_progress or (lambda _p: None)
        self.push_batch = push_batch
        self.pull_limit = pull_limit

    # --- the sync run ----------------------------------------------------------------------------

    async def sync(self) -> SyncReport:
        """Push everything queued, then pull until caught up."""
        report = SyncReport()
        with _heap_frozen(), _quick_handoff():
            await self.push(report)
            await self.pull(report)
        self.on_progress(SyncProgress("done", 1, 1))
        return report

    async def push(self, report: SyncReport, *, profile_id: str | None = None) -> None:
        # While the server works on one batch, the device reads the next from the outbox and marks it as being
        # sent, and acknowledges the batch before: the device's time and the server's overlap, as in the pull.
        # One request is in flight at a time, so the server still gets a device's batches in order.
        total = self.store.pending_count()
        done = 0
        ops = await asyncio.to_thread(self._take_batch, profile_id, None)
        acknowledging: asyncio.Future[None] | None = None
        upcoming: asyncio.Future[list[Op]] | None = None
        try:
            while ops:
                self.on_progress(SyncProgress("push", done, max(total, done + len(ops))))
                upcoming = asyncio.ensure_future(asyncio.to_thread(self._take_batch, profile_id, ops[-1].op_id))
                response = await self.gateway.push(PushRequest(ops=ops))
                answered, refused = self._read_answers(report, ops, response)
                if acknowledging is not None:
                    await acknowledging
                acknowledging = asyncio.ensure_future(self._acknowledge(answered, refused))
                done += len(answered)
                report.pushed += len(answered)
                self.on_progress(SyncProgress("push", done, max(total, done)))
                if len(answered) < len(ops):
                    # Some ops went unanswered: once this batch is acknowledged, start again from the oldest.
                    _abandon(upcoming)
                    await acknowledging
                    ops = await asyncio.to_thread(self._take_batch, profile_id, None)
                else:
                    ops = await upcoming
                upcoming = None
            if acknowledging is not None:
                await acknowledging
                acknowledging = None
        finally:
            for task in (upcoming, acknowledging):
                if task is not None:
                    _abandon(task)

    def _take_batch(self, profile_id: str | None, after: int | None) -> list[Op]:
        """The next batch from the outbox (the oldest ops after op id `after`), marked as being sent before
        it is sent. Marked early, an op the request then never carries (the request before failed) is undone
        by a delete sent to the server rather than on the device alone: the same outcome. In a worker thread:
        the mark is a durable commit."""
        return self.store.take_for_sending(self.push_batch, profile_id=profile_id, after=after)

    def _read_answers(self, report: SyncReport, ops: list[Op], response: PushResponse) -> tuple[list[int], list[str]]:
        """Count the server's answers into `report` and keep every op it did not merge as a sync issue; returns
        the op ids answered for and the records whose ops were refused."""
        self.store.clock.receive(response.hlc)
        by_id = {op.op_id: op for op in ops}
        answered = []
        refused = []
        for result in response.results:
            op = by_id.get(result.op_id)
            if op is None:
                continue
            answered.append(result.op_id)
            if op.kind not in UNSHOWN_KINDS:
                report.pushed_shown += 1
            if result.reference:
                report.references[op.record_id] = result.reference
            if result.status in ("applied", "duplicate"):
                continue
            setattr(report, _COUNTER[result.status], getattr(report, _COUNTER[result.status]) + 1)
            if result.status in ("quarantined", "rejected"):
                refused.append(op.record_id)
            self.store.add_sync_issue(
                f"op-{op.device_id}-{op.op_id}",
                op.profile_id,
                {
                    "status": result.status,
                    "reason": result.reason,
                    "op": op.model_dump(mode="json"),
                },
            )
        if not answered:
            raise ServerError(500, "The server acknowledged none of the changes sent; will retry later.")
        return answered, refused

    async def _acknowledge(self, answered: list[int], refused: list[str]) -> None:
        await asyncio.to_thread(self.store.acknowledge, answered)
        if refused:
            await asyncio.to_thread(self.store.rebase, refused)

    async def pull(self, report: SyncReport) -> None:
        # While the store applies a page, the next one is already being fetched (its cursor is known): the
        # server's and the network's time overlap the device's. A prefetched page is used only after the page
        # before it was committed, and dropped if that fails.
        ahead: asyncio.Task[Pulled] | None = None
        try:
            while True:
                if ahead is None:
                    answer = await self.gateway.pull(self.store.cursor, self.pull_limit)
                else:
                    answer, ahead = await ahead, None
                page = answer.page
                if page.wipe:
                    self.store.wipe()
                    report.wiped = True
                    return
                for profile_id in page.purge_profiles:
                    # Whatever was recorded for this child is pushed first; then the data leaves the device.
                    await self.push(report, profile_id=profile_id)
                    await asyncio.to_thread(self.store.purge_profile, profile_id)
                    report.purged.append(profile_id)
                    self.on_progress(SyncProgress("purge", len(report.purged), len(page.purge_profiles)))
                purged = set(page.purge_profiles)
                changes = [c for c in page.changes if c.get("profile_id") not in purged] if purged else page.changes
                self._calibrate(answer.clock_offset, page.hlc)
                self.store.clock.receive(page.hlc)
                if page.more:
                    ahead = asyncio.ensure_future(self.gateway.pull(page.cursor, self.pull_limit))
                    # Let that request go out before the store starts on this page: it reads the session and the
                    # clock from the store, and once `apply_pulled` holds the store's lock those reads would wait
                    # on the event loop for the whole page (the loop's longest stalls, 50-200 ms).
                    await asyncio.sleep(0)
                await asyncio.to_thread(self.store.apply_pulled, changes, page.cursor)
                report.pulled += len(changes)
                self.on_progress(SyncProgress("pull", report.pulled, report.pulled + (1 if page.more else 0)))
                if not page.more:
                    return
        finally:
            if ahead is not None:
                _abandon(ahead)

    def _calibrate(self, measured: int | None, server_hlc: str) -> None:
        """Apply the clock offset the server measured, once no op stamped with the old one is waiting."""
        clock = self.store.clock
        if measured is None or abs(measured - clock.offset_ms) <= CLOCK_TOLERANCE_MS:
            return
        if self.store.pending_count():
            return  # the server shifts those ops by the offset they were stamped with: push them first
        self.store.set_clock_offset(measured, Stamp.parse(server_hlc))


def _abandon(task: asyncio.Future[Any]) -> None:
    """Stop waiting for a task this run no longer needs. Not awaited (that could swallow the run's own
    cancellation); its outcome is read, so a failure is not reported as an exception nobody retrieved. Work it
    started in a worker thread still finishes: each store step is one transaction, whole or not at all."""
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    task.cancel()


@contextmanager
def _heap_frozen() -> Iterator[None]:
    """Leave the objects that exist now out of full garbage collections until the block ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


#: how often a thread holding the GIL is asked to hand it over during a sync run (Python's default: 5 ms)
SYNC_SWITCH_INTERVAL_S = 0.001
_handoff_lock = threading.Lock()
_handoff_runs = 0
_handoff_saved = 0.0


@contextmanager
def _quick_handoff() -> Iterator[None]:
    """A shorter GIL switch interval while a run lasts (the process's setting, so counted across runs).

    The store's work and the page parsing run in worker threads, but in Python code they hold the GIL; the
    event loop waiting for it waited up to a whole interval at each hand-over, several times per tick."""
    global _handoff_runs, _handoff_saved
    with _handoff_lock:
        if _handoff_runs == 0:
            _handoff_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_handoff_saved, SYNC_SWITCH_INTERVAL_S))
        _handoff_runs += 1
    try:
        yield
    finally:
        with _handoff_lock:
            _handoff_runs -= 1
            if _handoff_runs == 0:
                sys.setswitchinterval(_handoff_saved)


_COUNTER = {"conflict": "conflicts", "quarantined": "quarantined", "rejected": "rejected"}
#: kinds a device records but no screen shows as waiting for sync: what was opened or downloaded here
UNSHOWN_KINDS = frozenset({"audit_event"})
