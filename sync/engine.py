"""The client sync engine: push the outbox, then pull until caught up — the only I/O in `sync/`.

One `SyncEngine.sync()` run:

1. **Push** the outbox in batches. Every op the server answered for (applied, conflict, duplicate,
   quarantined, rejected) is removed from the outbox only after the answer arrived; quarantined, rejected
   and conflicting ops are kept on the device as sync issues for a person to review.
2. **Pull** pages after the device's cursor. Each page and its cursor are applied in one transaction by the
   store, which keeps pending local edits on top (rebase). A profile leaving the user's scope is purged
   after its pending ops were pushed; a wipe instruction deletes data and keys.

Every push and pull tells the server the device's wall clock; the server answers how far off it is. Once
the outbox is empty (every op stamped with the old offset has been pushed and corrected by the server),
the device applies that offset to its clock, so its later stamps are in the server's time.

Network failures (timeouts, connection errors, 5xx) are retried with exponential backoff and jitter, then
surface as `OfflineError`; 4xx surfaces as `ServerError` with the server's message. An expired access token
is refreshed once; when the refresh token is refused too, `ReauthRequired` is raised and the outbox stays
untouched. Progress is reported through a callback; cancelling the task that runs `sync()` is safe at any
point, because every step the store takes is one transaction.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from sync.hlc import CLOCK_TOLERANCE_MS, HybridClock, Stamp
from sync.merge import RecordState
from sync.ops import Op
from sync.protocol import (
    CLOCK_OFFSET_HEADER,
    DEFAULT_PULL_LIMIT,
    DEVICE_OFFSET_HEADER,
    DEVICE_TIME_HEADER,
    PullResponse,
    PushRequest,
    PushResponse,
    Session,
)

SESSION_SECRET = "server_session"

Phase = Literal["push", "pull", "purge", "done"]


class SyncStore(Protocol):
    """What the engine needs from the device's store (implemented by `localdb.store.LocalStore`)."""

    @property
    def cursor(self) -> int: ...
    @property
    def clock(self) -> HybridClock: ...
    def pending_count(self) -> int: ...
    def pending_ops(self, limit: int = 500, *, profile_id: str | None = None) -> list[Op]: ...
    def mark_sending(self, op_ids: Iterable[int]) -> None: ...
    def acknowledge(self, op_ids: Iterable[int]) -> None: ...
    def apply_pulled(self, states: Iterable[RecordState], cursor: int) -> None: ...
    def rebase(self, record_ids: Iterable[str]) -> None: ...
    def purge_profile(self, profile_id: str) -> None: ...
    def add_sync_issue(self, issue_id: str, profile_id: str | None, details: dict[str, Any]) -> None: ...
    def get_secret(self, name: str) -> Any: ...
    def put_secret(self, name: str, value: Any) -> None: ...
    def wipe(self) -> None: ...
    def set_clock_offset(self, offset_ms: int, floor: Stamp) -> None: ...


class SyncFailure(Exception):
    """Base of every sync failure; `str()` is a message for people."""


class OfflineError(SyncFailure):
    """The server could not be reached (or kept failing) after the retries."""


class ServerError(SyncFailure):
    """The server refused a request (4xx): the message is the server's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ReauthRequired(SyncFailure):
    """The session expired: sign in again. Nothing queued on the device is lost."""


@dataclass(frozen=True)
class SyncProgress:
    phase: Phase
    done: int
    total: int


@dataclass
class SyncReport:
    pushed: int = 0
    conflicts: int = 0
    quarantined: int = 0
    rejected: int = 0
    pulled: int = 0
    purged: list[str] = field(default_factory=list)
    wiped: bool = False
    references: dict[str, str] = field(default_factory=dict)  # record id -> incident reference


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.3
    max_delay: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        # Full jitter: spreads the retries of many devices coming back online at the same moment.
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


class SyncEngine:
    """Syncs one device's store with the server at `base_url`."""

    def __init__(
        self,
        store: SyncStore,
        base_url: str,
        *,
        client: httpx.AsyncClient | None = None,
        on_progress: Callable[[SyncProgress], None] | None = None,
        push_batch: int = 200,
        pull_limit: int = DEFAULT_PULL_LIMIT,
        retry: RetryPolicy | None = None,
        timeout: float = 15.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self._client = client
        self._own_client = client is None
        self.on_progress = on_progress or (lambda _p: None)
        self.push_batch = push_batch
        self.pull_limit = pull_limit
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._sleep = sleep
        self._rng = rng or random.Random()

    # --- HTTP ------------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def _session(self) -> Session:
        raw = self.store.get_secret(SESSION_SECRET)
        if raw is None:
            raise ReauthRequired("Sign in to sync: this device has no session with the server.")
        return Session.model_validate(raw)

    def _clock_headers(self) -> dict[str, str]:
        clock = self.store.clock
        return {DEVICE_TIME_HEADER: str(clock.wall_ms()), DEVICE_OFFSET_HEADER: str(clock.offset_ms)}

    async def _send(self, method: str, path: str, *, clocked: bool = False, **kwargs: Any) -> httpx.Response:
        """One request with retries for network failures and 5xx; `clocked`: tell the server our clock."""
        for attempt in range(self.retry.attempts):
            if clocked:
                # Read at each attempt: a time read before a retry's back-off would look like a slow clock.
                kwargs["headers"] = {**kwargs.get("headers", {}), **self._clock_headers()}
            try:
                response = await self.client.request(method, path, **kwargs)
            except httpx.TimeoutException:
                failure: str = "the server did not answer in time"
            except httpx.TransportError:
                failure = "cannot reach the server"
            else:
                if response.status_code < 500:
                    return response
                failure = f"the server failed ({response.status_code})"
            if attempt + 1 < self.retry.attempts:
                await self._sleep(self.retry.delay(attempt, self._rng))
        raise OfflineError(f"Sync failed: {failure}. Your changes are kept on this device.")

    async def _authed(self, method: str, path: str, *, clocked: bool = False, **kwargs: Any) -> httpx.Response:
        """A request with the access token; refreshes it once when it has expired."""
        for refreshed in (False, True):
            session = self._session()
            headers = {"Authorization": f"Bearer {session.access_token}"}
            response = await self._send(method, path, clocked=clocked, headers=headers, **kwargs)
            if response.status_code != 401 or refreshed:
                break
            await self.refresh(session)
        if response.status_code == 401:
            raise ReauthRequired("Your session has ended: sign in again. Nothing on this device is lost.")
        if response.status_code >= 400:
            raise ServerError(response.status_code, server_message(response))
        return response

    async def refresh(self, session: Session | None = None) -> Session:
        session = session or self._session()
        response = await self._send("POST", "/auth/refresh", json={"refresh_token": session.refresh_token})
        if response.status_code in (401, 403):
            raise ReauthRequired("Your session has ended: sign in again. Nothing on this device is lost.")
        if response.status_code >= 400:
            raise ServerError(response.status_code, server_message(response))
        fresh = Session.model_validate(response.json())
        self.store.put_secret(SESSION_SECRET, fresh.model_dump(mode="json"))
        return fresh

    async def online(self) -> bool:
        """Whether the server answers its health check right now (no retries)."""
        try:
            response = await self.client.get("/health", timeout=3.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    # --- the sync run ----------------------------------------------------------------------------

    async def sync(self) -> SyncReport:
        """Push everything queued, then pull until caught up."""
        report = SyncReport()
        await self.push(report)
        await self.pull(report)
        self.on_progress(SyncProgress("done", 1, 1))
        return report

    async def push(self, report: SyncReport, *, profile_id: str | None = None) -> None:
        total = self.store.pending_count()
        done = 0
        while True:
            ops = self.store.pending_ops(self.push_batch, profile_id=profile_id)
            if not ops:
                return
            self.on_progress(SyncProgress("push", done, max(total, done + len(ops))))
            body = PushRequest(ops=ops).model_dump(mode="json")
            self.store.mark_sending(op.op_id for op in ops)
            answer = await self._authed("POST", "/sync/push", clocked=True, json=body)
            response = PushResponse.model_validate(answer.json())
            self.store.clock.receive(response.hlc)
            by_id = {op.op_id: op for op in ops}
            answered = []
            refused = []
            for result in response.results:
                op = by_id.get(result.op_id)
                if op is None:
                    continue
                answered.append(result.op_id)
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
            self.store.acknowledge(answered)
            self.store.rebase(refused)
            done += len(answered)
            report.pushed += len(answered)
            self.on_progress(SyncProgress("push", done, max(total, done)))

    async def pull(self, report: SyncReport) -> None:
        while True:
            params = {"cursor": self.store.cursor, "limit": self.pull_limit}
            answer = await self._authed("GET", "/sync/pull", clocked=True, params=params)
            page = PullResponse.model_validate(answer.json())
            if page.wipe:
                self.store.wipe()
                report.wiped = True
                return
            for profile_id in page.purge_profiles:
                # Whatever was recorded for this child is pushed first; then the data leaves the device.
                await self.push(report, profile_id=profile_id)
                self.store.purge_profile(profile_id)
                report.purged.append(profile_id)
                self.on_progress(SyncProgress("purge", len(report.purged), len(page.purge_profiles)))
            changes = [c for c in page.changes if c.profile_id not in set(page.purge_profiles)]
            self._calibrate(answer, page.hlc)
            self.store.clock.receive(page.hlc)
            self.store.apply_pulled(changes, page.cursor)
            report.pulled += len(changes)
            self.on_progress(SyncProgress("pull", report.pulled, report.pulled + (1 if page.more else 0)))
            if not page.more:
                return

    def _calibrate(self, answer: httpx.Response, server_hlc: str) -> None:
        """Apply the clock offset the server measured, once no op stamped with the old one is waiting."""
        measured = clock_offset(answer)
        clock = self.store.clock
        if measured is None or abs(measured - clock.offset_ms) <= CLOCK_TOLERANCE_MS:
            return
        if self.store.pending_count():
            return  # the server shifts those ops by the offset they were stamped with: push them first
        self.store.set_clock_offset(measured, Stamp.parse(server_hlc))


def clock_offset(response: httpx.Response) -> int | None:
    """The server's measurement of our clock (server time minus ours, ms), if it sent one."""
    try:
        return int(response.headers[CLOCK_OFFSET_HEADER])
    except (KeyError, ValueError):
        return None


_COUNTER = {"conflict": "conflicts", "quarantined": "quarantined", "rejected": "rejected"}


def server_message(response: httpx.Response) -> str:
    """The message of a refused request, in the words the server used."""
    try:
        body = response.json()
    except ValueError:
        return f"The server refused the request ({response.status_code})."
    if isinstance(body, dict):
        for key in ("message", "detail"):
            if isinstance(message := body.get(key), str):
                return message
    return f"The server refused the request ({response.status_code})."
