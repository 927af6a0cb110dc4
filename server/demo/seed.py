"""Seeding the demo organisation: the `Seeder`'s plan written in ONE transaction (a seeding that fails leaves
nothing behind), or the demo found already there (then nothing changes).

Records are written through the `RecordWriter` like any other server op, in large batches, and incidents get
their `besmart-NNNNN` references from the same allocation a push uses (`assign_references`). The history
notifies nobody and never queues an email; only the last week's records make in-app notifications, so the
demo inbox has something in it. The Smart Plan review and statutory clock reminders the history has earned by
the time it is seeded are made in the app too, and noted as sent: without that, the server's first reminder
check would email them all at once (a hundred or so on the full demo).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlmodel import Session

from server.core.config import Settings, SmtpSettings
from server.core.security import Passwords
from server.db import Database
from server.demo.audit_trail import audit_trail
from server.demo.cast import DEMO_ORG_NAME, DEMO_PASSWORD, DEMO_SEED, DOMAIN, MIN_PASSWORD, STAFF, logins
from server.demo.seeder import DemoError, Seeder, Write
from server.demo.story import ai_support_story
from server.services import organisations as orgs
from server.services.audit import write_audit
from server.services.clock import server_clock
from server.services.notifications import deliver_notifications
from server.services.plan_reminders import remind_all
from server.services.records import HISTORY_KINDS, RecordWriter
from server.services.references import assign_references

#: ops merged per RecordWriter flush
BATCH = 5000
#: only the records of the last days before the anchor make (in-app) notifications
NOTIFY_DAYS = 7


@dataclass
class DemoResult:
    org_id: str
    org_name: str
    created: bool
    seconds: float
    counts: dict[str, int]
    #: (who, name, email)
    logins: list[tuple[str, str, str]]
    password: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _quiet(settings: Settings) -> Settings:
    """The settings with email switched off: the seeder never queues an email, whatever the environment."""
    return settings.model_copy(update={"smtp": SmtpSettings()})


def _write(session: Session, org_id: str, writes: list[Write], notify: Settings | None) -> None:
    writer = RecordWriter(session, server_clock())
    # One query for the whole batch instead of one per op (new records are then known to be new).
    writer.load([w.record_id for w in writes], lock=False)
    for w in writes:
        merged = writer.server_write(
            w.kind, w.action, w.fields, org_id=org_id, record_id=w.record_id, profile_id=w.profile_id, actor_id=w.actor,
            reason=w.reason,
        )  # fmt: skip
        if w.kind in HISTORY_KINDS:
            # The op log keeps the demo's incident ops as it keeps a device's, so their History is complete; the
            # order number of the write is the op's number (the demo is seeded once per database).
            writer.log_op(merged.op.model_copy(update={"op_id": w.order}), "applied")
    numbered = assign_references(writer)
    if notify is not None:
        deliver_notifications(writer, notify, numbered)
    writer.flush()


def find_demo(session: Session) -> str | None:
    """The id of the demo organisation in this database, if it has been seeded."""
    for org_id, name in orgs.list_organisations(session):
        if name == DEMO_ORG_NAME:
            return org_id
    return None


def seed_demo(
    db: Database,
    settings: Settings,
    *,
    scale: float = 1.0,
    days: int = 365,
    anchor: dt.date | None = None,
    seed: int = DEMO_SEED,
    password: str = DEMO_PASSWORD,
) -> DemoResult:
    """Seed the demo organisation (or find it, if it is already there: nothing is changed then)."""
    started = time.perf_counter()
    if len(password) < MIN_PASSWORD:
        raise DemoError(f"the demo password needs at least {MIN_PASSWORD} characters")
    today = dt.datetime.now(dt.UTC).date()
    anchor = anchor or today
    if anchor > today:
        raise DemoError("the anchor day cannot be in the future")
    with db.read_session() as session:
        existing = find_demo(session)
        if existing is not None:
            counts = orgs.count_records(session, existing)
            return DemoResult(existing, DEMO_ORG_NAME, False, 0.0, counts, logins(), password)
        taken = orgs.emails_taken(session, [s.login for s in STAFF])
        if taken:
            raise DemoError(f"the demo's emails are taken by another organisation: {', '.join(sorted(taken))}")
    seeder = Seeder(seed=seed, anchor=anchor, days=days, scale=scale)
    seeder.plan_people()
    seeder.plan_reference_data()
    seeder.plan_history()
    ai_support_story(seeder)  # a pattern for AI Support to find (server/demo/story.py)
    # Hashed once for every account, and before the transaction: hashing is slow.
    password_hash = Passwords(settings).hash(password)
    quiet = _quiet(settings)
    history = sorted(seeder.writes, key=lambda w: (w.when, w.order))
    cutoff = seeder.end - dt.timedelta(days=NOTIFY_DAYS)
    old = [w for w in history if w.when < cutoff]
    recent = [w for w in history if w.when >= cutoff]
    with db.session() as session:
        orgs.create_organisation(
            session,
            DEMO_ORG_NAME,
            incident_prefix="besmart",
            help_email=f"help@{DOMAIN}",
            help_phone="01632 960000",
            org_id=seeder.org_id,
            settings=quiet,
        )
        # The demo trust emails its written reports to parents (caught by the local mail catcher of `dev.sh up`).
        orgs.set_parent_report_email(session, seeder.org_id, True, settings=quiet)
        _write(session, seeder.org_id, seeder.reference, None)
        orgs.set_organisation_password_hash(session, seeder.org_id, password_hash)
        for start in range(0, len(old), BATCH):
            _write(session, seeder.org_id, old[start : start + BATCH], None)
        for start in range(0, len(recent), BATCH):
            _write(session, seeder.org_id, recent[start : start + BATCH], quiet)
        writer = RecordWriter(session, server_clock())
        remind_all(writer, quiet, org_id=seeder.org_id)  # as the server would now, but in the app only
        writer.flush()
        write_audit(session, audit_trail(seeder))
        counts = orgs.count_records(session, seeder.org_id)
    return DemoResult(seeder.org_id, DEMO_ORG_NAME, True, time.perf_counter() - started, counts, logins(), password)
