"""A process killed (SIGKILL) in the middle of writing leaves each write whole or absent — never a record
change without its outbox entry, or the reverse — and loses nothing it had reported as written."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from localdb.store import LocalStore

PASSPHRASE = "a long crash-test passphrase"
ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from localdb.store import LocalStore
    store = LocalStore(sys.argv[1])
    store.unlock(sys.argv[2])
    child = sys.argv[3]
    n = 0
    while True:
        n += 1
        op = store.write(
            "clicker_event", "create",
            {"behaviour_type_id": "b1", "staff_id": "u1", "device_id": "d",
             "occurred_at": dt.datetime.now(dt.UTC).isoformat()},
            actor_id="u1", profile_id=child,
        )
        print(op.op_id, flush=True)  # reported only after the durable commit
        if n % 5 == 0:
            store.write("individual", "update", {"details": "x" * (n % 900)}, actor_id="u1", record_id=child)
    """
)


@pytest.fixture
def no_keyring_store(tmp_path: Path):
    # The writer runs in another process, so no in-memory keyring can be shared with it: use the
    # no-secure-store policy (strong passphrase, nothing in any keyring) on both sides.
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    store = LocalStore(tmp_path / "data")
    store.initialise(PASSPHRASE)
    child = store.write("individual", "create", {"first_name": "A", "last_name": "B"}, actor_id="u1")
    store.close()
    yield tmp_path / "data", child.record_id
    keyring.set_keyring(previous)


def test_sigkill_mid_write_leaves_whole_writes_only(no_keyring_store):
    directory, child = no_keyring_store
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    rng = random.Random(2026)
    reported: list[int] = []
    for _ in range(int(os.environ.get("BESMART_CRASH_ROUNDS", "5"))):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(directory), PASSPHRASE, child],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert writer.stdout is not None
        wanted = rng.randint(5, 60)
        for _line in range(wanted):
            reported.append(int(writer.stdout.readline()))
        time.sleep(rng.random() / 200)  # land somewhere inside a later write
        writer.send_signal(signal.SIGKILL)
        writer.wait()

        store = LocalStore(directory)
        store.unlock(PASSPHRASE)
        records = {r["id"] for r in store.db.execute("SELECT id FROM record WHERE kind = 'clicker_event'")}
        outbox = store.pending_ops(limit=100_000)
        tap_ops = {op.record_id for op in outbox if op.kind == "clicker_event"}
        assert records == tap_ops, "a tap without its outbox entry, or the reverse"
        assert set(reported) <= {op.op_id for op in outbox}, "a reported write was lost"
        ids = [op.op_id for op in outbox]
        assert ids == sorted(set(ids))
        child_ops = [op for op in outbox if op.kind == "individual" and op.action == "update"]
        assert len(child_ops) == len({op.hlc for op in child_ops})
        store.close()
