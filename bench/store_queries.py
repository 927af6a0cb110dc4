"""Benchmark: the store's reads that find records' queued ops, on a used device, with a full outbox.

A device holding `--records` synced records of 50 individuals (nine clicker taps in ten, the rest incidents),
then `--queued` local ops (taps and incident edits) waiting to sync. Timed, each the best of `--repeat` runs
(CPU time of this thread: the reads are CPU-bound, and the machine is shared):

- a profile's clicker taps of one day and of the last 7 days (the clicker screen), its incidents;
- every incident (a lead's list), one record by id, one record's queued ops (its history);
- applying a pulled page of 1,000 records under the queued ops.

    python bench/store_queries.py [--records 20000] [--queued 2000] [--repeat 30]

Last line: `store_queries_total_ms <sum of the best times>`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BESMART_KDF_TEST_FAST", "1")  # key derivation is not what we measure

import keyring

from bench.tap import _MemoryKeyring
from localdb.store import LocalStore
from sync.hlc import Stamp
from sync.merge import RecordState, apply_op
from sync.ops import Op, validate_op

START = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def pulled_states(count: int, profiles: list[str], behaviour: str) -> list[RecordState]:
    """Records as the server would send them, written by another device over `count` minutes."""
    states = []
    for n in range(count):
        when = START + dt.timedelta(minutes=n)
        kind = "incident" if n % 10 == 0 else "clicker_event"
        if kind == "incident":
            fields: dict[str, Any] = {
                "recorded_by": "u2",
                "recorded_at": when.isoformat(),
                "occurred_at": when.isoformat(),
                "what_happened": f"Left the room, {n}",
            }
        else:
            fields = {"behaviour_type_id": behaviour, "staff_id": "u2", "occurred_at": when.isoformat()}
            fields["device_id"] = "other"
        op = validate_op(
            Op(
                op_id=n + 1,
                device_id="other",
                actor_id="u2",
                record_id=str(uuid.UUID(int=n + 1)),
                kind=kind,
                profile_id=profiles[(n // 7) % len(profiles)],
                action="create",
                fields=fields,
                base={},
                hlc=Stamp(int(when.timestamp() * 1000), 0, "other").encode(),
            )
        )
        state, _ = apply_op(None, op)
        assert state is not None
        states.append(state)
    return states


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    """The least CPU time of this thread over `repeat` calls (what other processes' load changes least)."""
    times = []
    for _ in range(repeat):
        start = time.thread_time()
        fn()
        times.append((time.thread_time() - start) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--queued", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    keyring.set_keyring(_MemoryKeyring())

    with tempfile.TemporaryDirectory(prefix="besmart-bench-") as tmp:
        store = LocalStore(Path(tmp) / "store")
        store.initialise("bench-passcode")
        profiles = [
            store.write("individual", "create", {"first_name": f"P{n}", "last_name": "X"}, actor_id="u1").record_id
            for n in range(50)
        ]
        behaviour = store.write("behaviour_type", "create", {"label": "On task", "valence": "positive"}, actor_id="u1")
        store.acknowledge(op.op_id for op in store.pending_ops(limit=100))
        states = pulled_states(args.records, profiles, behaviour.record_id)
        for start in range(0, len(states), 1000):
            store.apply_pulled(states[start : start + 1000], cursor=start)
        incidents = [s.id for s in states if s.kind == "incident"]
        child = profiles[0]
        store.db.execute("PRAGMA synchronous=OFF")  # only the setup: the reads are what is timed
        for n in range(args.queued):
            if n % 10 == 0:
                store.write(
                    "incident",
                    "update",
                    {"what_happened": f"Edited {n}"},
                    actor_id="u1",
                    record_id=incidents[n % len(incidents)],
                )
            else:
                store.write(
                    "clicker_event",
                    "create",
                    {
                        "behaviour_type_id": behaviour.record_id,
                        "staff_id": "u1",
                        "occurred_at": (START + dt.timedelta(days=13, seconds=n)).isoformat(),
                        "device_id": "d",
                    },
                    actor_id="u1",
                    profile_id=profiles[n % 5],
                )
        store.db.execute("PRAGMA synchronous=FULL")
        day = START + dt.timedelta(days=13)
        edited = incidents[0]
        page = pulled_states(1000, profiles, behaviour.record_id)
        reads: dict[str, Callable[[], object]] = {
            "clicker taps of a day (one profile)": lambda: store.clicker_events(child, day, day + dt.timedelta(days=1)),
            "clicker taps of 7 days (one profile)": lambda: store.clicker_events(
                child, day - dt.timedelta(days=6), day + dt.timedelta(days=1)
            ),
            "a profile's incidents": lambda: store.incidents(profile_id=child),
            "every incident": lambda: store.incidents(),
            "one record by id": lambda: store.get(edited),
            "one record's queued ops": lambda: store.pending_ops_of(edited),
            "a pulled page of 1,000 under the queue": lambda: store.apply_pulled(page, cursor=args.records),
        }
        total = 0.0
        print(f"{args.records} records, {store.pending_count()} queued ops, best of {args.repeat}")
        for name, fn in reads.items():
            found = fn()
            took = best_ms(fn, args.repeat)
            total += took
            size = f" ({len(found)} rows)" if isinstance(found, list) else ""
            print(f"  {name:42s} {took:8.3f} ms{size}")
        store.close()
    print(f"store_queries_total_ms {total:.1f}")


if __name__ == "__main__":
    main()
