"""The op: one change to one record, as written on a device and pushed to the server.

An op carries a per-device increasing `op_id` (what makes push idempotent), the record it changes (id,
kind, profile), the changed fields with the versions the writer had seen of each (`base`, what tells a
deliberate overwrite from a concurrent edit), the HLC stamp that orders it, and — for an amendment of a
submitted incident (`sync.records.amended_fields`) — the reason for the change, written in the same op so
the change and its reason can never be separated. `validate_op` is the one
gate every op passes — on the device before it is queued, and on the server before it is merged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sync.errors import SyncError
from sync.hlc import ClockError, Stamp
from sync.records import DELETED_FIELD, INT64_MAX, Id, NoNul, RecordError, kind_spec, validate_fields, validate_record

Action = Literal["create", "update", "delete"]
#: the longest reason an op may carry
MAX_REASON = 2_000


class Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    op_id: int = Field(ge=1, le=INT64_MAX)
    device_id: Id
    actor_id: Id
    record_id: Id
    kind: str
    profile_id: Id | None = None
    action: Action
    fields: dict[str, Any] = Field(default_factory=dict)
    #: per changed field: the versions (HLC stamps) of that field the writer had seen when editing it
    base: dict[str, list[str]] = Field(default_factory=dict)
    hlc: str
    #: why a submitted record is changed (an amendment) or deleted: who and when are the op's own
    reason: NoNul | None = Field(default=None, max_length=MAX_REASON)

    def changes(self) -> dict[str, Any]:
        """The field values this op writes; a delete writes the tombstone field."""
        if self.action == "delete":
            return {DELETED_FIELD: True}
        return self.fields


class OpError(SyncError, ValueError):
    """An op that must not be merged. The message says why, in plain words."""


def parse_op(data: Any) -> Op:
    """Parse and validate an op from its wire form."""
    try:
        op = Op.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "op"
        raise OpError(f"malformed op: {where}: {first.get('msg')}") from None
    return validate_op(op)


def validate_op(op: Op, *, from_server: bool = False) -> Op:
    """Check an op against its kind's rules; returns it with normalised field values."""
    try:
        spec = kind_spec(op.kind)
        Stamp.parse(op.hlc)
        for versions in op.base.values():
            for version in versions:
                Stamp.parse(version)
    except (RecordError, ClockError) as error:
        raise OpError(str(error)) from None
    if spec.scope == "profile" and not op.profile_id:
        raise OpError(f"{op.kind} op needs the individual's profile_id")
    if op.kind == "individual" and op.profile_id != op.record_id:
        raise OpError("an individual is its own profile: profile_id must equal record_id")
    if spec.scope != "profile" and op.profile_id:
        raise OpError(f"{op.kind} is not kept per individual: profile_id must be empty")
    if op.action == "update" and spec.append_only and set(op.fields) - spec.mutable_fields:
        changeable = f" (except {', '.join(sorted(spec.mutable_fields))})" if spec.mutable_fields else ""
        raise OpError(f"{op.kind} is append-only: it can be created or deleted, not edited{changeable}")
    if op.action == "delete" and op.fields:
        raise OpError("a delete carries no fields")
    if op.reason is not None and (op.action == "create" or not op.reason.strip()):
        raise OpError("a reason comes with an update or a delete (an amendment), and is not blank")
    if op.action == "update" and not op.fields:
        raise OpError("an update must change at least one field")
    stray = set(op.base) - set(op.fields)
    if stray:
        raise OpError(f"base versions given for fields not changed: {sorted(stray)}")
    forbidden = (set(op.fields) & spec.server_fields) if not from_server else set()
    if forbidden:
        raise OpError(f"{op.kind} fields set only by the server: {sorted(forbidden)}")
    try:
        if op.action == "create":
            clean = validate_record(op.kind, op.fields)
        elif op.action == "update":
            if DELETED_FIELD in op.fields:
                raise OpError(f"use a delete op, not {DELETED_FIELD}")
            clean = validate_fields(op.kind, op.fields)
        else:
            clean = {}
    except RecordError as error:
        raise OpError(str(error)) from None
    if not from_server:
        # A device's create is filled with defaults; the server-only fields stay the server's to set.
        clean = {k: v for k, v in clean.items() if k not in spec.server_fields}
    return op.model_copy(update={"fields": clean})
