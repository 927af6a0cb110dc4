"""How records are laid out on the device: the compact form round-trips every part of a merged state, older
blobs stay readable, and a synced record's server state is not stored twice (yet survives a local edit)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from localdb.codec import data_json, decode_state, encode_state, plain_values, state_json
from localdb.store import SAME_AS_BODY, LocalStore
from sync.hlc import Stamp
from sync.merge import RecordState, RecordStateData, apply_op
from sync.ops import Op, validate_op

PASSCODE = "correct-horse-1"
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
CHILD = "01a2321e-9ec1-7977-a26c-c34a0e687140"
RECORD = "01a2321e-9ec1-736e-b2a8-717b5949ef51"


@pytest.fixture
def store(tmp_path: Path, memory_keyring) -> LocalStore:
    opened = LocalStore(tmp_path / "data")
    opened.initialise(PASSCODE)
    yield opened
    opened.close()


def op(op_id: int, device: str, action: str, fields: dict, *, ms: int = 0, base: dict | None = None) -> Op:
    return validate_op(
        Op(
            op_id=op_id,
            device_id=device,
            actor_id=f"actor-{device}",
            record_id=RECORD,
            kind="incident",
            profile_id=CHILD,
            action=action,
            fields=fields,
            base=base or {},
            hlc=Stamp(1_764_000_000_000 + ms, 0, device).encode(),
        )
    )


def server_incident() -> RecordState:
    """An incident written on one device and then edited concurrently on three (a conflict and an echo)."""
    state, _ = apply_op(
        None,
        op(
            1,
            "deva",
            "create",
            {
                "recorded_by": "u1",
                "recorded_at": NOW.isoformat(),
                "occurred_at": NOW.isoformat(),
                "what_happened": "shouted",
            },
        ),
    )
    version = state.fields["what_happened"].version
    for n, (device, text) in enumerate([("devb", "ran off"), ("devc", "kicked a chair"), ("devd", "ran off")]):
        state, _ = apply_op(state, op(n + 2, device, "update", {"what_happened": text}, ms=10 + n, base={}))
    state, _ = apply_op(state, op(9, "deva", "update", {"location": "yard"}, ms=50, base={}))
    assert state.conflicts and state.echoes and version
    return state


def test_the_compact_form_keeps_every_part_of_a_merged_state():
    state = server_incident()
    state = state.model_copy(update={"seen": {"location": [state.fields["location"].version]}})
    body = encode_state(state)
    assert decode_state(body, state.id, state.kind, state.profile_id).model_dump() == state.model_dump()
    assert plain_values(body) == state.values()
    # Each writer is named once, however many fields it wrote.
    assert len(body["w"]) == 5


def test_a_record_stored_by_an_older_version_is_still_read(store: LocalStore):
    state = server_incident()
    old_form = store._seal(state.model_dump(mode="json"), "record", "body", state.id)
    with store._transaction() as db:
        db.execute(
            "INSERT INTO record (id, kind, profile_id, occurred_at, version, deleted, body, base) "
            "VALUES (?, ?, ?, ?, ?, 0, ?, NULL)",
            (state.id, state.kind, state.profile_id, NOW.isoformat(), state.version, old_form),
        )
    shown = store.get(state.id)
    assert shown.state.model_dump() == state.model_dump()
    assert store.record_changes(["incident"], {}).changed[0].values == state.values()


def base_blob(store: LocalStore, record_id: str) -> bytes | None:
    return store.db.execute("SELECT base FROM record WHERE id = ?", (record_id,)).fetchone()[0]


def test_a_synced_record_is_stored_once_and_its_server_state_survives_a_local_edit(store: LocalStore):
    server = server_incident()
    store.apply_pulled([server], cursor=7)
    assert base_blob(store, server.id) == SAME_AS_BODY  # nothing pending: the body is the server's state
    assert store.get(server.id).state.model_dump() == server.model_dump()

    edit = store.write("incident", "update", {"location": "hall"}, actor_id="u1", record_id=server.id)
    assert base_blob(store, server.id) not in (None, SAME_AS_BODY)  # kept apart before the body changed
    assert store.get(server.id).values["location"] == "hall"

    # The server refuses the edit: the device shows the server's state again.
    store.acknowledge([edit.op_id])
    store.rebase([server.id])
    assert store.get(server.id).state.model_dump() == server.model_dump()


def test_a_key_rotation_re_encrypts_synced_records(store: LocalStore):
    server = server_incident()
    store.apply_pulled([server], cursor=7)
    store.rotate_key()
    store.lock()
    store.unlock(PASSCODE)
    assert store.get(server.id).state.model_dump() == server.model_dump()
    assert base_blob(store, server.id) == SAME_AS_BODY


def test_a_synced_clicker_tap_fits_in_its_page(store: LocalStore):
    """A record row longer than ~1,000 bytes spills into an overflow page of its own (4 KB for one tap)."""
    tap, _ = apply_op(
        None,
        validate_op(
            Op(
                op_id=1,
                device_id="a1b2c3d4e5f60718",
                actor_id="01a2321e-9ec1-744a-88fe-11a56f8245bb",
                record_id=RECORD,
                kind="clicker_event",
                profile_id=CHILD,
                action="create",
                fields={
                    "behaviour_type_id": "01a2321e-9ec1-71a2-8c4b-21ce9f854456",
                    "staff_id": "01a2321e-9ec1-76d3-bf69-e40c16470465",
                    "occurred_at": NOW.isoformat(),
                    "device_id": "a1b2c3d4e5f60718",
                },
                hlc=Stamp(1_764_000_000_000, 0, "a1b2c3d4e5f60718").encode(),
            )
        ),
    )
    store.apply_pulled([tap], cursor=1)
    row = store.db.execute(
        "SELECT length(id) + length(kind) + length(profile_id) + length(occurred_at) + length(version) "
        "+ length(body) + length(base) FROM record WHERE id = ?",
        (RECORD,),
    ).fetchone()[0]
    assert row < 600


def test_the_stored_json_text_decodes_to_the_same_state():
    """What a row's blob holds (`state_json`, conflicts and non-ASCII text included) reads back as the state."""
    state, _ = apply_op(server_incident(), op(10, "deve", "update", {"location": "hall é \u2028 b"}, ms=60, base={}))
    body = json.loads(state_json(state))
    assert body == encode_state(state)
    assert decode_state(body, RECORD, "incident", CHILD) == state


def wire(state: RecordState) -> RecordStateData:
    """A state as a pulled page carries it (`sync.protocol.PulledPage`): its JSON form, parsed."""
    return json.loads(state.model_dump_json())


def test_a_state_as_plain_data_is_stored_in_the_same_form_as_its_model():
    state = server_incident()
    state = state.model_copy(update={"seen": {"location": [state.fields["location"].version]}})
    text, version = data_json(wire(state))
    assert text == state_json(state)
    assert version == state.version
    assert data_json({"id": RECORD, "kind": "incident"}) == (state_json(RecordState(id=RECORD, kind="incident")), "")


def row_of(store: LocalStore, record_id: str) -> tuple:
    row = store.db.execute(
        "SELECT id, kind, profile_id, occurred_at, version, deleted, base FROM record WHERE id = ?", (record_id,)
    ).fetchone()
    return tuple(row)


def test_a_pulled_state_as_plain_data_is_stored_as_its_model_would_be(tmp_path: Path, memory_keyring):
    """The engine hands the store plain data; tests and older callers hand it models: same rows, same states."""
    server = server_incident()
    deleted, _ = apply_op(server, op(20, "deve", "delete", {}, ms=90, base={}))
    stores = []
    for name, given in (("models", [server, deleted]), ("data", [wire(server), wire(deleted)])):
        opened = LocalStore(tmp_path / name)
        opened.initialise(PASSCODE)
        opened.apply_pulled(given[:1], cursor=7)
        stores.append(opened)
    try:
        models, data = stores
        assert row_of(data, RECORD) == row_of(models, RECORD)
        assert data.get(RECORD).state.model_dump() == server.model_dump()
        assert data.clock.now() > Stamp.parse(server.version)
        # A pending local edit stays on top of a pulled state given as data, as of a model.
        for opened in stores:
            opened.write("incident", "update", {"location": "hall"}, actor_id="u1", record_id=RECORD)
        data.apply_pulled([wire(server)], cursor=8)
        models.apply_pulled([server], cursor=8)
        # (each store stamped its own edit: the versions differ, nothing else)
        assert row_of(data, RECORD)[:4] == row_of(models, RECORD)[:4]
        assert data.get(RECORD).values == models.get(RECORD).values
        assert data.get(RECORD).values["location"] == "hall" != server.values()["location"]
        # A deletion pulled as data marks the row deleted.
        data.apply_pulled([wire(deleted)], cursor=9)
        models.apply_pulled([deleted], cursor=9)
        assert row_of(data, RECORD)[5] == row_of(models, RECORD)[5] == 1
    finally:
        for opened in stores:
            opened.close()
