"""The written report to parents, emailed by the server (issue #13): off unless an admin turned it on for the
organisation (its `parent_report_email`). A device uploads the letter as the person reviewed it (a PDF); the
server finds the individual's key contacts with parental responsibility and an email address, queues one
email to each with the PDF attached (sent by the email worker through the server's SMTP), audits it (`email`,
the incident and individual) and marks the report sent by email — a server write in the same transaction,
so it syncs back to every device and stops the clock.

The email's body says only that a letter from the organisation is attached: the child's data travels in the
letter the person reviewed, nothing more. Who may: a user who may record and reaches the individual.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from server.core.config import Settings
from server.db import Database
from server.models import Record
from server.permissions import Actor
from server.services.access import reaches
from server.services.changes import finish
from server.services.clock import server_clock
from server.services.errors import ServiceError
from server.services.notifications import queue_email
from server.services.records import RecordWriter
from sync.compliance import why_not_emailed
from sync.ids import uuid7
from sync.merge import RecordState, field_value
from sync.permissions import Capability
from sync.records import ContactMethod

RECORD = Record.__table__
#: the audit action of an email to parents
AUDIT_ACTION = "email"
#: the longest PDF accepted (the request body limit applies too)
MAX_PDF_BYTES = 4 * 1024 * 1024
SUBJECT = "A letter from {organisation}"
BODY = (
    "Dear parent or carer,\n\n"
    "Please find attached a letter from {organisation}. Please read it, and contact us if you have any "
    "questions.\n\n"
    "{organisation}\n"
)


@dataclass(frozen=True)
class Emailed:
    """What was done: how many contacts the report was queued to, and when it was marked sent."""

    recipients: int
    sent_at: str


def allowed(session: Session, org_id: str) -> bool:
    """Whether the organisation lets the server email the written report to parents."""
    row = session.execute(select(RECORD.c.state).where(RECORD.c.id == org_id, RECORD.c.kind == "organisation")).first()
    return bool(row and field_value(RecordState.model_validate_json(row.state), "parent_report_email"))


def _contacts(session: Session, profile_id: str) -> list[str]:
    """The email addresses of the individual's live key contacts with parental responsibility."""
    rows = session.execute(
        select(RECORD.c.state).where(
            RECORD.c.kind == "key_contact", RECORD.c.profile_id == profile_id, RECORD.c.deleted.is_(False)
        )
    )
    found: list[str] = []
    for row in rows:
        values = RecordState.model_validate_json(row.state).values()
        email = str(values.get("email") or "").strip()
        if values.get("parental_responsibility") and email and email.lower() not in {f.lower() for f in found}:
            found.append(email)
    return found


def email_report(db: Database, settings: Settings, actor: Actor, incident_id: str, pdf: bytes) -> Emailed:
    """Queue the reviewed written report (`pdf`) to the individual's contacts with parental responsibility,
    audit it and mark the report sent by email. ServiceError (nothing changed) when it may not or cannot be."""
    if not actor.can(Capability.RECORD):
        raise ServiceError(403, "forbidden", "Your role may not send reports to parents.")
    if not pdf.startswith(b"%PDF-") or len(pdf) > MAX_PDF_BYTES:
        raise ServiceError(422, "invalid_request", "The report must be a PDF of at most 4 MB.")
    with db.session() as session:
        if not allowed(session, actor.org_id) or not settings.smtp.enabled:
            raise ServiceError(
                409,
                "parent_email_off",
                "Emailing reports to parents is not turned on for your organisation (or the server sends no email).",
            )
        writer = RecordWriter(session, server_clock(settings.clock_max_ahead_ms))
        writer.load([incident_id], lock=True)
        stored = writer.get(incident_id)
        profile_id = stored.state.profile_id if stored is not None else None
        if (
            stored is None
            or stored.state.kind != "incident"
            or stored.state.deleted
            or stored.org_id != actor.org_id
            or profile_id is None
            or not reaches(session, actor, profile_id)
        ):
            raise ServiceError(404, "not_found", "No such incident.")
        refused = why_not_emailed(stored.state.values())
        if refused is not None:
            raise ServiceError(409, "not_for_parents", refused)
        addresses = _contacts(session, profile_id)
        if not addresses:
            raise ServiceError(
                422,
                "no_parent_contact",
                "No key contact with parental responsibility has an email address: add one, or send the report "
                "another way.",
            )
        organisation = writer.get(actor.org_id)
        name = str(field_value(organisation.state if organisation else None, "name") or "the school")
        reference = field_value(stored.state, "reference") or incident_id[:8]
        sent_at = writer.now.isoformat()
        writer.server_write(
            "incident",
            "update",
            {
                "parent_report_sent_by": actor.id,
                "parent_report_sent_at": sent_at,
                "parent_report_method": ContactMethod.EMAIL.value,
            },
            org_id=actor.org_id,
            record_id=incident_id,
            profile_id=profile_id,
            actor_id=actor.id,
        )
        for address in addresses:
            job_id = uuid7()
            queue_email(
                writer,
                settings,
                org_id=actor.org_id,
                job_id=job_id,
                to_address=address,
                subject=SUBJECT.format(organisation=name),
                body=BODY.format(organisation=name),
                attachment=pdf,
                attachment_name=f"letter-{reference}.pdf",
            )
        # Audited as the person's: the email (how many it went to, never the addresses) and the write.
        emailed = {"recipients": len(addresses), "what": "parent_report"}
        for action, detail in ((AUDIT_ACTION, emailed), ("update", None)):
            writer.audit(
                org_id=actor.org_id,
                actor_id=actor.id,
                device_id=actor.device_id,
                action=action,
                record_kind="incident",
                record_id=incident_id,
                profile_id=profile_id,
                detail=detail,
            )
        finish(writer, settings)
    return Emailed(recipients=len(addresses), sent_at=sent_at)
