"""Benchmark: 50 devices pushing and pulling at once against a real server process, on SQLite and PostgreSQL.

Each simulated device (asyncio + httpx.AsyncClient, its own user) pushes 200 ops — clicker taps,
communications, new incidents and edits of them — in batches, then pulls until caught up. The ops are built
before the clock starts; the push phase is timed from the first request to the last answer.

    python bench/server_sync.py [--devices 50] [--ops 200] [--batch 100] [--only sqlite|postgresql]
                                [--pg-servers 2]

Each request carries the device's clock headers, as the client's engine sends them. Prints ops/s, p95
request latency and the server processes' CPU time per op during the push phase (less blurred by a busy
shared machine than wall-clock figures) per database; the last line is `push_ops_per_s <value>` for
SQLite (target: 2000 or more).
PostgreSQL runs when 127.0.0.1:5432 answers (BESMART_BENCH_PG_URL to change), with `--pg-servers` server
processes on the one database (devices spread over them). Every run is checked:
each device's pull cursors only move forward and bring back every record it created, and in SQL every op
is in the op log once, audited once and its record stored (`verify`).
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
from sqlalchemy import bindparam, text  # noqa: E402

from server.core.config import load_settings  # noqa: E402
from server.db import Database  # noqa: E402
from server.services import organisations as orgs  # noqa: E402
from sync.hlc import HybridClock  # noqa: E402
from sync.protocol import DEVICE_OFFSET_HEADER, DEVICE_TIME_HEADER  # noqa: E402
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


def seed(url: str, devices: int, children: int = CHILDREN) -> dict[str, Any]:
    """One organisation: a lead, one staff member per device, `children` children (20), each staff granted 3."""
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
        kids = [orgs.create_individual(s, org, f"Child{i}", "Bench") for i in range(children)]
        for i, user in enumerate(staff):
            for child in (kids[i % children], kids[(i + 1) % children], kids[(i + 7) % children]):
                orgs.grant_access(s, child, user)
        for i, child in enumerate(kids):
            orgs.set_key_staff(s, child, [staff[i % devices], lead])
    db.dispose()
    return {"org": org, "behaviours": behaviours, "children": kids, "staff": staff}


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
        self.pulled_ids: set[str] = set()
        self.statuses: dict[str, int] = {}
        self.sent: list[dict[str, Any]] = []
        self.problems: list[str] = []

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

    def build_ops(
        self, count: int, children: list[str], behaviours: list[str], rng: random.Random, only: str | None = None
    ) -> list[dict]:
        """A shift's worth of recording: mostly taps, some communications, incidents and edits of them; `only`
        ("tap", "communication", "incident": new ones) makes every op of that kind, to see what each costs."""
        ops: list[dict[str, Any]] = []
        incidents: list[dict[str, Any]] = []
        while len(ops) < count:
            child = rng.choice(children)
            now = dt.datetime.now(dt.UTC).isoformat()
            roll = {"tap": 0.1, "communication": 0.7, "incident": 0.8}[only] if only else rng.random()
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

    def clock_headers(self) -> dict[str, str]:
        """The device's wall clock on every push and pull, as the client's engine sends it (sync.gateway)."""
        return {DEVICE_TIME_HEADER: str(int(time.time() * 1000)), DEVICE_OFFSET_HEADER: "0"}

    async def push(self, bodies: list[bytes]) -> None:
        headers = {**self.headers, **self.clock_headers(), "Content-Type": "application/json"}
        for body in bodies:
            began = time.perf_counter()
            response = await self.client.post("/sync/push", content=body, headers=headers)
            self.push_latencies.append(time.perf_counter() - began)
            response.raise_for_status()
            for result in response.json()["results"]:
                self.statuses[result["status"]] = self.statuses.get(result["status"], 0) + 1

    async def pull(self, cursor: int = 0) -> int:
        """Pull pages from `cursor` until caught up; returns the last cursor."""
        while True:
            began = time.perf_counter()
            response = await self.client.get(
                "/sync/pull", params={"cursor": cursor, "limit": 500}, headers={**self.headers, **self.clock_headers()}
            )
            self.pull_latencies.append(time.perf_counter() - began)
            response.raise_for_status()
            page = response.json()
            self.pulled += len(page["changes"])
            self.pulled_ids.update(change["id"] for change in page["changes"])
            if page["cursor"] < cursor or (page["changes"] and page["cursor"] == cursor):
                self.problems.append(f"{self.email}: cursor went from {cursor} to {page['cursor']}")
            cursor = page["cursor"]
            if not page["more"]:
                return cursor

    def check_pulled(self) -> None:
        """Every record this device created came back in its pulls (none lost between push and pull)."""
        missing = {op["record_id"] for op in self.sent if op["action"] == "create"} - self.pulled_ids
        if missing:
            self.problems.append(f"{self.email}: {len(missing)} of its own records never pulled")


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far: a server's own cost, which a busy shared
    machine blurs far less than wall-clock throughput."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


async def run_devices(
    bases: list[str], seeded: dict[str, Any], devices: int, ops: int, batch: int, pids: list[int] | None = None
) -> tuple[dict[str, float], list[SimulatedDevice]]:
    rng = random.Random(7)
    sims = [SimulatedDevice(bases[i % len(bases)], f"staff{i}@bench.example") for i in range(devices)]
    await asyncio.gather(*(sim.login() for sim in sims))
    plans = []
    for i, sim in enumerate(sims):
        mine = [seeded["children"][j % CHILDREN] for j in (i, i + 1, i + 7)]
        made = sim.build_ops(ops, mine, seeded["behaviours"], rng)
        sim.sent = made
        # Encoded before the clock starts: the devices' own work is not what is measured.
        plans.append([json.dumps({"ops": made[k : k + batch]}).encode() for k in range(0, len(made), batch)])
    cpu_before, own_before = cpu_seconds(pids or []), time.process_time()
    began = time.perf_counter()
    await asyncio.gather(*(sim.push(plan) for sim, plan in zip(sims, plans, strict=True)))
    push_seconds = time.perf_counter() - began
    push_cpu = cpu_seconds(pids or []) - cpu_before
    # The devices' own share of the two cores while pushing: sending, reading each answer.
    client_cpu = time.process_time() - own_before
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
    for sim in sims:
        sim.check_pulled()
    pulled = sum(sim.pulled for sim in sims)
    figures = {
        "push_ops_per_s": total / push_seconds,
        "push_seconds": push_seconds,
        "push_p95_ms": 1000 * p95([x for sim in sims for x in sim.push_latencies]),
        "push_server_cpu_us_per_op": 1e6 * push_cpu / total,
        "push_client_cpu_us_per_op": 1e6 * client_cpu / total,
        "pull_records_per_s": pulled / pull_seconds,
        "pull_seconds": pull_seconds,
        "pull_p95_ms": 1000 * p95([x for sim in sims for x in sim.pull_latencies]),
        "pulled": pulled,
    }
    return figures, sims


def verify(url: str, sims: list[SimulatedDevice]) -> list[str]:
    """Checked in SQL: every op sent is in the op log exactly once, audited exactly once (one row per
    create/update), and every record created is stored; sequence numbers are unique and the counter is past
    them all. Returns the problems found, with the devices' own (cursors, records not pulled)."""
    problems = [problem for sim in sims for problem in sim.problems]
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            devices = [sim.device_id for sim in sims]
            logged: dict[str, int] = dict(
                conn.execute(
                    text("SELECT device_id, count(*) FROM op_log WHERE device_id IN :d GROUP BY device_id").bindparams(
                        bindparam("d", expanding=True)
                    ),
                    {"d": devices},
                ).all()
            )
            audited: dict[str, int] = dict(
                conn.execute(
                    text(
                        "SELECT device_id, count(*) FROM audit_log WHERE device_id IN :d"
                        " AND action IN ('create', 'update') GROUP BY device_id"
                    ).bindparams(bindparam("d", expanding=True)),
                    {"d": devices},
                ).all()
            )
            for sim in sims:
                if logged.get(sim.device_id, 0) != len(sim.sent):
                    problems.append(f"{sim.email}: {logged.get(sim.device_id, 0)} ops logged of {len(sim.sent)} sent")
                if audited.get(sim.device_id, 0) != len(sim.sent):
                    problems.append(f"{sim.email}: {audited.get(sim.device_id, 0)} ops audited of {len(sim.sent)}")
            created = [op["record_id"] for sim in sims for op in sim.sent if op["action"] == "create"]
            stored = 0
            for k in range(0, len(created), 5000):
                stored += conn.execute(
                    text("SELECT count(*) FROM record WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
                    {"ids": created[k : k + 5000]},
                ).scalar_one()
            if stored != len(created):
                problems.append(f"{stored} records stored of {len(created)} created")
            rows, distinct, top = conn.execute(text("SELECT count(*), count(DISTINCT seq), max(seq) FROM record")).one()
            counter = conn.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one()
            if rows != distinct or top > counter:
                problems.append(f"sequence numbers: {rows} records, {distinct} distinct, max {top}, counter {counter}")
    finally:
        db.dispose()
    return problems


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


def start_servers(url: str, count: int, workdir: Path, name: str) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    """`count` server processes on one database, each with its own log."""
    processes, bases = [], []
    try:
        for i in range(count):
            process, base = start_server(url, workdir / f"server-{name}-{i}.log")
            processes.append(process)
            bases.append(base)
    except BaseException:
        stop_servers(processes)
        raise
    return processes, bases


def stop_servers(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(15)


def bench(name: str, url: str, workdir: Path, args: argparse.Namespace, servers: int = 1) -> dict[str, float]:
    seeded = seed(url, args.devices)
    processes, bases = start_servers(url, servers, workdir, name)
    try:
        figures, sims = asyncio.run(
            run_devices(bases, seeded, args.devices, args.ops, args.batch, [p.pid for p in processes])
        )
    finally:
        stop_servers(processes)
    problems = verify(url, sims)
    if problems:
        raise SystemExit(f"{name}: {len(problems)} problem(s):\n" + "\n".join(problems[:20]))
    return figures


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


def report(name: str, figures: dict[str, float], args: argparse.Namespace, servers: int = 1) -> None:
    print(
        f"{name} ({servers} server process{'es' if servers > 1 else ''}): "
        f"{args.devices} devices x {args.ops} ops (batches of {args.batch}): "
        f"push {figures['push_ops_per_s']:.0f} ops/s ({figures['push_seconds']:.2f} s), "
        f"p95 push request {figures['push_p95_ms']:.0f} ms, "
        f"server CPU {figures['push_server_cpu_us_per_op']:.0f} µs/op "
        f"(the devices' {figures['push_client_cpu_us_per_op']:.0f}); "
        f"pull {figures['pulled']:.0f} records at {figures['pull_records_per_s']:.0f}/s, "
        f"p95 pull request {figures['pull_p95_ms']:.0f} ms; checked in SQL: nothing lost or doubled"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-servers", type=int, default=1, help="server processes on the PostgreSQL database")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="besmart-bench-") as tmp:
        workdir = Path(tmp)
        if args.only != "sqlite":
            url = postgres_url()
            if url is not None:
                try:
                    results["postgresql"] = bench("postgresql", url, workdir, args, args.pg_servers)
                    report("postgresql", results["postgresql"], args, args.pg_servers)
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
