"""The encrypted on-device store: lifecycle, writes with their outbox entries, and sync bookkeeping.

`LocalStore` owns one data directory. It is created with a passcode, unlocked with it (the data keys then
live only in memory), locked explicitly or after an idle time, and wiped (data and keys). Every write goes
through `write`, which validates the op with the shared sync core, merges it into the record and appends
the op to the outbox in **one durable transaction** (WAL, `synchronous=FULL`): when `write` returns the tap
is on disk, and a crash leaves either the record change and its outbox entry, or neither.

The read queries the screens need are in `localdb.queries` (mixed into `LocalStore`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from localdb import keys
from localdb.checkpoint import BackgroundCheckpointer
from localdb.codec import data_json, decode_state, state_json
from localdb.crypto import FieldCipher
from localdb.errors import LocalDbError
from localdb.queries import Queries
from localdb.schema import migrate
from sync.hlc import HybridClock, Stamp, wall_clock_ms
from sync.ids import uuid7
from sync.merge import RecordState, RecordStateData, apply_op, field_value
from sync.ops import Action, Op, validate_op
from sync.records import DELETED_FIELD, kind_spec

DB_NAME = "besmart.db"
#: the connection's page cache, KiB
CACHE_KIB = 16 * 1024
#: meta key: the highest op id ever handed to the server
SENT_THROUGH = "sent_through"
#: kinds whose delete cancels an unsent create (nothing else refers to a clicker tap)
CANCEL_UNSENT_KINDS = frozenset({"clicker_event"})
DEFAULT_IDLE_LOCK_SECONDS = 300
#: a record's `base` when the server's state is exactly what `body` shows (no pending local ops): storing the
#: same state twice doubled a synced device's size. NULL stays "never synced" (a local-only record).
SAME_AS_BODY = b""
#: insert or update a record row (`base` is kept when none is given: a local write leaves it). A local write
#: gives its op id as `first_op` and `last_op`: the first one stays, so every op of the record still queued has an
#: op id between the two (what finds a clicker tap's ops without an index, see `localdb.tables.RecordRow`);
#: pulled rows give neither and keep them.
_UPSERT_RECORD = (
    "INSERT INTO record (id, kind, profile_id, occurred_at, version, deleted, body, base, first_op, last_op) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    "profile_id = excluded.profile_id, occurred_at = excluded.occurred_at, "
    "version = excluded.version, deleted = excluded.deleted, body = excluded.body, "
    "base = coalesce(excluded.base, record.base), first_op = coalesce(record.first_op, excluded.first_op), "
    "last_op = coalesce(excluded.last_op, record.last_op)"
)


class StoreError(LocalDbError):
    """A store operation that cannot be done; the message says why in plain words."""


class StoreLockedError(StoreError):
    """The store is locked: unlock it with the passcode first."""


class NotInitialisedError(StoreError):
    """No store exists in this directory yet."""


class StorageError(StoreError):
    """The device's storage refused a write: nothing of that write was saved, nothing earlier was lost."""


class StorageFull(StorageError):
    """The disk (or the database's size limit) is full."""


class StorageUnavailable(StorageError):
    """The data directory cannot be written (read-only, removed, or failing)."""


#: SQLite's primary result codes for a write the storage refused (sqlite3.h)
_SQLITE_FULL = 13
_SQLITE_STORAGE_CODES = {3, 8, 10, 14}  # SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN

FULL_MESSAGE = "This device is out of storage: nothing was saved. Free some space and try again."
UNAVAILABLE_MESSAGE = (
    "besmart cannot write to its data folder on this device (it may be read-only or missing): nothing was "
    "saved. Check the device's storage and try again."
)


def storage_error(error: sqlite3.Error) -> StorageError | None:
    """The plain-words storage error an SQLite error stands for, or None if it is something else."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL:
        return StorageFull(FULL_MESSAGE)
    if primary in _SQLITE_STORAGE_CODES:
        return StorageUnavailable(UNAVAILABLE_MESSAGE)
    return None


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Turn SQLite's "disk is full" / "readonly database" into `StorageError`s the app can explain."""
    try:
        yield
    except sqlite3.Error as error:
        plain = storage_error(error)
        if plain is None:
            raise
        raise plain from error


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: transactions are explicit (`_transaction`), so one write is exactly one commit.
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a tap is durable when write() returns
        db.execute("PRAGMA secure_delete=ON")  # builds differ in the default: set it
        # 16 MiB of page cache (SQLite's default is 2 MiB): an initial sync inserts tens of thousands of rows at
        # random ids, and with the default most inserts read a leaf back from the file and spilled dirty pages
        # to the WAL mid-transaction (bench/RESULTS.md, #14 fourth pass: half the initial sync's wall time).
        db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    except BaseException:
        db.close()  # e.g. a read-only data directory: do not leak the half-opened file
        raise
    return db


#: Every encrypted column, as (table, its key column, the encrypted columns): what rotation re-encrypts.
ENCRYPTED_COLUMNS = (
    ("record", "id", ("body", "base")),
    ("outbox", "op_id", ("body",)),
    ("draft", "id", ("body",)),
    ("sync_issue", "id", ("body",)),
    ("vault", "name", ("value",)),
)


class LocalStore(Queries):
    """The encrypted store of one device (one user's data directory)."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        idle_lock_seconds: float = DEFAULT_IDLE_LOCK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.directory / DB_NAME
        self.idle_lock_seconds = idle_lock_seconds
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.RLock()
        self._keys: keys.UnlockedKeys | None = None
        self._cipher: FieldCipher | None = None
        self._clock: HybridClock | None = None
        self._last_activity = monotonic()
        self._decoded = {}
        self._forget_hooks = []
        # One connection, used under self._lock: SQLite serialises writers anyway.
        self._db: sqlite3.Connection | None = None
        self._checkpointer = BackgroundCheckpointer(self.path)
        with _storage_errors():
            db = _connect(self.path)
            try:
                migrate(db)
            except BaseException:
                db.close()
                raise
            self._db = db

    # --- plumbing --------------------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError("This store was wiped or closed.")
        return self._db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One durable transaction: all of it commits, or none of it does."""
        with self._lock, _storage_errors():
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full) leaves the transaction open: roll it back so nothing half-done
                # stays, and the connection is usable once space returns.
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            self._checkpointer.nudge()

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _checkpoint(self) -> None:
        with self._lock, _storage_errors():
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def initialised(self) -> bool:
        with self._lock:
            return self._db is not None and self._meta("wrapped_keys") is not None

    @property
    def locked(self) -> bool:
        with self._lock:
            self._lock_if_idle()
            return self._cipher is None

    @property
    def device_id(self) -> str:
        with self._lock:
            if self._clock is not None:
                return self._clock.node
            value = self._meta("device_id")
        if value is None:
            raise NotInitialisedError("No besmart data on this device yet: sign in first.")
        return value

    def initialise(self, passcode: str, *, device_id: str | None = None) -> None:
        """Create the store's keys (the passcode unlocks them) and leave it unlocked."""
        with self._lock:
            if self.initialised:
                raise StoreError("This device already has a besmart store: unlock it or wipe it.")
            store_id = uuid.uuid4().hex
            unlocked = keys.create(store_id, passcode)
            with self._transaction() as db:
                self._set_meta(db, "store_id", store_id)
                self._set_meta(db, "device_id", device_id or secrets.token_hex(8))
                self._set_meta(db, "op_seq", "0")
                self._set_meta(db, "cursor", "0")
                self._save_wrapped(db, unlocked.wrapped)
            self._open(unlocked)

    def _save_wrapped(self, db: sqlite3.Connection, wrapped: Iterable[keys.WrappedKey]) -> None:
        self._set_meta(db, "wrapped_keys", json.dumps([w.to_dict() for w in wrapped]))

    def _load_wrapped(self) -> tuple[str, list[keys.WrappedKey]]:
        raw = self._meta("wrapped_keys")
        if raw is None:
            raise NotInitialisedError("No besmart data on this device yet: sign in first.")
        store_id = self._meta("store_id") or ""
        return store_id, [keys.WrappedKey.from_dict(item) for item in json.loads(raw)]

    def _open(self, unlocked: keys.UnlockedKeys) -> None:
        self._keys = unlocked
        self._cipher = unlocked.field_cipher()
        # Restart the clock after the newest stamp on the device, so it stays monotonic across restarts
        # even if the wall clock went back meanwhile.
        newest = self.db.execute(
            "SELECT max(v) FROM (SELECT max(version) AS v FROM record UNION ALL SELECT max(hlc) FROM outbox)"
        ).fetchone()[0]
        node = self._meta("device_id") or "device"
        # No bound on received stamps: the server clamps device clocks that run ahead, and a device whose own
        # clock is slow must still move past every stamp it has seen.
        self._clock = HybridClock(
            node,
            wall=self._wall,
            last=Stamp.parse(newest) if newest else None,
            max_ahead_ms=None,
            offset_ms=int(self._meta("clock_offset_ms") or 0),
        )
        self._last_activity = self._monotonic()

    @property
    def key_policy(self) -> str:
        """What unlocks this store: "standard" (a passcode with the device secret) or "strengthened" (a
        passphrase alone, on a device without a secure key store). Readable while locked."""
        with self._lock:
            _, wrapped = self._load_wrapped()
        return wrapped[0].policy if wrapped else "standard"

    def unlock(self, passcode: str) -> None:
        """Open the data keys with the passcode; a wrong one raises `WrongPasscodeError`, changing nothing."""
        with self._lock:
            store_id, wrapped = self._load_wrapped()
            self._open(keys.unlock(store_id, passcode, wrapped))

    def lock(self) -> None:
        """Drop the keys from memory and flush the WAL so no page lingers outside the database."""
        with self._lock:
            if self._keys is not None:
                self._keys.forget()
            self._keys = self._cipher = None
            self.forget_decoded()
            if self._db is not None:
                # The keys are gone, which is what locking is for; a full disk only delays the flush of the
                # (encrypted) WAL to the next checkpoint.
                with suppress(StorageError):
                    self._checkpoint()

    def _lock_if_idle(self) -> None:
        if self._cipher is not None and self._monotonic() - self._last_activity > self.idle_lock_seconds:
            self.lock()

    def touch(self) -> None:
        """The person did something (a tap, a key): the idle time starts again.

        Only this counts as activity: the store's own reads and writes do not, or a background sync or a
        screen refreshing itself would keep an unattended device unlocked forever. A touch after the idle
        time has passed finds the store locked (it does not revive it)."""
        with self._lock:
            self._lock_if_idle()
            if self._cipher is not None:
                self._last_activity = self._monotonic()

    def _unlocked(self) -> FieldCipher:
        """The cipher, if the store is unlocked and not idle too long (reading does not count as activity)."""
        if self._db is None:
            raise StoreError("This store was wiped or closed.")
        self._lock_if_idle()
        if self._cipher is None:
            raise StoreLockedError("besmart is locked: unlock it to continue.")
        return self._cipher

    def change_passcode(self, old_passcode: str, new_passcode: str) -> None:
        """Re-wrap the data keys under the new passcode; the data itself is not touched."""
        with self._lock:
            store_id, wrapped = self._load_wrapped()
            verified = keys.unlock(store_id, old_passcode, wrapped)
            new_wrapped = verified.change_passcode(new_passcode)
            with self._transaction() as db:
                self._save_wrapped(db, new_wrapped)
            if self._keys is not None:
                self._keys.forget()
                self._open(verified)
            else:
                verified.forget()

    def rotate_key(self) -> int:
        """Make a new data key and re-encrypt everything under it, in one transaction; returns its id."""
        with self._lock:
            cipher = self._unlocked()
            assert self._keys is not None
            record = self._keys.wrap_new_key()
            cipher.add_key(record.key_id, self._keys.data_keys[record.key_id])
            try:
                with self._transaction() as db:
                    self._save_wrapped(db, self._keys.wrapped)
                    self._reencrypt_all(db, cipher)
            except BaseException:
                # The new key exists only in memory: lock, so the next unlock reloads the keys on disk.
                self.lock()
                raise
            return record.key_id

    @staticmethod
    def _reencrypt_all(db: sqlite3.Connection, cipher: FieldCipher) -> None:
        for table, key_column, columns in ENCRYPTED_COLUMNS:
            for row in db.execute(f"SELECT * FROM {table}").fetchall():
                row_id = str(row[key_column])
                for column in columns:
                    if not row[column]:  # NULL, or a record's base that is the same as its body
                        continue
                    plain = cipher.decrypt(row[column], table=table, column=column, row_id=row_id)
                    fresh = cipher.encrypt(plain, table=table, column=column, row_id=row_id)
                    db.execute(f"UPDATE {table} SET {column} = ? WHERE {key_column} = ?", (fresh, row[key_column]))

    def wipe(self) -> None:
        """Delete every data file and the device secret. Nothing of the store remains."""
        with self._lock:
            store_id = self._meta("store_id") if self._db is not None else None
            if self._keys is not None:
                self._keys.forget()
            self._keys = self._cipher = self._clock = None
            self._checkpointer.stop()
            if self._db is not None:
                self._db.close()
                self._db = None
            if store_id:
                keys.destroy(store_id)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        """Lock and release the database file; the file is released even when the final checkpoint fails
        (e.g. a full disk: the WAL then stays beside the database and is replayed on the next open)."""
        with self._lock:
            if self._db is not None:
                try:
                    self._checkpointer.stop()
                    self.lock()
                finally:
                    db, self._db = self._db, None
                    db.close()

    # --- encrypted values ------------------------------------------------------------------------

    def _seal(self, obj: Any, table: str, column: str, row_id: str) -> bytes:
        return self._unlocked().encrypt_json(obj, table=table, column=column, row_id=row_id)

    def _seal_text(self, text: bytes, table: str, column: str, row_id: str) -> bytes:
        """Seal JSON text already made (a record's `state_json`, an op's own `model_dump_json`): pydantic's
        encoder is several times cheaper than `json` on the tap's path; `_open_blob` reads either."""
        return self._unlocked().encrypt(text, table=table, column=column, row_id=row_id)

    def _open_blob(self, blob: bytes, table: str, column: str, row_id: str) -> Any:
        return self._unlocked().decrypt_json(blob, table=table, column=column, row_id=row_id)

    def _state(self, row: sqlite3.Row, column: str = "body") -> RecordState:
        """A record row's merged state (`column` "base": the server's); the row has id, kind and profile_id."""
        if column == "base" and row["base"] == SAME_AS_BODY:
            column = "body"
        body = self._open_blob(row[column], "record", column, row["id"])
        return decode_state(body, row["id"], row["kind"], row["profile_id"])

    def _outbox_op(self, row: sqlite3.Row) -> Op:
        # Parsed and validated in one step from the JSON text (no `json.loads` into dicts first).
        text = self._unlocked().decrypt(row["body"], table="outbox", column="body", row_id=str(row["op_id"]))
        return Op.model_validate_json(text)

    # --- writes ----------------------------------------------------------------------------------

    def write(
        self,
        kind: str,
        action: Action,
        fields: dict[str, Any] | None = None,
        *,
        actor_id: str,
        record_id: str | None = None,
        profile_id: str | None = None,
        base: dict[str, list[str]] | None = None,
        reason: str | None = None,
    ) -> Op:
        """Change one record and queue the op for sync, in one durable transaction.

        `base` defaults to the versions this device currently shows for the changed fields (an ordinary
        edit); pass it to resolve a conflict (the winner's and the conflicts' versions). `reason`: why a
        submitted record is amended, carried by the op itself (so the change and its reason travel together).
        Bad input raises `sync.ops.OpError` and changes nothing.
        """
        fields = fields or {}
        spec = kind_spec(kind)
        with self._transaction() as db:
            self._unlocked()
            assert self._clock is not None
            state: RecordState | None = None
            server_state: RecordState | None = None
            local_only = False
            queued: tuple[int | None, int | None] = (None, None)  # the record's first_op and last_op
            if record_id is None:
                if action != "create":
                    raise StoreError(f"{action} needs the id of the record to change")
                record_id = uuid7()
                if kind == "individual":
                    profile_id = record_id
            else:
                row = db.execute(
                    "SELECT id, kind, profile_id, body, base, base IS NULL AS local_only, first_op, last_op "
                    "FROM record WHERE id = ?",
                    (record_id,),
                ).fetchone()
                if row is not None:
                    if action == "create":
                        raise StoreError(f"{kind} {record_id} already exists")
                    state = self._state(row)
                    profile_id = state.profile_id
                    local_only = bool(row["local_only"])
                    queued = (row["first_op"], row["last_op"])
                    # The server's state was stored as "same as body": keep it before the body changes.
                    server_state = state if row["base"] == SAME_AS_BODY else None
                elif action != "create":
                    raise StoreError(f"no {kind} {record_id} on this device")
            if base is None and state is not None:
                base = state.base_for(set(fields) if action == "update" else set())
            # Derived, not counted: a counter row would be one more page written by every tap.
            op_id = db.execute(
                "SELECT max(coalesce((SELECT max(op_id) FROM outbox), 0), "
                "CAST((SELECT value FROM meta WHERE key = 'op_seq') AS INTEGER)) + 1"
            ).fetchone()[0]
            op = validate_op(
                Op(
                    op_id=int(op_id),
                    device_id=self._clock.node,
                    actor_id=actor_id,
                    record_id=record_id,
                    kind=kind,
                    profile_id=profile_id,
                    action=action,
                    fields=fields,
                    base=base or {},
                    hlc=self._clock.now().encode(),
                    reason=reason,
                )
            )
            new_state, _ = apply_op(state, op)
            if (
                action == "delete"
                and kind in CANCEL_UNSENT_KINDS
                and local_only
                and self._unsent(db, record_id, queued)
            ):
                # Undoing a tap the server never saw: drop the tap and its queued create instead of queueing a
                # delete as well — nothing to send, and nothing counted twice as "waiting to sync".
                self._retire_op_ids(db)
                db.execute("DELETE FROM outbox WHERE op_id BETWEEN ? AND ? AND record_id = ?", (*queued, record_id))
                db.execute("DELETE FROM record WHERE id = ?", (record_id,))
                return op
            self._put_record(db, new_state, spec.time_field, base=server_state, op_id=op.op_id)
            db.execute(
                "INSERT INTO outbox (op_id, record_id, kind, profile_id, hlc, body) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    op.op_id,
                    record_id,
                    kind,
                    profile_id,
                    op.hlc,
                    self._seal_text(op.model_dump_json().encode(), "outbox", "body", str(op.op_id)),
                ),
            )
        return op

    def _unsent(self, db: sqlite3.Connection, record_id: str, queued: tuple[int | None, int | None]) -> bool:
        """Whether every queued op of this record is newer than anything handed to the server (a push whose
        answer was lost may have delivered it). `queued`: the record's `first_op` and `last_op`, between which
        its queued ops are (found by op id: a clicker tap's are not in the outbox's record_id index)."""
        first = db.execute(
            "SELECT min(op_id) FROM outbox WHERE op_id BETWEEN ? AND ? AND record_id = ?", (*queued, record_id)
        ).fetchone()[0]
        return first is not None and first > int(self._meta(SENT_THROUGH) or 0)

    def _put_record(
        self,
        db: sqlite3.Connection,
        state: RecordState,
        time_field: str | None,
        *,
        base: RecordState | None = None,
        op_id: int | None = None,
    ) -> None:
        """Insert or update a record row; `base` (the server's state) is replaced only when given; `op_id`: the
        local op that made this state, if any."""
        db.execute(_UPSERT_RECORD, self._record_row(state, time_field, base=base, op_id=op_id))

    def _record_row(
        self,
        state: RecordState,
        time_field: str | None,
        *,
        base: RecordState | None = None,
        version: str = "",
        op_id: int | None = None,
    ) -> tuple[Any, ...]:
        """The parameters of `_UPSERT_RECORD` for a state (`version`: its newest version, if known; `op_id`: the
        local op that made it, if any)."""
        body = self._seal_text(state_json(state), "record", "body", state.id)
        if base is None:
            sealed_base = None
        elif base is state:
            sealed_base = SAME_AS_BODY
        else:
            sealed_base = self._seal_text(state_json(base), "record", "base", state.id)
        return (
            state.id,
            state.kind,
            state.profile_id,
            field_value(state, time_field) if time_field else None,
            version or state.version,
            state.deleted,
            body,
            sealed_base,
            op_id,
            op_id,
        )

    # --- drafts ----------------------------------------------------------------------------------

    def save_draft(self, draft_id: str, kind: str, values: dict[str, Any], *, profile_id: str | None) -> None:
        """Save a half-finished form; saving again replaces it."""
        kind_spec(kind)
        with self._transaction() as db:
            body = self._seal({"kind": kind, "values": values}, "draft", "body", draft_id)
            db.execute(
                "INSERT INTO draft (id, kind, profile_id, updated_at, body) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET profile_id = excluded.profile_id, "
                "updated_at = excluded.updated_at, body = excluded.body",
                (draft_id, kind, profile_id, _iso_now(self._wall), body),
            )

    def delete_draft(self, draft_id: str) -> None:
        with self._transaction() as db:
            self._unlocked()
            db.execute("DELETE FROM draft WHERE id = ?", (draft_id,))
        self._checkpoint()

    # --- small secrets ---------------------------------------------------------------------------

    def put_secret(self, name: str, value: Any) -> None:
        """Keep a small sensitive value (e.g. the server's tokens) encrypted in the store."""
        with self._transaction() as db:
            sealed = self._seal(value, "vault", "value", name)
            db.execute(
                "INSERT INTO vault (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, sealed),
            )

    def get_secret(self, name: str) -> Any:
        with self._lock:
            row = self.db.execute("SELECT value FROM vault WHERE name = ?", (name,)).fetchone()
            return None if row is None else self._open_blob(row[0], "vault", "value", name)

    def delete_secret(self, name: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM vault WHERE name = ?", (name,))
        self._checkpoint()

    # --- sync bookkeeping (used by the sync engine) -----------------------------------------------

    @property
    def cursor(self) -> int:
        with self._lock:
            return int(self._meta("cursor") or 0)

    @property
    def clock(self) -> HybridClock:
        with self._lock:
            self._unlocked()
            assert self._clock is not None
            return self._clock

    def pending_ops(self, limit: int = 500, *, profile_id: str | None = None, after: int | None = None) -> list[Op]:
        """The oldest unacknowledged ops (of one individual; after op id `after`), in op_id order."""
        where = ["op_id > ?"]
        params: list[object] = [-1 if after is None else after]
        if profile_id is not None:
            where.append("profile_id = ?")
            params.append(profile_id)
        with self._lock:
            self._unlocked()
            rows = self.db.execute(
                f"SELECT * FROM outbox WHERE {' AND '.join(where)} ORDER BY op_id LIMIT ?", (*params, limit)
            )
            return [self._outbox_op(row) for row in rows.fetchall()]

    def take_for_sending(
        self, limit: int = 500, *, profile_id: str | None = None, after: int | None = None
    ) -> list[Op]:
        """`pending_ops`, marked as being sent (`mark_sending`) before anything else may write: an undo that came
        between the two would find its tap not yet handed over and cancel it on the device alone, and the push
        would then deliver the tap it took back (tests/localdb/test_store.py::
        test_an_undo_while_a_batch_is_taken_waits_and_travels_as_a_delete)."""
        with self._lock:
            ops = self.pending_ops(limit, profile_id=profile_id, after=after)
            self.mark_sending(op.op_id for op in ops)
            return ops

    def mark_sending(self, op_ids: Iterable[int]) -> None:
        """Remember the highest op id handed to the server: from then on it may have arrived there even if the
        answer never comes back, so undoing it must be sent as a delete rather than cancelled locally."""
        top = max((int(i) for i in op_ids), default=None)
        with self._lock:
            if top is None or top <= int(self._meta(SENT_THROUGH) or 0):
                return
            with self._transaction() as db:
                self._set_meta(db, SENT_THROUGH, str(top))

    def acknowledge(self, op_ids: Iterable[int]) -> None:
        """Remove ops the server acknowledged (applied, duplicate, conflict or quarantined)."""
        ids = [(int(i),) for i in op_ids]
        if ids:
            with self._transaction() as db:
                self._retire_op_ids(db)
                db.executemany("DELETE FROM outbox WHERE op_id = ?", ids)
            self._checkpoint()

    def _retire_op_ids(self, db: sqlite3.Connection) -> None:
        """Before ops leave the outbox: remember the highest id, so no id is ever handed out twice."""
        db.execute(
            "UPDATE meta SET value = CAST(max(CAST(value AS INTEGER), "
            "coalesce((SELECT max(op_id) FROM outbox), 0)) AS TEXT) WHERE key = 'op_seq'"
        )

    def set_clock_offset(self, offset_ms: int, floor: Stamp) -> None:
        """Correct this device's clock by what the server measured (kept across restarts); `floor`: the
        newest server stamp, where the clock restarts (see `HybridClock.calibrate`)."""
        with self._transaction() as db:
            self._unlocked()
            assert self._clock is not None
            self._set_meta(db, "clock_offset_ms", str(int(offset_ms)))
            self._clock.calibrate(int(offset_ms), floor)

    def apply_pulled(self, states: Iterable[RecordState | RecordStateData], cursor: int) -> None:
        """Apply one pulled page and its cursor in one transaction; pending local ops stay on top.

        One statement for the page's pending ops and one (prepared once) for its rows: a page is a thousand
        records, and per-record statements were most of an initial sync's time. A state given as plain data
        (what the engine pulls: `sync.protocol.PulledPage`) with no pending op is stored as it came, sealed in
        the compact form, without becoming a model; one with pending ops is merged as a `RecordState`."""
        states = list(states)
        with self._transaction() as db:
            self._unlocked()
            assert self._clock is not None
            pending: dict[str, list[Op]] = {}
            ids = [state.id if isinstance(state, RecordState) else state["id"] for state in states]
            for row in self._queued_rows(db, ids):
                pending.setdefault(row["record_id"], []).append(self._outbox_op(row))
            rows = []
            newest = ""
            for state, record_id in zip(states, ids, strict=True):
                ops = pending.get(record_id)
                if not ops and not isinstance(state, RecordState):
                    row, version = self._pulled_row(state)
                    rows.append(row)
                    newest = max(newest, version)
                    continue
                server_state = state if isinstance(state, RecordState) else RecordState.model_validate(state)
                visible = server_state
                for op in ops or ():
                    visible, _ = apply_op(visible, op)
                version = server_state.version
                newest = max(newest, version)
                if visible is not server_state:
                    version = visible.version
                time_field = kind_spec(server_state.kind).time_field
                rows.append(self._record_row(visible, time_field, base=server_state, version=version))
            if newest:
                # The clock only has to pass the newest stamp it has seen: once per page, not per record.
                self._clock.receive(newest)
            # In key order (record ids are random): the page's upserts walk the B-tree's leaves in order. No CPU
            # change measured on its own (#14 fourth pass); it keeps a page's writes together in the page cache.
            rows.sort(key=_row_id)
            db.executemany(_UPSERT_RECORD, rows)
            self._set_meta(db, "cursor", str(cursor))

    def _pulled_row(self, data: RecordStateData) -> tuple[tuple[Any, ...], str]:
        """The `_UPSERT_RECORD` parameters of a pulled state with nothing pending (the server's state is what
        the device shows: its base is "same as body"), and its version; what `_record_row` makes of the model."""
        record_id, kind = data["id"], data["kind"]
        body, version = data_json(data)
        fields = data.get("fields", {})
        time_field = kind_spec(kind).time_field
        occurred = fields.get(time_field) if time_field else None
        tombstone = fields.get(DELETED_FIELD)
        row = (
            record_id,
            kind,
            data.get("profile_id"),
            None if occurred is None else occurred["value"],
            version,
            bool(tombstone and tombstone["value"]),
            self._seal_text(body, "record", "body", record_id),
            SAME_AS_BODY,
            None,  # first_op, last_op: a pulled row keeps the record's own
            None,
        )
        return row, version

    def add_sync_issue(self, issue_id: str, profile_id: str | None, details: dict[str, Any]) -> None:
        """Keep a quarantined, rejected or conflicting op for the "needs review" list."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO sync_issue (id, profile_id, created_at, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                (
                    issue_id,
                    profile_id,
                    _iso_now(self._wall),
                    self._seal(details, "sync_issue", "body", issue_id),
                ),
            )

    def resolve_sync_issue(self, issue_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM sync_issue WHERE id = ?", (issue_id,))

    def rebase(self, record_ids: Iterable[str]) -> None:
        """Show the server's state plus what is still pending, for records whose ops the server refused
        (quarantined or rejected): the refused change leaves the screen but stays in the sync issues."""
        with self._transaction() as db:
            for record_id in set(record_ids):
                row = db.execute(
                    "SELECT id, kind, profile_id, body, base FROM record WHERE id = ?", (record_id,)
                ).fetchone()
                if row is None:
                    continue
                visible = self._state(row, "base") if row["base"] is not None else None
                for op_row in self._queued_rows(db, [record_id]):
                    visible, _ = apply_op(visible, self._outbox_op(op_row))
                if visible is None:
                    db.execute("DELETE FROM record WHERE id = ?", (record_id,))
                else:
                    self._put_record(db, visible, kind_spec(visible.kind).time_field)

    def purge_profile(self, profile_id: str) -> None:
        """Remove everything of one individual from the device (after its pending ops were pushed)."""
        with self._transaction() as db:
            self._retire_op_ids(db)
            for table in ("record", "outbox", "draft", "sync_issue"):
                db.execute(f"DELETE FROM {table} WHERE profile_id = ?", (profile_id,))
        self._checkpoint()


def _row_id(row: tuple[Any, ...]) -> str:
    """The record id of an `_UPSERT_RECORD` row (its first parameter)."""
    return str(row[0])


def _iso_now(wall: Callable[[], int]) -> str:
    return dt.datetime.fromtimestamp(wall() / 1000, dt.UTC).isoformat().replace("+00:00", "Z")
