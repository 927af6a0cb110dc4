"""Smart Plan review reminders: a week before an active plan's review date, and once it is overdue, its plan
lead and the individual's key staff are told — in the app and by email (no child data: see `notifications`).

Each reminder is sent once per plan version, review date and kind: the server notes what it sent in the plan's
`reminders_sent` (a field only the server writes), so running the check again — daily, from `besmart-server
remind-plans` or a scheduler — sends nothing twice, and a new review date is reminded afresh. A reminder names
the review date; one check's reminders (plans and statutory clocks) reach each person in one email.
"""

from __future__ import annotations

import datetime as dt

from documents import cell_text
from server.core.config import Settings
from server.db import Database
from server.services.clock import server_clock
from server.services.clock_reminders import clock_events
from server.services.notifications import Event, active_plans, send
from server.services.records import SYSTEM_ACTOR, RecordWriter
from sync.merge import field_value

#: how long before the review date the "due" reminder goes
DUE_WITHIN = dt.timedelta(days=7)


def reminder_kind(review_date: dt.date, today: dt.date) -> str | None:
    """ "plan_review_overdue", "plan_review_due" (within a week) or None."""
    if review_date < today:
        return "plan_review_overdue"
    if review_date - today <= DUE_WITHIN:
        return "plan_review_due"
    return None


def plan_events(writer: RecordWriter, today: dt.date, org_id: str | None = None) -> list[Event]:
    """The review reminders due today (of one organisation, or all), noted in each plan's `reminders_sent` in the
    writer's transaction (so they are sent once: pass them to `notifications.send` in the same transaction)."""
    events: list[Event] = []
    for plan in active_plans(writer, org_id=org_id):
        review = field_value(plan.state, "review_date")
        kind = reminder_kind(dt.date.fromisoformat(review), today) if review else None
        if kind is None:
            continue
        key = f"{kind}:{review}"
        sent = list(field_value(plan.state, "reminders_sent") or [])
        if key in sent:
            continue
        lead = field_value(plan.state, "plan_lead")
        events.append(
            Event(
                kind,
                plan.org_id,
                plan.state.id,
                "smart_plan",
                plan.state.profile_id,
                SYSTEM_ACTOR,
                key_staff=True,
                named=[lead] if lead else [],
                detail=cell_text(dt.date.fromisoformat(review)),
            )
        )
        writer.server_write(
            "smart_plan",
            "update",
            {"reminders_sent": [*sent, key]},
            org_id=plan.org_id,
            record_id=plan.state.id,
            profile_id=plan.state.profile_id,
        )
    return events


def remind_all(
    writer: RecordWriter,
    settings: Settings,
    today: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    org_id: str | None = None,
) -> int:
    """The plan and statutory clock reminders due (of one organisation, or all), in the writer's transaction:
    each person gets one email listing theirs. Returns the notifications made."""
    events = plan_events(writer, today or dt.date.today(), org_id)
    events += clock_events(writer, now or dt.datetime.now(dt.UTC), org_id)
    return send(writer, settings, events, combine=True)


def run_reminders(
    db: Database, settings: Settings, today: dt.date | None = None, *, now: dt.datetime | None = None
) -> int:
    """One pass over every organisation's active plans and incidents' statutory clocks
    (`clock_reminders`), in one transaction: the one reminder check the running server makes."""
    with db.session() as session:
        writer = RecordWriter(session, server_clock())
        made = remind_all(writer, settings, today, now=now)
        writer.flush()
    return made
