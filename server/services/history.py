"""A record's history, read from the op log: every merged op of a kind with a history
(`server.services.records.HISTORY_KINDS`: incidents) is kept there whole, with its reason, and folded in HLC
order by the pure core (`sync.history`) — who changed what, from what to what, when and why."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from server.models import OpLog
from sync.history import history
from sync.ops import Op
from sync.protocol import RecordHistory

OP_LOG = OpLog.__table__


def record_history(session: Session, record_id: str) -> RecordHistory:
    """The history of one record (the caller has checked that it may be read)."""
    rows = session.execute(select(OP_LOG.c.op).where(OP_LOG.c.record_id == record_id, OP_LOG.c.op.is_not(None)))
    ops = [Op.model_validate_json(row.op) for row in rows]
    entries, _state = history(ops)
    return RecordHistory(record_id=record_id, entries=entries, complete=any(op.action == "create" for op in ops))
