"""Benchmark: one Behaviour Clicker tap through the real store vs a bare sqlite3 INSERT+COMMIT.

A tap = validate the op, merge it into the record, encrypt record and op, insert the record row and the
outbox entry, commit durably (WAL, synchronous=FULL). The baseline inserts one row of the same size with the
same pragmas and commits. Both run interleaved in one process on the same disk, so machine noise hits both.

    python bench/tap.py [--taps 2000]

Also printed: the median CPU time of this thread per call (store tap, bare insert), which the machine's load
barely changes, unlike the wall times.

Last line: `tap_p99_ratio <store p99 / bare p99>` (target: 1.6 or less). `bench/tap_frames.py` counts the pages a tap
writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BESMART_KDF_TEST_FAST", "1")  # key derivation is not what we measure

import keyring
from keyring.backend import KeyringBackend

from localdb.store import LocalStore


class _MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._items.pop((service, username), None)


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=1000, method="inclusive")[int(q * 1000) - 1]


def clicker_store(folder: Path) -> tuple[LocalStore, Callable[[], None]]:
    """A new store in `folder` with an individual and a behaviour, and a function making one clicker tap on it
    as the clicker screen does (`store.write` of a `clicker_event`). Shared by the tap benchmarks."""
    store = LocalStore(folder / "store")
    store.initialise("bench-passcode")
    child = store.write("individual", "create", {"first_name": "A", "last_name": "B"}, actor_id="u1")
    behaviour = store.write("behaviour_type", "create", {"label": "On task", "valence": "positive"}, actor_id="u1")

    def tap() -> None:
        store.write(
            "clicker_event",
            "create",
            {
                "behaviour_type_id": behaviour.record_id,
                "staff_id": "u1",
                "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
                "device_id": store.device_id,
            },
            actor_id="u1",
            profile_id=child.profile_id,
        )

    return store, tap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=2000)
    args = parser.parse_args()
    keyring.set_keyring(_MemoryKeyring())

    with tempfile.TemporaryDirectory(prefix="besmart-bench-") as tmp:
        store, tap = clicker_store(Path(tmp))

        tap()
        with sqlite3.connect(store.path) as probe:
            row_bytes = (
                probe.execute("SELECT length(body) FROM record WHERE kind='clicker_event' LIMIT 1").fetchone()[0]
                + probe.execute("SELECT length(body) FROM outbox LIMIT 1").fetchone()[0]
            )

        bare = sqlite3.connect(Path(tmp) / "bare.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON"):
            bare.execute(f"PRAGMA {pragma}")
        bare.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        payload = os.urandom(row_bytes)

        def bare_insert() -> None:
            bare.execute("BEGIN")
            bare.execute("INSERT INTO t (body) VALUES (?)", (payload,))
            bare.execute("COMMIT")

        store_times: list[float] = []
        bare_times: list[float] = []
        # CPU time of this thread per call: what the machine's load does not change (wall times wait for the
        # disk and for other processes; this is the part the tap's own code decides).
        store_cpu: list[float] = []
        bare_cpu: list[float] = []
        for _ in range(args.taps):
            for fn, sink, cpu_sink in ((tap, store_times, store_cpu), (bare_insert, bare_times, bare_cpu)):
                cpu_start = time.thread_time()
                start = time.perf_counter()
                fn()
                sink.append((time.perf_counter() - start) * 1000)
                cpu_sink.append((time.thread_time() - cpu_start) * 1000)
        bare.close()
        store.close()

    for name, samples in (("store tap", store_times), ("bare insert", bare_times)):
        print(
            f"{name:12s} n={len(samples)} p50={percentile(samples, 0.5):.3f} ms p99={percentile(samples, 0.99):.3f} ms"
        )
    print(
        f"cpu per call (this thread, median): store tap {statistics.median(store_cpu) * 1000:.0f} us, "
        f"bare insert {statistics.median(bare_cpu) * 1000:.0f} us"
    )
    print(f"row bytes (record + outbox ciphertext): {row_bytes}")
    print(f"tap_p50_ratio {percentile(store_times, 0.5) / percentile(bare_times, 0.5):.2f}")
    print(f"tap_p99_ratio {percentile(store_times, 0.99) / percentile(bare_times, 0.99):.2f}")


if __name__ == "__main__":
    main()
