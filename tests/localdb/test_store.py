"""The encrypted on-device store: nothing readable on disk, tamper-evident, durable, lockable, wipeable."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import struct
import threading
import time
from pathlib import Path

import pytest

from localdb.checkpoint import BackgroundCheckpointer
from localdb.crypto import TamperError
from localdb.keys import WeakPassphraseError, WrongPasscodeError
from localdb.schema import SCHEMA_VERSION
from localdb.store import LocalStore, StoreError, StoreLockedError
from sync.hlc import Stamp
from sync.merge import apply_op
from sync.ops import Op, OpError, validate_op

MARKER = "Zebedee-Quixote-7731"
PASSCODE = "correct-horse-1"
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path, memory_keyring) -> LocalStore:
    opened = LocalStore(tmp_path / "data")
    opened.initialise(PASSCODE)
    yield opened
    opened.close()


def add_child(store: LocalStore, first: str = "Ada", last: str = "Lovelace") -> str:
    return store.write("individual", "create", {"first_name": first, "last_name": last}, actor_id="u1").record_id


def tap(store: LocalStore, child: str, when: dt.datetime = NOW, behaviour: str = "b1") -> Op:
    return store.write(
        "clicker_event",
        "create",
        {"behaviour_type_id": behaviour, "staff_id": "u1", "occurred_at": when.isoformat(), "device_id": "d"},
        actor_id="u1",
        profile_id=child,
    )


def incident(store: LocalStore, child: str, when: dt.datetime, text: str = "shouted") -> Op:
    return store.write(
        "incident",
        "create",
        {
            "recorded_by": "u1",
            "recorded_at": when.isoformat(),
            "occurred_at": when.isoformat(),
            "what_happened": text,
        },
        actor_id="u1",
        profile_id=child,
    )


def files_in(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files_in(directory)}


# --- nothing in plaintext ------------------------------------------------------------------------


def test_no_file_in_the_data_directory_holds_written_text_in_plaintext(store: LocalStore):
    child = add_child(store, first=f"{MARKER}-first", last=f"{MARKER}-last")
    incident(store, child, NOW, text=f"{MARKER} threw a chair")
    store.write(
        "communication",
        "create",
        {"valence": "negative", "author_id": "u1", "message": f"{MARKER} msg", "created_at": NOW.isoformat()},
        actor_id="u1",
        profile_id=child,
    )
    store.save_draft("draft1", "incident", {"what_happened": f"{MARKER} draft"}, profile_id=child)
    store.put_secret("tokens", {"access": f"{MARKER}-token"})
    needles = [MARKER.encode(), MARKER.encode("utf-16-le"), MARKER[:10].encode()]

    def scan() -> None:
        found = files_in(store.directory)
        assert any(p.name.endswith("-wal") for p in found) or store.locked
        for path in found:
            data = path.read_bytes()
            for needle in needles:
                assert needle not in data, f"plaintext found in {path.name}"

    scan()  # while open, WAL and all
    store.lock()
    scan()


def test_plain_columns_hold_no_names_or_text(store: LocalStore):
    add_child(store, first=MARKER)
    with sqlite3.connect(store.path) as db:
        for table in ("record", "outbox", "meta"):
            for row in db.execute(f"SELECT * FROM {table}"):
                for value in row:
                    if isinstance(value, str):
                        assert MARKER not in value


# --- tamper evidence -----------------------------------------------------------------------------


def test_a_ciphertext_moved_to_another_childs_row_fails_instead_of_decrypting(store: LocalStore):
    ada = add_child(store, "Ada", "Lovelace")
    bob = add_child(store, "Bob", "Stone")
    with sqlite3.connect(store.path) as db:
        body = db.execute("SELECT body FROM record WHERE id = ?", (ada,)).fetchone()[0]
        db.execute("UPDATE record SET body = ? WHERE id = ?", (body, bob))
    with pytest.raises(TamperError):
        store.get(bob)
    assert store.get(ada).values["first_name"] == "Ada"


def test_a_ciphertext_moved_to_another_column_or_table_fails(store: LocalStore):
    child = add_child(store)
    store.save_draft(child, "incident", {"what_happened": "x"}, profile_id=child)  # same row id
    store.put_secret(child, {"token": "t"})
    with sqlite3.connect(store.path) as db:
        body = db.execute("SELECT body FROM record WHERE id = ?", (child,)).fetchone()[0]
        op_id = db.execute("SELECT op_id FROM outbox").fetchone()[0]
        db.execute("UPDATE outbox SET body = ? WHERE op_id = ?", (body, op_id))
        db.execute("UPDATE draft SET body = ? WHERE id = ?", (body, child))
        db.execute("UPDATE vault SET value = ? WHERE name = ?", (body, child))
    with pytest.raises(TamperError):
        store.pending_ops()
    with pytest.raises(TamperError):
        store.drafts()
    with pytest.raises(TamperError):
        store.get_secret(child)


def test_a_flipped_byte_is_a_tamper_error(store: LocalStore):
    child = add_child(store)
    with sqlite3.connect(store.path) as db:
        body = bytearray(db.execute("SELECT body FROM record WHERE id = ?", (child,)).fetchone()[0])
        body[-5] ^= 0x01
        db.execute("UPDATE record SET body = ? WHERE id = ?", (bytes(body), child))
    with pytest.raises(TamperError):
        store.get(child)


# --- passcode, lock, rotation, wipe --------------------------------------------------------------


def test_wrong_passcode_is_a_clear_error_and_changes_nothing(store: LocalStore):
    add_child(store)
    store.lock()
    before = digest(store.directory)
    with pytest.raises(WrongPasscodeError, match="Wrong passcode"):
        store.unlock("not-the-passcode")
    assert store.locked
    assert digest(store.directory) == before
    store.unlock(PASSCODE)
    assert len(store.individuals()) == 1


def test_changing_the_passcode_keeps_the_data_and_retires_the_old_one(store: LocalStore):
    child = add_child(store)
    with sqlite3.connect(store.path) as db:
        body_before = db.execute("SELECT body FROM record").fetchone()[0]
    store.change_passcode(PASSCODE, "new-passcode-2")
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT body FROM record").fetchone()[0] == body_before  # data not re-encrypted
    store.lock()
    with pytest.raises(WrongPasscodeError):
        store.unlock(PASSCODE)
    store.unlock("new-passcode-2")
    assert store.get(child).values["first_name"] == "Ada"
    with pytest.raises(WrongPasscodeError):
        store.change_passcode("wrong-old-passcode", "another-one-3")


def test_key_rotation_re_encrypts_everything_under_the_new_key(store: LocalStore):
    child = add_child(store)
    store.save_draft("d1", "incident", {"what_happened": "x"}, profile_id=child)
    store.put_secret("tokens", {"access": "a"})
    new_key = store.rotate_key()
    assert new_key == 2
    with sqlite3.connect(store.path) as db:
        blobs = [
            *(r[0] for r in db.execute("SELECT body FROM record")),
            *(r[0] for r in db.execute("SELECT body FROM outbox")),
            *(r[0] for r in db.execute("SELECT body FROM draft")),
            *(r[0] for r in db.execute("SELECT value FROM vault")),
        ]
    assert blobs and all(int.from_bytes(b[1:5], "big") == 2 for b in blobs)
    store.lock()
    store.unlock(PASSCODE)
    assert store.get(child).values["last_name"] == "Lovelace"
    assert store.draft("d1").values == {"what_happened": "x"}
    assert store.get_secret("tokens") == {"access": "a"}


def test_lock_drops_the_key_and_idle_time_locks_automatically(tmp_path: Path, memory_keyring):
    now = [0.0]
    store = LocalStore(tmp_path / "d", idle_lock_seconds=60, monotonic=lambda: now[0])
    store.initialise(PASSCODE)
    add_child(store)
    now[0] = 59
    assert len(store.individuals()) == 1
    now[0] = 59 + 61
    with pytest.raises(StoreLockedError, match="locked"):
        store.individuals()
    assert store.locked
    store.unlock(PASSCODE)
    store.lock()
    with pytest.raises(StoreLockedError):
        add_child(store)


def test_only_a_touch_counts_as_activity_not_reading_or_writing(tmp_path: Path, memory_keyring):
    """A background sync or a screen refresh reads and writes the store: that must not keep it unlocked."""
    now = [0.0]
    store = LocalStore(tmp_path / "d", idle_lock_seconds=60, monotonic=lambda: now[0])
    store.initialise(PASSCODE)
    for t in (20, 40, 59):  # reads and writes through the idle minute
        now[0] = t
        add_child(store)
        assert store.individuals()
    now[0] = 61
    assert store.locked
    store.unlock(PASSCODE)  # unlocking starts the idle time again
    now[0] += 50
    store.touch()  # the person tapped: another full minute
    now[0] += 50
    assert not store.locked
    now[0] += 61
    store.touch()  # too late: a tap after the idle time finds the store locked, it does not revive it
    assert store.locked
    with pytest.raises(StoreLockedError):
        store.individuals()


def test_wipe_leaves_no_data_file_and_no_key(store: LocalStore, memory_keyring):
    add_child(store)
    assert memory_keyring.items
    store.wipe()
    assert files_in(store.directory) == []
    assert memory_keyring.items == {}
    with pytest.raises(StoreError, match="wiped"):
        store.individuals()


def test_a_weak_passcode_is_refused_without_a_secure_os_store(tmp_path: Path, no_secure_keyring):
    store = LocalStore(tmp_path / "d")
    with pytest.raises(WeakPassphraseError):
        store.initialise("123456")
    store.initialise("a long and strong passphrase")
    assert store.initialised


# --- durability ----------------------------------------------------------------------------------


def test_a_draft_survives_a_restart(tmp_path: Path, memory_keyring):
    store = LocalStore(tmp_path / "d")
    store.initialise(PASSCODE)
    child = add_child(store)
    store.save_draft("inc-draft", "incident", {"what_happened": "half", "location": "hall"}, profile_id=child)
    store.save_draft("inc-draft", "incident", {"what_happened": "half done", "location": "hall"}, profile_id=child)
    store.close()
    reopened = LocalStore(tmp_path / "d")
    reopened.unlock(PASSCODE)
    [draft] = reopened.drafts()
    assert (draft.id, draft.profile_id, draft.values["what_happened"]) == ("inc-draft", child, "half done")
    reopened.delete_draft("inc-draft")
    assert reopened.drafts() == []


def test_bad_input_raises_and_changes_nothing(store: LocalStore):
    child = add_child(store)
    before = (store.pending_count(), digest(store.directory))
    with pytest.raises(OpError, match="unknown field"):
        store.write("incident", "create", {"nonsense": 1}, actor_id="u1", profile_id=child)
    with pytest.raises(OpError, match="append-only"):
        op = tap(store, child)
        store.write("clicker_event", "update", {"staff_id": "u2"}, actor_id="u1", record_id=op.record_id)
    assert store.pending_count() == before[0] + 1  # only the valid tap
    assert tap(store, child).op_id == op.op_id + 1  # the rejected writes spent no op id


def test_op_ids_increase_and_are_never_reused_after_acknowledgement(store: LocalStore):
    child = add_child(store)
    ids = [tap(store, child).op_id for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    store.acknowledge([o.op_id for o in store.pending_ops()])
    assert store.pending_count() == 0
    assert tap(store, child).op_id == ids[-1] + 1
    store.close()


def test_clock_stays_monotonic_across_a_restart(tmp_path: Path, memory_keyring):
    wall = [2_000_000_000_000]
    store = LocalStore(tmp_path / "d", wall=lambda: wall[0])
    store.initialise(PASSCODE)
    first = add_child(store)
    stamp = store.get(first).version
    store.close()
    wall[0] -= 3_600_000  # the device clock went back an hour
    again = LocalStore(tmp_path / "d", wall=lambda: wall[0])
    again.unlock(PASSCODE)
    assert again.get(add_child(again)).version > stamp


def test_schema_version_is_recorded_and_a_newer_one_is_refused(store: LocalStore, tmp_path: Path):
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    store.close()
    with pytest.raises(RuntimeError, match="newer version"):
        LocalStore(store.directory)


# --- queries -------------------------------------------------------------------------------------


def test_queries_return_decrypted_typed_records(store: LocalStore):
    ada, bob = add_child(store, "Ada", "Zed"), add_child(store, "Bob", "Able")
    assert [p.values["first_name"] for p in store.individuals()] == ["Bob", "Ada"]
    for minutes in (0, 10, 70):
        tap(store, ada, NOW + dt.timedelta(minutes=minutes))
    tap(store, bob, NOW)
    hour = store.clicker_events(ada, NOW, NOW + dt.timedelta(hours=1))
    assert len(hour) == 2 and all(e.pending for e in hour)
    assert hour[0].record.occurred_at == NOW
    incident(store, ada, NOW - dt.timedelta(days=2))
    incident(store, bob, NOW - dt.timedelta(days=20))
    incident(store, ada, NOW - dt.timedelta(days=200))
    assert len(store.incidents(days=7, now=NOW)) == 1
    assert len(store.incidents(days=30, now=NOW)) == 2
    assert len(store.incidents(now=NOW)) == 3
    assert len(store.incidents(profile_id=ada)) == 2
    comm = store.write(
        "communication",
        "create",
        {"valence": "positive", "author_id": "u1", "message": "Great work", "created_at": NOW.isoformat()},
        actor_id="u1",
        profile_id=ada,
    )
    store.write(
        "communication_response",
        "create",
        {
            "communication_id": comm.record_id,
            "author_id": "u2",
            "message": "Thanks",
            "created_at": NOW.isoformat(),
        },
        actor_id="u2",
        profile_id=ada,
    )
    [thread] = store.communications(ada)
    assert thread.communication.values["message"] == "Great work"
    assert [r.values["message"] for r in thread.responses] == ["Thanks"]
    assert store.pending_count() == 2 + 4 + 3 + 2


def test_undoing_an_unsent_tap_cancels_it_out(store: LocalStore):
    child = add_child(store)
    kept = tap(store, child)
    before = store.pending_count()
    op = tap(store, child)
    store.write("clicker_event", "delete", actor_id="u1", record_id=op.record_id)
    # Nothing to send for a tap the server never saw: not "2 waiting" (its create and its delete).
    assert store.pending_count() == before
    assert [o.record_id for o in store.pending_ops()].count(op.record_id) == 0
    assert store.get(op.record_id, include_deleted=True) is None
    assert [e.id for e in store.clicker_events(child, NOW, NOW + dt.timedelta(minutes=1))] == [kept.record_id]
    # Op ids are never handed out twice, even though the highest ones left the outbox.
    assert tap(store, child).op_id > op.op_id


def test_pending_ops_after_an_op_id_and_of_one_individual(store: LocalStore):
    kim, lee = add_child(store), add_child(store)
    start = max(o.op_id for o in store.pending_ops())  # the two individuals' own ops
    ops = [tap(store, child) for child in (kim, lee, kim, lee, kim)]
    ids = [op.op_id for op in ops]
    assert [o.op_id for o in store.pending_ops(2, after=start)] == ids[:2]
    assert [o.op_id for o in store.pending_ops(2, after=ids[1])] == ids[2:4]
    assert [o.op_id for o in store.pending_ops(after=ids[-1])] == []
    assert [o.op_id for o in store.pending_ops(profile_id=kim, after=ids[0])] == [ids[2], ids[4]]


def test_undoing_a_tap_already_handed_to_the_server_is_sent_as_a_delete(store: LocalStore):
    child = add_child(store)
    op = tap(store, child)
    # A push carried it, but the answer never arrived: the server may hold the tap, so the undo must travel.
    store.mark_sending(o.op_id for o in store.pending_ops())
    store.write("clicker_event", "delete", actor_id="u1", record_id=op.record_id)
    assert store.clicker_events(child, NOW, NOW + dt.timedelta(minutes=1)) == []
    assert store.get(op.record_id, include_deleted=True).deleted
    assert [o.action for o in store.pending_ops() if o.record_id == op.record_id] == ["create", "delete"]


def test_an_undo_while_a_batch_is_taken_waits_and_travels_as_a_delete(store: LocalStore, monkeypatch):
    child = add_child(store)
    op = tap(store, child)
    read = store.pending_ops
    undo = threading.Thread(
        target=store.write, args=("clicker_event", "delete"), kwargs={"actor_id": "u1", "record_id": op.record_id}
    )

    def read_then_undo(*args, **kwargs):
        ops = read(*args, **kwargs)
        undo.start()  # the undo comes after the batch is read and before it is marked as being sent...
        undo.join(timeout=0.3)  # ...and, were it not held back until then, would cancel the tap on the device alone
        return ops

    monkeypatch.setattr(store, "pending_ops", read_then_undo)
    batch = store.take_for_sending()
    undo.join()
    assert op.op_id in [o.op_id for o in batch]  # the tap is on its way to the server...
    assert [o.action for o in read() if o.record_id == op.record_id] == ["create", "delete"]  # ...and so its undo
    assert store.clicker_events(child, NOW, NOW + dt.timedelta(minutes=1)) == []


# --- sync bookkeeping ----------------------------------------------------------------------------


def test_pulled_changes_apply_under_pending_local_edits(store: LocalStore):
    child = add_child(store)
    local = incident(store, child, NOW, text="local draft")
    server_state, _ = apply_op(None, local)
    other = validate_op(
        Op(
            op_id=9,
            device_id="other",
            actor_id="u9",
            record_id=local.record_id,
            kind="incident",
            profile_id=child,
            action="update",
            fields={"location": "yard"},
            base={},
            hlc=Stamp(Stamp.parse(local.hlc).ms + 5, 0, "other").encode(),
        )
    )
    server_state, _ = apply_op(server_state, other)
    mine = store.write("incident", "update", {"what_happened": "mine"}, actor_id="u1", record_id=local.record_id)
    store.apply_pulled([server_state], cursor=42)
    shown = store.get(local.record_id)
    assert shown.values["location"] == "yard" and shown.values["what_happened"] == "mine"
    assert shown.pending and store.cursor == 42
    store.acknowledge([local.op_id, mine.op_id])
    assert not store.get(local.record_id).pending


def test_purging_a_profile_removes_all_of_it(store: LocalStore):
    ada, bob = add_child(store, "Ada"), add_child(store, "Bob")
    tap(store, ada)
    incident(store, ada, NOW)
    store.save_draft("d", "incident", {}, profile_id=ada)
    store.purge_profile(ada)
    assert [p.id for p in store.individuals()] == [bob]
    assert store.drafts() == [] and all(op.profile_id == bob for op in store.pending_ops())


def _wal_state(store: LocalStore) -> tuple[int, int]:
    """(frames in the log, frames already copied into the database), read from the WAL index (the -shm file:
    mxFrame in its header, nBackfill in the checkpoint info after the header's two copies) without checkpointing."""
    index = Path(f"{store.path}-shm").read_bytes()
    return struct.unpack_from("=I", index, 16)[0], struct.unpack_from("=I", index, 96)[0]


def test_the_log_is_copied_into_the_database_off_the_write_path(store: LocalStore) -> None:
    """After a burst of taps the background checkpointer moves the log's pages into the database file (the tap
    that crosses SQLite's own threshold then finds next to nothing left to copy); closing the store stops it."""
    child = add_child(store)
    for _ in range(50):
        tap(store, child)
    logged, copied = _wal_state(store)
    assert logged > copied  # SQLite's own checkpoint has not run: 50 taps are ~200 pages
    deadline = time.monotonic() + 10
    while _wal_state(store)[1] < logged and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _wal_state(store)[1] >= logged
    thread = store._checkpointer._thread
    assert thread is not None and thread.is_alive()
    store.close()
    assert not thread.is_alive()


def test_stopping_the_checkpointer_never_hangs(tmp_path: Path) -> None:
    """`stop` coming at any point of the thread's round (before, during or after its copy) ends the thread: a
    stop whose wake-up the thread cleared once hung the store's close."""
    path = tmp_path / "wal.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x)")
    for round_ in range(300):
        db.execute("INSERT INTO t VALUES (?)", (round_,))
        checkpointer = BackgroundCheckpointer(path, delay_s=0.0005)
        checkpointer.nudge()
        time.sleep((round_ % 7) * 0.0002)
        stopper = threading.Thread(target=checkpointer.stop, daemon=True)
        stopper.start()
        stopper.join(5)
        assert not stopper.is_alive(), f"stop hung in round {round_}"
    db.close()
