"""Benchmark: the client sync engine against a real server process on SQLite.

(a) End of shift: one device with 2,000 queued ops (clicker taps, communications, incident edits) syncs.
(b) Initial sync: a fresh device of a lead (who reaches 50 individuals) pulls ~50,000 records.

    python bench/sync.py [--records 50000] [--queued 2000] [--profile]

It also prints the device's storage per record after the initial sync; `--profile` prints the client's
cProfile top entries for both runs (timed with the profiler on: read the profile, not the times).
Last line: `initial_sync_records_per_s <value>` (targets: (a) 0.7 s or less; (b) 10,000 records/s or more).
The server, the database and the test organisation are set up with the same helpers the integration tests
use (tests/support/server.py).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BESMART_KDF_TEST_FAST", "1")  # key derivation is not what we measure

import keyring  # noqa: E402
from keyring.backends import fail  # noqa: E402

from tests.support.server import TEST_ENV, Device, Org, ServerProcess, seed_org, settings_for  # noqa: E402

for _name, _value in TEST_ENV.items():
    os.environ.setdefault(_name, _value)

from app import collector  # noqa: E402
from localdb.store import LocalStore  # noqa: E402
from server.db import Database  # noqa: E402
from sync.engine import SyncEngine  # noqa: E402
from sync.gateway import SESSION_SECRET, ServerGateway  # noqa: E402
from sync.records import Role  # noqa: E402

PASSPHRASE = "benchmark device passphrase"


def seed_history(base_url: str, email: str, profiles: list[str], behaviour: str, total: int) -> None:
    """Push `total` records spread over the profiles from another device, in batches of 500."""
    writer = Device(base_url, email)
    batch: list[dict] = []
    for n in range(total):
        profile = profiles[n % len(profiles)]
        if n % 10 == 0:
            op = writer.op(
                "communication",
                fields={
                    "valence": "positive",
                    "author_id": writer.user_id,
                    "message": f"Settled quickly after break, note {n}",
                    "created_at": dt.datetime.now(dt.UTC).isoformat(),
                },
                profile_id=profile,
            )
        else:
            op = writer.tap(profile, behaviour)
        batch.append(op)
        if len(batch) == 500:
            writer.push(batch)
            batch = []
    if batch:
        writer.push(batch)
    writer.close()


@contextmanager
def seeded_server(records: int) -> Iterator[tuple[Path, ServerProcess, Org, list[str]]]:
    """A real server process on SQLite with the test organisation, a lead (lee), 50 individuals and `records`
    records pushed from another device; yields the temporary directory, the server, the org and the profiles."""
    with tempfile.TemporaryDirectory(prefix="besmart-bench-") as tmp:
        tmp_path = Path(tmp)
        url = f"sqlite:///{tmp_path / 'server.db'}"
        db = Database(url)
        db.upgrade()
        org = seed_org(db, settings_for(url))
        org.add_user("lee", Role.LEAD)
        profiles = [org.children["kim"]] + [org.add_child(f"child{i}", access=["sam"]) for i in range(49)]
        server = ServerProcess(url, tmp_path).start()
        try:
            seed_start = time.perf_counter()
            seed_history(server.url, org.email("lena"), profiles, org.behaviour, records)
            print(f"seeded {records} records in {time.perf_counter() - seed_start:.1f} s (not measured)")
            yield tmp_path, server, org, profiles
        finally:
            server.stop()
            db.dispose()


def device_store(directory: Path, base_url: str, email: str) -> LocalStore:
    signed_in = Device(base_url, email)
    store = LocalStore(directory)
    store.initialise(PASSPHRASE, device_id=signed_in.device_id)
    store.put_secret(SESSION_SECRET, signed_in.session)
    signed_in.close()
    return store


async def _inline(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


async def run_sync(store: LocalStore, base_url: str, profile: cProfile.Profile | None = None) -> float:
    gateway = ServerGateway(base_url)
    engine = SyncEngine(store, gateway, push_batch=500, pull_limit=1000)
    to_thread = asyncio.to_thread
    if profile is not None:
        # cProfile sees one thread: run the work the engine hands to worker threads inline, so it is profiled.
        asyncio.to_thread = _inline
        profile.enable()
    start = time.perf_counter()
    try:
        await engine.sync()
    finally:
        elapsed = time.perf_counter() - start
        if profile is not None:
            profile.disable()
            asyncio.to_thread = to_thread
    await gateway.aclose()
    return elapsed


def bytes_per_record(store: LocalStore) -> float:
    """The database file's size per record, after a checkpoint (the WAL folded in)."""
    count = store.db.execute("SELECT count(*) FROM record").fetchone()[0]
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return os.path.getsize(store.path) / max(count, 1)


def print_profile(title: str, profile: cProfile.Profile) -> None:
    print(f"--- profile: {title} (top 15 by own time) ---")
    pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--queued", type=int, default=2_000)
    parser.add_argument("--profile", action="store_true", help="print the client's cProfile top entries")
    args = parser.parse_args()
    keyring.set_keyring(fail.Keyring())  # no OS store here: the passphrase policy
    collector.settle()  # the collector as the app's entry point sets it (main.py)

    with seeded_server(args.records) as (tmp_path, server, org, profiles):
        # (b) initial sync of a fresh device.
        fresh = device_store(tmp_path / "fresh", server.url, org.email("lee"))
        initial_profile = cProfile.Profile() if args.profile else None
        initial_s = asyncio.run(run_sync(fresh, server.url, initial_profile))
        pulled = fresh.db.execute("SELECT count(*) FROM record").fetchone()[0]
        per_record = bytes_per_record(fresh)
        fresh.close()

        # (a) end of shift: 2,000 queued ops on a device that is otherwise up to date.
        shift = device_store(tmp_path / "shift", server.url, org.email("sam"))
        asyncio.run(run_sync(shift, server.url))
        actor = shift.get_secret(SESSION_SECRET)["user"]["id"]
        incident = shift.write(
            "incident",
            "create",
            {
                "recorded_by": actor,
                "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
                "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
                "what_happened": "Start of the report",
            },
            actor_id=actor,
            profile_id=profiles[0],
        )
        for n in range(args.queued - 1):
            profile = profiles[n % len(profiles)]
            if n % 20 == 0:
                shift.write(
                    "incident",
                    "update",
                    {"what_happened": f"Edit {n}"},
                    actor_id=actor,
                    record_id=incident.record_id,
                )
            elif n % 5 == 0:
                shift.write(
                    "communication",
                    "create",
                    {
                        "valence": "n/a",
                        "author_id": actor,
                        "message": f"Note {n}",
                        "created_at": dt.datetime.now(dt.UTC).isoformat(),
                    },
                    actor_id=actor,
                    profile_id=profile,
                )
            else:
                shift.write(
                    "clicker_event",
                    "create",
                    {
                        "behaviour_type_id": org.behaviour,
                        "staff_id": actor,
                        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
                        "device_id": shift.device_id,
                    },
                    actor_id=actor,
                    profile_id=profile,
                )
        queued = shift.pending_count()
        shift_profile = cProfile.Profile() if args.profile else None
        shift_s = asyncio.run(run_sync(shift, server.url, shift_profile))
        left = shift.pending_count()
        shift.close()

    if initial_profile is not None and shift_profile is not None:
        print_profile("initial sync", initial_profile)
        print_profile("end of shift", shift_profile)
    print(f"(a) end of shift: {queued} queued ops synced in {shift_s:.2f} s ({left} left; target <= 0.7 s)")
    print(f"(b) initial sync: {pulled} records in {initial_s:.2f} s (target >= 10000 records/s)")
    print(f"device storage after the initial sync: {per_record / 1024:.2f} KB per record (target <= 1.2 KB)")
    print(f"end_of_shift_s {shift_s:.2f}")
    print(f"initial_sync_records_per_s {pulled / initial_s:.0f}")


if __name__ == "__main__":
    main()
