"""AI Support's suggestions (app/suggestions.py): each cites the figures a direct count over the same records
gives, and the incidents behind them; who may see which scope; the child-spoken-to follow-up from what the report
holds; adding one to a Smart Plan makes a contribution carrying its evidence, naming no other individual, and
nothing else (never one for the whole service). And the language check once before submit
(app/language_review.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.context import ActionError, Context, PermissionDenied
from app.language_scan import scan
from app.services import Services
from app.suggestions import WINDOW, Suggestion
from localdb.store import LocalStore
from tests.support.client import ClientDevice
from tests.support.device import recorded_incident, user
from tests.support.server import Device

LONDON = ZoneInfo("Europe/London")
TODAY = dt.datetime.now(LONDON).date()


def at(days_ago: int, hour: int, minute: int = 15) -> dt.datetime:
    day = TODAY - dt.timedelta(days=days_ago)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def effective(technique: str, rating: str = "effective") -> dict[str, str]:
    return {"technique": technique, "effectiveness": rating}


@pytest.fixture
def lead(store: LocalStore, child: str) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


@pytest.fixture
def history(services: Services, child: str) -> dict[str, str]:
    """Ada's record: lunchtimes in the dining hall, a walk that works, a reminder that does not, a trigger and an
    early sign named twice — and one incident too old to count."""
    made = {}
    made["a"] = recorded_incident(
        services,
        child,
        at(3, 12),
        reference="besmart-00011",
        location="Dining hall",
        physical_intervention=True,
        pi_plan_followed=False,
        pild_triggers="- Loud noise",
        pi_behaviours_low="Pacing",
        pi_behaviours_high="Threw a chair",
        pi_deescalation=[effective("Offer a walk"), effective("Verbal reminder", "not_effective")],
        pi_techniques=[effective("Single elbow", "not_effective")],
    )
    made["b"] = recorded_incident(
        services,
        child,
        at(10, 12, 40),
        reference="besmart-00012",
        location="Dining hall",
        pild_triggers="Loud noise\nHunger",
        pi_behaviours_low="- Pacing",
        pi_behaviours_medium="Shouting",
        pi_deescalation=[effective("Offer a walk"), effective("Verbal reminder", "not_effective")],
    )
    made["c"] = recorded_incident(
        services,
        child,
        at(17, 12, 5),
        reference="besmart-00013",
        location="Dining hall",
        pi_deescalation=[effective("Offer a walk", "partly_effective")],
    )
    made["d"] = recorded_incident(
        services,
        child,
        at(24, 9),
        reference="besmart-00014",
        location="Classroom",
        physical_intervention=True,
        pi_plan_followed=True,
        pi_deescalation=[effective("Offer a walk")],
        pi_techniques=[effective("Single elbow", "not_effective")],
    )
    made["e"] = recorded_incident(services, child, at(31, 9, 30), reference="besmart-00015", location="Classroom")
    made["old"] = recorded_incident(
        services, child, at(120, 12), reference="besmart-00001", location="Dining hall", pild_triggers="Loud noise"
    )
    return made


def by_key(found: list[Suggestion], start: str) -> Suggestion:
    return next(s for s in found if s.key.startswith(start))


def recent_ids(store: LocalStore, profile_id: str) -> list[str]:
    """The direct computation: submitted incidents of the individual in the window, straight from the store."""
    cutoff = dt.datetime.now(dt.UTC) - WINDOW
    return [
        i.id
        for i in store.incidents(profile_id=profile_id)
        if i.values["status"] != "draft" and dt.datetime.fromisoformat(i.values["occurred_at"]) >= cutoff
    ]


def test_individual_patterns_cite_the_figures_a_direct_count_gives(
    services: Services, child: str, history: dict[str, str]
) -> None:
    store = services.context.store
    found = services.suggestions.for_individual(child)
    recent = recent_ids(store, child)
    assert history["old"] not in recent and len(recent) == 5

    def local(record_id: str) -> dt.datetime:
        return dt.datetime.fromisoformat(store.get(record_id).values["occurred_at"]).astimezone(LONDON)

    lunch = [i for i in recent if local(i).hour == 12]
    time = by_key(found, "time:")
    assert time.title == "A time of day: 12:00–13:00"
    assert dict(time.figures) == {
        "Incidents between 12:00–13:00": len(lunch),
        "Incidents in 12 weeks": len(recent),
        "Share (%)": round(100 * len(lunch) / len(recent), 1),
    }
    assert set(time.incident_ids) == set(lunch) and history["old"] not in time.incident_ids
    assert time.references[0] == f"besmart-00013, {local(history['c']):%-d %b %Y}"  # oldest first

    hall = [i for i in recent if store.get(i).values["location"] == "Dining hall"]
    place = by_key(found, "place:")
    assert place.title == "A place: Dining hall" and dict(place.figures)["Incidents in Dining hall"] == len(hall) == 3

    walk = by_key(found, "worked:")
    rated = [
        i
        for i in recent
        for use in store.get(i).values.get("pi_deescalation") or []
        if use["technique"] == "Offer a walk" and use["effectiveness"] == "effective"
    ]
    assert walk.title == "What has worked: Offer a walk"
    assert dict(walk.figures) == {"Rated effective": len(rated), "Recorded uses": 4, "Incidents in 12 weeks": 5}
    assert set(walk.incident_ids) == set(rated)

    not_worked = {s.title for s in found if s.key.startswith("not_worked:")}
    assert not_worked == {"What has not worked: Verbal reminder", "What has not worked: Single elbow"}

    trigger = by_key(found, "trigger:")
    assert trigger.title == "A trigger: Loud noise"  # the old incident's "Loud noise" is outside the window
    assert set(trigger.incident_ids) == {history["a"], history["b"]}
    early = by_key(found, "early_sign:")
    assert early.title == "Before it escalates: Pacing"
    assert dict(early.figures) == {"Escalated incidents where it came first": 2, "Escalated incidents": 2}

    followed = by_key(found, "plan_followed:")
    assert dict(followed.figures) == {
        "Physical interventions in 12 weeks saying whether the plan was followed": 2,
        "Of them, plan not followed": 1,
    }
    assert followed.incident_ids == (history["a"],)


def test_a_plan_that_looks_out_of_date_against_incidents_since_it_was_published(
    lead: Services, child: str, history: dict[str, str]
) -> None:
    plan = lead.plans.start(child)
    lead.plans.edit(
        plan,
        {"amber_helps": "- Verbal reminder\n- Offer a walk", "triggers": "- Hunger"},
    )
    # Published before every recent incident: they all came after it (its review date long gone, which no one can
    # choose now: written as a sync would bring it).
    lead.context.write(
        "smart_plan",
        "update",
        {"status": "active", "published_at": "2020-01-01T00:00:00+00:00", "review_date": "2020-01-01"},
        record_id=plan,
    )
    found = lead.suggestions.for_individual(child)
    outdated = by_key(found, "plan_outdated:")
    assert outdated.title == "The plan says “Verbal reminder” helps"
    assert set(outdated.incident_ids) == {history["a"], history["b"]}
    assert by_key(found, "review_overdue:").figures == (("Incidents since it was published", 5),)
    missing = by_key(found, f"plan_missing:{plan}:triggers")
    assert set(missing.incident_ids) == {history["a"], history["b"]}  # "Loud noise"; "Hunger" is in the plan


def test_a_single_incident_what_helps_and_the_follow_ups_still_open(
    lead: Services, child: str, history: dict[str, str]
) -> None:
    plan = lead.plans.start(child)
    lead.plans.edit(plan, {"amber_helps": "- Offer a walk\n- Quiet space"})
    lead.plans.publish(plan)
    found = lead.suggestions.for_incident(history["a"])
    assert by_key(found, "worked:").title == "What has worked: Offer a walk"
    strategies = by_key(found, f"plan:{plan}:amber_helps")
    assert "Offer a walk; Quiet space" in strategies.text and strategies.incident_ids == (history["a"],)
    assert "not followed in this incident" in by_key(found, "plan_followed:").text
    open_ = {s.key.rsplit(":", 1)[1] for s in found if s.key.startswith("follow_up:")}
    assert open_ == {"parents", "written_report", "sign_off", "child_spoken_to"}
    assert by_key(found, "follow_up:").figures == (("Days since the incident", 3),)

    lead.incidents.parents_informed(history["a"], method="phone")
    lead.incidents.sign_off(history["a"], staff_spoken_to=True, child_spoken_to=True)
    found = lead.suggestions.for_incident(history["a"])
    assert {s.key.rsplit(":", 1)[1] for s in found if s.key.startswith("follow_up:")} == {"written_report"}


def test_whole_service_suggestions_come_from_the_reports_figures(
    lead: Services, child: str, history: dict[str, str]
) -> None:
    store = lead.context.store
    found = lead.suggestions.for_service()
    cutoff = TODAY - dt.timedelta(days=29)
    period = [
        i
        for i in store.incidents()
        if dt.datetime.fromisoformat(i.values["occurred_at"]).astimezone(LONDON).date() >= cutoff
    ]
    hall = [i.id for i in period if i.values.get("location") == "Dining hall"]
    place = by_key(found, "hot_place:")
    assert dict(place.figures) == {
        "Incidents there": len(hall),
        "Incidents in the period": len(period),
        "Share (%)": round(100 * len(hall) / len(period), 1),
    }
    assert set(place.incident_ids) == set(hall) and place.profile_ids == (child,)

    training = by_key(found, "training:")
    assert training.title == "Training need: Single elbow"
    assert dict(training.figures) == {"Rated not effective": 2, "Uses in the period": 2}

    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    overdue = [
        i.id
        for i in store.incidents()
        if dt.datetime.fromisoformat(i.values["occurred_at"]) < week_ago
        and (i.values["status"] != "reviewed" or i.values.get("parents_informed") is None)
    ]
    follow_ups = by_key(found, "overdue_follow_ups")
    assert dict(follow_ups.figures)["Incidents with a follow-up overdue"] == len(overdue) == 5
    assert set(follow_ups.incident_ids) == set(overdue)


def test_staff_see_their_individuals_only_and_the_service_scope_is_for_leads(
    services: Services, lead: Services, child: str, history: dict[str, str]
) -> None:
    with pytest.raises(PermissionDenied, match="whole service"):
        services.suggestions.for_service()
    assert services.suggestions.for_individual(child)
    # An individual the staff member was not given access to is not on their device at all.
    with pytest.raises(ActionError, match="not on this device"):
        services.suggestions.for_individual("someone-else")
    with pytest.raises(ActionError, match="not on this device"):
        services.suggestions.for_incident("no-such-incident")
    draft = services.incidents.start(child)
    services.incidents.save_page(draft.id, {"what_happened": "Shouted.", "occurred_at": at(1, 10).isoformat()})
    with pytest.raises(ActionError, match="not on this device"):
        services.suggestions.for_incident(draft.id)  # a draft is not a record yet
    assert lead.suggestions.for_service()


def test_adding_a_suggestion_to_a_plan_makes_a_contribution_with_its_evidence(
    services: Services, lead: Services, child: str, history: dict[str, str]
) -> None:
    store = lead.context.store
    walk = by_key(services.suggestions.for_individual(child), "worked:")
    assert services.suggestions.plan_choices(walk) == []  # no plan yet
    plan = lead.plans.start(child)
    assert [c[0] for c in services.suggestions.plan_choices(walk)] == [plan]

    contribution_id = services.suggestions.add_to_plan(walk, plan)
    contribution = store.get(contribution_id)
    assert contribution.profile_id == child
    values = contribution.values
    assert (values["plan_id"], values["section"], values["author_id"]) == (plan, "amber", "u-staff")
    assert "Offer a walk" in values["text"] and "Rated effective: 3" in values["text"]
    assert "besmart-00011" in values["text"] and "besmart-00014" in values["text"]

    other = lead.context.write("individual", "create", {"first_name": "Ben", "last_name": "Bright"})
    other_plan = lead.plans.start(other)
    before = len(store.records("plan_contribution"))
    with pytest.raises(ActionError, match="not about an individual"):
        services.suggestions.add_to_plan(walk, other_plan)
    assert len(store.records("plan_contribution")) == before


def test_the_language_check_before_submit_shows_unseen_flags_once(services: Services) -> None:
    review = services.language_review
    texts = {"what_happened": "He kicked off and was restrained.", "location": "Hall"}
    labels = {"what_happened": "What happened"}
    review.saw("draft-1", "what_happened", [f for f in scan(texts["what_happened"]) if f.phrase == "kicked off"])
    found = review.before_submit("draft-1", texts, labels)
    assert [(f.field, f.label, f.flag.phrase) for f in found] == [("what_happened", "What happened", "restrained")]
    assert review.before_submit("draft-1", texts, labels) == []  # never twice
    assert review.before_submit("draft-2", {"what_happened": "She said 'he kicked off'."}, labels) == []  # a quote
    review.forget("draft-1")
    assert len(review.before_submit("draft-1", texts, labels)) == 2


def test_synced_from_the_server_staff_get_suggestions_for_their_individuals_only(server, org, tmp_path) -> None:
    """The real scope: a staff member's device holds only the children they were given access to (the server
    decides), so there is nothing about anyone else to suggest from; the whole service is the lead's."""
    kim, max_ = org.children["kim"], org.children["max"]
    lena = Device(server.url, org.email("lena"))
    ops = [lena.incident(child, location="Gym") for child in (kim, kim, max_, max_, max_)]
    assert all(r.status == "applied" for r in lena.push(ops).results)
    lena.close()
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    lead = ClientDevice.create(server.url, org.email("lena"), tmp_path / "lena")
    try:
        sam.sync()
        lead.sync()
        place = by_key(sam.services.suggestions.for_individual(kim), "place:")
        assert dict(place.figures)["Incidents in Gym"] == 2 and place.profile_ids == (kim,)
        with pytest.raises(ActionError, match="not on this device"):
            sam.services.suggestions.for_individual(max_)
        with pytest.raises(PermissionDenied):
            sam.services.suggestions.for_service()
        hot = by_key(lead.services.suggestions.for_service(), "hot_place:Gym")
        assert dict(hot.figures)["Incidents there"] == 5 and set(hot.profile_ids) == {kim, max_}
    finally:
        sam.close()
        lead.close()


def test_child_spoken_to_follows_what_the_report_holds_and_says_a_lead_records_it(
    services: Services, lead: Services, child: str
) -> None:
    """Only a lead records that the child was spoken to (at sign-off); the child's own view in the post-incident
    learning shows someone did. The follow-up says so rather than asking staff for what they cannot record."""

    def spoken_to(found: list[Suggestion]) -> Suggestion | None:
        return next((s for s in found if s.key.endswith(":child_spoken_to")), None)

    unheard = recorded_incident(services, child, at(2, 10), reference="besmart-00021")
    heard = recorded_incident(
        services, child, at(2, 11), reference="besmart-00022", pild_perspective="They were laughing at me"
    )
    ask = spoken_to(services.suggestions.for_incident(unheard))
    assert ask is not None and ask.title == "Child spoken to?"
    assert ask.text.startswith("No view of the child's is recorded yet.") and "a lead confirms it" in ask.text
    recorded = spoken_to(services.suggestions.for_incident(heard))
    assert recorded is not None and recorded.title == "Child spoken to: a lead confirms it at sign-off"
    assert recorded.text.startswith("Their own view is recorded in the post-incident learning.")
    assert "Nobody has recorded" not in ask.text + recorded.text

    # Signed off without the box ticked: the child's view in the report is the record of it…
    lead.incidents.sign_off(heard, staff_spoken_to=True, child_spoken_to=False)
    assert spoken_to(services.suggestions.for_incident(heard)) is None
    # …and with no view recorded either, a lead can still add it (the report is signed off: staff cannot).
    lead.incidents.sign_off(unheard, staff_spoken_to=True, child_spoken_to=False)
    late = spoken_to(services.suggestions.for_incident(unheard))
    assert late is not None and "ask a lead to add their view" in late.text


def test_whole_service_suggestions_are_not_offered_for_one_childs_plan(
    lead: Services, child: str, history: dict[str, str]
) -> None:
    plan = lead.plans.start(child)
    found = lead.suggestions.for_service()
    assert found and all(s.profile_ids == (child,) for s in found)  # each about Ada's incidents alone…
    assert [lead.suggestions.plan_choices(s) for s in found] == [[] for _ in found]  # …yet not for her plan
    before = len(lead.context.store.records("plan_contribution"))
    with pytest.raises(ActionError, match="whole service"):
        lead.suggestions.add_to_plan(by_key(found, "hot_place:"), plan)
    assert len(lead.context.store.records("plan_contribution")) == before
    # One about her is offered for it.
    assert [c[0] for c in lead.suggestions.plan_choices(by_key(lead.suggestions.for_individual(child), "place:"))] == [
        plan
    ]


def test_a_suggestion_added_to_a_plan_names_no_other_individual(services: Services, lead: Services, child: str) -> None:
    """The contribution's words go through the Smart Plan Builder's own name check (one function for both)."""
    lead.context.write("individual", "create", {"first_name": "Dylan", "last_name": "Hall"})
    for days in (3, 10):
        recorded_incident(services, child, at(days, 12), pild_triggers="Dylan Hall calling her names")
    trigger = by_key(services.suggestions.for_individual(child), "trigger:")
    assert trigger.title == "A trigger: Dylan Hall calling her names"  # on the screen, for staff: as recorded
    plan = lead.plans.start(child)
    contribution = lead.context.store.get(services.suggestions.add_to_plan(trigger, plan))
    text = contribution.values["text"]
    assert text.startswith("A trigger: another young person calling her names\n“Another young person calling")
    assert "Dylan" not in text and "Hall" not in text
