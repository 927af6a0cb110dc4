"""GET /records/{id}: one record's merged state; GET /records/{id}/history: its history from the op log.
Each only if the caller may read the record, and each read is audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlmodel import Session

from server.api.deps import CurrentCaller, State
from server.api.errors import ApiError, refusals
from server.api.schemas import IdPath
from server.models import Record
from server.permissions import Actor, can_read, is_removed
from server.services.access import reaches
from server.services.audit import audit_entry, write_audit
from server.services.history import record_history
from server.services.records import utcnow
from sync.merge import RecordState
from sync.protocol import RecordHistory

router = APIRouter(prefix="/records", tags=["records"])
RECORD = Record.__table__


def _readable(session: Session, actor: Actor, record_id: str, *, what: str = "record") -> Any:
    """The record's row, if `actor` may read it (404 / 403 otherwise); a read of a child's record is audited."""
    row = session.execute(
        select(
            RECORD.c.kind,
            RECORD.c.org_id,
            RECORD.c.scope,
            RECORD.c.profile_id,
            RECORD.c.recipient_id,
            RECORD.c.state,
        ).where(RECORD.c.id == record_id)
    ).first()
    if row is None or row.org_id != actor.org_id:
        raise ApiError(404, "not_found", "No such record.")
    allowed = can_read(
        actor,
        kind=row.kind,
        scope=row.scope,
        recipient_id=row.recipient_id,
        reaches_profile=reaches(session, actor, row.profile_id) if row.profile_id else row.scope != "profile",
        removed=is_removed(row.kind, RecordState.model_validate_json(row.state)),
    )
    if not allowed:
        raise ApiError(403, "forbidden", "You do not have access to this record.")
    if row.profile_id:  # a child's record, or a report quoting one
        detail = {"read": what} if what != "record" else None
        entry = audit_entry(
            utcnow(), actor.org_id, actor.id, actor.device_id, "view", row.kind, record_id, row.profile_id, detail
        )
        write_audit(session, [entry])
    return row


@router.get("/{record_id}", response_model=RecordState, responses=refusals(401, 403, 404, 422))
def get_record(record_id: IdPath, caller: CurrentCaller, state: State) -> Response:
    with state.db.session() as session:
        row = _readable(session, caller.actor, record_id)
    return Response(row.state, media_type="application/json")


@router.get("/{record_id}/history", response_model=RecordHistory, responses=refusals(401, 403, 404, 422))
def get_history(record_id: IdPath, caller: CurrentCaller, state: State) -> RecordHistory:
    with state.db.session() as session:
        _readable(session, caller.actor, record_id, what="history")
        return record_history(session, record_id)
