"""Push: a device's batch of ops, merged all or nothing, with one result per op.

The batch is one transaction of its own on PostgreSQL; on SQLite it is one savepoint in the transaction
of the batches that queued for the writer with it, committed together (`server.group_commit`).

Every op is checked before anything is written: a replay of an op already received is acknowledged as
`duplicate` (the op log's (device, op id) key), an invalid op is `rejected`, an op its author may not make
(no access to the individual any more, a role that does not allow it, a device reported lost) is
`quarantined` — kept whole for a lead to review — and the rest are merged (`applied`, or `conflict` when a
concurrent value lost and was kept on the record). Stamps are first corrected by the device's measured clock
offset (`DeviceClock`, see server.services.clock), then clamped if still too far ahead.

The fast path merges the whole batch in memory and writes it in bulk. If writing fails anyway, the batch is
run again with a savepoint around each op, so one op the database refuses never costs the others.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from server.core.config import Settings
from server.db import Database
from server.group_commit import group_commit
from server.models import Device, OpLog
from server.permissions import Actor
from server.services.access import Reach
from server.services.accounts import Caller
from server.services.admission import destroyed_target, op_refusal
from server.services.changes import finish
from server.services.clock import DeviceClock, note_device_clock
from server.services.errors import ServiceError
from server.services.quarantine import quarantine_entry
from server.services.records import RecordWriter
from sync.hlc import HybridClock, Stamp, clamp_future
from sync.merge import RecordState, field_value
from sync.ops import Op, OpError, validate_op
from sync.protocol import OpResult, OpStatus, PushRequest, PushResponse
from sync.records import KINDS

log = logging.getLogger("besmart.server.push")

DEVICE = Device.__table__
OP_LOG = OpLog.__table__

BLOCKED_REASON = "this device was reported lost or its access was revoked"


class PushRefused(ServiceError):
    """The whole request is refused (4xx), nothing written."""


def check_envelope(caller: Caller, request: PushRequest) -> None:
    """Refuse a request that is not this device's own, well-formed ops."""
    for op in request.ops:
        if op.kind not in KINDS:
            raise PushRefused(400, "unknown_kind", f"op {op.op_id}: unknown record kind {op.kind!r}")
        if op.device_id != caller.actor.device_id:
            raise PushRefused(403, "wrong_device", f"op {op.op_id} was made on another device ({op.device_id})")
        if op.actor_id != caller.actor.id:
            raise PushRefused(403, "wrong_actor", f"op {op.op_id} names another user as its author")


def _refusal(writer: RecordWriter, actor: Actor, reach: Reach, op: Op, blocked: bool) -> str | None:
    """Why this op must be quarantined (None: it may be merged)."""
    return BLOCKED_REASON if blocked else op_refusal(writer, actor, reach, op)


def _clamp(op: Op, clock: HybridClock, device: DeviceClock | None = None, state: RecordState | None = None) -> Op:
    """The op with its stamp in the server's time: corrected for the device's clock, clamped if still too
    far ahead, and always after every version its author had seen (a skew measured a little differently
    from one sync to the next must not put a deliberate overwrite before what it overwrote)."""
    stamp = Stamp.parse(op.hlc)
    base = {name: [_own_version(v, op, name, device, state) for v in versions] for name, versions in op.base.items()}
    clamped = clamp_future(device.correct(stamp) if device else stamp, clock)
    seen = [Stamp.parse(v) for versions in base.values() for v in versions]
    if seen and max(seen) >= clamped:
        issued = clock.receive(max(seen))
        clamped = Stamp(issued.ms, issued.counter, stamp.node)
    clock.receive(clamped)
    if clamped == stamp and base == op.base:
        return op
    return op.model_copy(update={"hlc": clamped.encode(), "base": base})


def _own_version(version: str, op: Op, name: str, device: DeviceClock | None, state: RecordState | None) -> str:
    """A base version in the server's time. The device's own stamps it has not had back from the server yet
    (an earlier edit still in the same push) were stamped with the same clock: correct them alike."""
    if device is None or not device.skew_ms or Stamp.parse(version).node != op.device_id:
        return version
    if state is not None:
        current = state.fields.get(name)
        kept = (*state.conflicts, *state.echoes)
        known = {c.version for c in kept if c.field == name} | set(state.seen.get(name, ()))
        if (current and current.version == version) or version in known:
            return version  # the server's own record of it: already in the server's time
    return device.correct(Stamp.parse(version)).encode()


class _Batch:
    """One run of a batch in one transaction."""

    def __init__(
        self, session: Session, settings: Settings, clock: HybridClock, caller: Caller, device: DeviceClock | None
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.device_clock = device
        self.actor = caller.actor
        self.writer = RecordWriter(session, clock)
        self.reach = Reach(session, caller.actor)
        self.session = session
        # Lock the device row: two pushes from one device (a retry racing the original) take turns.
        row = session.execute(
            select(DEVICE.c.status).where(DEVICE.c.id == caller.actor.device_id).with_for_update()
        ).first()
        self.blocked = caller.blocked or row is None or row.status != "active"
        self.seen: dict[int, str] = {}

    def prepare(self, ops: list[Op]) -> None:
        rows = self.session.execute(
            select(OP_LOG.c.op_id, OP_LOG.c.status).where(
                OP_LOG.c.device_id == self.actor.device_id, OP_LOG.c.op_id.in_({op.op_id for op in ops})
            )
        )
        self.seen = {row.op_id: row.status for row in rows}
        self.writer.load({op.record_id for op in ops}, lock=True)
        self.writer.load({op.profile_id for op in ops if op.profile_id}, lock=False)

    def one(self, op: Op, valid: Op | Exception) -> OpResult:
        """The result of one op (`valid`: what `checked` made of it). Nothing is changed until every check
        and the merge itself succeeded, so an op that fails in an unexpected way is answered `rejected` and
        costs the others nothing."""
        try:
            return self._one(op, valid)
        except SQLAlchemyError:
            raise  # the database's trouble: the whole batch is retried op by op
        except Exception as error:
            # Where, not what: the message of an exception may quote the op's values (a child's data).
            where = traceback.extract_tb(error.__traceback__)[-1]
            log.error(
                "op %s of device %s failed: %s at %s:%s",
                op.op_id, op.device_id, type(error).__name__, where.filename, where.lineno,
            )  # fmt: skip
            return OpResult(
                op_id=op.op_id,
                status="rejected",
                reason="the server could not process this change",
                record_id=op.record_id,
            )

    def _one(self, op: Op, valid: Op | Exception) -> OpResult:
        if op.op_id in self.seen:
            return OpResult(
                op_id=op.op_id,
                status="duplicate",
                reason=f"already received ({self.seen[op.op_id]})",
                record_id=op.record_id,
            )
        try:
            if isinstance(valid, Exception):
                raise valid  # an OpError is answered `rejected` with its reason, anything else by `one`
            stored = self.writer.get(op.record_id)
            op = _clamp(valid, self.clock, self.device_clock, stored.state if stored else None)
        except OpError as error:
            return OpResult(op_id=op.op_id, status="rejected", reason=str(error), record_id=op.record_id)
        stored = self.writer.get(op.record_id)
        if stored is not None and stored.state.kind != op.kind:
            reason = f"record {op.record_id} is a {stored.state.kind}, not a {op.kind}"
            return OpResult(op_id=op.op_id, status="rejected", reason=reason, record_id=op.record_id)
        if (gone := destroyed_target(self.writer, op)) is not None:
            return OpResult(op_id=op.op_id, status="rejected", reason=gone, record_id=op.record_id)
        refusal = _refusal(self.writer, self.actor, self.reach, op, self.blocked)
        if refusal is not None:
            self.writer.log_op(op, "quarantined")
            self.writer.pending.quarantine.append(quarantine_entry(op, self.actor.org_id, refusal, self.writer.db_now))
            self.seen[op.op_id] = "quarantined"
            return OpResult(op_id=op.op_id, status="quarantined", reason=refusal, record_id=op.record_id)
        merged = self.writer.merge(op, self.actor.org_id)
        status: OpStatus = "conflict" if merged.conflicts else "applied"
        self.writer.log_op(op, status)
        if op.kind == "audit_event":
            self._device_audit(op)
        else:
            self.writer.audit(
                org_id=self.actor.org_id,
                actor_id=self.actor.id,
                device_id=self.actor.device_id,
                action=op.action,
                record_kind=op.kind,
                record_id=op.record_id,
                profile_id=op.profile_id,
            )
        self.seen[op.op_id] = status
        note = f"kept {len(merged.conflicts)} concurrent value(s) as conflicts" if merged.conflicts else None
        return OpResult(op_id=op.op_id, status=status, reason=note, record_id=op.record_id)

    def _device_audit(self, op: Op) -> None:
        """What the device audited (a download made on it, perhaps offline) becomes the audit log's row for it:
        the action and record it names, and when it happened on the device (`detail.at`; the row's own time
        is when the server heard of it)."""
        event = op.fields
        self.writer.audit(
            org_id=self.actor.org_id,
            actor_id=self.actor.id,
            device_id=self.actor.device_id,
            action=str(event["action"]),
            record_kind=str(event["record_kind"]),
            record_id=event.get("record_id"),
            profile_id=event.get("profile_id"),
            detail={"at": event.get("at"), "audit_event": op.record_id},
        )

    def references(self, results: list[OpResult], ops: list[Op]) -> list[OpResult]:
        out = []
        for op, result in zip(ops, results, strict=True):
            stored = self.writer.get(op.record_id) if op.kind == "incident" else None
            reference = field_value(stored.state, "reference") if stored else None
            out.append(result.model_copy(update={"reference": reference}) if reference else result)
        return out


def checked(op: Op) -> Op | Exception:
    """The op validated against its kind's rules, or what validating it raised (answered per op, in the
    batch, as if raised there)."""
    try:
        return validate_op(op)
    except Exception as error:
        return error


def _fast(batch: _Batch, ops: list[Op], valid: list[Op | Exception]) -> list[OpResult]:
    results = [batch.one(op, v) for op, v in zip(ops, valid, strict=True)]
    finish(batch.writer, batch.settings)
    return results


def _careful(batch: _Batch, ops: list[Op], valid: list[Op | Exception]) -> list[OpResult]:
    results = []
    for op, v in zip(ops, valid, strict=True):
        snapshot = batch.writer.checkpoint()
        seen = dict(batch.seen)
        try:
            with batch.writer.conn.begin_nested():
                result = batch.one(op, v)
                finish(batch.writer, batch.settings)
        except SQLAlchemyError as error:
            log.warning("op %s of device %s could not be stored: %s", op.op_id, op.device_id, type(error).__name__)
            batch.writer.restore(snapshot)
            batch.seen = seen
            result = OpResult(
                op_id=op.op_id,
                status="rejected",
                reason="the server could not store this change",
                record_id=op.record_id,
            )
        results.append(result)
    return results


def _transaction(db: Database, work: Callable[[Session], list[OpResult]], weight: int) -> list[OpResult]:
    """Run a push's work in a write transaction: on SQLite, in the group of pushes waiting for the one
    writer (one commit for them all, each push in its own savepoint: server.group_commit); on PostgreSQL,
    where writers run side by side, alone."""
    if db.is_sqlite:
        return group_commit(db).run(work, weight=weight)
    return db.run(work)


def push(
    db: Database,
    settings: Settings,
    clock: HybridClock,
    caller: Caller,
    request: PushRequest,
    *,
    device_clock: DeviceClock | None = None,
) -> PushResponse:
    """Merge a device's batch; one result per op, in the order sent. `device_clock`: how far the device's
    clock is off the server's (server.services.clock); its stamps are corrected by it."""
    check_envelope(caller, request)
    ops = list(request.ops)
    # An op's own checks need nothing from the database: made here, before the write lock, they overlap
    # another push's commit instead of lengthening every writer's turn.
    valid = [checked(op) for op in ops]

    def run(mode: Callable[[_Batch, list[Op], list[Op | Exception]], list[OpResult]]) -> list[OpResult]:
        def work(session: Session) -> list[OpResult]:
            batch = _Batch(session, settings, clock, caller, device_clock)
            if device_clock is not None:
                note_device_clock(session, caller.actor.device_id, device_clock)
            batch.prepare(ops)
            return batch.references(mode(batch, ops, valid), ops)

        return _transaction(db, work, len(ops))

    try:
        results = run(_fast)
    except SQLAlchemyError as error:
        log.warning("batch of %d ops failed as a whole (%s); retrying op by op", len(ops), type(error).__name__)
        results = run(_careful)
    return PushResponse(results=results, hlc=clock.now().encode())
