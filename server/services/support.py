"""Support requests to the besmart team: a `support_request` (a ticket, or a request for a support call, made in
the Help Centre, perhaps offline) is emailed to the team (`Settings.support_email`) in the transaction that
merges it, once, when it is created.

The team sees no records, and a request may name a child all the same: its subject and details go out with
every name, date of birth, reference, email address and phone number the organisation holds, and those the
patterns find, replaced by placeholders (`assistant.pseudonymiser_for`, the one way the server hides them).
The person asking is named, with their work email address and the number they gave, so the team can answer.
Checked by tests/server/test_server_support.py."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from documents import cell_text
from server.core.config import Settings
from server.models import UserAccount
from server.services.assistant import pseudonymiser_for
from server.services.notifications import queue_email
from server.services.records import Merged, RecordWriter
from sync.merge import field_value
from sync.records import SupportRequestKind

KIND = "support_request"
USER_ACCOUNT = UserAccount.__table__
#: what each request is called in the email
ASKING = {SupportRequestKind.TICKET: "A support ticket", SupportRequestKind.CALL: "A request for a support call"}
HIDDEN = (
    "Names, dates of birth, incident references, email addresses and phone numbers that the organisation holds "
    "or that look like them are replaced above by placeholders such as [PERSON_1]: the besmart team does not see "
    "the organisation's records."
)


def queue_support_emails(writer: RecordWriter, settings: Settings) -> int:
    """Queue the email to the besmart team of each support request created in this transaction; returns how
    many were queued (none when the server sends no email or has no team address)."""
    created = [m for m in writer.merged if m.op.kind == KIND and m.op.action == "create" and m.before is None]
    if not created or not settings.smtp.enabled or not settings.support_email:
        return 0
    for merged in created:
        subject, body = _email(writer, merged)
        queue_email(
            writer,
            settings,
            org_id=merged.org_id,
            job_id=merged.op.record_id,
            to_address=settings.support_email,
            subject=subject,
            body=body,
        )
    return len(created)


def _email(writer: RecordWriter, merged: Merged) -> tuple[str, str]:
    values = merged.after.values()
    organisation = writer.get(merged.org_id)
    org_name = str(field_value(organisation.state if organisation else None, "name") or "an organisation")
    account = writer.conn.execute(
        select(USER_ACCOUNT.c.name, USER_ACCOUNT.c.email, USER_ACCOUNT.c.role).where(
            USER_ACCOUNT.c.id == values["author_id"]
        )
    ).first()
    hidden = pseudonymiser_for(writer.session, merged.org_id)
    asking = ASKING[SupportRequestKind(values["request"])]
    lines = [f"{asking} from {org_name}.", ""]
    if account is not None:
        lines.append(f"From: {account.name} <{account.email}> ({account.role})")
    if values.get("contact_phone"):
        lines.append(f"Phone: {values['contact_phone']}")
    if values.get("preferred_times"):
        lines.append(f"When suits them: {hidden.hide(values['preferred_times'])}")
    lines.append(f"Sent from the Help Centre on {_when(values['created_at'])} (request {merged.op.record_id}).")
    lines += ["", f"Subject: {hidden.hide(values['subject'])}", "", hidden.hide(values["details"]), "", HIDDEN]
    return f"besmart support: {hidden.hide(values['subject'])} ({org_name})", "\n".join(lines) + "\n"


def _when(created_at: str) -> str:
    """A moment the UK way for the team, who may be anywhere: "Wed 2 Dec 2026, 13:22 UTC"."""
    try:
        moment = dt.datetime.fromisoformat(str(created_at).replace("Z", "+00:00"))
    except ValueError:
        return str(created_at)
    return f"{cell_text(moment.astimezone(dt.UTC))} UTC"
