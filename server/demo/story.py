"""The demo's AI Support story, shaped after the history is planned: of the children the demo teacher login
works with (else of all), the one with the most physical interventions since their active Smart Plan was
published shows a pattern AI Support finds offline — giving
them time and space calms things, humour makes them worse — while their plan still lists humour as what
helps (AI Support: "What has worked", "What has not worked", "The plan says “Humour” helps").

It only rewrites that child's planned de-escalation ratings and one line of their plan; it draws nothing from
the seeder's random sequence, so everything else in the demo stays exactly as it was."""

from __future__ import annotations

from collections import Counter

from server.demo.cast import DOMAIN
from server.demo.seeder import Seeder, Write

WORKS = "Gave time and space"
BACKFIRES = "Humour"
#: one use in this many is rated only partly effective: a record is never that tidy
PARTLY_EVERY = 4


def ai_support_story(seeder: Seeder) -> str | None:
    """Shape the story into the seeder's planned writes; returns the child's profile id (None: no child fits)."""
    plans = {
        w.profile_id: w
        for w in seeder.writes
        if w.kind == "smart_plan" and w.action == "create" and w.fields.get("status") == "active"
    }
    since: dict[str, list[Write]] = {}
    for w in seeder.writes:
        plan = plans.get(w.profile_id)
        if (
            w.kind == "incident"
            and w.action == "create"
            and w.fields.get("status") != "draft"
            and w.fields.get("pi_deescalation")
            and plan is not None
            and w.fields["occurred_at"] >= plan.fields.get("published_at", "")
        ):
            since.setdefault(w.profile_id or "", []).append(w)
    teacher = f"teacher@{DOMAIN}"
    theirs = {k.id for k in seeder.kids if any(s.spec.login == teacher for s in k.access)}
    counts = Counter({kid: len(writes) for kid, writes in since.items() if kid in theirs and len(writes) >= 2})
    if not counts:
        counts = Counter({kid: len(writes) for kid, writes in since.items()})
    if not counts or counts.most_common(1)[0][1] < 2:
        return None
    kid = counts.most_common(1)[0][0]
    for n, w in enumerate(sorted(since[kid], key=lambda w: w.fields["occurred_at"]), 1):
        others = [d for d in w.fields["pi_deescalation"] if d["technique"] not in (WORKS, BACKFIRES)]
        w.fields["pi_deescalation"] = [
            *others[:2],
            {
                "technique": WORKS,
                "effectiveness": "partly_effective" if n % PARTLY_EVERY == 0 else "effective",
                "notes": "",
            },
            {"technique": BACKFIRES, "effectiveness": "not_effective", "notes": ""},
        ]
    plan = plans[kid]
    helps = str(plan.fields.get("amber_helps") or "").rstrip()
    plan.fields["amber_helps"] = f"{helps}\n{BACKFIRES}: a joke to lighten the mood.".lstrip()
    return kid
