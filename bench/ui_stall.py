"""Benchmark: how long the client's event loop (the one the screens use) stalls while a fresh device's initial
sync of ~50,000 records runs.

    python bench/ui_stall.py [--records 50000]

A real server process on SQLite; the client is the app's own `app.sync_service.SyncService` (real store, sync
engine and gateway) started on an asyncio loop that also runs a ticker: a task that asks to wake every 5 ms and
records how late each wake-up is. A screen's event (a tap, a redraw) waits as long as that, so the longest
lateness is the longest the UI would have frozen. The same ticker on the same loop without a sync, for as long,
is the same-run baseline (what the machine's load alone costs). Last line: `ui_stall_ms <longest stall>`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BESMART_KDF_TEST_FAST", "1")  # key derivation is not what we measure

import keyring  # noqa: E402
from keyring.backends import fail  # noqa: E402

from bench.sync import device_store, seeded_server  # noqa: E402
from tests.support.server import TEST_ENV  # noqa: E402

for _name, _value in TEST_ENV.items():
    os.environ.setdefault(_name, _value)

from app import collector  # noqa: E402
from app.sync_service import SyncService  # noqa: E402
from localdb.store import LocalStore  # noqa: E402
from sync.gateway import ServerGateway  # noqa: E402

TICK_S = 0.005


async def ticker(stop: asyncio.Event, lateness: list[float]) -> None:
    """Wake every TICK_S; record how late (ms) each wake-up came."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        asked = loop.time()
        await asyncio.sleep(TICK_S)
        lateness.append((loop.time() - asked - TICK_S) * 1000)


async def measure(store: LocalStore | None, base_url: str, idle_s: float = 0.0) -> tuple[list[float], float]:
    """The ticker's lateness while `store` syncs (or, without a store, for `idle_s`), and the elapsed time."""
    stop = asyncio.Event()
    lateness: list[float] = []
    task = asyncio.create_task(ticker(stop, lateness))
    start = time.perf_counter()
    if store is None:
        await asyncio.sleep(idle_s)
    else:
        service = SyncService(store, ServerGateway(base_url))
        await service.sync_now()
        error = service.status.error
        await service.stop()
        if error:
            raise SystemExit(f"the sync failed: {error}")
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    return lateness, elapsed


def summary(lateness: list[float]) -> str:
    ordered = sorted(lateness)
    p99 = ordered[int(len(ordered) * 0.99) - 1] if ordered else 0.0
    return f"max {max(ordered, default=0):.1f} ms, p99 {p99:.1f} ms, median {statistics.median(ordered or [0]):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    keyring.set_keyring(fail.Keyring())  # no OS store here: the passphrase policy
    collector.settle()  # the collector as the app's entry point sets it (main.py)

    with seeded_server(args.records) as (tmp_path, server, org, _profiles):
        fresh = device_store(tmp_path / "fresh", server.url, org.email("lee"))
        during, sync_s = asyncio.run(measure(fresh, server.url))
        pulled = fresh.db.execute("SELECT count(*) FROM record").fetchone()[0]
        fresh.close()
        idle, _ = asyncio.run(measure(None, server.url, idle_s=min(sync_s, 10.0)))

    load = os.getloadavg()[0]
    print(f"initial sync of {pulled} records in {sync_s:.2f} s, load average {load:.1f}")
    print(f"event loop without a sync (baseline): {summary(idle)}")
    print(f"event loop during the sync: {summary(during)}")
    print(f"ui_stall_ms {max(during, default=0):.0f}")


if __name__ == "__main__":
    main()
