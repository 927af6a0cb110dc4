"""The client's one gateway to the server (`sync/gateway.py`) against a real server process: an expired access
token is refreshed exactly once (also for two requests at the same moment), a refused refresh asks to sign in
again, an unreachable server is the offline error within the retry policy, refusals keep the server's words,
a 503 on a pull is retried with back-off and the device clock read at each try, a busy sign-in is not sent
twice — and no other client module talks HTTP.

A server cannot be told to answer 503 to a pull, so those tests put a loopback proxy in front of the real one
that fails the first requests to a path and forwards everything else (the outside world failing)."""

from __future__ import annotations

import ast
import asyncio
import random
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.db import Database
from server.models import AuthToken
from sync.gateway import (
    SESSION_SECRET,
    OfflineError,
    RateLimited,
    ReauthRequired,
    RetryPolicy,
    ServerError,
    ServerGateway,
)
from sync.protocol import DEVICE_OFFSET_HEADER, DEVICE_TIME_HEADER, MAX_PULL_LIMIT, LoginRequest
from tests.support.client import ClientDevice
from tests.support.server import PASSWORD, ROOT, Org, ServerProcess, free_port

#: access tokens that expire while a test waits; back-offs long enough to see sign-ins refused
SERVER_ENV = {"BESMART_ACCESS_TOKEN_SECONDS": "2", "BESMART_LOGIN_DELAY_SECONDS": "60"}
QUICK = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"  # the client's side is under test here, not the server's database


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run on an event loop of its own thread (the main thread may already run one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def closing(gateway: ServerGateway, coroutine: Coroutine[Any, Any, Any]) -> Any:
    try:
        return await coroutine
    finally:
        await gateway.aclose()


def token_rows(db: Database, device_id: str) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(AuthToken).where(AuthToken.device_id == device_id)).one()[0]


def login(org: Org, name: str, password: str = PASSWORD) -> LoginRequest:
    return LoginRequest(email=org.email(name), password=password, device_id=secrets.token_hex(8))


class Sleeps:
    """The back-off waits the gateway asked for; each waits `real` seconds, whatever was asked."""

    def __init__(self, real: float = 0.0) -> None:
        self.asked: list[float] = []
        self.real = real

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(self.real)


# --------------------------------------------------------------------------- a flaky proxy


@dataclass
class Seen:
    method: str
    path: str
    status: int
    headers: dict[str, str]


class FlakyProxy:
    """A loopback HTTP proxy to `target` that answers the first `failures[path]` requests to `path` with 503
    (and `Retry-After`), and forwards every other request as it is."""

    def __init__(self, target: str, failures: dict[str, int]) -> None:
        self.target = target
        self.failures = dict(failures)
        self.seen: list[Seen] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.handle(self)

            def do_POST(self) -> None:
                proxy.handle(self)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.lock = threading.Lock()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self.lock:
            fail = self.failures.get(path, 0) > 0
            if fail:
                self.failures[path] -= 1
        if fail:
            status, headers = 503, {"Content-Type": "application/json", "Retry-After": "7"}
            content = b'{"error": "busy", "message": "The proxy is busy: try again in 7 seconds."}'
        else:
            forward = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
            answer = httpx.request(request.command, self.target + request.path, headers=forward, content=body)
            status, content = answer.status_code, answer.content
            headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "server", "date")}
        with self.lock:
            self.seen.append(Seen(request.command, path, status, dict(request.headers.items())))
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(content)))
        request.end_headers()
        request.wfile.write(content)

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def __enter__(self) -> FlakyProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sam(server: ServerProcess, org: Org, tmp_path: Path) -> Iterator[ClientDevice]:
    """Sam's device, signed in (its session stored in its encrypted store)."""
    device = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    yield device
    device.close()


# --------------------------------------------------------------------------- the session


def test_an_expired_access_token_is_refreshed_once(server: ServerProcess, db: Database, sam: ClientDevice):
    gateway = ServerGateway(server.url, device=sam.store, retry=QUICK)
    signed_in = gateway.session()
    assert token_rows(db, sam.store.device_id) == 2  # the sign-in's access and refresh token
    time.sleep(2.5)  # this module's server gives access tokens 2 seconds

    async def two_pulls_at_once() -> list[Any]:
        return await asyncio.gather(gateway.pull(0, 10), gateway.pull(0, 10))

    first, second = run(closing(gateway, two_pulls_at_once()))
    assert first.page.cursor == second.page.cursor > 0
    refreshed = gateway.session()
    assert refreshed.access_token != signed_in.access_token and refreshed.refresh_token != signed_in.refresh_token
    # Both requests met the expired token; one refresh served both (a second would have used the refresh token
    # the first one rotated away, and ended the session).
    assert token_rows(db, sam.store.device_id) == 4
    assert sam.store.get_secret(SESSION_SECRET) == refreshed.model_dump(mode="json")


def test_a_refused_refresh_asks_to_sign_in_again(server: ServerProcess, sam: ClientDevice):
    stale = {**sam.store.get_secret(SESSION_SECRET), "access_token": "expired", "refresh_token": "also-bad"}
    sam.store.put_secret(SESSION_SECRET, stale)
    gateway = ServerGateway(server.url, device=sam.store, retry=QUICK)
    with pytest.raises(ReauthRequired, match="sign in again"):
        run(closing(gateway, gateway.pull(0, 10)))
    assert sam.store.get_secret(SESSION_SECRET) == stale  # nothing half-stored


def test_signing_out_ends_the_session_on_the_server(server: ServerProcess, sam: ClientDevice):
    gateway = ServerGateway(server.url, device=sam.store, retry=QUICK)

    async def out_then_pull() -> None:
        await gateway.sign_out()
        await gateway.pull(0, 10)

    with pytest.raises(ReauthRequired):
        run(closing(gateway, out_then_pull()))


def test_a_password_change_goes_through_and_a_wrong_one_keeps_the_servers_words(
    server: ServerProcess, org: Org, sam: ClientDevice
):
    gateway = ServerGateway(server.url, device=sam.store, retry=QUICK)
    with pytest.raises(ServerError, match=r"^The current password is wrong\.$") as refused:
        run(closing(gateway, gateway.change_password("not my password", "a brand new password")))
    assert refused.value.status == 403 and refused.value.code == "invalid_credentials"
    run(closing(gateway, gateway.change_password(PASSWORD, "a brand new password")))
    fresh = ServerGateway(server.url)
    session = run(closing(fresh, fresh.sign_in(login(org, "sam", "a brand new password"))))
    assert session.user.email == org.email("sam")


# --------------------------------------------------------------------------- failures


def test_an_unreachable_server_is_the_offline_error_fast(sam: ClientDevice, org: Org):
    sleeps = Sleeps()
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    gateway = ServerGateway(nowhere, device=sam.store, retry=QUICK, sleep=sleeps)
    started = time.monotonic()
    with pytest.raises(OfflineError, match="kept on this device"):
        run(closing(gateway, gateway.pull(0, 10)))
    assert len(sleeps.asked) == QUICK.attempts - 1 and all(0 <= s <= QUICK.max_delay for s in sleeps.asked)
    # Never sent, so a sign-in is tried again too; and the reachability check says no without raising.
    with pytest.raises(OfflineError):
        run(closing(gateway, gateway.sign_in(login(org, "sam"))))
    assert len(sleeps.asked) == 2 * (QUICK.attempts - 1)
    assert run(closing(gateway, gateway.healthy())) is False
    assert time.monotonic() - started < 3


def test_a_refused_request_surfaces_the_servers_message(server: ServerProcess, org: Org, sam: ClientDevice):
    gateway = ServerGateway(server.url, device=sam.store, retry=QUICK)
    with pytest.raises(ServerError, match=r"^Wrong email or password\.$") as wrong:
        run(closing(gateway, gateway.sign_in(login(org, "sam", "not the password"))))
    assert wrong.value.status == 401 and wrong.value.code == "invalid_credentials"
    with pytest.raises(ServerError, match="limit") as invalid:
        run(closing(gateway, gateway.pull(0, MAX_PULL_LIMIT + 1)))
    assert invalid.value.status == 422 and invalid.value.code == "invalid_request"
    assert run(closing(gateway, gateway.healthy())) is True


def test_too_many_sign_ins_is_rate_limited(server: ServerProcess, org: Org):
    gateway = ServerGateway(server.url, retry=QUICK)

    async def guess_until_refused() -> RateLimited:
        for _ in range(10):
            try:
                await gateway.sign_in(login(org, "tia", "a wrong guess"))
            except RateLimited as limited:
                return limited
            except ServerError as wrong:
                assert wrong.status == 401
        raise AssertionError("ten wrong sign-ins and never rate-limited")

    limited = run(closing(gateway, guess_until_refused()))
    assert limited.status == 429 and limited.retry_after is not None and limited.retry_after > 0
    assert str(limited).startswith("Too many wrong sign-ins")


def test_a_503_is_retried_with_backoff_and_the_clock_read_at_each_try(server: ServerProcess, sam: ClientDevice):
    sleeps = Sleeps(real=0.1)
    policy = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.08)
    with FlakyProxy(server.url, {"/sync/pull": 2}) as proxy:
        gateway = ServerGateway(proxy.url, device=sam.store, retry=policy, sleep=sleeps, rng=random.Random(9))
        pulled = run(closing(gateway, gateway.pull(0, 10)))
    tries = proxy.requests("/sync/pull")
    assert [t.status for t in tries] == [503, 503, 200]
    assert len(sleeps.asked) == 2 and sleeps.asked[0] <= 0.05 and sleeps.asked[1] <= 0.08  # doubling, capped
    assert pulled.page.cursor > 0
    # Every try told the server the device's clock, read at that try (not before the back-off).
    times = [int(t.headers[DEVICE_TIME_HEADER]) for t in tries]
    assert all(DEVICE_OFFSET_HEADER in t.headers for t in tries)
    assert times[1] - times[0] >= 90 and times[2] - times[1] >= 90
    assert pulled.clock_offset is not None and abs(pulled.clock_offset) < 5000


def test_a_server_that_keeps_failing_is_the_offline_error(server: ServerProcess, sam: ClientDevice):
    with FlakyProxy(server.url, {"/sync/pull": 10}) as proxy:
        gateway = ServerGateway(proxy.url, device=sam.store, retry=QUICK)
        with pytest.raises(OfflineError, match=r"the server failed \(503\)"):
            run(closing(gateway, gateway.pull(0, 10)))
    assert len(proxy.requests("/sync/pull")) == QUICK.attempts


def test_a_busy_server_is_not_asked_twice_to_sign_in(server: ServerProcess, org: Org):
    with FlakyProxy(server.url, {"/auth/login": 1}) as proxy:
        gateway = ServerGateway(proxy.url, retry=QUICK)
        with pytest.raises(RateLimited, match="try again in 7 seconds") as busy:
            run(closing(gateway, gateway.sign_in(login(org, "sam"))))
        assert busy.value.status == 503 and busy.value.retry_after == 7
        assert len(proxy.requests("/auth/login")) == 1  # a sign-in counts against the account: sent once
        session = run(closing(gateway, gateway.sign_in(login(org, "sam"))))  # the person tries again
    assert session.user.email == org.email("sam")


# --------------------------------------------------------------------------- one gateway


def test_only_the_gateway_imports_httpx():
    found = []
    for folder in ("sync", "app", "localdb"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                else:
                    continue
                if any(name.split(".")[0] == "httpx" for name in names):
                    found.append(str(path.relative_to(ROOT)))
    assert set(found) == {"sync/gateway.py"}  # it imports httpx twice: for types, and on first use


def test_the_http_client_is_loaded_without_its_command_line_tools():
    """httpx imports its command line client (click, rich, pygments) when they are installed; the app never runs
    it, and loading it was two thirds of httpx's import."""
    code = (
        "import sys; from sync.gateway import load_http_client; httpx = load_http_client(); httpx.AsyncClient(); "
        "print(sorted(m for m in ('httpx._main', 'click', 'rich', 'pygments') if sys.modules.get(m) is not None))"
    )
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
