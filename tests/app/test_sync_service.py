"""The client's background sync (app/sync_service.py) against a real server: a change is pushed a few
seconds after it is made, in one sync per burst; going offline and coming back are noticed by the reachability
probe, not only when a sync is tried; a sync on a full disk says so, does not end the loop, and the status
recovers once space returns. The status is checked as the one sentence the screens show."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from app.context import Context
from app.services import Services
from app.sync_service import STORAGE_FULL_SYNC, SyncService, SyncStatus, describe
from server.db import Database
from server.models import OpLog
from sync.gateway import ServerGateway
from tests.support.client import ClientDevice
from tests.support.disk import fill_disk, free_disk
from tests.support.server import Org, ServerProcess


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"  # the client's behaviour is under test here, not the server's database


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run the scenario on an event loop of its own thread (the main thread may already run one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def until(condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.05)


class Watched:
    """A SyncService on a device, with the services the screens write through, and a count of sync runs."""

    def __init__(self, device: ClientDevice, url: str) -> None:
        self.service = SyncService(device.store, ServerGateway(url), push_delay_seconds=0.5, probe_seconds=0.3)
        self.services = Services.of(Context(device.store, device.services.context.user, on_write=self.service.changed))
        self.runs = 0
        self._syncing = False
        self.service.subscribe(self._seen)

    def _seen(self, status: SyncStatus) -> None:
        if status.syncing and not self._syncing:
            self.runs += 1
        self._syncing = status.syncing

    @property
    def status(self) -> SyncStatus:
        return self.service.status

    def says(self) -> str:
        return describe(self.service.status)

    async def started(self) -> None:
        self.service.start(3600)  # the periodic sync never comes in these tests: what syncs is the change
        await until(lambda: self.status.last_synced is not None and not self.status.syncing, what="first sync")


def op_count(db: Database, device_id: str) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(OpLog).where(OpLog.device_id == device_id)).one()[0]


def test_a_burst_of_taps_is_pushed_a_few_seconds_later_in_one_sync(
    server: ServerProcess, db: Database, org: Org, tmp_path
):
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    kim = org.children["kim"]

    async def scenario() -> None:
        watched = Watched(sam, server.url)
        await watched.started()
        before = watched.runs
        behaviour = watched.services.clicker.buttons(kim)[0].behaviour_type_id
        for _ in range(3):
            watched.services.clicker.tap(kim, behaviour)
            await asyncio.sleep(0.1)
        assert watched.says() == "3 changes waiting to sync"
        await until(lambda: watched.status.pending == 0 and not watched.status.syncing, what="the push")
        assert watched.runs == before + 1  # debounced: one sync for the burst
        assert watched.says() == "Up to date (synced just now)"
        await watched.service.stop()

    try:
        run(scenario())
        assert op_count(db, sam.store.device_id) == 3
    finally:
        sam.close()


def test_a_sync_that_sent_only_what_was_opened_does_not_ask_the_screens_to_render_again(
    server: ServerProcess, db: Database, org: Org, tmp_path
):
    """The generation moves when a sync may have changed what a screen shows; a profile's view, audited then
    pushed a few seconds later, changes nothing shown (a screen rendered again would close the menu just
    opened)."""
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    kim = org.children["kim"]

    async def scenario() -> None:
        watched = Watched(sam, server.url)
        await watched.started()
        shown, sent = watched.status.generation, op_count(db, sam.store.device_id)
        watched.services.context.audit("view", "individual", kim, kim, what="the profile")
        await until(lambda: op_count(db, sam.store.device_id) == sent + 1, what="the audit's push")
        await until(lambda: not watched.status.syncing, what="the sync's end")
        assert watched.status.generation == shown
        behaviour = watched.services.clicker.buttons(kim)[0].behaviour_type_id
        watched.services.clicker.tap(kim, behaviour)
        await until(lambda: op_count(db, sam.store.device_id) == sent + 2, what="the tap's push")
        await until(lambda: not watched.status.syncing, what="the sync's end")
        assert watched.status.generation == shown + 1  # the tap is no longer waiting: the screens say so
        await watched.service.stop()

    try:
        run(scenario())
    finally:
        sam.close()


def test_going_offline_and_coming_back_are_noticed_without_a_sync(server: ServerProcess, org: Org, tmp_path):
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    kim = org.children["kim"]

    async def scenario() -> None:
        watched = Watched(sam, server.url)
        await watched.started()
        runs = watched.runs
        await asyncio.to_thread(server.stop)
        try:
            await until(lambda: watched.status.online is False, timeout=5, what="offline noticed")
            since = dt.datetime.now().strftime("%H:%M")
            assert watched.runs == runs and watched.status.error is None  # the probe noticed, not a failed sync
            assert watched.says() == f"Offline since {since}"
            behaviour = watched.services.clicker.buttons(kim)[0].behaviour_type_id
            watched.services.clicker.tap(kim, behaviour)
            assert watched.says() == f"Offline since {since}, 1 change waiting to sync"
            await asyncio.sleep(1.5)  # the push a change asks for waits for the server: no failing sync
            assert watched.runs == runs and watched.status.pending == 1
        finally:
            await asyncio.to_thread(server.start)
        # Back online: noticed by the probe, and what waited is sent without anyone pressing "Sync now".
        await until(lambda: watched.status.pending == 0 and watched.status.online, what="back and pushed")
        await until(lambda: not watched.status.syncing)
        assert watched.says() == "Up to date (synced just now)"
        await watched.service.stop()

    try:
        run(scenario())
    finally:
        sam.close()


def test_a_sync_on_a_full_disk_says_so_keeps_the_loop_and_recovers(server: ServerProcess, org: Org, tmp_path):
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")

    async def scenario() -> None:
        watched = Watched(sam, server.url)
        await watched.started()
        people = len(watched.services.directory.people())
        fill_disk(sam.store.db)
        for n in range(12):  # the server has more for this device than the disk has room for
            org.add_child(f"new{n}", access=["sam"])
        watched.service.request_sync()
        await until(lambda: watched.status.error == STORAGE_FULL_SYNC, what="the storage message")
        assert not watched.status.syncing
        assert watched.says() == "The last sync did not finish"
        assert watched.service._loop_task is not None and not watched.service._loop_task.done()
        assert len(watched.services.directory.people()) == people  # nothing half-applied
        free_disk(sam.store.db)
        # No "Sync now": the loop tries again by itself and the status recovers.
        await until(lambda: watched.status.error is None and not watched.status.syncing, what="recovery")
        assert len(watched.services.directory.people()) == people + 12
        assert watched.says() == "Up to date (synced just now)"
        await watched.service.stop()

    try:
        run(scenario())
    finally:
        sam.close()
