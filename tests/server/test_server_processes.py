"""Two server processes on one database, serving pushes and pulls at once: every op applied once,
incident references unique and gap-free, concurrent edits of one record never lost, pulls through
either process see the same changes, and pulls made while both processes commit never skip a record."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from server.db import Database
from tests.support.server import Device, Org, ServerProcess

DEVICES_PER_SERVER = 4
BATCHES = 5


@pytest.fixture(scope="module")
def servers(db: Database, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    logs: Path = tmp_path_factory.mktemp("logs")
    processes = [ServerProcess(database_url, logs), ServerProcess(database_url, logs)]
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.stop()


def test_two_processes_serve_pushes_correctly(servers: list[ServerProcess], org: Org) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    devices = [Device(server.url, org.email("lena")) for server in servers for _ in range(DEVICES_PER_SERVER)]

    def work(device: Device) -> list[str]:
        statuses = []
        for batch in range(BATCHES):
            child = kim if batch % 2 else max_
            ops = [device.incident(child), device.tap(child, org.behaviour), device.incident(child)]
            statuses += [r.status for r in device.push(ops).results]
            statuses += [r.status for r in device.push(ops).results]  # a retry of the same batch
        return statuses

    with ThreadPoolExecutor(len(devices)) as pool:
        outcomes = list(pool.map(work, devices))
    for statuses in outcomes:
        assert statuses == (["applied"] * 3 + ["duplicate"] * 3) * BATCHES

    readers = [Device(server.url, org.email("lena")) for server in servers]
    for reader in readers:
        reader.pull(limit=37)
    incidents = [s for s in readers[0].of_kind("incident") if s.profile_id in (kim, max_)]
    assert len(incidents) == len(devices) * BATCHES * 2
    references = sorted(int(s.values()["reference"].split("-")[1]) for s in incidents)
    assert references == list(range(10001, 10001 + len(incidents)))  # unique, and no gaps
    assert {k: v.model_dump() for k, v in readers[0].records.items()} == {
        k: v.model_dump() for k, v in readers[1].records.items()
    }


def test_concurrent_edits_of_one_record_through_both_processes_are_all_kept(
    servers: list[ServerProcess], org: Org
) -> None:
    kim = org.children["kim"]
    author = Device(servers[0].url, org.email("lena"))
    incident = author.incident(kim)
    author.push([incident])
    editors = [Device(servers[i % 2].url, org.email("lena")) for i in range(8)]
    fields = [
        "pild_perspective",
        "pild_feelings",
        "pild_next_time",
        "pild_triggers",
        "pild_adjustments",
        "pild_comments",
        "pi_reason",
        "pi_injuries",
    ]

    def edit(pair: tuple[Device, str]) -> str:
        device, name = pair
        op = device.op(
            "incident",
            "update",
            {name: f"written by {device.device_id}"},
            record_id=incident["record_id"],
            profile_id=kim,
            reason="Corrected",  # the incident is submitted: an edit is an amendment
        )
        return device.push([op]).results[0].status

    with ThreadPoolExecutor(len(editors)) as pool:
        statuses = list(pool.map(edit, zip(editors, fields, strict=True)))
    assert set(statuses) <= {"applied", "conflict"}
    state = author.get(f"/records/{incident['record_id']}").json()
    for device, name in zip(editors, fields, strict=True):
        assert state["fields"][name]["value"] == f"written by {device.device_id}"  # no update was lost


def test_pulls_during_pushes_through_both_processes_never_skip_a_record(servers: list[ServerProcess], org: Org) -> None:
    """Pushes through both processes commit while readers page through both: a reader's cursor must never
    pass a record that commits after it, so once caught up each reader holds every record, at its latest
    state. (Numbers are handed out in commit order: a page that saw number N+1 committed never misses N.)"""
    kim, max_ = org.children["kim"], org.children["max"]
    pushers = [Device(server.url, org.email("lena")) for server in servers for _ in range(DEVICES_PER_SERVER)]
    readers = [Device(server.url, org.email("lena")) for server in servers]
    for reader in readers:
        reader.pull()
    done = threading.Event()

    def push(device: Device) -> list[dict[str, Any]]:
        sent = []
        for batch in range(BATCHES):
            child = kim if batch % 2 else max_
            ops = [device.tap(child, org.behaviour) for _ in range(6)] + [device.incident(child)]
            assert {r.status for r in device.push(ops).results} == {"applied"}
            sent += ops
        return sent

    def read(reader: Device) -> int:
        pages = 0
        while not done.is_set():
            before = reader.cursor
            page = reader.pull_page(limit=5)
            assert page.cursor >= before
            reader.apply(page)
            pages += 1
        return pages

    with ThreadPoolExecutor(len(pushers) + len(readers)) as pool:
        reading = [pool.submit(read, reader) for reader in readers]
        sent = [op for ops in pool.map(push, pushers) for op in ops]
        done.set()
        assert all(r.result() > 0 for r in reading)
    created = {op["record_id"] for op in sent}
    for reader in readers:
        reader.pull(limit=5)
        assert created <= set(reader.records)  # nothing skipped while pages and commits interleaved
    final = Device(servers[0].url, org.email("lena"))
    final.pull()
    for reader in readers:
        assert {k: v.model_dump() for k, v in reader.records.items()} == {
            k: v.model_dump() for k, v in final.records.items()
        }
