"""The demo's audit trail: who has looked at and taken away the most serious records lately, so that the audit
log, a subject access answer's `audit.csv` (`python -m server admin subject-access`) and "who has seen this
child's records?" have a story to tell.

Over the last 60 days of the history, every restrictive intervention is opened by a lead of its setting the
next morning (`view`, from their device); at the children's home the registered manager also downloads the
report to send to the young person's social worker (`download`). Three days before the anchor the home's
manager exports the restrictive-intervention register for the term (Ofsted asks for it before an inspection)
and the school's lead exports the census list of suspensions (`export`). Written straight to the audit log,
as a device's audited actions are once they have synced, in the seeding's transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.demo.seeder import LONDON, Seeder, Staff, local
from server.services.audit import audit_entry

#: how far back the trail goes
TRAIL_DAYS = 60


def _lead(seeder: Seeder, setting: str) -> Staff:
    return next(s for s in seeder.staff if s.spec.setting == setting and s.spec.role == "lead")


def audit_trail(seeder: Seeder) -> list[dict[str, Any]]:
    """The audit rows of the trail above, oldest first (`audit_entry` rows for `write_audit`)."""
    home = {k.id for k in seeder.kids if k.setting == "home"}
    leads = {"home": _lead(seeder, "home"), "school": _lead(seeder, "school")}
    since = seeder.end - dt.timedelta(days=TRAIL_DAYS)
    rows = []
    for write in seeder.writes:
        if write.kind != "incident" or write.when < since or not write.fields.get("physical_intervention"):
            continue
        setting = "home" if write.profile_id in home else "school"
        lead = leads[setting]
        morning = local(write.when.astimezone(LONDON).date() + dt.timedelta(days=1), 8, 40)
        if morning >= seeder.end:
            continue
        actions = ["view", "download"] if setting == "home" else ["view"]
        for minutes, action in enumerate(actions):
            at = morning + dt.timedelta(minutes=5 * minutes)
            rows.append(
                audit_entry(
                    at, seeder.org_id, lead.id, lead.device, action, "incident", write.record_id, write.profile_id
                )
            )
    day = seeder.anchor - dt.timedelta(days=3)
    term = max(seeder.first_day, dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1))
    period = {"from": term.isoformat(), "to": day.isoformat(), "setting": None}
    for minutes, (setting, kind, where) in enumerate(
        (("home", "register", seeder.home_id), ("school", "exclusions", seeder.school_id))
    ):
        lead = leads[setting]
        at = local(day, 16, 30 + minutes)
        rows.append(
            audit_entry(
                at, seeder.org_id, lead.id, lead.device, "export", kind, None, None, {**period, "setting": where}
            )
        )
    return sorted(rows, key=lambda row: row["at"])
