"""A record's history, read from its ops: who changed what, when, from what to what, and why.

The history is never a second copy of the record: it is the record's own ops (the server's op log, the
device's outbox) folded in HLC order with the merge rule, so each change shows the value it replaced. An
update of a submitted incident is an amendment and carries its reason (`Op.reason`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sync.hlc import Stamp
from sync.merge import RecordState, apply_op, field_value
from sync.ops import Op
from sync.protocol import FieldChange, HistoryEntry
from sync.records import amended_fields


def moment(version: str) -> str:
    """The wall-clock moment of an HLC stamp, ISO-8601 UTC."""
    at = dt.datetime.fromtimestamp(Stamp.parse(version).ms / 1000, dt.UTC)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def history(ops: Iterable[Op], state: RecordState | None = None) -> tuple[list[HistoryEntry], RecordState | None]:
    """The entries of `ops` (one record's), oldest first, folded over `state` (the record before them; None:
    from its creation); returns them with the record after them."""
    entries = []
    for op in sorted(ops, key=lambda o: o.hlc):
        before = state
        state, _ = apply_op(state, op)
        changes = []
        if op.action == "update":
            changes = [
                FieldChange(field=name, value=value, previous=field_value(before, name))
                for name, value in op.fields.items()
                if value != field_value(before, name)
            ]
        amended = amended_fields(op.kind, before.values() if before is not None else None, op.fields)
        entries.append(
            HistoryEntry(
                version=op.hlc,
                at=moment(op.hlc),
                actor_id=op.actor_id,
                device_id=op.device_id,
                action=op.action,
                amendment=bool(amended and op.reason),
                reason=op.reason,
                changes=changes,
            )
        )
    return entries, state
