"""The local schema's migrations: a device's store made by an earlier version is upgraded on open, keeping every
record, op, draft, key and secret, to the same tables a new store gets; and the "waiting to sync" flag of a
clicker tap, found by op id since version 2 (taps are not in the outbox's record_id index)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from localdb.schema import SCHEMA_VERSION
from localdb.store import LocalStore
from tests.localdb.test_store import NOW, PASSCODE, add_child, tap

#: made by `tests/data/store_v1/make.py` with the code of schema version 1
STORE_V1 = Path(__file__).resolve().parent.parent / "data" / "store_v1"
PASSPHRASE_V1 = "version one passphrase"
SYNCED_TAP = "01a233b9-4dac-7f63-9e17-594b6f5070b0"


def shape(path: Path) -> dict[str, object]:
    """Every table's columns and every index's definition (partial ones with their WHERE)."""
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        found: dict[str, object] = {
            table: [tuple(col)[1:] for col in db.execute(f"PRAGMA table_info({table})")] for table in tables
        }
        found["indexes"] = sorted(
            (row[0], row[1]) for row in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        )
        found["without_rowid"] = sorted(
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE sql LIKE '%WITHOUT ROWID%'")
        )
    return found


@pytest.fixture
def upgraded(tmp_path: Path, no_secure_keyring) -> LocalStore:
    shutil.copytree(STORE_V1, tmp_path / "data", ignore=shutil.ignore_patterns("*.py"))
    with sqlite3.connect(tmp_path / "data" / "besmart.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    store = LocalStore(tmp_path / "data")
    store.unlock(PASSPHRASE_V1)
    yield store
    store.close()


def test_a_version_1_store_is_upgraded_keeping_every_record_op_draft_and_secret(upgraded: LocalStore):
    with sqlite3.connect(upgraded.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    (ada,) = upgraded.individuals()
    assert (ada.values["first_name"], ada.values["last_name"], ada.pending) == ("Ada", "Lovelace", False)
    assert [t.values["label"] for t in upgraded.behaviour_types()] == ["On task"]
    day = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    taps = upgraded.clicker_events(ada.id, day, day + dt.timedelta(days=1))
    # The first tap was acknowledged by the server; the next was undone after it was sent (a queued delete).
    assert [(t.id == SYNCED_TAP, t.pending) for t in taps] == [(True, False), (False, True), (False, True)]
    (undone,) = [r for r in upgraded.held_about(ada.id) if r.deleted]
    assert undone.pending and undone.kind == "clicker_event"
    (report,) = upgraded.incidents(profile_id=ada.id)
    assert report.values["what_happened"] == "Threw a chair at the wall" and report.pending
    assert [(op.op_id, op.kind, op.action) for op in upgraded.pending_ops()] == [
        (4, "clicker_event", "create"),
        (5, "clicker_event", "delete"),
        (6, "clicker_event", "create"),
        (7, "clicker_event", "create"),
        (8, "incident", "create"),
        (9, "incident", "update"),
    ]
    assert [op.action for op in upgraded.pending_ops_of(undone.id)] == ["create", "delete"]
    assert [d.values for d in upgraded.drafts()] == [{"what_happened": "half written"}]
    assert upgraded.get_secret("tokens") == {"access": "secret-token"}
    assert [i.details["reason"] for i in upgraded.sync_issues()] == ["test"]
    assert upgraded.key_policy == "strengthened"


def test_an_upgraded_store_keeps_working_as_a_new_one(upgraded: LocalStore):
    ada = upgraded.individuals()[0].id
    day = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    unsent = upgraded.clicker_events(ada, day, day + dt.timedelta(days=1))[-1]
    # A tap queued before the upgrade and never sent is still cancelled by its undo, its create with it.
    upgraded.write("clicker_event", "delete", actor_id="u1", record_id=unsent.id)
    assert upgraded.get(unsent.id, include_deleted=True) is None
    assert [op.op_id for op in upgraded.pending_ops()] == [4, 5, 6, 8, 9]
    new = tap(upgraded, ada)
    assert new.op_id == 10 and upgraded.get(new.record_id).pending
    upgraded.acknowledge(op.op_id for op in upgraded.pending_ops())
    assert not any(r.pending for r in upgraded.held_about(ada))


def test_an_upgraded_store_has_the_tables_of_a_new_one(upgraded: LocalStore, tmp_path: Path, memory_keyring):
    fresh = LocalStore(tmp_path / "fresh")
    try:
        assert shape(upgraded.path) == shape(fresh.path)
    finally:
        fresh.close()


def test_a_taps_waiting_flag_follows_every_queued_op_of_it(tmp_path: Path, memory_keyring):
    store = LocalStore(tmp_path / "d")
    store.initialise(PASSCODE)
    child = add_child(store)
    created = tap(store, child)
    store.mark_sending(op.op_id for op in store.pending_ops())
    between = tap(store, child)
    deleted = store.write("clicker_event", "delete", actor_id="u1", record_id=created.record_id)
    # Answered out of order: the delete first. The create is still queued, so the tap still waits to sync.
    store.acknowledge([deleted.op_id])
    assert store.get(created.record_id, include_deleted=True).pending
    store.acknowledge([created.op_id])
    assert not store.get(created.record_id, include_deleted=True).pending
    assert store.get(between.record_id).pending
    store.close()


def test_a_tap_writes_no_entry_to_the_outbox_record_index(tmp_path: Path, memory_keyring):
    store = LocalStore(tmp_path / "d")
    store.initialise(PASSCODE)
    tap(store, add_child(store), NOW)
    entries = store.db.execute("SELECT sum(ncell) FROM dbstat WHERE name = 'ix_outbox_record_id'").fetchone()[0]
    assert (store.pending_count(), entries) == (2, 1)  # the individual's create only
    store.close()
