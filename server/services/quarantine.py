"""Quarantined ops: held back from merging (the author had lost access, their role did not allow it, the
device was reported lost), never dropped — kept whole with the reason, for a lead to apply or discard.

Applying merges the op as it was made (its author and stamp stay on the fields it wrote), but only if the
lead could have made that op themselves: it runs the same checks as a push (`admission.op_refusal`), with
the lead as the one making the change and the op's author as the one it must name. Both outcomes are
audited and update the op log, so a device that replays the op later hears what became of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlmodel import Session

from server.core.config import Settings
from server.db import Database
from server.models import OpLog, QuarantinedOp
from server.permissions import Actor, Capability
from server.services.access import Reach, granted_profiles
from server.services.admission import op_refusal
from server.services.audit import audit_entry, write_audit
from server.services.changes import finish
from server.services.errors import ServiceError
from server.services.records import HISTORY_KINDS, RecordWriter, utcnow
from sync.hlc import HybridClock
from sync.ops import Op, OpError, validate_op

QUARANTINE = QuarantinedOp.__table__
OP_LOG = OpLog.__table__

Resolution = Literal["apply", "discard"]


class QuarantineError(ServiceError):
    """A quarantine request that cannot be done."""


def quarantine_entry(op: Op, org_id: str, reason: str, now: dt.datetime) -> dict[str, Any]:
    """The row that keeps a quarantined op."""
    return {
        "org_id": org_id,
        "device_id": op.device_id,
        "op_id": op.op_id,
        "actor_id": op.actor_id,
        "kind": op.kind,
        "record_id": op.record_id,
        "profile_id": op.profile_id,
        "op": op.model_dump_json(),
        "reason": reason,
        "status": "pending",
        "created_at": now,
        "note": "",
    }


def _public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "device_id": row.device_id,
        "op_id": row.op_id,
        "actor_id": row.actor_id,
        "kind": row.kind,
        "record_id": row.record_id,
        "profile_id": row.profile_id,
        "reason": row.reason,
        "status": row.status,
        "created_at": row.created_at,
        "resolved_by": row.resolved_by,
        "resolved_at": row.resolved_at,
        "note": row.note,
        "op": Op.model_validate_json(row.op),
    }


def _require_reviewer(actor: Actor) -> None:
    if not actor.can(Capability.REVIEW_INCIDENTS):
        raise QuarantineError(403, "forbidden", "Only a lead may review quarantined changes.")


def list_quarantined(
    session: Session, actor: Actor, *, status: str | None = "pending", limit: int = 200
) -> list[dict[str, Any]]:
    """Quarantined ops of the lead's organisation, oldest first (the read is audited)."""
    _require_reviewer(actor)
    query = select(QUARANTINE).where(QUARANTINE.c.org_id == actor.org_id)
    if not actor.org_wide:
        # A lead limited to settings reviews the changes about their individuals (and those about nobody).
        reached = sorted(granted_profiles(session, actor))
        query = query.where(or_(QUARANTINE.c.profile_id.is_(None), QUARANTINE.c.profile_id.in_(reached)))
    if status is not None:
        query = query.where(QUARANTINE.c.status == status)
    rows = list(session.execute(query.order_by(QUARANTINE.c.id).limit(limit)))
    now = utcnow()
    write_audit(
        session,
        [
            audit_entry(now, actor.org_id, actor.id, actor.device_id, "view", row.kind, row.record_id, row.profile_id)
            for row in rows
        ],
    )
    return [_public(row) for row in rows]


def resolve_quarantined(
    db: Database,
    settings: Settings,
    clock: HybridClock,
    actor: Actor,
    quarantine_id: int,
    resolution: Resolution,
    note: str = "",
) -> dict[str, Any]:
    """Apply or discard a quarantined op; returns the updated entry (with `result` when applied)."""
    _require_reviewer(actor)

    def work(session: Session) -> dict[str, Any]:
        row = session.execute(select(QUARANTINE).where(QUARANTINE.c.id == quarantine_id).with_for_update()).first()
        reach = Reach(session, actor)
        if row is None or row.org_id != actor.org_id or (row.profile_id and not reach(row.profile_id)):
            raise QuarantineError(404, "not_found", "No such quarantined change.")
        if row.status != "pending":
            raise QuarantineError(409, "already_resolved", f"This change was already {row.status}.")
        writer = RecordWriter(session, clock)
        result = None
        if resolution == "apply":
            try:
                op = validate_op(Op.model_validate_json(row.op))
            except OpError as error:
                raise QuarantineError(409, "invalid_op", str(error)) from None
            writer.load([op.record_id], lock=True)
            stored = writer.get(op.record_id)
            if stored is not None and stored.state.kind != op.kind:
                raise QuarantineError(409, "invalid_op", "The record this change was for cannot take it.")
            # The very checks a push runs, with the lead as the one making the change.
            refusal = op_refusal(writer, actor, reach, op)
            if refusal:
                raise QuarantineError(403, "forbidden", f"You could not make this change yourself: {refusal}.")
            merged = writer.merge(op, actor.org_id)
            result = "conflict" if merged.conflicts else "applied"
            writer.audit(
                org_id=actor.org_id,
                actor_id=actor.id,
                device_id=actor.device_id,
                action=op.action,
                record_kind=op.kind,
                record_id=op.record_id,
                profile_id=op.profile_id,
            )
        status = "applied" if resolution == "apply" else "discarded"
        now = writer.now
        session.execute(
            update(QUARANTINE)
            .where(QUARANTINE.c.id == quarantine_id)
            .values(status=status, resolved_by=actor.id, resolved_at=now, note=note)
        )
        session.execute(
            update(OP_LOG)
            .where(OP_LOG.c.device_id == row.device_id, OP_LOG.c.op_id == row.op_id)
            .values(status=status, op=row.op if status == "applied" and row.kind in HISTORY_KINDS else None)
        )
        finish(writer, settings)
        updated = session.execute(select(QUARANTINE).where(QUARANTINE.c.id == quarantine_id)).one()
        return {**_public(updated), "result": result}

    return db.run(work)
