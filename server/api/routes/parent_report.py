"""POST /incidents/{id}/parent-report: email the reviewed written report (a PDF) to the individual's contacts
with parental responsibility and mark it sent (server.services.parent_email). Off (409) unless the
organisation allows it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from server.api.deps import CurrentCaller, State
from server.api.errors import BODY_REFUSALS, refusals
from server.api.schemas import IdPath
from server.services.parent_email import email_report
from sync.protocol import ParentReportEmailed

router = APIRouter(prefix="/incidents", tags=["reports to parents"])
#: the body is the PDF itself, read raw (not JSON), described for /openapi.json
PDF_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/{record_id}/parent-report",
    response_model=ParentReportEmailed,
    responses=refusals(*BODY_REFUSALS, 401, 403, 404, 409),
    openapi_extra=PDF_BODY,
)
async def parent_report(
    record_id: IdPath, request: Request, caller: CurrentCaller, state: State
) -> ParentReportEmailed:
    """Email the written report (the body: the letter as reviewed, `application/pdf`) to the parents. 409 when
    the organisation has not turned it on, 422 when no contact with parental responsibility has an email."""
    pdf = await request.body()
    # The database work is blocking: off the event loop, like a plain `def` route's.
    emailed = await run_in_threadpool(email_report, state.db, state.settings, caller.actor, record_id, pdf)
    return ParentReportEmailed(recipients=emailed.recipients, sent_at=emailed.sent_at)
