"""Property test against the real server: devices edit the same incidents offline, sync in any order,
replay batches — and everyone ends with the same records, equal to the pure merge of every op, with every
concurrent value that lost kept as a conflict."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.core.config import Settings
from server.db import Database
from sync.merge import merge_ops
from sync.ops import Op, validate_op
from sync.records import Role
from tests.support.server import Device, ServerProcess, seed_org

FIELDS = ["location", "what_happened_before", "pild_triggers"]

step = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 1), st.sampled_from(FIELDS), st.booleans()),
    st.tuples(st.just("sync"), st.integers(0, 2), st.integers(1, 4), st.booleans()),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=4, max_size=25), seed=st.integers(0, 2**16))
def test_devices_converge_whatever_the_order(
    server: ServerProcess, db: Database, settings: Settings, steps: list[tuple[Any, ...]], seed: int
) -> None:
    rng = random.Random(seed)
    org = seed_org(db, settings)
    org.add_user("lou", Role.LEAD)
    kim = org.children["kim"]
    devices = [Device(server.url, org.email(name)) for name in ("lena", "ada", "lou")]
    incidents = [devices[0].incident(kim) for _ in range(2)]
    devices[0].push(incidents)
    all_ops: list[dict[str, Any]] = list(incidents)
    pending: list[list[dict[str, Any]]] = [[], [], []]
    for device in devices:
        device.pull()
    counter = 0

    def sync(index: int, batch: int, replay: bool) -> None:
        device, queue = devices[index], pending[index]
        while queue:
            chunk, queue[:] = queue[:batch], queue[batch:]
            results = device.push(chunk).results
            assert {r.status for r in results} <= {"applied", "conflict"}
            if replay:
                assert {r.status for r in device.push(chunk).results} == {"duplicate"}
        device.pull(limit=rng.choice([1, 3, 500]))

    for action in steps:
        if action[0] == "edit":
            _, index, which, field, seen = action
            device, record_id = devices[index], incidents[which]["record_id"]
            counter += 1
            op = device.op(
                "incident", "update", {field: f"v{counter}"}, reason="Corrected", record_id=record_id, profile_id=kim
            )
            if not seen:
                op["base"] = {}
            pending[index].append(op)
            all_ops.append(op)
        else:
            sync(*action[1:])
    for index in rng.sample(range(3), 3):
        sync(index, 500, False)
    for device in devices:
        device.pull()

    for incident in incidents:
        record_id = incident["record_id"]
        states = [d.records[record_id] for d in devices]
        assert all(s == states[0] for s in states)  # everyone holds the same record
        ops = [validate_op(Op.model_validate(o)) for o in all_ops if o["record_id"] == record_id]
        rng.shuffle(ops)
        expected = merge_ops(ops)
        assert expected is not None
        for field in FIELDS:
            assert states[0].fields[field] == expected.fields[field]
            assert [c for c in states[0].conflicts if c.field == field] == [
                c for c in expected.conflicts if c.field == field
            ]
