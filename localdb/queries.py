"""The read queries the screens need, returning decrypted, typed records.

Filtering uses only the plain columns (kind, profile id, time, deleted); everything else is decrypted after
the rows are chosen. `Queries` is mixed into `localdb.store.LocalStore`, which supplies the connection
(`db`), the lock and decryption.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from localdb.codec import plain_values
from sync.merge import Conflict, RecordState
from sync.ops import Op
from sync.records import kind_spec

if TYPE_CHECKING:
    import sqlite3
    import threading


@dataclass(frozen=True)
class Stored:
    """A record as the device shows it."""

    id: str
    kind: str
    profile_id: str | None
    values: dict[str, Any]
    #: the kind's model built from the values (typed access: `stored.record.what_happened`)
    record: BaseModel
    conflicts: list[Conflict] = field(default_factory=list)
    #: local changes not yet acknowledged by the server
    pending: bool = False
    deleted: bool = False
    version: str = ""
    #: the merged state itself (field versions, what writers had seen), for resolving conflicts
    state: RecordState | None = None

    @classmethod
    def from_state(cls, state: RecordState, *, pending: bool) -> Stored:
        model = kind_spec(state.kind).model
        values = state.values()
        try:
            record = model.model_validate(values)
        except ValidationError:
            # A record whose creating op has not arrived yet: show what there is.
            record = model.model_construct(**values)
        return cls(
            id=state.id,
            kind=state.kind,
            profile_id=state.profile_id,
            values=values,
            record=record,
            conflicts=list(state.conflicts),
            pending=pending,
            deleted=state.deleted,
            version=state.version,
            state=state,
        )


@dataclass(frozen=True)
class Draft:
    id: str
    kind: str
    profile_id: str | None
    updated_at: str
    values: dict[str, Any]


@dataclass(frozen=True)
class SyncIssue:
    id: str
    profile_id: str | None
    created_at: str
    #: status ("quarantined", "rejected", "conflict"), the server's reason, and the op itself
    details: dict[str, Any]


@dataclass(frozen=True)
class PlainRecord:
    """A live record's current field values, decrypted without building its model (for bulk readers)."""

    id: str
    kind: str
    profile_id: str | None
    values: dict[str, Any]


@dataclass(frozen=True)
class RecordChanges:
    """What changed among some kinds' live records since a reader last looked (`Queries.record_changes`)."""

    #: record id -> its fingerprint now, for every live record of the kinds (pass it back next time)
    fingerprints: dict[str, bytes]
    changed: list[PlainRecord]
    gone: set[str]


@dataclass(frozen=True)
class CommunicationThread:
    communication: Stored
    responses: list[Stored]


def iso(moment: dt.datetime) -> str:
    """The plain-column form of a moment: ISO-8601 in UTC with a Z, as the records store it."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


#: a sealed blob starts with its format byte, key id and fresh random nonce: a rewrite always changes them
_FINGERPRINT_BYTES = 17

#: a record's "waiting to sync" flag: a clicker tap's queued ops are found by op id between its row's first_op and
#: last_op (taps are not in the outbox's partial record_id index), looked up only when its newest op is not older
#: than the whole queue (the subquery is computed once per statement); every other kind's through that index
_PENDING = (
    "CASE WHEN record.kind = 'clicker_event' THEN record.last_op >= (SELECT min(op_id) FROM outbox) "
    "AND EXISTS (SELECT 1 FROM outbox WHERE outbox.op_id BETWEEN record.first_op AND record.last_op "
    "AND outbox.record_id = record.id) "
    "ELSE EXISTS (SELECT 1 FROM outbox WHERE outbox.record_id = record.id AND outbox.kind != 'clicker_event') END"
)
_SELECT = f"SELECT record.*, coalesce({_PENDING}, 0) AS pending FROM record"  # NULL: a row with no op ids
#: the queued ops of some records (a JSON list of ids), oldest first, found as `_PENDING` finds them
_QUEUED_OPS = (
    "SELECT * FROM outbox WHERE record_id IN (SELECT value FROM json_each(:ids)) AND kind != 'clicker_event' "
    "UNION ALL SELECT outbox.* FROM record CROSS JOIN outbox "  # CROSS: the record rows first, then their range
    "WHERE record.id IN (SELECT value FROM json_each(:ids)) AND record.kind = 'clicker_event' "
    "AND outbox.op_id BETWEEN record.first_op AND record.last_op AND outbox.record_id = record.id ORDER BY op_id"
)


class Queries:
    _lock: threading.RLock
    #: record id -> ((body blob, pending), decoded record), see `_remembered`
    _decoded: dict[str, tuple[tuple[bytes, bool], Stored]]
    #: called when decrypted data must leave memory (lock), see `on_forget`
    _forget_hooks: list[Callable[[], None]]

    if TYPE_CHECKING:
        # What `LocalStore` supplies, declared for the type checker only (`db` is its read-only property).
        @property
        def db(self) -> sqlite3.Connection: ...
        def _unlocked(self) -> Any: ...
        def _state(self, row: Any, column: str = "body") -> RecordState: ...
        def _open_blob(self, blob: bytes, table: str, column: str, row_id: str) -> Any: ...
        def _outbox_op(self, row: Any) -> Op: ...

    def _select(
        self,
        where: str,
        params: tuple[Any, ...] = (),
        *,
        order: str = "",
        include_deleted: bool = False,
        remember: bool = False,
    ) -> list[Stored]:
        if not include_deleted:
            where = f"({where}) AND deleted = 0"
        if order:
            where += f" ORDER BY {order}"
        with self._lock:
            self._unlocked()
            rows = self.db.execute(f"{_SELECT} WHERE {where}", params).fetchall()
            if remember:
                return [self._remembered(row) for row in rows]
            return [Stored.from_state(self._state(row), pending=bool(row["pending"])) for row in rows]

    def _remembered(self, row: Any) -> Stored:
        """A row decoded once and reused while its ciphertext and pending state are unchanged.

        Decrypting and validating a record is about 1.5 ms, so a lead's whole incident list (1,200 a year)
        took seconds on every search; a row whose blob is byte-for-byte the same decrypts to the same record
        (each write seals with a fresh nonce). Only for read-only callers (`incidents`); `lock()` forgets it."""
        key = (bytes(row["body"]), bool(row["pending"]))
        known = self._decoded.get(row["id"])
        if known is not None and known[0] == key:
            return known[1]
        stored = Stored.from_state(self._state(row), pending=key[1])
        self._decoded[row["id"]] = (key, stored)
        return stored

    def forget_decoded(self) -> None:
        """Drop the decoded records kept by `_remembered`, and tell the `on_forget` hooks to drop theirs (on
        lock: nothing decrypted stays in memory)."""
        self._decoded.clear()
        for hook in list(self._forget_hooks):
            hook()

    def on_forget(self, hook: Callable[[], None]) -> None:
        """Call `hook` whenever the store forgets what it decrypted (on lock), so a reader keeping decrypted
        values of its own (the analytics working set) drops them at the same moment."""
        if hook not in self._forget_hooks:
            self._forget_hooks.append(hook)

    @property
    def change_count(self) -> int:
        """A number that moves with every row this store's connection changes (cheap: no query). Equal
        numbers mean nothing was written in between."""
        return int(self.db.total_changes)

    def record_changes(self, kinds: Iterable[str], known: dict[str, bytes]) -> RecordChanges:
        """The live records of `kinds` whose ciphertext differs from `known` (id -> fingerprint from the last
        call), decrypted to plain values, and the ids no longer live.

        Only the changed rows are decrypted, and without pydantic validation (a field value is as it was
        merged): a lead's device holds tens of thousands of records, and a bulk reader keeping them in
        memory must not pay for all of them again after each tap or sync."""
        fingerprints: dict[str, bytes] = {}
        changed: list[PlainRecord] = []

        def decode(row: Any, kind: str) -> PlainRecord:
            body = self._open_blob(row["body"], "record", "body", row["id"])
            return PlainRecord(row["id"], kind, row["profile_id"], plain_values(body))

        with self._lock:
            self._unlocked()
            for kind in kinds:
                # Spelled out per kind so SQLite can use the partial index for everything but the taps.
                where = "kind = ?" if kind == "clicker_event" else "kind = ? AND kind != 'clicker_event'"
                if not known:
                    # Nothing known yet (after unlock): one pass over the bodies, each decrypted.
                    for row in self.db.execute(
                        f"SELECT id, profile_id, body FROM record WHERE {where} AND deleted = 0", (kind,)
                    ):
                        fingerprints[row["id"]] = bytes(row["body"][:_FINGERPRINT_BYTES])
                        changed.append(decode(row, kind))
                    continue
                rows = self.db.execute(
                    f"SELECT id, substr(body, 1, {_FINGERPRINT_BYTES}) AS print FROM record "
                    f"WHERE {where} AND deleted = 0",
                    (kind,),
                ).fetchall()
                stale: list[str] = []
                for row in rows:
                    fingerprint = bytes(row["print"])
                    fingerprints[row["id"]] = fingerprint
                    if known.get(row["id"]) != fingerprint:
                        stale.append(row["id"])
                for start in range(0, len(stale), 500):
                    chunk = stale[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    for row in self.db.execute(
                        f"SELECT id, profile_id, body FROM record WHERE id IN ({marks})", chunk
                    ).fetchall():
                        changed.append(decode(row, kind))
        gone = {record_id for record_id in known if record_id not in fingerprints}
        return RecordChanges(fingerprints, changed, gone)

    def get(self, record_id: str, *, include_deleted: bool = False) -> Stored | None:
        found = self._select("id = ?", (record_id,), include_deleted=include_deleted)
        return found[0] if found else None

    def server_state(self, record_id: str) -> RecordState | None:
        """The record as the server last sent it (None: never synced), without this device's pending ops."""
        with self._lock:
            self._unlocked()
            row = self.db.execute(
                "SELECT id, kind, profile_id, body, base FROM record WHERE id = ?", (record_id,)
            ).fetchone()  # the columns `_state` reads: a base "same as body" is the body
            return self._state(row, "base") if row is not None and row["base"] is not None else None

    def pending_ops_of(self, record_id: str) -> list[Op]:
        """This device's changes to one record not yet acknowledged by the server, oldest first."""
        with self._lock:
            self._unlocked()
            return [self._outbox_op(row) for row in self._queued_rows(self.db, [record_id])]

    @staticmethod
    def _queued_rows(db: sqlite3.Connection, record_ids: Iterable[str]) -> list[Any]:
        """The outbox rows of these records, oldest first: through the outbox's record_id index, or for a clicker
        tap (not in that index) by op id between its row's `first_op` and `last_op`."""
        return db.execute(_QUEUED_OPS, {"ids": json.dumps(list(record_ids))}).fetchall()

    def records(self, kind: str, profile_id: str | None = None, *, remember: bool = False) -> list[Stored]:
        """Every live record of a kind (optionally of one individual), newest time first. `remember`: decode
        each row once and reuse it while unchanged (`_remembered`; for read-only callers)."""
        if profile_id is None:
            # Spelled out so SQLite can use the partial index (which leaves out the many clicker taps).
            where = "kind = ?" if kind == "clicker_event" else "kind = ? AND kind != 'clicker_event'"
            return self._select(where, (kind,), order="occurred_at DESC", remember=remember)
        return self._select(
            "kind = ? AND profile_id = ?", (kind, profile_id), order="occurred_at DESC", remember=remember
        )

    def held_about(self, profile_id: str) -> list[Stored]:
        """Every record this device holds about one individual, deleted ones too (a subject access request)."""
        return self._select("profile_id = ?", (profile_id,), include_deleted=True)

    def individuals(self) -> list[Stored]:
        """The individuals on this device, by last then first name. Read on almost every screen (names, the
        directory, the record picker): each is decrypted once while unchanged (`_remembered`)."""
        people = self.records("individual", remember=True)
        return sorted(people, key=lambda s: (s.values.get("last_name", ""), s.values.get("first_name", "")))

    def behaviour_types(self, *, active_only: bool = True) -> list[Stored]:
        types = [
            t for t in self.records("behaviour_type", remember=True) if t.values.get("active", True) or not active_only
        ]
        return sorted(types, key=lambda t: (t.values.get("sort_order", 0), t.values.get("label", "")))

    def clicker_events(self, profile_id: str, start: dt.datetime, end: dt.datetime) -> list[Stored]:
        """Clicker taps for one individual with start <= time < end, oldest first."""
        return self._select(
            "kind = 'clicker_event' AND profile_id = ? AND occurred_at >= ? AND occurred_at < ?",
            (profile_id, iso(start), iso(end)),
            order="occurred_at",
        )

    def incidents(
        self,
        *,
        days: int | None = None,
        profile_id: str | None = None,
        now: dt.datetime | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Stored]:
        """Incidents from the last `days` days (None: all), and/or with since <= time < until, newest first."""
        where = "kind = 'incident' AND kind != 'clicker_event'"  # the partial index
        params: tuple[str, ...] = ()
        if profile_id is not None:
            where, params = where + " AND profile_id = ?", (profile_id,)
        if days is not None:
            start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
            where, params = where + " AND occurred_at >= ?", (*params, iso(start))
        if since is not None:
            where, params = where + " AND occurred_at >= ?", (*params, iso(since))
        if until is not None:
            where, params = where + " AND occurred_at < ?", (*params, iso(until))
        return self._select(where, params, order="occurred_at DESC", remember=True)

    def communications(self, profile_id: str) -> list[CommunicationThread]:
        """An individual's communications, newest first, each with its responses oldest first."""
        communications = self.records("communication", profile_id)
        responses = sorted(
            self.records("communication_response", profile_id), key=lambda r: r.values.get("created_at", "")
        )
        by_parent: dict[str, list[Stored]] = {}
        for response in responses:
            by_parent.setdefault(response.values.get("communication_id", ""), []).append(response)
        return [CommunicationThread(c, by_parent.get(c.id, [])) for c in communications]

    def notifications(self, *, unread_only: bool = False) -> list[Stored]:
        """The inbox (read by the dashboard's unread count too): each decrypted once while unchanged."""
        found = self.records("notification", remember=True)
        return [n for n in found if not (unread_only and n.values.get("read"))]

    def with_conflicts(self) -> list[Stored]:
        """Records carrying kept conflicts, for the "needs review" list."""
        return [s for s in self._select("1 = 1") if s.conflicts]

    def drafts(self, kind: str | None = None) -> list[Draft]:
        """Saved drafts, most recently saved first."""
        with self._lock:
            self._unlocked()
            if kind is None:
                rows = self.db.execute("SELECT * FROM draft ORDER BY updated_at DESC").fetchall()
            else:
                rows = self.db.execute(
                    "SELECT * FROM draft WHERE kind = ? ORDER BY updated_at DESC", (kind,)
                ).fetchall()
            drafts = []
            for row in rows:
                body = self._open_blob(row["body"], "draft", "body", row["id"])
                drafts.append(Draft(row["id"], row["kind"], row["profile_id"], row["updated_at"], body["values"]))
            return drafts

    def draft(self, draft_id: str) -> Draft | None:
        return next((d for d in self.drafts() if d.id == draft_id), None)

    def sync_issues(self) -> list[SyncIssue]:
        """Ops the server quarantined or rejected, and edits kept as conflicts: who, when, why."""
        with self._lock:
            self._unlocked()
            rows = self.db.execute("SELECT * FROM sync_issue ORDER BY created_at").fetchall()
            return [
                SyncIssue(
                    row["id"],
                    row["profile_id"],
                    row["created_at"],
                    self._open_blob(row["body"], "sync_issue", "body", row["id"]),
                )
                for row in rows
            ]

    def pending_count(self, *, audits: bool = True) -> int:
        """Ops waiting for sync. `audits=False` counts only the person's changes, leaving out this device's
        audit events (what was opened or downloaded on it): they are sent with every sync like the rest, but
        they are not changes anyone made, so the status line and sign-out do not call them that."""
        with self._lock:
            if audits:
                return int(self.db.execute("SELECT count(*) FROM outbox").fetchone()[0])
            return int(self.db.execute("SELECT count(*) FROM outbox WHERE kind != 'audit_event'").fetchone()[0])
