"""The demo's audit trail (server/demo/audit_trail.py): the last 60 days' physical interventions opened by
their setting's lead, the home's downloaded for the social worker, the register and census list exported —
and a Willow House young person's subject access answer shows who saw their records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from sqlalchemy import select

from server.db import Database
from server.demo import seed_demo
from server.models import AuditLog
from server.services import organisations as orgs
from server.services.exports import subject_access

AUDIT = AuditLog.__table__
ANCHOR = dt.date(2026, 11, 20)


def test_the_demo_audit_trail_tells_who_saw_the_serious_records(db: Database, settings) -> None:
    demo = seed_demo(db, settings, scale=0.1, days=120, anchor=ANCHOR)
    with db.read_session() as s:
        rows = s.execute(select(AUDIT).where(AUDIT.c.org_id == demo.org_id)).all()
        marcus = orgs.find_user(s, "marcus.reid@brightwater.example")
        assert marcus is not None
        kinds = {(r.action, r.record_kind) for r in rows}
        assert {
            ("view", "incident"),
            ("download", "incident"),
            ("export", "register"),
            ("export", "exclusions"),
        } <= kinds
        downloaded = [r for r in rows if r.action == "download"]
        assert downloaded and all(r.actor_id == marcus["id"] and r.device_id for r in downloaded)
        since = dt.datetime.combine(ANCHOR - dt.timedelta(days=61), dt.time(), dt.UTC)
        assert all(since <= r.at < dt.datetime.combine(ANCHOR, dt.time(), dt.UTC) for r in rows)
        child = downloaded[0].profile_id
        archive = zipfile.ZipFile(io.BytesIO(subject_access(s, demo.org_id, child)))
    audit = list(csv.DictReader(io.StringIO(archive.read("audit.csv").decode("utf-8-sig"))))
    assert ("Marcus Reid", "download") in {(r["actor"], r["action"]) for r in audit}
