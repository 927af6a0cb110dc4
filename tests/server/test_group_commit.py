"""Group commit on SQLite (server.group_commit): the pushes that queue for the one writer share one transaction
and one commit, each in its own savepoint.

- a write that fails in a group rolls back only its own savepoint and its caller gets its own error; the
  others commit, in one commit;
- pushes made at once (grouped) give the same answers, op log and records as the same pushes one at a time;
- the server killed in the middle of grouped pushes loses nothing it answered, a batch is stored whole or not
  at all, and pushing everything again stores each op exactly once.

SQLite only: PostgreSQL runs its writers side by side, without groups.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from server.db import Database
from server.group_commit import GroupCommit
from tests.support.server import Device, Org, ServerProcess, seed_org, settings_for

# --- the group committer on its own, on a real SQLite file ---------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Any:
    db = Database(f"sqlite:///{tmp_path / 'group.db'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE item (name TEXT PRIMARY KEY)"))
    yield db
    db.dispose()


def names(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return sorted(row[0] for row in conn.execute(text("SELECT name FROM item")))


def queued_behind_a_held_writer(
    group: GroupCommit, works: list[Callable[[Any], Any]], before: Callable[[Any], Any] = lambda _s: None
) -> tuple[Any, list[Any]]:
    """Hold the writer with a first write (`before`, then a wait) while `works` queue behind it in this order,
    so they make the next group; then let it go. The first write's result, and each work's result or the
    exception it raised."""
    leading, release = threading.Event(), threading.Event()

    def first(session: Any) -> Any:
        result = before(session)
        leading.set()
        release.wait(10)  # hold the writer while the others queue behind it
        return result

    with ThreadPoolExecutor(len(works) + 1) as pool:
        head = pool.submit(group.run, first)
        assert leading.wait(10)
        futures = []
        for work in works:  # in this order: each waits until the one before is in the queue
            futures.append(pool.submit(group.run, work))
            deadline = time.monotonic() + 10
            while group.waiting < len(futures) and time.monotonic() < deadline:
                time.sleep(0.01)
        assert group.waiting == len(works)
        release.set()
        held = head.result(10)
        outcomes: list[Any] = []
        for future in futures:
            try:
                outcomes.append(future.result(10))
            except Exception as error:
                outcomes.append(error)
    return held, outcomes


def test_a_failing_write_in_a_group_costs_the_others_nothing(sqlite_db: Database) -> None:
    group = GroupCommit(sqlite_db)
    commits: list[int] = []
    event.listen(sqlite_db.engine, "commit", lambda _conn: commits.append(1))

    def first(session: Any) -> str:
        session.execute(text("INSERT INTO item VALUES ('first')"))
        return "first"

    def insert(name: str, *, then: Exception | None = None) -> Any:
        def work(session: Any) -> str:
            session.execute(text("INSERT INTO item VALUES (:n)"), {"n": name})
            if then is not None:
                raise then
            return name

        return work

    def duplicate(session: Any) -> str:
        session.execute(text("INSERT INTO item VALUES ('b')"))  # 'b' is inserted earlier in the same group
        return "never"

    queued = [
        insert("a"),
        insert("b"),
        insert("broken", then=ValueError("this push failed")),
        duplicate,
        insert("c"),
    ]
    held, outcomes = queued_behind_a_held_writer(group, queued, before=first)
    assert held == "first"

    assert outcomes[0:2] == ["a", "b"] and outcomes[4] == "c"
    assert isinstance(outcomes[2], ValueError) and str(outcomes[2]) == "this push failed"
    assert isinstance(outcomes[3], IntegrityError)
    # The first write alone, then the five queued behind it in one group: two commits, two fsyncs.
    assert (group.groups, group.works, len(commits)) == (2, 6, 2)
    assert names(sqlite_db) == ["a", "b", "c", "first"]  # nothing of the failed ones


def test_writes_one_after_another_commit_one_by_one(sqlite_db: Database) -> None:
    group = GroupCommit(sqlite_db)
    for name in ("x", "y"):
        assert group.run(lambda s, n=name: s.execute(text("INSERT INTO item VALUES (:n)"), {"n": n}).rowcount) == 1
        assert name in names(sqlite_db)  # committed before the answer
    assert (group.groups, group.works, group.waiting) == (2, 2, 0)


def test_a_group_whose_commit_fails_runs_each_write_alone(sqlite_db: Database) -> None:
    """A group that cannot commit (here: a write leaves a deferred foreign key broken, which SQLite reports
    only at COMMIT) has written nothing: each of its writes runs again alone and gets its own answer."""
    with sqlite_db.engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE child (id TEXT, parent TEXT REFERENCES item(name) DEFERRABLE INITIALLY DEFERRED)")
        )
    group = GroupCommit(sqlite_db)

    def orphan(session: Any) -> str:
        session.execute(text("INSERT INTO child VALUES ('c1', 'nobody')"))
        return "orphan"

    def good(session: Any) -> str:
        session.execute(text("INSERT INTO item VALUES ('good')"))
        return "good"

    _held, (bad, good_answer) = queued_behind_a_held_writer(group, [orphan, good])
    assert good_answer == "good"
    assert isinstance(bad, IntegrityError)
    assert names(sqlite_db) == ["good"]


def test_a_group_whose_transaction_sqlite_ended_runs_each_write_alone(sqlite_db: Database) -> None:
    """After some errors (a full disk, an I/O error) SQLite rolls the whole transaction back by itself. The
    writes after it must not then run (and commit) outside the group, to be run a second time: here a write
    ends the transaction itself and fails; the others are each written once, and answered."""
    group = GroupCommit(sqlite_db)

    def insert(name: str) -> Any:
        return lambda session: session.execute(text("INSERT INTO item VALUES (:n)"), {"n": name}).rowcount

    def saboteur(session: Any) -> None:
        session.connection().exec_driver_sql("ROLLBACK")  # what SQLite does on its own after such errors
        raise OSError("disk full")

    _held, outcomes = queued_behind_a_held_writer(group, [insert("a"), saboteur, insert("c")])
    assert outcomes[0] == 1 and outcomes[2] == 1
    assert isinstance(outcomes[1], OSError)
    assert names(sqlite_db) == ["a", "c"]


# --- pushes through a real server ---------------------------------------------------------------------

DEVICES = 8


@pytest.fixture
def two_copies(tmp_path: Path) -> tuple[str, str, Org]:
    """One seeded organisation in two SQLite files with the very same ids: one server takes pushes at once,
    the other one at a time."""
    first = f"sqlite:///{tmp_path / 'grouped.db'}"
    db = Database(first)
    db.upgrade()
    org = seed_org(db, settings_for(first))
    for i in range(DEVICES):
        org.add_user(f"staff{i}")
        org.grant("kim", f"staff{i}")
    db.dispose()
    with sqlite3.connect(tmp_path / "grouped.db") as conn:  # everything in the main file before copying it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(tmp_path / "grouped.db", tmp_path / "sequential.db")
    return first, f"sqlite:///{tmp_path / 'sequential.db'}", org


def batches_for(device: Device, org: Org, incident_id: str, rng: random.Random) -> list[list[dict[str, Any]]]:
    """Three batches: taps, new incidents (numbered and notified), and concurrent edits of one shared
    incident (no base: every device's edit is concurrent with the others', so they conflict)."""
    kim = org.children["kim"]
    out = []
    for _ in range(3):
        ops = [device.tap(kim, org.behaviour) for _ in range(10)]
        ops.append(device.incident(kim))
        field = rng.choice(["location", "what_happened_before"])
        ops.append(device.op("incident", "update", {field: f"said by {device.device_id}"}, record_id=incident_id,
                             profile_id=kim, base={}, reason="Corrected after the debrief"))  # fmt: skip
        out.append(ops)
    return out


def snapshot(url: str) -> dict[str, Any]:
    """What the pushes left: the op log, the audit rows per device and action, every record a device made
    (state without its number), the notifications as (recipient, kind, record) and the references given."""
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            op_log = sorted(conn.execute(text("SELECT device_id, op_id, status, record_id FROM op_log")).all())
            audit = Counter(conn.execute(text("SELECT device_id, action FROM audit_log WHERE device_id IS NOT NULL")))
            records = {
                row.id: comparable(row.state)
                for row in conn.execute(
                    text("SELECT id, state FROM record WHERE kind IN ('clicker_event', 'incident')")
                )
            }
            notes = Counter(
                conn.execute(
                    text(
                        "SELECT json_extract(state, '$.fields.recipient_id.value'),"
                        " json_extract(state, '$.fields.kind.value'), json_extract(state, '$.fields.record_id.value')"
                        " FROM record WHERE kind = 'notification'"
                    )
                )
            )
            references = sorted(
                row[0] for row in conn.execute(text("SELECT reference FROM record WHERE reference IS NOT NULL"))
            )
            seqs = conn.execute(text("SELECT count(*), count(DISTINCT seq) FROM record")).one()
    finally:
        db.dispose()
    return {
        "op_log": op_log,
        "audit": audit,
        "records": records,
        "notes": notes,
        "references": references,
        "seqs": seqs,
    }


def applied_order(url: str) -> list[tuple[str, int]]:
    """The devices' batches, as (device, first op id), in the order they were written (op log rowids)."""
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT device_id, min(op_id) FROM (SELECT rowid, device_id, op_id,"
                    " (op_id - 1) / 12 AS batch FROM op_log WHERE device_id LIKE 'device-%')"
                    " GROUP BY device_id, batch ORDER BY min(rowid)"
                )
            ).all()
    finally:
        db.dispose()
    return [(row[0], row[1]) for row in rows]


def comparable(raw: str) -> dict[str, Any]:
    """A record state with the stamps of the server's own writes (a reference) left out: they are the
    server's clock readings, which differ between two servers."""
    state = json.loads(raw)
    for value in state["fields"].values():
        if value["device_id"] == "server":
            value["version"] = "server"
    return state


def test_pushes_made_at_once_give_what_pushes_one_at_a_time_give(
    two_copies: tuple[str, str, Org], tmp_path: Path
) -> None:
    grouped_url, sequential_url, org = two_copies
    grouped = ServerProcess(grouped_url, tmp_path).start()
    sequential = ServerProcess(sequential_url, tmp_path).start()
    try:
        lena = Device(grouped.url, org.email("lena"), device_id="lena-device")
        present = [org.users[f"staff{i}"] for i in range(DEVICES)]
        shared = lena.incident(org.children["kim"], staff_present=present)
        lena.push([shared])
        Device(sequential.url, org.email("lena"), device_id="lena-device").push([shared])
        rng = random.Random(3)
        devices = [Device(grouped.url, org.email(f"staff{i}"), device_id=f"device-{i}") for i in range(DEVICES)]
        plans = [batches_for(device, org, shared["record_id"], rng) for device in devices]
        twins = [Device(sequential.url, org.email(f"staff{i}"), device_id=f"device-{i}") for i in range(DEVICES)]

        start = threading.Barrier(DEVICES)

        def push_all(device: Device, plan: list[list[dict[str, Any]]]) -> list[list[tuple[int, str, str | None]]]:
            start.wait()
            return [[(r.op_id, r.status, r.reason) for r in device.push(ops).results] for ops in plan]

        with ThreadPoolExecutor(DEVICES) as pool:
            at_once = list(pool.map(push_all, devices, plans))
        # The same batches one at a time, in the order the grouped server applied them (which op is the one
        # that finds a conflict depends on the order, grouped or not): its op log's insertion order.
        order = applied_order(grouped_url)
        one_by_one: list[list[list[tuple[int, str, str | None]]]] = [[[] for _ in plan] for plan in plans]
        for device_id, first_op in order:
            i = int(device_id.rsplit("-", 1)[1])
            number = next(n for n, ops in enumerate(plans[i]) if ops[0]["op_id"] == first_op)
            answer = twins[i].push(plans[i][number])
            one_by_one[i][number] = [(r.op_id, r.status, r.reason) for r in answer.results]
    finally:
        grouped.stop()
        sequential.stop()

    assert len(order) == DEVICES * 3
    assert at_once == one_by_one
    assert {status for device in at_once for batch in device for _, status, _ in batch} == {"applied", "conflict"}
    a, b = snapshot(grouped_url), snapshot(sequential_url)
    assert a["op_log"] == b["op_log"] and a["audit"] == b["audit"] and a["notes"] == b["notes"]
    assert a["records"] == b["records"]  # the same states, conflicts and references
    assert a["references"] == b["references"]
    assert len(set(a["references"])) == len(a["references"]) == 1 + DEVICES * 3  # none twice
    assert a["seqs"][0] == a["seqs"][1]  # sequence numbers unique


def test_server_killed_mid_group_loses_nothing_answered_and_doubles_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    db = Database(url)
    db.upgrade()
    org = seed_org(db, settings_for(url))
    for i in range(DEVICES):
        org.add_user(f"staff{i}")
        org.grant("kim", f"staff{i}")
    kim = org.children["kim"]
    first = ServerProcess(url, tmp_path).start()
    devices = [Device(first.url, org.email(f"staff{i}"), device_id=f"device-{i}") for i in range(DEVICES)]
    plans = [[[device.tap(kim, org.behaviour) for _ in range(40)] for _ in range(30)] for device in devices]
    answered: list[set[int]] = [set() for _ in devices]  # batch numbers whose answer arrived
    stop = threading.Event()

    def push_until_killed(i: int) -> None:
        for number, ops in enumerate(plans[i]):
            if stop.is_set():
                return
            try:
                results = devices[i].push(ops).results
            except (httpx.HTTPError, AssertionError):
                return  # the server died with this batch in flight
            assert [r.status for r in results] == ["applied"] * len(ops)
            answered[i].add(number)

    with ThreadPoolExecutor(DEVICES) as pool:
        running = [pool.submit(push_until_killed, i) for i in range(DEVICES)]
        while sum(len(a) for a in answered) < DEVICES * 3:  # well into the run: groups forming all the time
            time.sleep(0.01)
        time.sleep(random.Random(os.getpid()).uniform(0, 0.2))
        assert first.process is not None
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        stop.set()
        for future in running:
            future.result(60)

    second = ServerProcess(url, tmp_path).start()
    try:
        for i, device in enumerate(devices):
            again = Device(second.url, org.email(f"staff{i}"), device_id=device.device_id)
            for number, ops in enumerate(plans[i]):
                statuses = {r.status for r in again.push(ops).results}
                if number in answered[i]:
                    assert statuses == {"duplicate"}, f"device {i} batch {number}: answered, yet not stored"
                else:
                    # Stored whole (its group committed, the answer was lost) or not at all: never half.
                    assert statuses in ({"duplicate"}, {"applied"}), f"device {i} batch {number}: {statuses}"
    finally:
        second.stop()
    with db.engine.connect() as conn:
        for device, plan in zip(devices, plans, strict=True):
            logged = conn.execute(
                text("SELECT op_id FROM op_log WHERE device_id = :d ORDER BY op_id"), {"d": device.device_id}
            ).scalars()
            assert list(logged) == [op["op_id"] for ops in plan for op in ops]
        taps = conn.execute(
            text("SELECT count(*) FROM record WHERE kind = 'clicker_event' AND profile_id = :p"), {"p": kim}
        ).scalar_one()
    db.dispose()
    assert taps == sum(len(ops) for plan in plans for ops in plan)
