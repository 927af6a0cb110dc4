"""GET /records/{id}: one record's merged state, if the caller may read it (and the read is audited)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from server.api.deps import CurrentCaller, State
from server.api.errors import ApiError, refusals
from server.api.schemas import IdPath
from server.models import Record
from server.permissions import can_read
from server.services.access import reaches
from server.services.audit import audit_entry, write_audit
from server.services.records import utcnow
from sync.merge import RecordState

router = APIRouter(prefix="/records", tags=["records"])
RECORD = Record.__table__


@router.get("/{record_id}", response_model=RecordState, responses=refusals(401, 403, 404, 422))
def get_record(record_id: IdPath, caller: CurrentCaller, state: State) -> Response:
    actor = caller.actor
    with state.db.session() as session:
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
            removed=row.kind == "smart_plan"
            and bool(RecordState.model_validate_json(row.state).values().get("removed")),
        )
        if not allowed:
            raise ApiError(403, "forbidden", "You do not have access to this record.")
        if row.profile_id:  # a child's record, or a report quoting one
            write_audit(
                session,
                [
                    audit_entry(
                        utcnow(), actor.org_id, actor.id, actor.device_id, "view", row.kind, record_id, row.profile_id
                    )
                ],
            )
    return Response(row.state, media_type="application/json")
