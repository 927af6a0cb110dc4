"""The demo's records that cannot be quietly changed: a few submitted incidents amended afterwards by their
recorder (a sentence added to what happened, with the reason: the incident's History shows both), one
incident deleted with a reason by a lead (kept for leads, hidden from staff), and a legal hold on one young
person of the children's home (an insurance claim). Planned from the seeder's own random source, after the
rest of the history, so the demo stays the same for a given seed."""

from __future__ import annotations

import datetime as dt

from server.demo.seeder import Seeder, iso
from server.demo.words import AMENDMENTS, DELETION_REASON, LEGAL_HOLD_REASON


def plan_records_kept(seeder: Seeder) -> None:
    submitted = [
        w
        for w in seeder.writes
        if w.kind == "incident" and w.action == "create" and w.fields.get("status") == "submitted"
    ]
    if not submitted:
        return
    leads = {s.id: s for s in seeder.staff if s.spec.role == "lead"}
    chosen = seeder.rng.sample(submitted, min(len(submitted), len(AMENDMENTS) + 1))
    for write, amendment in zip(chosen, AMENDMENTS, strict=False):
        later = write.when + dt.timedelta(hours=seeder.rng.randrange(2, 30))
        if later >= seeder.end:
            continue
        what = f"{write.fields['what_happened']} {amendment['add']}"
        seeder.add(
            later, "incident", {"what_happened": what}, record_id=write.record_id, profile_id=write.profile_id,
            actor=write.actor, action="update", reason=amendment["reason"],
        )  # fmt: skip
    if len(chosen) > len(AMENDMENTS) and leads:
        gone = chosen[-1]
        lead = seeder.pick(sorted(leads.values(), key=lambda s: s.id))
        when = min(gone.when + dt.timedelta(hours=3), seeder.end - dt.timedelta(minutes=1))
        removal = {"removed": True, "removed_reason": DELETION_REASON, "removed_by": lead.id, "removed_at": iso(when)}
        seeder.add(when, "incident", removal, record_id=gone.record_id, profile_id=gone.profile_id, actor=lead.id,
                   action="update")  # fmt: skip
    home = [k for k in seeder.kids if k.setting == "home" and k.incidents]
    home_leads = [s for s in leads.values() if s.spec.setting == "home"]
    if home and home_leads:
        kid, lead = seeder.pick(home), seeder.pick(home_leads)
        when = seeder.end - dt.timedelta(days=seeder.rng.randrange(3, 20))
        hold = {"legal_hold": True, "legal_hold_reason": LEGAL_HOLD_REASON, "legal_hold_by": lead.id,
                "legal_hold_at": iso(when)}  # fmt: skip
        seeder.add(when, "individual", hold, record_id=kid.id, profile_id=kid.id, actor=lead.id, action="update")
