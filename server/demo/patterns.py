"""The patterns a lead should spot in the demo's Analytics: incidents added on top of the year's history, drawn
from the seeder's own generator for them (`Seeder.patterns_rng`), so the rest of the story stays as it was.

- Brightwater Academy's hot spot is lunchtime in the lunch queue (the busiest hour 12:00-13:00, the top
  location), and the last lesson on a Friday stands out in the day × hour grid.
- Willow House's is bedtime: 21:00-22:00 on the upstairs landing and in bedrooms.
- One pupil escalates over the last ten weeks: from refusing work to abusing and threatening staff.
- One child's incidents fall away once their first Smart Plan is published: a cluster in the eight weeks
  before it, their usual rate after.

None of these incidents is a physical intervention, so the statutory clocks of the rest are untouched.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from server.demo.words import HOME_CATEGORIES, PATTERN_CATEGORIES, SCHOOL_CATEGORIES

if TYPE_CHECKING:
    from server.demo.seeder import Kid, Seeder

#: extra incidents, as a share of the setting's other incidents
LUNCH_SHARE = 0.2
FRIDAY_SHARE = 0.06
BEDTIME_SHARE = 0.2
FRIDAY = 4  # date.weekday()
#: the escalating pupil's incidents in each of the last ten weeks (oldest first), and what they are
ESCALATION = (0, 1, 0, 1, 1, 2, 2, 3, 3, 4)
ESCALATION_STEPS = (("refusal", "disruption"), ("refusal", "verbal_adult"), ("verbal_adult", "damage"))
#: the incidents in each of the weeks before a child's first Smart Plan was published
BEFORE_PLAN_WEEKS = 8
BEFORE_PLAN_PER_WEEK = 2


def plan_patterns(seeder: Seeder) -> None:
    """Add the patterns' incidents to the seeder's history (each only if the demo is long and large enough)."""
    with seeder.drawing_from(seeder.patterns_rng):
        _hot_spots(seeder)
        improved = _improvement_after_a_plan(seeder)
        _escalation(seeder, exclude=improved)


def _calm(category: dict[str, Any]) -> dict[str, Any]:
    return {**category, "pi": 0.0}


def _hot_spots(seeder: Seeder) -> None:
    """Lunchtime in the lunch queue and the last lesson on Fridays at school, bedtime at the home: extra
    incidents in proportion to the setting's others, spread over its children as their other incidents are."""
    #: setting -> (pattern category, share of the setting's incidents, the weekday it happens on or any)
    spots: dict[str, list[tuple[str, float, int | None]]] = {
        "school": [("lunch_queue", LUNCH_SHARE, None), ("friday_afternoon", FRIDAY_SHARE, FRIDAY)],
        "home": [("bedtime", BEDTIME_SHARE, None)],
    }
    for setting, kinds in spots.items():
        kids = [k for k in seeder.kids if k.setting == setting]
        total = sum(len(k.incidents) for k in kids)
        for key, share, weekday in kinds:
            category = PATTERN_CATEGORIES[key]
            for kid in seeder.rng.choices(kids, [k.incident_weight for k in kids], k=round(share * total)):
                days = [d for d in seeder._days_for(kid) if weekday is None or d.weekday() == weekday]
                if days:
                    seeder._incident(kid, seeder.pick(days), _calm(category))


def _first_published_plans(seeder: Seeder) -> dict[str, dt.datetime]:
    """child id -> when their first Smart Plan was published."""
    found: dict[str, dt.datetime] = {}
    for write in seeder.writes:
        published = write.fields.get("published_at") if write.kind == "smart_plan" else None
        if published and write.profile_id and write.fields.get("version") == 1:
            moment = dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
            found[write.profile_id] = min(moment, found.get(write.profile_id, moment))
    return found


def _improvement_after_a_plan(seeder: Seeder) -> Kid | None:
    """The child whose first plan came nearest the middle of the history (with ten weeks after it): a cluster of
    incidents in the weeks before it was published."""
    before = dt.timedelta(weeks=BEFORE_PLAN_WEEKS)
    middle = seeder.end - (seeder.end - dt.datetime.combine(seeder.first_day, dt.time(), dt.UTC)) / 2
    kids = {k.id: k for k in seeder.kids}
    candidates = [
        (abs(published - middle), published, kids[pid])
        for pid, published in _first_published_plans(seeder).items()
        if published - before >= dt.datetime.combine(kids[pid].since, dt.time(), dt.UTC)
        and published + dt.timedelta(weeks=10) <= seeder.end
    ]
    if not candidates:
        return None
    _distance, published, kid = min(candidates, key=lambda c: (c[0], c[2].id))
    categories = SCHOOL_CATEGORIES if kid.setting == "school" else HOME_CATEGORIES
    first = published.date() - dt.timedelta(weeks=BEFORE_PLAN_WEEKS)
    days = [d for d in seeder._days_for(kid) if first <= d < published.date()]
    for week in range(BEFORE_PLAN_WEEKS):
        start = first + dt.timedelta(weeks=week)
        in_week = [d for d in days if start <= d < start + dt.timedelta(weeks=1)]
        for _ in range(BEFORE_PLAN_PER_WEEK if in_week else 0):
            category = seeder.rng.choices(categories, [c["weight"] for c in categories])[0]
            seeder._incident(kid, seeder.pick(in_week), _calm(category))
    return kid


def _escalation(seeder: Seeder, *, exclude: Kid | None) -> None:
    """A Year 9 pupil with no Smart Plan yet (the most incident-prone of them) escalates over the last ten weeks:
    more incidents each fortnight, from refusing work to abusing staff and damaging property."""
    planned = {w.profile_id for w in seeder.writes if w.kind == "smart_plan"}
    pupils = [k for k in seeder.kids if k.group == "Year 9" and k.id not in planned and k is not exclude]
    if not pupils:
        return
    kid = max(pupils, key=lambda k: (k.incident_weight, k.id))
    by_key = {c["key"]: c for c in SCHOOL_CATEGORIES}
    first = seeder.anchor - dt.timedelta(weeks=len(ESCALATION))
    for week, count in enumerate(ESCALATION):
        start = first + dt.timedelta(weeks=week)
        days = [d for d in seeder._days_for(kid) if start <= d < start + dt.timedelta(weeks=1)]
        step = ESCALATION_STEPS[week * len(ESCALATION_STEPS) // len(ESCALATION)]
        for _ in range(count if days else 0):
            seeder._incident(kid, seeder.pick(days), _calm(by_key[seeder.pick(step)]))
