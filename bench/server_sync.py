"""Benchmark: 50 devices pushing and pulling at once against a real server process, on SQLite and PostgreSQL.

Each simulated device (asyncio + httpx.AsyncClient, its own user) pushes 200 ops — clicker taps,
communications, new incidents and edits of them — in batches, then pulls until caught up. The ops are built
before the clock starts; the push phase is timed from the first request to the last answer.

    python bench/server_sync.py [--devices 50] [--ops 200] [--batch 100] [--only sqlite|postgresql]

Prints ops/s and p95 request latency per database; the last line is `push_ops_per_s <value>` for SQLite
(target: 2000 or more). PostgreSQL runs when 127.0.0.1:5432 answers (BESMART_BENCH_PG_URL to change).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from server.core.config import load_settings  # noqa: E402
from server.db import Database  # noqa: E402
from server.services import organisations as orgs  # noqa: E402
from sync.hlc import HybridClock  # noqa: E402
from sync.records import Role  # noqa: E402

PG_ADMIN_URL = os.environ.get("BESMART_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "benchmark password"
# Sign-in is not what is measured: cheap argon2, no per-address limit in the way.
ENV = {
    "BESMART_ARGON2_TIME_COST": "1",
    "BESMART_ARGON2_MEMORY_KIB": "1024",
    "BESMART_LOGIN_MAX_PER_ADDRESS": "100000",
    "BESMART_LOG_LEVEL": "warning",
}
CHILDREN = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else 0.0)


def seed(url: str, devices: int) -> dict[str, Any]:
    """One organisation: a lead, one staff member per device, 20 children, each staff granted 3."""
    db = Database(url)
    db.upgrade()
    settings = load_settings({**os.environ, **ENV})
    with db.session() as s:
        org = orgs.create_organisation(s, "Bench Academy", settings=settings)
        behaviours = [orgs.upsert_behaviour_type(s, org, f"Behaviour {i}", "positive") for i in range(6)]
        lead = orgs.create_user(s, org, "Lead", "lead@bench.example", PASSWORD, role=Role.LEAD, settings=settings)
        staff = [
            orgs.create_user(s, org, f"Staff {i}", f"staff{i}@bench.example", PASSWORD, settings=settings)
            for i in range(devices)
        ]
        children = [orgs.create_individual(s, org, f"Child{i}", "Bench") for i in range(CHILDREN)]
        for i, user in enumerate(staff):
            for child in (children[i % CHILDREN], children[(i + 1) % CHILDREN], children[(i + 7) % CHILDREN]):
                orgs.grant_access(s, child, user)
        for i, child in enumerate(children):
            orgs.set_key_staff(s, child, [staff[i % devices], lead])
    db.dispose()
    return {"org": org, "behaviours": behaviours, "children": children, "staff": staff}


class SimulatedDevice:
    def __init__(self, base_url: str, email: str) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=120.0)
        self.email = email
        self.device_id = secrets.token_hex(8)
        self.clock = HybridClock(self.device_id)
        self.headers: dict[str, str] = {}
        self.user_id = ""
        self.next_op = 1
        self.push_latencies: list[float] = []
        self.pull_latencies: list[float] = []
        self.pulled = 0
        self.statuses: dict[str, int] = {}

    async def login(self) -> None:
        response = await self.client.post(
            "/auth/login", json={"email": self.email, "password": PASSWORD, "device_id": self.device_id}
        )
        response.raise_for_status()
        session = response.json()
        self.headers = {"Authorization": f"Bearer {session['access_token']}"}
        self.user_id = session["user"]["id"]

    def _op(self, kind: str, action: str, fields: dict[str, Any], *, record_id: str | None = None,
            profile_id: str, base: dict[str, list[str]] | None = None, reason: str | None = None,
            ) -> dict[str, Any]:  # fmt: skip
        op = {
            "op_id": self.next_op, "device_id": self.device_id, "actor_id": self.user_id,
            "record_id": record_id or str(uuid.uuid4()), "kind": kind, "profile_id": profile_id,
            "action": action, "fields": fields, "base": base or {}, "hlc": self.clock.now().encode(),
            **({"reason": reason} if reason else {}),
        }  # fmt: skip
        self.next_op += 1
        return op

    def build_ops(self, count: int, children: list[str], behaviours: list[str], rng: random.Random) -> list[dict]:
        """A shift's worth of recording: mostly taps, some communications, incidents and edits of them."""
        ops: list[dict[str, Any]] = []
        incidents: list[dict[str, Any]] = []
        while len(ops) < count:
            child = rng.choice(children)
            now = dt.datetime.now(dt.UTC).isoformat()
            roll = rng.random()
            if roll < 0.60:
                fields = {"behaviour_type_id": rng.choice(behaviours), "staff_id": self.user_id, "occurred_at": now,
                          "device_id": self.device_id}  # fmt: skip
                ops.append(self._op("clicker_event", "create", fields, profile_id=child))
            elif roll < 0.75:
                fields = {"valence": rng.choice(["positive", "negative", "n/a"]), "author_id": self.user_id,
                          "message": "Settled well after break; used the calm corner.", "created_at": now}  # fmt: skip
                ops.append(self._op("communication", "create", fields, profile_id=child))
            elif roll < 0.85 or not incidents:
                fields = {"status": "submitted", "recorded_by": self.user_id, "recorded_at": now, "occurred_at": now,
                          "location": "Classroom", "what_happened": "Refused to join the lesson and left the room.",
                          "what_happened_before": "Change of teacher."}  # fmt: skip
                op = self._op("incident", "create", fields, profile_id=child)
                incidents.append(op)
                ops.append(op)
            else:
                incident = rng.choice(incidents)
                field = rng.choice(["pild_perspective", "pild_feelings", "pild_triggers", "location"])
                base = {field: [incident["hlc"]]}
                edit = {field: f"Edited at {now}"}
                ops.append(
                    self._op(
                        "incident", "update", edit, record_id=incident["record_id"],
                        profile_id=incident["profile_id"], base=base, reason="Corrected after the debrief",
                    )
                )  # fmt: skip
        return ops

    async def push(self, bodies: list[bytes]) -> None:
        headers = {**self.headers, "Content-Type": "application/json"}
        for body in bodies:
            began = time.perf_counter()
            response = await self.client.post("/sync/push", content=body, headers=headers)
            self.push_latencies.append(time.perf_counter() - began)
            response.raise_for_status()
            for result in response.json()["results"]:
                self.statuses[result["status"]] = self.statuses.get(result["status"], 0) + 1

    async def pull(self) -> None:
        cursor = 0
        while True:
            began = time.perf_counter()
            response = await self.client.get(
                "/sync/pull", params={"cursor": cursor, "limit": 500}, headers=self.headers
            )
            self.pull_latencies.append(time.perf_counter() - began)
            response.raise_for_status()
            page = response.json()
            self.pulled += len(page["changes"])
            cursor = page["cursor"]
            if not page["more"]:
                return


async def run_devices(base_url: str, seeded: dict[str, Any], devices: int, ops: int, batch: int) -> dict[str, float]:
    rng = random.Random(7)
    sims = [SimulatedDevice(base_url, f"staff{i}@bench.example") for i in range(devices)]
    await asyncio.gather(*(sim.login() for sim in sims))
    plans = []
    for i, sim in enumerate(sims):
        mine = [seeded["children"][j % CHILDREN] for j in (i, i + 1, i + 7)]
        made = sim.build_ops(ops, mine, seeded["behaviours"], rng)
        # Encoded before the clock starts: the devices' own work is not what is measured.
        plans.append([json.dumps({"ops": made[k : k + batch]}).encode() for k in range(0, len(made), batch)])
    began = time.perf_counter()
    await asyncio.gather(*(sim.push(plan) for sim, plan in zip(sims, plans, strict=True)))
    push_seconds = time.perf_counter() - began
    began = time.perf_counter()
    await asyncio.gather(*(sim.pull() for sim in sims))
    pull_seconds = time.perf_counter() - began
    await asyncio.gather(*(sim.client.aclose() for sim in sims))
    statuses: dict[str, int] = {}
    for sim in sims:
        for status, n in sim.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    total = devices * ops
    if statuses.get("applied", 0) + statuses.get("conflict", 0) != total:
        raise SystemExit(f"not every op was applied: {statuses}")
    pulled = sum(sim.pulled for sim in sims)
    return {
        "push_ops_per_s": total / push_seconds,
        "push_seconds": push_seconds,
        "push_p95_ms": 1000 * p95([x for sim in sims for x in sim.push_latencies]),
        "pull_records_per_s": pulled / pull_seconds,
        "pull_seconds": pull_seconds,
        "pull_p95_ms": 1000 * p95([x for sim in sims for x in sim.pull_latencies]),
        "pulled": pulled,
    }


def start_server(url: str, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "server", "serve", "--db", url, "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def bench(name: str, url: str, workdir: Path, args: argparse.Namespace) -> dict[str, float]:
    seeded = seed(url, args.devices)
    process, base = start_server(url, workdir / f"server-{name}.log")
    try:
        return asyncio.run(run_devices(base, seeded, args.devices, args.ops, args.batch))
    finally:
        process.terminate()
        process.wait(15)


def postgres_url() -> str | None:
    try:
        import psycopg

        name = f"besmart_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    except Exception as error:
        print(f"postgresql: skipped ({type(error).__name__})")
        return None


def drop_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def report(name: str, figures: dict[str, float], args: argparse.Namespace) -> None:
    print(
        f"{name}: {args.devices} devices x {args.ops} ops (batches of {args.batch}): "
        f"push {figures['push_ops_per_s']:.0f} ops/s ({figures['push_seconds']:.2f} s), "
        f"p95 push request {figures['push_p95_ms']:.0f} ms; "
        f"pull {figures['pulled']:.0f} records at {figures['pull_records_per_s']:.0f}/s, "
        f"p95 pull request {figures['pull_p95_ms']:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="besmart-bench-") as tmp:
        workdir = Path(tmp)
        if args.only != "sqlite":
            url = postgres_url()
            if url is not None:
                try:
                    results["postgresql"] = bench("postgresql", url, workdir, args)
                    report("postgresql", results["postgresql"], args)
                finally:
                    drop_postgres(url)
        if args.only != "postgresql":
            results["sqlite"] = bench("sqlite", f"sqlite:///{workdir / 'bench.db'}", workdir, args)
            report("sqlite", results["sqlite"], args)
    headline = results.get("sqlite") or results.get("postgresql")
    if headline is not None:
        print(f"push_ops_per_s {headline['push_ops_per_s']:.0f}")


if __name__ == "__main__":
    main()
