"""Records in the server database: load them, merge ops into them, write them back with new sequence numbers.

A `RecordWriter` is one transaction's view of the records it touches. Ops are merged in memory with the
pure rule (`sync.merge.apply_op`); `flush` then writes every changed record once with a fresh sequence
number, and the rows that go with the changes (op log, quarantine, audit, email jobs) in bulk — so a batch
of hundreds of ops costs a handful of statements, not hundreds.

Sequence numbers come from one counter row, incremented as the last step before commit: the row lock it
takes makes transactions hand out numbers in commit order, so a reader paging by sequence number never
skips a change that commits later with a smaller number (a SQLite group commit, `server.group_commit`,
numbers each batch at its end and commits the group as one: the same holds). The record rows a batch will
change are locked (SELECT ... FOR UPDATE, in id order) when loaded, so two server processes merge into the
same record one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlmodel import Session

from server.models import AuditLog, Counter, EmailJob, OpLog, ProfileStaff, QuarantinedOp, Record, UserAccount
from server.services.audit import audit_entry
from sync.hlc import HybridClock
from sync.ids import uuid7
from sync.merge import Conflict, FieldValue, RecordState, apply_op, field_value
from sync.ops import Action, Op, validate_op
from sync.records import DELETED_FIELD, kind_spec

SERVER_NODE = "server"
#: the kinds whose merged ops the op log keeps, to show a record's history (amendments and their reasons)
HISTORY_KINDS = frozenset({"incident"})
#: op log statuses of an op that was merged into its record
MERGED = frozenset({"applied", "conflict"})
#: the actor of writes the server makes on its own account (references, notifications)
SYSTEM_ACTOR = "server"

RECORD = Record.__table__
COUNTER = Counter.__table__
PROFILE_STAFF = ProfileStaff.__table__
USER_ACCOUNT = UserAccount.__table__
OP_LOG = OpLog.__table__
QUARANTINE = QuarantinedOp.__table__
AUDIT = AuditLog.__table__
EMAIL = EmailJob.__table__

_LOAD = select(RECORD.c.id, RECORD.c.org_id, RECORD.c.state).where(RECORD.c.id.in_(bindparam("ids", expanding=True)))
_LOAD_LOCKED = _LOAD.order_by(RECORD.c.id).with_for_update()
_ALLOCATE = (
    update(COUNTER)
    .where(COUNTER.c.name == bindparam("counter"))
    .values(value=COUNTER.c.value + bindparam("count"))
    .returning(COUNTER.c.value)
)


def db_moment(moment: dt.datetime, dialect: str) -> Any:
    """A moment as the bulk statements pass it: what `UTCDateTime` would store (naive UTC text on SQLite)."""
    if dialect == "sqlite":
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Stored:
    """A record as this transaction sees it."""

    state: RecordState
    org_id: str
    in_db: bool


@dataclass(frozen=True)
class Merged:
    """One op merged: the record before and after, and the concurrent values it newly kept as conflicts."""

    op: Op
    org_id: str
    before: RecordState | None
    after: RecordState
    conflicts: list[Conflict]


@dataclass
class _Pending:
    """Rows that go with the changes, written in bulk by `flush`."""

    op_log: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)


def destroyed(state: RecordState) -> bool:
    """Whether the record was destroyed at the end of its retention period (`RecordWriter.destroy`): a
    tombstone the server wrote that carries no other field. (A device's delete keeps the record's fields.)"""
    deleted = state.fields.get(DELETED_FIELD)
    return deleted is not None and len(state.fields) == 1 and deleted.device_id == SERVER_NODE


class RecordWriter:
    """Merges ops into records within one transaction and writes them out with new sequence numbers."""

    def __init__(self, session: Session, clock: HybridClock) -> None:
        self.session = session
        #: Core statements go straight to the connection: the ORM layer would only add cost
        self.conn = session.connection()
        self.clock = clock
        self.now = utcnow()
        #: `now` ready for the bulk statements, which bypass SQLAlchemy's per-row type processing
        self.db_now = db_moment(self.now, self.conn.dialect.name)
        self._cache: dict[str, Stored | None] = {}
        self._dirty: dict[str, None] = {}  # an ordered set
        #: merges since the last flush, in order (what notifications and references look at)
        self.merged: list[Merged] = []
        self.pending = _Pending()

    # --- reading --------------------------------------------------------------------------------

    def load(self, ids: Iterable[str], *, lock: bool) -> None:
        """Read records into the cache; `lock`: also lock their rows until commit (those we will change)."""
        wanted = sorted({i for i in ids if i not in self._cache})
        if not wanted:
            return
        # Locked in id order: two transactions locking overlapping sets take the locks in the same order.
        found = {row.id: row for row in self.conn.execute(_LOAD_LOCKED if lock else _LOAD, {"ids": wanted})}
        for record_id in wanted:
            row = found.get(record_id)
            self._cache[record_id] = (
                Stored(RecordState.model_validate_json(row.state), row.org_id, True) if row else None
            )

    def get(self, record_id: str) -> Stored | None:
        if record_id not in self._cache:
            self.load([record_id], lock=False)
        return self._cache[record_id]

    def existing(self, record_id: str) -> Stored:
        """A record this transaction knows exists (it merged it, or loaded it and found it)."""
        stored = self.get(record_id)
        if stored is None:
            raise LookupError(f"no record {record_id}")
        return stored

    # --- merging --------------------------------------------------------------------------------

    def merge(self, op: Op, org_id: str) -> Merged:
        """Merge a validated op into its record (created in `org_id` when new)."""
        current = self.get(op.record_id)
        after, conflicts = apply_op(current.state if current else None, op)
        return self._changed(op, org_id, current, after, conflicts)

    def _changed(
        self, op: Op, org_id: str, current: Stored | None, after: RecordState, conflicts: list[Conflict]
    ) -> Merged:
        org_id = current.org_id if current else org_id
        self._cache[op.record_id] = Stored(after, org_id, bool(current and current.in_db))
        self._dirty[op.record_id] = None
        merged = Merged(op, org_id, current.state if current else None, after, conflicts)
        self.merged.append(merged)
        return merged

    def server_write(
        self,
        kind: str,
        action: Action,
        fields: dict[str, Any] | None = None,
        *,
        org_id: str,
        record_id: str | None = None,
        profile_id: str | None = None,
        actor_id: str = SYSTEM_ACTOR,
        reason: str | None = None,
    ) -> Merged:
        """A write made by the server itself (an admin service, a reference, a notification): an op stamped
        by the server's clock, validated like a device's and merged into the record."""
        if action != "create" and record_id is None:
            raise ValueError("an update or delete names its record")
        if record_id is None:
            record_id = uuid7()
            self._cache[record_id] = None  # a fresh id: known not to exist, no need to look
        current = self.get(record_id)
        names = set(fields or {})
        op = Op(
            op_id=1,
            device_id=SERVER_NODE,
            actor_id=actor_id,
            record_id=record_id,
            kind=kind,
            profile_id=profile_id,
            action=action,
            fields=fields or {},
            # The server has seen the current value of everything it overwrites: no self-made conflicts.
            base=current.state.base_for(names) if current else {},
            hlc=self.clock.now().encode(),
            reason=reason,
        )
        return self.merge(validate_op(op, from_server=True), org_id)

    def destroy(self, record_id: str, actor_id: str) -> None:
        """Replace a record with a tombstone carrying none of its fields (retention: `services.retention`);
        written out, with a new sequence number, by `flush`."""
        stored = self.existing(record_id)
        tombstone = FieldValue(value=True, version=self.clock.now().encode(), actor_id=actor_id, device_id=SERVER_NODE)
        state = RecordState(
            id=record_id, kind=stored.state.kind, profile_id=stored.state.profile_id, fields={DELETED_FIELD: tombstone}
        )
        self._cache[record_id] = Stored(state, stored.org_id, stored.in_db)
        self._dirty[record_id] = None

    # --- bookkeeping rows -----------------------------------------------------------------------

    def log_op(self, op: Op, status: str) -> None:
        """The op log's row for a received op; a merged op of a kind with a history keeps the op itself."""
        kept = status in MERGED and op.kind in HISTORY_KINDS
        self.pending.op_log.append(
            {
                "device_id": op.device_id,
                "op_id": op.op_id,
                "record_id": op.record_id,
                "status": status,
                "received_at": self.db_now,
                "op": op.model_dump_json() if kept else None,
            }
        )

    def audit(
        self,
        *,
        org_id: str,
        actor_id: str,
        device_id: str | None,
        action: str,
        record_kind: str,
        record_id: str | None,
        profile_id: str | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.pending.audit.append(
            audit_entry(self.db_now, org_id, actor_id, device_id, action, record_kind, record_id, profile_id, detail)
        )

    # --- writing --------------------------------------------------------------------------------

    def checkpoint(self) -> dict[str, Stored | None]:
        """The cache as it is now (after a flush), to go back to if the next op's savepoint rolls back."""
        return dict(self._cache)

    def restore(self, snapshot: dict[str, Stored | None]) -> None:
        self._cache = snapshot
        self._dirty.clear()
        self.merged.clear()
        self.pending = _Pending()

    def allocate(self, counter: str, count: int) -> int:
        """Add `count` to a counter and return its new value (the row stays locked until commit)."""
        return self.conn.execute(_ALLOCATE, {"counter": counter, "count": count}).scalar_one()

    def flush_rows(self) -> None:
        """Write the bookkeeping rows gathered so far (op log, quarantine, audit, email jobs)."""
        pending, self.pending = self.pending, _Pending()
        for table, rows in (
            (OP_LOG, pending.op_log),
            (QUARANTINE, pending.quarantine),
            (AUDIT, pending.audit),
            (EMAIL, pending.emails),
        ):
            if rows:
                self._insert_many(table, rows)

    def flush(self) -> None:
        """Write the bookkeeping rows, then every changed record with a new sequence number."""
        self.flush_rows()
        dirty = list(self._dirty)
        self._dirty.clear()
        self.merged.clear()
        if not dirty:
            return
        changed = {record_id: self.existing(record_id) for record_id in dirty}
        self._index_people(list(changed.values()))
        inserts, updates = [], []
        for record_id, stored in changed.items():
            state = stored.state
            row = {
                "seq": 0,  # numbered below
                "deleted": state.deleted,
                "state": state.model_dump_json(),
                "reference": field_value(state, "reference") if state.kind == "incident" else None,
                "recipient_id": _person(state),
                "updated_at": self.db_now,
            }
            if stored.in_db:
                updates.append({**row, "id": record_id})
            else:
                spec = kind_spec(state.kind)
                inserts.append(
                    {
                        "id": record_id,
                        "kind": state.kind,
                        "org_id": stored.org_id,
                        "scope": spec.scope,
                        "profile_id": state.profile_id or _about(state),
                        **row,
                    }
                )
                self._cache[record_id] = Stored(state, stored.org_id, True)
        # Numbered last: the counter row stays locked from here to the commit, so keep this short.
        top = self.allocate("seq", len(dirty))
        for seq, row in enumerate((*inserts, *updates), start=top - len(dirty) + 1):
            row["seq"] = seq
        if inserts:
            self._insert_many(RECORD, inserts)
        if updates:
            columns = [c for c in updates[0] if c != "id"]
            mark = self._mark
            assignments = ", ".join(f"{c} = {mark}" for c in columns)
            values = itemgetter(*columns, "id")
            self.conn.exec_driver_sql(
                f"UPDATE {RECORD.name} SET {assignments} WHERE id = {mark}",
                [values(row) for row in updates],
            )

    @property
    def _mark(self) -> str:
        return "?" if self.conn.dialect.paramstyle == "qmark" else "%s"

    def _insert_many(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows straight through the driver: for thousands of rows, SQLAlchemy's per-row parameter
        processing costs more than the database's work. Rows carry database-ready values (`db_now`).
        SQLite takes an executemany (it has no round trips to save); PostgreSQL a COPY, one stream for
        all the rows."""
        columns = list(rows[0])
        names = ", ".join(columns)
        # itemgetter builds each row's tuple in C, several times faster than a generator per row
        values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
        if self._mark == "?":
            marks = ", ".join("?" * len(columns))
            self.conn.exec_driver_sql(
                f"INSERT INTO {table.name} ({names}) VALUES ({marks})", [values(row) for row in rows]
            )
            return
        driver = self.conn.connection.driver_connection
        if driver is None:  # only a connection that was closed under us has none
            raise RuntimeError("the database connection is closed")
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(values(row))

    def _index_people(self, changed: list[Stored]) -> None:
        """Keep the derived tables in step: who is linked to which individual, and the staff accounts."""
        links = [s for s in changed if s.state.kind in ("access_grant", "key_staff")]
        if links:
            self.conn.execute(delete(PROFILE_STAFF).where(PROFILE_STAFF.c.record_id.in_([s.state.id for s in links])))
            live = [
                {
                    "record_id": s.state.id,
                    "org_id": s.org_id,
                    "kind": s.state.kind,
                    "profile_id": s.state.profile_id,
                    "staff_id": s.state.values()["staff_id"],
                }
                for s in links
                if not s.state.deleted and field_value(s.state, "staff_id") and s.state.profile_id
            ]
            if live:
                self.conn.execute(insert(PROFILE_STAFF), live)
        for stored in (s for s in changed if s.state.kind == "staff"):
            _mirror_staff(self.conn, stored, self.now)


def _person(state: RecordState) -> str | None:
    """The one person a record is for (the `recipient_id` column): a notification's recipient; the author of a
    report of a problem with an output, or of a support request, who receives it back."""
    if state.kind == "notification":
        return field_value(state, "recipient_id")
    if state.kind in ("output_feedback", "support_request"):
        return field_value(state, "author_id")
    return None


def _about(state: RecordState) -> str | None:
    """The individual an organisation record is about (the `profile_id` column, for reads to check reach):
    a report of a problem with an output names it (it never changes after the report is made)."""
    return field_value(state, "profile_id") if state.kind == "output_feedback" else None


def _mirror_staff(conn: Connection, stored: Stored, now: dt.datetime) -> None:
    """A `staff` record is the account's public face: copy its name, email, role and active flag."""
    values = stored.state.values()
    if not values.get("email") or not values.get("name"):
        return  # a partial record (an update seen before its create): nothing to mirror yet
    mirror = {
        "org_id": stored.org_id,
        "email": values["email"].strip().lower(),
        "name": values["name"],
        "role": values.get("role", "staff"),
        "active": bool(values.get("active", True)) and not stored.state.deleted,
    }
    exists = conn.execute(select(USER_ACCOUNT.c.id).where(USER_ACCOUNT.c.id == stored.state.id)).first()
    if exists:
        conn.execute(update(USER_ACCOUNT).where(USER_ACCOUNT.c.id == stored.state.id).values(**mirror))
    else:
        conn.execute(insert(USER_ACCOUNT).values(id=stored.state.id, created_at=now, **mirror))
