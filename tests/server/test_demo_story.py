"""The demo's AI Support story (server/demo/story.py): one child's physical interventions since their active
plan was published rate "Gave time and space" effective and "Humour" not, and their plan still lists humour;
everything else the seeder planned is left as it was."""

from __future__ import annotations

import copy
import datetime as dt

from server.demo.cast import DEMO_SEED
from server.demo.seeder import Seeder
from server.demo.story import BACKFIRES, WORKS, ai_support_story


def planned() -> Seeder:
    seeder = Seeder(seed=DEMO_SEED, anchor=dt.date(2026, 11, 30), days=120, scale=0.3)
    seeder.plan_people()
    seeder.plan_reference_data()
    seeder.plan_history()
    return seeder


def test_one_child_shows_what_works_what_does_not_and_a_plan_out_of_date() -> None:
    seeder = planned()
    before = copy.deepcopy([w.fields for w in seeder.writes])
    kid = ai_support_story(seeder)
    assert kid is not None
    mine = [w for fields, w in zip(before, seeder.writes, strict=True) if fields != w.fields]
    assert {w.profile_id for w in mine} == {kid} and {w.kind for w in mine} == {"incident", "smart_plan"}
    [plan] = [w for w in mine if w.kind == "smart_plan"]
    assert plan.fields["status"] == "active" and BACKFIRES in plan.fields["amber_helps"]
    incidents = [w for w in mine if w.kind == "incident"]
    assert len(incidents) >= 2
    for w in incidents:
        assert w.fields["occurred_at"] >= plan.fields["published_at"]
        ratings = {d["technique"]: d["effectiveness"] for d in w.fields["pi_deescalation"]}
        assert ratings[BACKFIRES] == "not_effective" and ratings[WORKS] in ("effective", "partly_effective")
