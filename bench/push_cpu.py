"""Benchmark: the server's CPU per pushed op, in one process, without a network or other requests in the way.

The same organisation, devices and ops as `bench/server_sync.py` (its `seed` and `SimulatedDevice`), each
device signed in; then every batch is pushed one after another through the app (FastAPI's TestClient: body
reading, the caller's token, the push, the answer) or, with `--service`, straight to
`server.services.push.push`. The collector is set as the server's `serve` command sets it (collect, freeze,
threshold 50,000 / 20 / 100), so the figure is the server's work and not the collector's.

    python bench/push_cpu.py [--devices 50] [--ops 200] [--batch 100] [--service] [--repeat 1]
                             [--only tap|communication|incident]

Prints the CPU time (user + system of this process) per op of each repetition; the last line is
`push_cpu_us_per_op <best>`. The CPU time still moves with a busy machine; for a figure that does not, run
it under callgrind, which then counts the instructions of the pushes alone (the counters are zeroed before
them and dumped after, as part 1 of the output file):

    valgrind --tool=callgrind python bench/push_cpu.py --devices 8 --callgrind
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    {"BESMART_ARGON2_TIME_COST": "1", "BESMART_ARGON2_MEMORY_KIB": "1024", "BESMART_LOGIN_MAX_PER_ADDRESS": "100000"}
)

from fastapi.testclient import TestClient  # noqa: E402

from bench.server_sync import CHILDREN, ENV, PASSWORD, SimulatedDevice, seed  # noqa: E402
from server.app import create_app  # noqa: E402
from server.core.config import load_settings  # noqa: E402
from server.db import Database  # noqa: E402
from server.services import push as push_service  # noqa: E402
from server.services.accounts import authenticate  # noqa: E402
from sync.protocol import PushRequest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--service", action="store_true", help="call the push service, not the route")
    parser.add_argument("--repeat", type=int, default=1, help="fresh database and devices each time")
    parser.add_argument("--callgrind", action="store_true", help="zero and dump callgrind's counters around it")
    parser.add_argument(
        "--only", choices=("tap", "communication", "incident"), help="every op of one kind (incident: new ones)"
    )
    args = parser.parse_args()
    figures = [run(args) for _ in range(args.repeat)]
    print(f"push_cpu_us_per_op {min(figures):.1f}")


def run(args: argparse.Namespace) -> float:
    work = Path(tempfile.mkdtemp(prefix="push-cpu-"))
    url = f"sqlite:///{work}/bench.db"
    seeded = seed(url, args.devices)
    settings = load_settings({**os.environ, **ENV, "BESMART_DATABASE_URL": url})
    app = create_app(settings, Database(url))
    state = app.state.server
    rng = random.Random(7)
    pushes: list[tuple[str, bytes]] = []
    with TestClient(app) as client:
        devices = []
        for i in range(args.devices):
            device = SimulatedDevice("http://bench", f"staff{i}@bench.example")
            answer = client.post(
                "/auth/login", json={"email": device.email, "password": PASSWORD, "device_id": device.device_id}
            )
            answer.raise_for_status()
            device.user_id = answer.json()["user"]["id"]
            children = [seeded["children"][(i + k) % CHILDREN] for k in (0, 1, 7)]  # the ones granted by `seed`
            ops = device.build_ops(args.ops, children, seeded["behaviours"], rng, only=args.only)
            batches = [json.dumps({"ops": ops[k : k + args.batch]}).encode() for k in range(0, len(ops), args.batch)]
            devices.append((answer.json()["access_token"], batches))
        # Round by round, every device's next batch, as the devices of server_sync.py send them.
        for round_ in range(max(len(batches) for _, batches in devices)):
            pushes.extend((token, batches[round_]) for token, batches in devices if round_ < len(batches))

        def through_route(token: str, body: bytes) -> None:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            client.post("/sync/push", content=body, headers=headers).raise_for_status()

        def through_service(token: str, body: bytes) -> None:
            caller = authenticate(state.db, token)
            assert caller is not None
            push_service.push(state.db, state.settings, state.clock, caller, PushRequest.model_validate_json(body))

        push = through_service if args.service else through_route
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        if args.callgrind:
            subprocess.run(["callgrind_control", "--zero", str(os.getpid())], check=False, capture_output=True)
        began = time.process_time()
        for token, body in pushes:
            push(token, body)
        spent = time.process_time() - began
        if args.callgrind:
            subprocess.run(["callgrind_control", "--dump=pushes", str(os.getpid())], check=False, capture_output=True)
    ops = args.devices * args.ops
    figure = 1e6 * spent / ops
    load = os.getloadavg()[0]
    way = "service" if args.service else "route"
    print(f"{ops} ops through the {way}: CPU {figure:.1f} µs/op (load {load:.2f})")
    return figure


if __name__ == "__main__":
    main()
