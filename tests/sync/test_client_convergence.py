"""Hypothesis stateful test: five devices (three people) write offline — taps, communications, concurrent
edits of the same incidents — through random partitions, duplicated and reordered requests and restarts,
against the real server. After a final sync every device and the server agree, and every value written is
the current one, a kept conflict, or was seen and overwritten on purpose by a later writer.

CI runs 50 examples (derandomised: the same 50 every run; 1.4-2 s each, the suite's longest test);
BESMART_SOAK=1 runs 2,000 random ones, and BESMART_EXAMPLES=N any number.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from server.db import Database
from server.models import Record
from sync.gateway import SESSION_SECRET
from sync.merge import RecordState
from sync.ops import Op
from tests.support.client import ClientDevice
from tests.support.server import Org, ServerProcess, seed_org

EXAMPLES = int(os.environ.get("BESMART_EXAMPLES") or (2000 if os.environ.get("BESMART_SOAK") else 50))
FIELDS = ["location", "what_happened", "pild_triggers"]
WORDS = st.sampled_from(["hall", "yard", "lab", "calm", "upset", "door", "lunch", "music"])


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"  # the property is about the sync protocol; the server tests cover both databases


class Devices(RuleBasedStateMachine):
    """The model: which devices are online, what each wrote, what each pushed (to replay)."""

    server: ServerProcess
    db: Database
    org_factory: object
    tmp: Path
    counter = 0

    @initialize()
    def setup(self) -> None:
        Devices.counter += 1
        self.org: Org = self.org_factory()  # type: ignore[operator]
        self.kim = self.org.children["kim"]
        base = self.tmp / f"example-{Devices.counter}"
        people = ["lena", "lena", "sam", "sam", "tia"]
        with ThreadPoolExecutor(5) as pool:  # signing in and creating stores waits on I/O: overlap it
            self.devices = list(
                pool.map(
                    lambda ip: ClientDevice.create(self.server.url, self.org.email(ip[1]), base / f"{ip[1]}-{ip[0]}"),
                    enumerate(people),
                )
            )
        self.people = people
        self.online = [True] * 5
        self.written: list[Op] = []
        self.pushed: list[list[dict]] = []
        lena, sam = self.devices[0], self.devices[2]
        for device in (lena, sam):
            device.sync()
        self.incidents = [self._incident(lena, "Shouted in assembly"), self._incident(sam, "Left the lesson")]
        for device in (lena, sam, *self.devices):  # push both incidents, then bring everything everywhere
            device.sync()

    def _incident(self, device: ClientDevice, text: str) -> str:
        draft = device.services.incidents.start(self.kim)
        device.services.incidents.save_page(draft.id, {"what_happened": text, "location": "hall"})
        return device.services.incidents.submit(draft.id)

    def _write(self, index: int, kind: str, action: str, fields: dict, **ids: str) -> None:
        device = self.devices[index]
        op = device.store.write(kind, action, fields, actor_id=device.user_id, **ids)
        self.written.append(op)

    # --- rules ----------------------------------------------------------------------------------

    @rule(index=st.integers(0, 4))
    def tap(self, index: int) -> None:
        device = self.devices[index]
        behaviour = device.services.clicker.buttons(self.kim)[0].behaviour_type_id
        self._write(
            index,
            "clicker_event",
            "create",
            {
                "behaviour_type_id": behaviour,
                "staff_id": device.user_id,
                "occurred_at": "2026-11-23T10:00:00Z",
                "device_id": device.store.device_id,
            },
            profile_id=self.kim,
        )

    @rule(index=st.integers(0, 4), word=WORDS)
    def communicate(self, index: int, word: str) -> None:
        self._write(
            index,
            "communication",
            "create",
            {
                "valence": "n/a",
                "author_id": self.devices[index].user_id,
                "message": word,
                "created_at": "2026-11-23T10:00:00Z",
            },
            profile_id=self.kim,
        )

    @rule(index=st.integers(0, 3), which=st.integers(0, 1), field=st.sampled_from(FIELDS), word=WORDS)
    def edit(self, index: int, which: int, field: str, word: str) -> None:
        # Leads (0, 1) may edit both incidents; Sam (2, 3) his own (the second). Tia only taps and writes.
        if index >= 2 and which == 0:
            which = 1
        self._write(
            index,
            "incident",
            "update",
            {field: f"{word} {len(self.written)}"},
            record_id=self.incidents[which],
            reason="Corrected",  # the incidents are submitted: every edit is an amendment
        )

    @rule(index=st.integers(0, 4))
    def sync(self, index: int) -> None:
        if self.online[index]:
            self.devices[index].sync()

    @rule(index=st.integers(0, 4))
    def partition(self, index: int) -> None:
        self.online[index] = not self.online[index]

    @rule(index=st.integers(0, 4))
    def restart(self, index: int) -> None:
        self.devices[index] = self.devices[index].reopen()

    @rule(index=st.integers(0, 4), data=st.data())
    def send_out_of_order(self, index: int, data: st.DataObject) -> None:
        """Push some pending ops reversed, without telling the device: it will send them again later."""
        device = self.devices[index]
        pending = [op.model_dump(mode="json") for op in device.store.pending_ops(50)]
        if not pending or not self.online[index]:
            return
        batch = list(
            reversed(data.draw(st.lists(st.sampled_from(pending), unique_by=lambda o: o["op_id"], min_size=1)))
        )
        self._raw_push(device, batch)
        self.pushed.append([device.store.device_id, batch])  # type: ignore[list-item]

    @precondition(lambda self: bool(self.pushed))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        device_id, batch = data.draw(st.sampled_from(self.pushed))
        device = next(d for d in self.devices if d.store.device_id == device_id)
        self._raw_push(device, batch)

    def _raw_push(self, device: ClientDevice, batch: list[dict]) -> None:
        token = device.store.get_secret(SESSION_SECRET)["access_token"]
        response = httpx.post(
            f"{self.server.url}/sync/push", json={"ops": batch}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        assert all(r["status"] != "rejected" for r in response.json()["results"])

    @invariant()
    def nothing_is_refused(self) -> None:
        # Every writer here is allowed to write what it writes: no op may be quarantined or rejected.
        for device in self.devices:
            assert all(i.details["status"] == "conflict" for i in device.store.sync_issues())

    # --- the end --------------------------------------------------------------------------------

    def teardown(self) -> None:
        if not hasattr(self, "devices"):
            return
        for _round in range(2):
            for device in self.devices:
                device.sync()
        server_states = self._server_states()
        for device in self.devices:
            assert device.store.pending_count() == 0
            for record_id, state in server_states.items():
                if state.deleted:
                    continue
                shown = device.store.get(record_id)
                assert shown is not None, f"{state.kind} {record_id} missing on a device"
                assert shown.values == state.values(), f"{state.kind} differs on a device"
                assert shown.conflicts == state.conflicts
        for op in self.written:
            state = server_states[op.record_id]
            kept = {(c.field, c.version): c.value for c in state.conflicts}
            for name, value in op.changes().items():
                current = state.fields[name]
                if current.version == op.hlc:
                    assert current.value == value
                elif (name, op.hlc) in kept:
                    assert kept[(name, op.hlc)] == value
                else:
                    assert op.hlc in state.seen.get(name, []), f"{name} written at {op.hlc} was lost"
        for device in self.devices:
            device.close()

    def _server_states(self) -> dict[str, RecordState]:
        with self.db.session() as s:
            rows = s.exec(select(Record.id, Record.state).where(Record.profile_id == self.kim)).all()
        return {
            row[0]: RecordState.model_validate_json(row[1])
            if isinstance(row[1], str)
            else RecordState.model_validate(row[1])
            for row in rows
        }


def test_devices_and_server_converge(server: ServerProcess, db: Database, settings, tmp_path, memory_keyring):
    Devices.server = server
    Devices.db = db
    Devices.tmp = tmp_path
    Devices.org_factory = staticmethod(lambda: seed_org(db, settings))
    run = Devices.TestCase
    run.settings = run_settings()
    run().runTest()


def run_settings() -> hypothesis_settings:
    return hypothesis_settings(
        max_examples=EXAMPLES,
        stateful_step_count=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
        derandomize=not os.environ.get("BESMART_SOAK"),
    )
