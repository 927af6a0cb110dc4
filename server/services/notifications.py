"""Who must be told about an accepted change, in-app (a `notification` record) and by email (a job).

- an incident submitted → the individual's key staff, the staff present ("invited_to_collaborate") and the
  organisation's safeguarding leads (a lead limited to settings: only for their individuals); staff added as
  present later are invited then;
- an incident flagged → the leads (likewise);
- a communication → the individual's key staff;
- a response → the author of the communication it answers;
- an incident submitted with a physical intervention, or saying the plan was not followed → the lead of the
  individual's active Smart Plan, asking them to review it ("plan_review_after_incident");
- a plan's review a week away or overdue → its plan lead and the individual's key staff (made by
  `server.services.plan_reminders`, sent through `send`);
- an incident's statutory clock near its deadline or past it → whoever recorded it, the individual's key staff
  and the leads (made by `server.services.clock_reminders`, sent through `send`).

Never the person who made the change. One notification per recipient per event. Notifications are records
addressed to their recipient, so they reach that person's devices with the next pull. Emails are queued in
the same transaction (sent later by the email worker) and never carry a child's name or anything written
about them: only that there is something to look at, the incident reference and a link.

Reminders say what they are about without child data — which deadline (the duty's name and when), which review
date — and one check's reminders reach each person in ONE email listing them (`send(combine=True)`), while the
in-app notifications stay one per plan or clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, or_, select

from server.core.config import Settings
from server.models import ProfileStaff, Record, UserAccount
from server.services.access import in_settings, setting_limit
from server.services.records import SYSTEM_ACTOR, Merged, RecordWriter
from sync.merge import RecordState, field_value

PROFILE_STAFF = ProfileStaff.__table__
RECORD = Record.__table__
USER_ACCOUNT = UserAccount.__table__
_NOTIFYING = frozenset({"incident", "communication", "communication_response"})
_KEY_STAFF = select(PROFILE_STAFF.c.profile_id, PROFILE_STAFF.c.staff_id).where(
    PROFILE_STAFF.c.profile_id.in_(bindparam("profiles", expanding=True)), PROFILE_STAFF.c.kind == "key_staff"
)
#: the active accounts among the people named, and every active lead (of the organisations concerned)
_ACCOUNTS = select(USER_ACCOUNT.c.id, USER_ACCOUNT.c.email, USER_ACCOUNT.c.role, USER_ACCOUNT.c.org_id).where(
    USER_ACCOUNT.c.org_id.in_(bindparam("orgs", expanding=True)),
    USER_ACCOUNT.c.active.is_(True),
    or_(USER_ACCOUNT.c.id.in_(bindparam("ids", expanding=True)), USER_ACCOUNT.c.role == "lead"),
)


@dataclass
class Event:
    kind: str  # incident_submitted, invited_to_collaborate, incident_flagged, communication(_response)
    org_id: str
    record_id: str
    record_kind: str
    profile_id: str | None
    actor_id: str
    reference: str | None = None
    #: recipient id -> notification kind, filled in by `_resolve`
    recipients: dict[str, str] = field(default_factory=dict)
    key_staff: bool = False
    leads: bool = False
    named: list[str] = field(default_factory=list)  # staff present / a communication's author
    #: what tells this event from others of its kind, never child data: a deadline's duty and time, a review date
    detail: str = ""


def _detect(writer: RecordWriter, numbered: set[str]) -> list[Event]:
    events: list[Event] = []
    last_actor: dict[str, str] = {}
    for merged in writer.merged:
        op = merged.op
        if op.actor_id != SYSTEM_ACTOR:
            last_actor[op.record_id] = op.actor_id
        events.extend(_events_of(writer, merged, last_actor, numbered))
    return events


def _events_of(writer: RecordWriter, merged: Merged, last_actor: dict[str, str], numbered: set[str]) -> list[Event]:
    op, before, after = merged.op, merged.before, merged.after
    if op.kind not in _NOTIFYING or after.deleted:
        return []
    before = None if before is not None and before.deleted else before

    def event(kind: str, actor: str, **extra: object) -> Event:
        return Event(kind, merged.org_id, op.record_id, op.kind, after.profile_id, actor, **extra)  # type: ignore[arg-type]

    if op.kind == "incident":
        found = []
        old_reference = field_value(before, "reference")
        if op.actor_id == SYSTEM_ACTOR and "reference" in op.fields and op.record_id in numbered:
            current = writer.existing(op.record_id).state
            found.append(
                event(
                    "incident_submitted",
                    last_actor.get(op.record_id, SYSTEM_ACTOR),
                    reference=field_value(after, "reference"),
                    key_staff=True,
                    leads=True,
                    named=list(field_value(current, "staff_present") or []),
                )
            )
            review = _plan_review(writer, merged, current, last_actor.get(op.record_id, SYSTEM_ACTOR))
            if review is not None:
                found.append(review)
        elif op.actor_id != SYSTEM_ACTOR and old_reference and "staff_present" in op.fields:
            earlier = field_value(before, "staff_present") or []
            added = [s for s in field_value(after, "staff_present") or [] if s not in earlier]
            if added:
                found.append(event("invited_to_collaborate", op.actor_id, reference=old_reference, named=added))
        if op.actor_id != SYSTEM_ACTOR and field_value(after, "flagged") and not field_value(before, "flagged"):
            found.append(event("incident_flagged", op.actor_id, reference=field_value(after, "reference"), leads=True))
        return found
    if op.action != "create" or merged.before is not None:
        return []
    if op.kind == "communication":
        return [event("communication", op.actor_id, key_staff=True)]
    communication = writer.get(str(field_value(after, "communication_id")))
    author = field_value(communication.state if communication else None, "author_id")
    return [event("communication_response", op.actor_id, named=[author] if author else [])]


def active_plans(writer: RecordWriter, *, profile_id: str | None = None, org_id: str | None = None) -> list[Any]:
    """The active (published, not removed) Smart Plans of an individual, or of an organisation."""
    query = select(RECORD.c.id, RECORD.c.org_id, RECORD.c.profile_id, RECORD.c.state).where(
        RECORD.c.kind == "smart_plan", RECORD.c.deleted.is_(False)
    )
    if profile_id is not None:
        query = query.where(RECORD.c.profile_id == profile_id)
    if org_id is not None:
        query = query.where(RECORD.c.org_id == org_id)
    found = []
    for row in writer.conn.execute(query):
        stored = writer.get(row.id)  # this transaction's view, which may be newer than the row
        if stored is None or stored.state.deleted:
            continue
        values = stored.state.values()
        if values.get("status") == "active" and not values.get("removed"):
            found.append(stored)
    return found


def _plan_review(writer: RecordWriter, merged: Merged, incident: RecordState | None, actor: str) -> Event | None:
    """An incident with physical intervention, or where the plan was not followed, asks the lead of the
    individual's active plan to review it."""
    if not (field_value(incident, "physical_intervention") or field_value(incident, "pi_plan_followed") is False):
        return None
    for plan in active_plans(writer, profile_id=merged.after.profile_id):
        lead = field_value(plan.state, "plan_lead")
        if lead:
            return Event(
                "plan_review_after_incident",
                merged.org_id,
                plan.state.id,
                "smart_plan",
                merged.after.profile_id,
                actor,
                reference=field_value(incident, "reference"),
                named=[lead],
            )
    return None


def _lead_reaches(writer: RecordWriter, lead_id: str, profile_id: str | None) -> bool:
    """Whether a lead hears of this individual's incidents: a lead limited to settings hears only of theirs."""
    stored = writer.get(lead_id)
    limit = setting_limit(stored.state if stored else None)
    if not limit:
        return True
    individual = writer.get(profile_id) if profile_id else None
    return in_settings(individual.state if individual else None, limit)


def _resolve(writer: RecordWriter, events: list[Event]) -> dict[str, tuple[str, str]]:
    """Fill in each event's recipients; returns the active accounts involved: id -> (email, role)."""
    profiles = {e.profile_id for e in events if e.key_staff and e.profile_id}
    key_staff: dict[str, list[str]] = {}
    if profiles:
        for row in writer.conn.execute(_KEY_STAFF, {"profiles": list(profiles)}):
            key_staff.setdefault(row.profile_id, []).append(row.staff_id)
    candidates = {s for e in events for s in e.named} | {s for p in profiles for s in key_staff.get(p, [])}
    orgs = {e.org_id for e in events}
    rows = writer.conn.execute(_ACCOUNTS, {"orgs": list(orgs), "ids": list(candidates)})
    accounts = {row.id: (row.email, row.role, row.org_id) for row in rows}
    for e in events:
        chosen: dict[str, str] = {}
        if e.leads:
            for user_id, (_email, role, org_id) in accounts.items():
                if role == "lead" and org_id == e.org_id and _lead_reaches(writer, user_id, e.profile_id):
                    chosen[user_id] = e.kind
        if e.key_staff:
            for user_id in key_staff.get(e.profile_id or "", []):
                chosen[user_id] = e.kind
        for user_id in e.named:
            # Staff present at a submitted incident are invited to collaborate, whatever else they are.
            chosen[user_id] = "invited_to_collaborate" if e.kind == "incident_submitted" else e.kind
        e.recipients = {
            u: k for u, k in chosen.items() if u != e.actor_id and u in accounts and accounts[u][2] == e.org_id
        }
    return {user_id: (email, role) for user_id, (email, role, _org) in accounts.items()}


SUBJECTS = {
    "incident_submitted": "Incident {ref} was submitted",
    "invited_to_collaborate": "You were named as present at incident {ref}",
    "incident_flagged": "Incident {ref} was flagged for attention",
    "communication": "A new behaviour communication for someone you are key staff for",
    "communication_response": "Someone responded to your behaviour communication",
    "plan_review_due": "A Smart Plan you lead or support is due for review within a week (review date {detail})",
    "plan_review_overdue": "A Smart Plan you lead or support is overdue for review (review date {detail})",
    "plan_review_after_incident": "Incident {ref} asks for a review of the Smart Plan you lead",
    "clock_due": "Incident {ref} has a statutory deadline coming up: {detail}",
    "clock_overdue": "Incident {ref} has missed a statutory deadline: {detail}",
}
#: a reminder kind counted in a combined email's subject, (one, many), in the order the email lists them
COUNTED = {
    "clock_overdue": ("statutory deadline missed", "statutory deadlines missed"),
    "plan_review_overdue": ("Smart Plan review overdue", "Smart Plan reviews overdue"),
    "clock_due": ("statutory deadline coming up", "statutory deadlines coming up"),
    "plan_review_due": ("Smart Plan review due within a week", "Smart Plan reviews due within a week"),
}
#: a combined email's subject when all it lists are of one kind
ALL_OF_KIND = {
    "plan_review_due": "{n} Smart Plans you lead or support are due for review within a week",
    "plan_review_overdue": "{n} Smart Plans you lead or support are overdue for review",
    "clock_due": "{n} statutory deadlines of incidents are coming up",
    "clock_overdue": "{n} statutory deadlines of incidents have been missed",
}
PRIVACY = (
    "This message was sent by besmart. For the privacy of the children and young people we support, "
    "it never includes their names or what was recorded.\n"
)


def subject_for(kind: str, reference: str | None, detail: str = "") -> str:
    return SUBJECTS[kind].format(ref=reference or "(not yet numbered)", detail=detail)


def email_body(subject: str, link: str) -> str:
    """The whole email: no names, nothing anyone wrote — only that there is something to look at."""
    return (
        "Hello,\n\n"
        f"{subject}.\n\n"
        "There is something in besmart for you to look at. Open it here (you will be asked to sign in):\n"
        f"{link}\n\n" + PRIVACY
    )


@dataclass(frozen=True)
class Mail:
    """One notification as a line of an email: its kind, subject and link."""

    kind: str
    subject: str
    link: str


def _listed(item: Mail) -> int:
    return list(COUNTED).index(item.kind) if item.kind in COUNTED else len(COUNTED)


def combined_subject(items: list[Mail]) -> str:
    """ "3 Smart Plans you lead or support are overdue for review", or with several kinds
    "5 reminders: 3 Smart Plan reviews overdue, 2 statutory deadlines missed"."""
    counts = Counter(i.kind for i in items)
    if len(counts) == 1:
        ((kind, n),) = counts.items()
        if kind in ALL_OF_KIND:
            return ALL_OF_KIND[kind].format(n=n)
    parts = [f"{n} {COUNTED.get(kind, ('update', 'updates'))[n > 1]}" for kind, n in counts.items()]
    return f"{len(items)} reminders: {', '.join(parts)}"


def combined_body(subject: str, items: list[Mail]) -> str:
    """One email listing several notifications, each with its own link: still no names, nothing written."""
    lines = [f"- {item.subject}\n  {item.link}" for item in items]
    return (
        "Hello,\n\n"
        f"{subject}.\n\n"
        "There are things in besmart for you to look at. Open each here (you will be asked to sign in):\n\n"
        + "\n\n".join(lines)
        + "\n\n"
        + PRIVACY
    )


def message_id(notification_id: str, settings: Settings) -> str:
    address = settings.smtp.from_address.rsplit("<", 1)[-1].rstrip(">")
    domain = address.rsplit("@", 1)[-1] if "@" in address else "besmart.invalid"
    return f"<{notification_id}@{domain}>"


def queue_email(
    writer: RecordWriter,
    settings: Settings,
    *,
    org_id: str,
    job_id: str,
    to_address: str,
    subject: str,
    body: str,
    attachment: bytes | None = None,
    attachment_name: str | None = None,
) -> None:
    """Queue one email in this transaction (the email worker sends it once committed). `job_id` is the record
    it is about, or a fresh id: it makes the Message-ID, so a copy sent again after a crash can be told."""
    job = {
        "org_id": org_id,
        "notification_id": job_id,
        "to_address": to_address,
        "subject": subject,
        "body": body,
        "message_id": message_id(job_id, settings),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": writer.db_now,
        "created_at": writer.db_now,
        "last_error": "",
        "attachment": attachment,
        "attachment_name": attachment_name,
    }
    writer.pending.emails.append(job)


def deliver_notifications(writer: RecordWriter, settings: Settings, numbered: list[str]) -> int:
    """Create the notifications (and queue the emails) for what was merged in this transaction."""
    return send(writer, settings, _detect(writer, set(numbered)))


def send(writer: RecordWriter, settings: Settings, events: list[Event], *, combine: bool = False) -> int:
    """Create the notifications of these events for their recipients, and queue their emails; returns how
    many notifications were made. With `combine` (a reminder check), each person gets one email for all of
    theirs, and never the same line twice."""
    if not events:
        return 0
    accounts = _resolve(writer, events)
    made = 0
    #: recipient -> (org, the first notification's id, what to email them)
    mail: dict[str, tuple[str, str, list[Mail]]] = {}
    for e in events:
        for recipient, kind in sorted(e.recipients.items()):
            subject = subject_for(kind, e.reference, e.detail)
            merged = writer.server_write(
                "notification",
                "create",
                {
                    "recipient_id": recipient,
                    "kind": kind,
                    "subject": subject,
                    "record_id": e.record_id,
                    "record_kind": e.record_kind,
                    "profile_id": e.profile_id,
                    "created_at": writer.now.isoformat(),
                },
                org_id=e.org_id,
            )
            made += 1
            email = accounts[recipient][0]
            if not (settings.smtp.enabled and email):
                continue
            item = Mail(kind, subject, f"{settings.public_url}/open/{e.record_kind}/{e.record_id}")
            if combine:
                items = mail.setdefault(recipient, (e.org_id, merged.op.record_id, []))[2]
                if item not in items:
                    items.append(item)
            else:
                queue_email(
                    writer,
                    settings,
                    org_id=e.org_id,
                    job_id=merged.op.record_id,
                    to_address=email,
                    subject=f"besmart: {subject}",
                    body=email_body(subject, item.link),
                )
    for recipient, (org_id, job_id, found) in mail.items():
        items = sorted(found, key=_listed)  # stable: one kind in the order made
        # The first notification's id makes the Message-ID: a copy re-sent after a crash can still be told.
        if len(items) == 1:
            subject, body = items[0].subject, email_body(items[0].subject, items[0].link)
        else:
            subject = combined_subject(items)
            body = combined_body(subject, items)
        queue_email(
            writer,
            settings,
            org_id=org_id,
            job_id=job_id,
            to_address=accounts[recipient][0],
            subject=f"besmart: {subject}",
            body=body,
        )
    return made
