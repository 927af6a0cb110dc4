"""A real client device for the integration tests: an encrypted LocalStore signed in to a real server, the
app services to write with, and the sync engine to sync with."""

from __future__ import annotations

import asyncio
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.context import Context
from app.history import HistoryView
from app.services import Services
from localdb.store import LocalStore
from sync.engine import SyncEngine, SyncReport
from sync.gateway import SESSION_SECRET, RetryPolicy, ServerGateway
from sync.protocol import Session
from tests.support.server import PASSWORD

PASSCODE = "client device passphrase"
#: quick retries: a test with the server down must not wait for long backoffs
FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)


def sign_in(base_url: str, email: str, device_id: str, password: str = PASSWORD) -> Session:
    response = httpx.post(
        f"{base_url}/auth/login",
        json={"email": email, "password": password, "device_id": device_id},
        timeout=30.0,
    )
    response.raise_for_status()
    return Session.model_validate(response.json())


@dataclass
class ClientDevice:
    """One user's device: its store, services and sync engine (one event loop and HTTP client per device,
    kept between syncs as the app keeps them)."""

    store: LocalStore
    services: Services
    base_url: str
    retry: RetryPolicy = FAST_RETRY
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _engine: SyncEngine | None = None

    @classmethod
    def create(
        cls, base_url: str, email: str, directory: Path, *, device_id: str | None = None, password: str = PASSWORD
    ) -> ClientDevice:
        device_id = device_id or secrets.token_hex(8)
        session = sign_in(base_url, email, device_id, password)
        store = LocalStore(directory)
        store.initialise(PASSCODE, device_id=device_id)
        store.put_secret(SESSION_SECRET, session.model_dump(mode="json"))
        return cls(store, Services.of(Context(store, session.user)), base_url)

    def reopen(self) -> ClientDevice:
        """The app restarted: a new store object on the same files, unlocked again."""
        directory = self.store.directory
        self.close()
        store = LocalStore(directory)
        store.unlock(PASSCODE)
        return ClientDevice(store, Services.of(Context(store, self.services.context.user)), self.base_url, self.retry)

    def _run(self, coroutine: Any) -> Any:
        # The loop runs in a thread of its own: the test's main thread may already be running one (Playwright's
        # sync API keeps a loop running there for the whole session).
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _sync_engine(self) -> SyncEngine:
        if self._engine is None or self._engine.gateway.base_url != self.base_url:
            if self._engine is not None:
                self._run(self._engine.gateway.aclose())
            gateway = ServerGateway(self.base_url, retry=self.retry)
            self._engine = SyncEngine(self.store, gateway, push_batch=100)
        return self._engine

    def sync(self) -> SyncReport:
        return self._run(self._sync_engine().sync())

    def history(self, record_id: str, *, base_url: str | None = None) -> HistoryView:
        """A record's history as the app loads it, through this device's gateway (`base_url`: another server
        address, e.g. one nobody answers at, to be offline)."""
        gateway = self._sync_engine().gateway if base_url is None else ServerGateway(base_url, retry=self.retry)
        return self._run(self.services.history.load(record_id, gateway))

    def close(self) -> None:
        """Close the HTTP client, the event loop and the store."""
        if self._loop is not None:
            if self._engine is not None:
                self._run(self._engine.gateway.aclose())
            self._loop.call_soon_threadsafe(self._loop.stop)
            assert self._thread is not None
            self._thread.join()
            self._loop.close()
        self._loop = self._thread = self._engine = None
        self.store.close()

    @property
    def user_id(self) -> str:
        return self.services.context.user.id
