"""The client's one gateway to the server: the only module of the client (`sync/`, `localdb/`, `app/`) that
talks to the network.

`ServerGateway` owns the server's base URL, the HTTP connections and their timeouts, the retry policy with
back-off, the bearer token and its refresh, the device clock headers, every path the client calls (`/auth/*`,
`/sync/*`, `/health`) with a typed method for each, and the errors a caller sees. The sync algorithm lives in
`sync.engine`; signing in and out in `app.session`; both call this class.

Invariants, and the tests that check them (`tests/sync/test_gateway.py` unless named):

- **Every push and pull carries the device's clock** (`DEVICE_TIME_HEADER`, `DEVICE_OFFSET_HEADER`), read
  again at each attempt, so a back-off wait never looks like a slow clock; the server's measurement comes back
  with the pull (`Pulled.clock_offset`). — `test_a_503_is_retried_with_backoff_and_the_clock_read_at_each_try`,
  `tests/sync/test_client_clocks.py`.
- **A 401 triggers exactly one refresh, then the request is sent once more.** A refused refresh, or a second
  401, raises `ReauthRequired` and leaves the stored session as it was. A request that finds the token already
  refreshed by another one uses the new token instead of refreshing again.
  — `test_an_expired_access_token_is_refreshed_once`, `test_a_refused_refresh_asks_to_sign_in_again`.
- **Retries only where they are safe**, with full-jitter exponential back-off, then `OfflineError`. A request
  that never reached the server (connection refused, connect timeout) is retried whatever it is. Other
  transport failures and 5xx answers are retried only for idempotent requests: pull and health are reads, and
  push is idempotent by op id (the server answers "duplicate" for an op it has already applied), so resending
  one whose answer was lost is safe. Sign-in, refresh, sign-out and password changes are not: each changes the
  server's state (attempt counters, a rotated refresh token), so after they reach the server they are sent once
  and the person, or the next sync, tries again. — `test_a_503_is_retried_with_backoff_and_the_clock_read_at_each_try`,
  `test_a_busy_server_is_not_asked_twice_to_sign_in`, `test_an_unreachable_server_is_the_offline_error_fast`.
- **Refusals are never retried and keep the server's words**: a 4xx is `ServerError` with the server's
  `{"error", "message"}`; 429 (and a 503 that is not retried) is `RateLimited` with its `Retry-After`.
  — `test_a_refused_request_surfaces_the_servers_message`, `test_too_many_sign_ins_is_rate_limited`.
- **No `httpx` error escapes**: every failure is a `SyncFailure`. — all of the above; and no other client
  module imports `httpx` (`test_only_the_gateway_imports_httpx`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import importlib
import random
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:  # imported on first use (`load_http_client`): see there
    import httpx

from sync.errors import SyncError
from sync.hlc import HybridClock
from sync.protocol import (
    CLOCK_OFFSET_HEADER,
    DEVICE_OFFSET_HEADER,
    DEVICE_TIME_HEADER,
    AssistantAnswer,
    AssistantRequest,
    LoginRequest,
    ParentReportEmailed,
    PasswordChange,
    PulledPage,
    PushRequest,
    PushResponse,
    RecordHistory,
    RefreshRequest,
    Session,
)

#: the name of the device's stored secret that holds its `Session` with the server
SESSION_SECRET = "server_session"
#: seconds a request may take (connect, each read, each write) before it counts as failed
DEFAULT_TIMEOUT = 15.0
#: the reachability check is asked often and must answer quickly, so it waits less
HEALTH_TIMEOUT = 3.0

SESSION_ENDED = "Your session has ended: sign in again. Nothing on this device is lost."
NO_SESSION = "Sign in to sync: this device has no session with the server."
UNREADABLE = "The server sent an answer this version of besmart cannot read. Your changes are kept on this device."

Model = TypeVar("Model", bound=BaseModel)


# --- errors ------------------------------------------------------------------------------------------


class SyncFailure(SyncError):
    """Base of every failure to talk with the server; `str()` is a message for people."""


class OfflineError(SyncFailure):
    """The server could not be reached (or kept failing) after the retries."""


class ServerError(SyncFailure):
    """The server refused a request: `status`, and the server's own `code` and message."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RateLimited(ServerError):
    """Too many attempts (429), or the server is busy (503): try again after `retry_after` seconds, if said."""

    def __init__(self, status: int, message: str, code: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(status, message, code)
        self.retry_after = retry_after


class ReauthRequired(SyncFailure):
    """The session expired and could not be refreshed: sign in again. Nothing queued on the device is lost."""


# --- what the gateway needs ---------------------------------------------------------------------------


class DeviceLink(Protocol):
    """What the gateway needs from the device's store (`localdb.store.LocalStore`): where the session with the
    server is kept, and the clock that pushes and pulls report."""

    @property
    def clock(self) -> HybridClock: ...
    def get_secret(self, name: str) -> Any: ...
    def put_secret(self, name: str, value: Any) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often a request is tried, and how long to wait between tries."""

    attempts: int = 4
    base_delay: float = 0.3
    max_delay: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        # Full jitter: spreads the retries of many devices coming back online at the same moment.
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True)
class Pulled:
    """One pull page, and the server's measurement of the device's clock (server minus device, ms), if sent."""

    page: PulledPage
    clock_offset: int | None


def load_http_client() -> Any:
    """The HTTP client library, imported on first use rather than with this module: httpx is ~0.1 s of a
    start-up that needs no network until the store is unlocked (the unlock screen has it loaded in a worker
    thread while the passcode's key is derived).

    httpx's package also imports its command line client (`httpx._main`: click, rich and pygments, two thirds
    of its import) whenever those happen to be installed, and falls back to a stub `main` when they are not.
    The app never runs that command, so before httpx's first import its command line module is marked absent
    (`None` in `sys.modules` makes that import fail, by the import system's rules) and httpx takes the stub."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    import httpx

    return httpx


class _Connections:
    """What a gateway shares with its `for_device` views: the HTTP connection pool (reopened after `close`), and
    the lock that lets one token refresh run at a time."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.refreshing = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None
        #: `open` may run in a worker thread (an unlock builds the pool there) while a request asks for the pool
        self._opening = threading.Lock()

    @property
    def client(self) -> httpx.AsyncClient:
        return self.open()

    def open(self) -> httpx.AsyncClient:
        """The connection pool, built if there is none (once, whichever thread asks first)."""
        with self._opening:
            if self._client is None:
                httpx = load_http_client()
                self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout)
            return self._client

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


# --- the gateway ---------------------------------------------------------------------------------------


class ServerGateway:
    """The besmart server at `base_url`, as seen from one device (`device`: its session and clock).

    A gateway without a device can sign in; `for_device(store)` gives the same connections and policy with the
    session and clock of that store, for everything that needs the bearer token."""

    def __init__(
        self,
        base_url: str,
        *,
        device: DeviceLink | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.device = device
        self.retry = retry or RetryPolicy()
        self._connections = _Connections(base_url.rstrip("/"), timeout)
        self._sleep = sleep
        self._rng = rng or random.Random()

    @property
    def base_url(self) -> str:
        return self._connections.base_url

    def for_device(self, device: DeviceLink) -> ServerGateway:
        """This gateway for `device`: the same connections, timeouts and retry policy, that device's session."""
        if device is self.device:
            return self
        view = copy.copy(self)
        view.device = device
        return view

    def prepare(self) -> None:
        """Build the HTTP connection pool now, without a request: httpx's import and its TLS settings (the CA
        bundle) take ~0.15 s, which an unlock spends in a worker thread while the passcode's key is derived
        rather than on the event loop when the sync first asks whether the server is there. Safe to call from
        any thread, also while a request opens the pool.

        Also loads the async back end the pool's first request would import on the event loop (httpcore waits
        through anyio, whose asyncio back end is a module of its own: ~90 M instructions, a fifth of httpx)."""
        self._connections.open()
        with contextlib.suppress(ImportError):  # anyio's module: were it renamed, the first request loads it
            importlib.import_module("anyio._backends._asyncio")

    async def aclose(self) -> None:
        """Close the connections (shared with this gateway's views); the next request opens new ones."""
        await self._connections.close()

    # --- the session ------------------------------------------------------------------------------

    def session(self) -> Session:
        """The device's stored session with the server."""
        raw = self.device.get_secret(SESSION_SECRET) if self.device is not None else None
        if raw is None:
            raise ReauthRequired(NO_SESSION)
        return Session.model_validate(raw)

    def keep_session(self, session: Session) -> None:
        """Store `session` on the device (encrypted with the rest of its secrets)."""
        if self.device is None:
            raise ReauthRequired(NO_SESSION)
        self.device.put_secret(SESSION_SECRET, session.model_dump(mode="json"))

    # --- one method per endpoint -------------------------------------------------------------------

    async def sign_in(self, request: LoginRequest) -> Session:
        """POST /auth/login: check email and password, register the device, open a session (not stored:
        a first sign-in has no store yet; the caller keeps it with `keep_session`)."""
        response = await self._send("POST", "/auth/login", idempotent=False, json=request.model_dump(mode="json"))
        return _parse(Session, _checked(response))

    async def refresh(self) -> Session:
        """POST /auth/refresh: swap the stored refresh token for a new session, and store that."""
        stale = self.session()
        body = RefreshRequest(refresh_token=stale.refresh_token).model_dump()
        response = await self._send("POST", "/auth/refresh", idempotent=False, json=body)
        if response.status_code in (401, 403):
            raise ReauthRequired(SESSION_ENDED)
        fresh = _parse(Session, _checked(response))
        self.keep_session(fresh)
        return fresh

    async def sign_out(self) -> None:
        """POST /auth/logout: end this device's session on the server."""
        await self._authed("POST", "/auth/logout", idempotent=False)

    async def change_password(self, old_password: str, new_password: str) -> None:
        """POST /auth/password: change the password; the server ends the sessions of the user's other devices."""
        body = PasswordChange(old_password=old_password, new_password=new_password).model_dump()
        await self._authed("POST", "/auth/password", idempotent=False, json=body)

    async def push(self, request: PushRequest) -> PushResponse:
        """POST /sync/push: one batch of ops, with the device's clock."""
        # pydantic's encoder: a batch of 500 ops through `json` (httpx's `json=`) was a tenth of a push's CPU here
        body = request.model_dump_json().encode()
        headers = {"Content-Type": "application/json"}
        response = await self._authed(
            "POST", "/sync/push", idempotent=True, clocked=True, content=body, headers=headers
        )
        return _parse(PushResponse, response)

    async def pull(self, cursor: int, limit: int) -> Pulled:
        """GET /sync/pull: the page after `cursor`, and the server's measurement of the device's clock."""
        params = {"cursor": cursor, "limit": limit}
        response = await self._authed("GET", "/sync/pull", idempotent=True, clocked=True, params=params)
        # A page is a thousand records: read it in a worker thread, not on the event loop the screens use.
        page = await asyncio.to_thread(_parse, PulledPage, response)
        return Pulled(page, _clock_offset(response))

    async def assistant(self, request: AssistantRequest) -> AssistantAnswer:
        """POST /assistant: one request to the organisation's language model (sent once: it is not idempotent,
        and a model's answer is slow and costly)."""
        response = await self._authed("POST", "/assistant", idempotent=False, json=request.model_dump(mode="json"))
        return _parse(AssistantAnswer, response)

    async def history(self, record_id: str) -> RecordHistory:
        """GET /records/{id}/history: a record's history from the server's op log (the read is audited)."""
        response = await self._authed("GET", f"/records/{record_id}/history", idempotent=True)
        return _parse(RecordHistory, response)

    async def email_parent_report(self, incident_id: str, pdf: bytes) -> ParentReportEmailed:
        """POST /incidents/{id}/parent-report: the server emails the reviewed written report (a PDF) to the
        parents and marks it sent (sent once: an email cannot be taken back)."""
        path = f"/incidents/{incident_id}/parent-report"
        headers = {"Content-Type": "application/pdf"}
        response = await self._authed("POST", path, idempotent=False, content=pdf, headers=headers)
        return _parse(ParentReportEmailed, response)

    async def healthy(self) -> bool:
        """GET /health: whether the server answers right now (one try, a short timeout, never raises)."""
        httpx = load_http_client()
        try:
            response = await self._connections.client.get("/health", timeout=HEALTH_TIMEOUT)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    # --- sending --------------------------------------------------------------------------------------

    async def _authed(
        self, method: str, path: str, *, idempotent: bool, clocked: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """A request with the access token: on 401 one refresh, then one more try."""
        used = self.session()
        response = await self._send(method, path, idempotent=idempotent, clocked=clocked, token=used, **kwargs)
        if response.status_code == 401:
            fresh = await self._refreshed(used)
            response = await self._send(method, path, idempotent=idempotent, clocked=clocked, token=fresh, **kwargs)
            if response.status_code == 401:
                raise ReauthRequired(SESSION_ENDED)
        return _checked(response)

    async def _refreshed(self, used: Session) -> Session:
        """A session newer than `used`: refreshed now, or by another request while this one waited."""
        async with self._connections.refreshing:
            current = self.session()
            if current.access_token != used.access_token:
                return current
            return await self.refresh()

    def _clock_headers(self) -> dict[str, str]:
        if self.device is None:
            return {}
        clock = self.device.clock
        return {DEVICE_TIME_HEADER: str(clock.wall_ms()), DEVICE_OFFSET_HEADER: str(clock.offset_ms)}

    async def _send(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        clocked: bool = False,
        token: Session | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request, retried where that is safe (see the module's docstring); any answer below 500 — and
        any answer at all to a request that is not idempotent — is returned as it came."""
        httpx = load_http_client()
        failure = "cannot reach the server"
        given = kwargs.pop("headers", {})  # a request's own (its body's Content-Type)
        for attempt in range(self.retry.attempts):
            headers = {**given, **({"Authorization": f"Bearer {token.access_token}"} if token is not None else {})}
            if clocked:
                # Read at each attempt: a time read before a retry's back-off would look like a slow clock.
                headers.update(self._clock_headers())
            try:
                response = await self._connections.client.request(method, path, headers=headers, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                failure = "cannot reach the server"  # never sent: safe to try again, whatever the request
            except httpx.TimeoutException:
                if not idempotent:
                    raise OfflineError(_offline("the server did not answer in time")) from None
                failure = "the server did not answer in time"
            except httpx.TransportError:
                if not idempotent:
                    raise OfflineError(_offline("the connection to the server broke")) from None
                failure = "the connection to the server broke"
            else:
                if response.status_code < 500 or not idempotent:
                    return response
                failure = f"the server failed ({response.status_code})"
            if attempt + 1 < self.retry.attempts:
                await self._sleep(self.retry.delay(attempt, self._rng))
        raise OfflineError(_offline(failure))


# --- reading answers ---------------------------------------------------------------------------------


def _offline(failure: str) -> str:
    return f"Sync failed: {failure}. Your changes are kept on this device."


def _checked(response: httpx.Response) -> httpx.Response:
    """`response` if it is not a refusal; else the refusal as `ServerError` (or `RateLimited`)."""
    status = response.status_code
    if status < 400:
        return response
    code, message = _refusal(response)
    if status in (429, 503):
        raise RateLimited(status, message, code, _retry_after(response))
    raise ServerError(status, message, code)


def _refusal(response: httpx.Response) -> tuple[str | None, str]:
    """The server's `{"error", "message"}` of a refused request (`detail`: FastAPI's own answers)."""
    fallback = f"The server refused the request ({response.status_code})."
    try:
        body = response.json()
    except ValueError:
        return None, fallback
    if not isinstance(body, dict):
        return None, fallback
    code = body.get("error") if isinstance(body.get("error"), str) else None
    for key in ("message", "detail"):
        if isinstance(body.get(key), str):
            return code, body[key]
    return code, fallback


def _retry_after(response: httpx.Response) -> int | None:
    try:
        return max(0, int(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def _parse(model: type[Model], response: httpx.Response) -> Model:
    """The answer as `model`; an unreadable one is a `ServerError` (its text may quote records: not kept)."""
    try:
        return model.model_validate_json(response.content)
    except (ValueError, ValidationError):
        raise ServerError(response.status_code, UNREADABLE) from None


def _clock_offset(response: httpx.Response) -> int | None:
    """The server's measurement of the device's clock (server time minus the device's, ms), if it sent one."""
    try:
        return int(response.headers[CLOCK_OFFSET_HEADER])
    except (KeyError, ValueError):
        return None
