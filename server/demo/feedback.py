"""The demo's reports of a problem with a tool's output (`output_feedback`): a teacher's open report that a
parents' letter draft hides a restrictive intervention behind "guided", and a resolved one — the language check
suggested replacing "meltdown" where an autistic pupil's plan defines it — answered by the school's first lead
(the demo's lead login). Both are about Brightwater Academy pupils, so the school's leads and the admin receive
them, and their authors see them answered."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from server.demo.words import FEEDBACK
from sync.ids import uuid7

if TYPE_CHECKING:
    from server.demo.seeder import Kid, Seeder, Staff


def _author(kid: Kid) -> Staff | None:
    """A member of staff (not a lead) who works with the child: the demo's teacher login if they do."""
    staff = sorted((s for s in kid.access if s.spec.role == "staff"), key=lambda s: not s.spec.email)
    return staff[0] if staff else None


def plan_feedback(seeder: Seeder) -> None:
    """Add the two reports (and the resolution of one) to the seeder's history; nothing if the demo is too small
    to have a pupil with recent incidents."""
    lead = next((s for s in seeder.staff if s.spec.role == "lead" and s.spec.setting == "school"), None)
    recent = seeder.end - dt.timedelta(days=30)
    latest = seeder.end - dt.timedelta(minutes=5)  # nothing after the demo's "now"
    pupils = [
        k
        for k in seeder.kids
        if k.setting == "school" and _author(k) is not None and any(when >= recent for when, _id, _c in k.incidents)
    ]
    pupils.sort(key=lambda k: -len(k.incidents))
    if lead is None or len(pupils) < 2:
        return
    autistic = next((k for k in pupils if k.send), pupils[1])
    escorted = next(k for k in pupils if k is not autistic)
    for kid, which, days_ago in ((escorted, "open", 2), (autistic, "resolved", 20)):
        author = _author(kid)
        assert author is not None
        text = FEEDBACK[which]
        words = seeder.words(kid, author)
        # The open report is about the pupil's latest incident, the resolved one about their first this month.
        pick = max if which == "open" else min
        when, incident_id, _category = pick(i for i in kid.incidents if i[0] >= recent)
        made = min(max(when, seeder.end - dt.timedelta(days=days_ago)) + dt.timedelta(hours=1), latest)
        record_id = uuid7(made, seeder.ids)
        fields = {
            "tool": text["tool"],
            "output": text["output"].format_map(words),
            "note": text["note"].format_map(words),
            "author_id": author.id,
            "created_at": made.isoformat(),
            "record_id": incident_id,
            "record_kind": "incident",
            "profile_id": kid.id,
        }
        seeder.add(made, "output_feedback", fields, record_id=record_id, profile_id=None, actor=author.id)
        if which == "resolved":
            resolved = min(made + dt.timedelta(days=2), latest)
            resolution = {
                "status": "resolved",
                "resolved_by": lead.id,
                "resolved_at": resolved.isoformat(),
                "resolution": text["resolution"].format_map(words),
            }
            seeder.add(
                resolved, "output_feedback", resolution, record_id=record_id, profile_id=None, actor=lead.id,
                action="update",
            )  # fmt: skip
