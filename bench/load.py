"""Benchmark: a whole school's devices reconnecting at once, on PostgreSQL with two server processes.

N devices (default 500; `--devices` for fewer), each its own staff member, are signed in and caught up
(pulled to the end) before the clock starts, and build their ops then. Each then wakes at a random moment
within the window (default 10 s), pushes its ops (default 20) in one request and pulls from its cursor
until caught up — what a device does when it gets its connection back at 3 pm. A request that fails (an
error status or a broken connection) is counted and retried, as the client's engine does.

    python bench/load.py [--devices 500] [--window 10] [--ops 20] [--servers 2] [--children 20]

Reports the errors, the p95 request time (all requests; push and pull apart) and the time from the first
wake to the last device caught up; then checks in SQL that nothing is lost or doubled (every op in the op
log once, audited once, every created record stored, sequence numbers unique; `server_sync.verify`) and
that each device's cursors only moved forward and brought back what it created. `--children` (default 20,
as `server_sync`): with 20 children and 3 each, every record is pulled by some 75 devices — a variant with
more children shows the same reconnect with the fan-out of a school's real ratio. Last line:
`load_p95_ms <value>` (target: 0 errors, 500 ms or less).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.server_sync import (  # noqa: E402
    CHILDREN,
    SimulatedDevice,
    drop_postgres,
    p95,
    postgres_url,
    seed,
    start_servers,
    stop_servers,
    verify,
)

RETRIES = 3


class Waker:
    """One device's reconnection: push its ops, then pull from where it was; failures counted and retried."""

    def __init__(self, sim: SimulatedDevice, body: bytes, delay: float) -> None:
        self.sim = sim
        self.body = body
        self.delay = delay
        self.cursor = 0
        self.errors: list[str] = []
        self.finished = 0.0

    async def attempt(self, step: Any) -> None:
        for _ in range(RETRIES):
            try:
                await step()
                return
            except (httpx.HTTPError, json.JSONDecodeError) as error:
                self.errors.append(f"{type(error).__name__}: {str(error)[:80]}")
        raise SystemExit(f"{self.sim.email}: gave up after {RETRIES} failures: {self.errors[-RETRIES:]}")

    async def wake(self, began: float) -> None:
        await asyncio.sleep(max(0.0, began + self.delay - time.perf_counter()))

        async def push() -> None:
            await self.sim.push([self.body])

        async def pull() -> None:
            self.cursor = await self.sim.pull(self.cursor)

        await self.attempt(push)
        await self.attempt(pull)
        self.finished = time.perf_counter()


async def run(bases: list[str], seeded: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(14)
    sims = [SimulatedDevice(bases[i % len(bases)], f"staff{i}@bench.example") for i in range(args.devices)]
    gate = asyncio.Semaphore(50)  # setting up is not what is measured: no stampede before the clock

    async def ready(sim: SimulatedDevice) -> int:
        async with gate:
            await sim.login()
            return await sim.pull()

    cursors = await asyncio.gather(*(ready(sim) for sim in sims))
    wakers = []
    for i, (sim, cursor) in enumerate(zip(sims, cursors, strict=True)):
        children = seeded["children"]
        mine = [children[j % len(children)] for j in (i, i + 1, i + 7)]
        sim.sent = sim.build_ops(args.ops, mine, seeded["behaviours"], rng)
        sim.push_latencies.clear()
        sim.pull_latencies.clear()
        sim.pulled_ids.clear()
        waker = Waker(sim, json.dumps({"ops": sim.sent}).encode(), rng.uniform(0, args.window))
        waker.cursor = cursor
        wakers.append(waker)
    began = time.perf_counter()
    await asyncio.gather(*(waker.wake(began) for waker in wakers))
    seconds = max(waker.finished for waker in wakers) - began
    await asyncio.gather(*(sim.client.aclose() for sim in sims))
    for sim in sims:
        sim.check_pulled()
    statuses: dict[str, int] = {}
    for sim in sims:
        for status, n in sim.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    pushes = [x for sim in sims for x in sim.push_latencies]
    pulls = [x for sim in sims for x in sim.pull_latencies]
    return {
        "sims": sims,
        "errors": [error for waker in wakers for error in waker.errors],
        "statuses": statuses,
        "seconds": seconds,
        "p95_ms": 1000 * p95(pushes + pulls),
        "push_p95_ms": 1000 * p95(pushes),
        "pull_p95_ms": 1000 * p95(pulls),
        "requests": len(pushes) + len(pulls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--window", type=float, default=10.0, help="seconds within which every device wakes")
    parser.add_argument("--ops", type=int, default=20)
    parser.add_argument("--servers", type=int, default=2, help="server processes on the one database")
    parser.add_argument("--children", type=int, default=CHILDREN, help="children in the organisation (3 per staff)")
    args = parser.parse_args()
    url = postgres_url()
    if url is None:
        raise SystemExit("bench/load.py needs PostgreSQL (BESMART_BENCH_PG_URL)")
    try:
        with tempfile.TemporaryDirectory(prefix="besmart-load-") as tmp:
            seeded = seed(url, args.devices, args.children)
            processes, bases = start_servers(url, args.servers, Path(tmp), "load")
            try:
                figures = asyncio.run(run(bases, seeded, args))
            finally:
                stop_servers(processes)
        problems = verify(url, figures["sims"])
    finally:
        drop_postgres(url)
    errors = figures["errors"]
    kinds: dict[str, int] = {}
    for error in errors:
        kinds[error.split(":")[0]] = kinds.get(error.split(":")[0], 0) + 1
    print(
        f"{args.devices} devices woke within {args.window:.0f} s against {args.servers} server processes, "
        f"{args.ops} ops each: all caught up after {figures['seconds']:.1f} s; {figures['requests']} requests, "
        f"p95 {figures['p95_ms']:.0f} ms (push {figures['push_p95_ms']:.0f} ms, pull {figures['pull_p95_ms']:.0f} ms); "
        f"op results {figures['statuses']}"
    )
    print(f"errors (retried): {len(errors)} {kinds}")
    if problems:
        raise SystemExit(f"{len(problems)} problem(s) found:\n" + "\n".join(problems[:20]))
    print("checked in SQL: nothing lost or doubled; every device's cursors moved forward and brought back its records")
    print(f"load_p95_ms {figures['p95_ms']:.0f}")


if __name__ == "__main__":
    main()
