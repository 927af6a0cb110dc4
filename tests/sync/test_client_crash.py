"""Crashes during sync lose nothing and duplicate nothing: the client process killed (SIGKILL) at random
points of push and pull, and the server process killed in the middle of a batch."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import func, select

from server.db import Database
from server.models import OpLog, Record
from tests.support.client import PASSCODE, ClientDevice
from tests.support.server import ROOT, TEST_ENV, Org, ServerProcess

SYNC_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from localdb.store import LocalStore
    from sync.engine import SyncEngine
    from sync.gateway import RetryPolicy, ServerGateway
    store = LocalStore(sys.argv[1])
    store.unlock(sys.argv[2])
    gateway = ServerGateway(sys.argv[3], retry=RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2))
    engine = SyncEngine(store, gateway, push_batch=50, pull_limit=25,
                        on_progress=lambda p: print(p.phase, p.done, flush=True))
    asyncio.run(engine.sync())
    print("synced", flush=True)
    """
)


@pytest.fixture
def no_keyring():
    # The killed client is another process: no in-memory keyring can follow it there, so both sides use
    # the no-secure-store policy (a strong passphrase, nothing in any keyring).
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def server_ops(db: Database, device_id: str) -> list[int]:
    with db.session() as s:
        return sorted(row[0] for row in s.exec(select(OpLog.op_id).where(OpLog.device_id == device_id)).all())


def server_count(db: Database, profile_id: str, kind: str) -> int:
    with db.session() as s:
        return s.exec(
            select(func.count()).select_from(Record).where(Record.profile_id == profile_id, Record.kind == kind)
        ).one()[0]


def write_taps(device: ClientDevice, profile_id: str, count: int) -> None:
    behaviour = device.services.clicker.buttons(profile_id)[0].behaviour_type_id
    for _ in range(count):
        device.services.clicker.tap(profile_id, behaviour)


def test_client_killed_during_sync_converges_with_every_op_once(
    server: ServerProcess, db: Database, org: Org, tmp_path, no_keyring
):
    kim = org.children["kim"]
    device = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    device.sync()
    rng = random.Random(7)
    env = {**os.environ, **TEST_ENV, "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    written = 0
    for _round in range(int(os.environ.get("BESMART_CRASH_ROUNDS", "5"))):
        write_taps(device, kim, 200)
        written += 200
        device.close()
        child = subprocess.Popen(
            [sys.executable, "-c", SYNC_SCRIPT, str(device.store.directory), PASSCODE, server.url],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # Kill right after a random progress step: somewhere in the push or in the pull.
        assert child.stdout is not None
        for _ in range(rng.randint(1, 18)):
            if not child.stdout.readline():
                break
        time.sleep(rng.random() / 50)
        child.send_signal(signal.SIGKILL)
        child.wait()
        device = device.reopen()

    report = device.sync()
    assert device.store.pending_count() == 0
    assert server_ops(db, device.store.device_id) == list(range(1, written + 1)), "an op missing or twice"
    assert server_count(db, kim, "clicker_event") == written
    on_device = device.store.clicker_events(
        kim, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    )
    assert len(on_device) == written and not any(e.pending for e in on_device)
    assert report.quarantined == report.rejected == 0


def test_server_killed_mid_batch_loses_nothing(db: Database, database_url: str, org: Org, tmp_path, no_keyring):
    first = ServerProcess(database_url, tmp_path).start()
    kim = org.children["kim"]
    device = ClientDevice.create(first.url, org.email("sam"), tmp_path / "sam")
    device.sync()
    write_taps(device, kim, 400)
    device.close()
    env = {**os.environ, **TEST_ENV, "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    child = subprocess.Popen(
        [sys.executable, "-c", SYNC_SCRIPT, str(device.store.directory), PASSCODE, first.url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and first.process is not None
    for _ in range(3):  # a batch or two acknowledged, the next one in flight
        child.stdout.readline()
    first.process.send_signal(signal.SIGKILL)  # the server dies mid-push
    first.process.wait()
    child.wait(timeout=60)  # the client gives up after its retries; its outbox is intact
    device = device.reopen()
    assert 0 < device.store.pending_count() < 400  # some acknowledged, the rest kept for later

    second = ServerProcess(database_url, tmp_path)
    second.port, second.url = first.port, first.url  # same address: the device's settings do not change
    second.start()
    try:
        device.sync()
    finally:
        second.stop()
    assert device.store.pending_count() == 0
    assert server_ops(db, device.store.device_id) == list(range(1, 401))
    assert server_count(db, kim, "clicker_event") == 400
