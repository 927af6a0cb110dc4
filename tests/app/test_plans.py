"""Smart Plans on one device: every action of `app.plans` and `app.plan_builder`, and who may take it."""

from __future__ import annotations

import datetime as dt

import pytest

from app.context import ActionError, Context, PermissionDenied
from app.notifications import Destination
from app.services import Services
from localdb.store import LocalStore
from sync.records import RecordError, validate_record
from tests.support.device import recorded_incident as incident
from tests.support.device import user

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def lead(store: LocalStore, child: str) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


def test_a_lead_drafts_publishes_and_versions_a_plan(lead: Services, child: str) -> None:
    plans = lead.plans
    first = plans.start(child, plan_type="interim")
    plans.edit(first, {"triggers": "- Loud corridors", "amber_helps": "- Quiet space", "link_ehcp": True})
    with pytest.raises(ActionError, match="already has a Smart Plan"):
        plans.start(child)
    with pytest.raises(ActionError, match="Not a part"):
        plans.edit(first, {"status": "active"})
    plans.publish(first)
    assert plans.get(first).values["status"] == "active"
    with pytest.raises(ActionError, match="published: start a new version"):
        plans.edit(first, {"triggers": "changed"})

    second = plans.start_next_version(first)
    copied = plans.get(second).values
    assert (copied["version"], copied["series_id"], copied["status"]) == (2, first, "draft")
    assert copied["triggers"] == "- Loud corridors" and copied["plan_type"] == "interim"
    with pytest.raises(ActionError, match="already being drafted"):
        plans.start_next_version(first)
    plans.edit(second, {"triggers": "- Loud corridors\n- Cover lessons"})
    plans.publish(second)
    assert plans.get(first).values["status"] == "archived"
    assert plans.get(second).values["status"] == "active"
    assert [v.id for v in plans.versions(first)] == [first, second]
    with pytest.raises(ActionError, match="archived"):
        plans.edit(first, {"review_date": "2027-01-01"})

    changes = {s.key: s for s in plans.compare(first, second)}
    assert changes["understanding"].changed and not changes["amber"].changed
    triggers = next(i for i in changes["understanding"].items if i.field == "triggers")
    assert (triggers.before, triggers.after) == ("- Loud corridors", "- Loud corridors\n- Cover lessons")


def test_a_plan_with_nothing_written_is_not_published(lead: Services, child: str) -> None:
    plan = lead.plans.start(child)
    lead.plans.edit(plan, {"title": "Ada's plan", "review_date": "2027-01-04"})  # details alone are not a plan
    with pytest.raises(ActionError, match="Nothing is written in this plan yet"):
        lead.plans.publish(plan)  # it would become the plan everyone follows, with nothing in it
    assert lead.plans.get(plan).values["status"] == "draft"
    lead.plans.edit(plan, {"triggers": "- Loud corridors"})
    lead.plans.publish(plan)
    assert lead.plans.get(plan).values["status"] == "active"


def test_staff_see_and_contribute_but_do_not_edit_publish_or_delete(services: Services, lead: Services, child: str):
    plan = lead.plans.start(child)
    staff = services.plans
    assert [p.id for p in staff.find()] == [plan]
    for action in (
        lambda: staff.start(child),
        lambda: staff.edit(plan, {"triggers": "x"}),
        lambda: staff.publish(plan),
        lambda: staff.delete(plan, "wrong child"),
    ):
        with pytest.raises(PermissionDenied):
            action()
    own = staff.contribute(plan, "green", "Praise quietly, one to one")
    with pytest.raises(ActionError, match="on behalf of"):
        staff.contribute(plan, "about_me", "Likes drawing", on_behalf_of="parent_carer")
    mum = staff.contribute(plan, "about_me", "Loves drawing horses", on_behalf_of="parent_carer", name="Mum")
    with pytest.raises(ActionError, match="section"):
        staff.contribute(plan, "nowhere", "text")
    listed = staff.contributions(plan)
    assert [c.id for c in listed] == [own, mum]
    assert listed[1].values["on_behalf_of"] == "parent_carer" and listed[1].values["on_behalf_name"] == "Mum"
    assert [c.id for c in staff.contributions(plan, section="green")] == [own]
    assert staff.find()[0].unused_contributions == 2
    with pytest.raises(PermissionDenied):
        staff.mark_used(own)
    lead.plans.mark_used(own)
    assert staff.contributions(plan)[0].values["used"] is True


def test_the_plan_lead_may_edit_their_draft_without_being_a_lead(services: Services, lead: Services, child: str):
    plan = lead.plans.start(child, plan_lead="u-staff")
    services.plans.edit(plan, {"about_strengths": "Art and football"})
    contribution = services.plans.contribute(plan, "about_me", "Said she likes art")
    services.plans.mark_used(contribution)
    assert services.plans.get(plan).values["about_strengths"] == "Art and football"
    with pytest.raises(PermissionDenied):
        services.plans.publish(plan)


def test_deleting_needs_a_reason_erases_a_draft_and_keeps_a_published_plan_for_leads(
    services: Services, lead: Services, child: str
) -> None:
    draft = lead.plans.start(child)
    with pytest.raises(ActionError, match="why"):
        lead.plans.delete(draft, "  ")
    lead.plans.delete(draft, "started by mistake")
    assert lead.plans.find() == []
    published = lead.plans.start(child)
    lead.plans.edit(published, {"about_strengths": "Loves drawing"})
    lead.plans.publish(published)
    lead.plans.delete(published, "wrong individual")
    kept = lead.plans.get(published).values
    assert kept["removed"] and kept["removed_reason"] == "wrong individual" and kept["removed_by"] == "u-lead"
    assert [p.id for p in lead.plans.find()] == [published]
    assert services.plans.find() == []
    with pytest.raises(ActionError, match="deleted"):
        services.plans.get(published)
    with pytest.raises(ActionError):
        services.plans.contribute(published, "green", "too late")


def test_review_log_and_review_filters(lead: Services, child: str) -> None:
    plans = lead.plans
    plan = plans.start(child)
    today = dt.date.today()  # a next review date is never in the past (below): the dates are today's
    review = today + dt.timedelta(days=4)
    plans.edit(plan, {"review_date": review.isoformat(), "about_strengths": "Loves drawing"})
    assert plans.find(review="due", today=today) == []  # a draft has no review due
    assert plans.publish(plan) == ""  # nothing left to do
    assert [p.review for p in plans.find(today=today)] == ["due"]
    assert [p.id for p in plans.find(review="overdue", today=review + dt.timedelta(days=1))] == [plan]
    assert plans.find(review="due", today=review - dt.timedelta(days=30)) == []
    assert plans.find(status="draft") == [] and len(plans.find(status="active")) == 1
    plans.add_review(plan, changes="Added a movement break", kind="after_incident", next_review=dt.date(2027, 3, 1))
    values = plans.get(plan).values
    assert values["review_log"][0]["changes"] == "Added a movement break"
    assert values["review_log"][0]["reviewed_by"] == "Lee Lead" and values["review_log"][0]["kind"] == "after_incident"
    assert values["review_date"] == "2027-03-01"


def test_a_next_review_date_before_today_is_refused(lead: Services, child: str) -> None:
    """A past next review date would be printed on the plan and carried into its next version, and remind no one:
    refused wherever one is chosen, with the day in the words; today will do."""
    plans = lead.plans
    today = dt.date.today()
    plan = plans.start(child)
    with pytest.raises(ActionError, match=r"^The next review date, 1 Jun 2025, has passed: choose today or a later"):
        plans.edit(plan, {"review_date": "2025-06-01"})
    with pytest.raises(ActionError, match="has passed"):
        plans.edit(plan, {"review_date": (today - dt.timedelta(days=1)).isoformat(), "triggers": "- Noise"})
    assert plans.get(plan).values.get("review_date") is None and not plans.get(plan).values.get("triggers")
    with pytest.raises(ActionError, match="is not a date"):
        plans.edit(plan, {"review_date": "1/6/2025"})
    plans.edit(plan, {"review_date": today.isoformat(), "triggers": "- Noise"})
    plans.publish(plan)

    with pytest.raises(ActionError, match=r"^The next review date, 1 Jun 2025, has passed"):
        plans.add_review(plan, changes="Nothing needed to change", next_review=dt.date(2025, 6, 1))
    assert plans.get(plan).values["review_log"] == [] and plans.get(plan).values["review_date"] == today.isoformat()
    plans.add_review(plan, changes="Nothing needed to change", next_review=today)
    assert len(plans.get(plan).values["review_log"]) == 1


def test_publishing_with_a_review_date_that_has_passed_says_to_set_a_new_one(lead: Services, child: str) -> None:
    """A draft's review date may pass before it is published (or be carried from the version before): it is still
    published, and the person is told to set a new date."""
    plans = lead.plans
    plan = plans.start(child)
    plans.edit(plan, {"triggers": "- Noise"})
    lead.context.write("smart_plan", "update", {"review_date": "2025-06-01"}, record_id=plan)  # chosen in 2025
    note = plans.publish(plan)
    assert plans.get(plan).values["status"] == "active"
    assert note == "Its next review date, 1 Jun 2025, has passed: set a new one with \u201cAdd a review\u201d."
    second = plans.start_next_version(plan)
    assert plans.publish(second) == note  # carried into the next version, and said again


def test_a_plan_is_started_for_an_individual(lead: Services) -> None:
    with pytest.raises(ActionError, match=r"^Choose the individual the plan is for\.$"):
        lead.plans.start("")


def test_suggestions_are_traced_to_their_source_and_added_only_when_accepted(lead: Services, child: str) -> None:
    when = NOW - dt.timedelta(days=3)
    source = incident(
        lead,
        child,
        when,
        reference="besmart-00042",
        pild_triggers="- Being told off in front of the class",
        pild_adjustments="Warn him before cover lessons",
        pild_perspective="I wanted them to stop laughing",
        pi_behaviours_low="Pacing by the door",
        physical_intervention=True,
        pi_deescalation=[
            {"technique": "Offering a choice", "effectiveness": "effective"},
            {"technique": "Raised voice", "effectiveness": "not_effective"},
        ],
    )
    draft = lead.context.write(
        "incident",
        "create",
        {
            "recorded_by": "u-lead",
            "recorded_at": NOW.isoformat(),
            "occurred_at": NOW.isoformat(),
            "pild_triggers": "Draft trigger",
        },
        profile_id=child,
    )
    comm = lead.context.write(
        "communication",
        "create",
        {
            "valence": "positive",
            "author_id": "u-lead",
            "message": "Great listening in maths",
            "created_at": NOW.isoformat(),
            "added_to_plan": True,
        },
        profile_id=child,
    )
    lead.context.write(
        "communication",
        "create",
        {"valence": "negative", "author_id": "u-lead", "message": "Not for the plan", "created_at": NOW.isoformat()},
        profile_id=child,
    )
    plan = lead.plans.start(child)
    offered = {(s.field, s.text): s for s in lead.plan_builder.suggestions(plan)}
    assert set(offered) == {
        ("triggers", "Being told off in front of the class"),
        ("reasonable_adjustments", "Warn him before cover lessons"),
        ("pupil_voice", "I wanted them to stop laughing"),
        ("early_signs", "Pacing by the door"),
        ("amber_helps", "Offering a choice"),
        ("amber_avoid", "Raised voice"),
        ("green_reinforce", "Great listening in maths"),
    }
    trigger = offered[("triggers", "Being told off in front of the class")]
    assert (trigger.source_id, trigger.source_kind, trigger.section) == (source, "incident", "understanding")
    assert trigger.source.startswith("besmart-00042, ") and "Nov 2026" in trigger.source
    praise = offered[("green_reinforce", "Great listening in maths")]
    assert praise.source_id == comm and praise.source.startswith("Communication, ")
    assert all(s.source_id != draft for s in offered.values())
    assert lead.plans.get(plan).values["triggers"] == ""  # nothing added unasked

    lead.plan_builder.accept(plan, trigger)
    lead.plan_builder.accept(plan, praise, "Praise his listening, privately")
    lead.plan_builder.dismiss(plan, offered[("amber_avoid", "Raised voice")])
    values = lead.plans.get(plan).values
    assert values["triggers"] == "- Being told off in front of the class"
    assert values["green_reinforce"] == "- Praise his listening, privately"
    assert values["linked_incident_ids"] == [source] and values["linked_communication_ids"] == [comm]
    left = {(s.field, s.text) for s in lead.plan_builder.suggestions(plan)}
    assert ("triggers", "Being told off in front of the class") not in left
    assert ("amber_avoid", "Raised voice") not in left
    assert ("early_signs", "Pacing by the door") in left


def test_reflection_answers_the_four_questions_with_figures(lead: Services, child: str) -> None:
    types = {t.values["label"]: t.id for t in lead.context.store.behaviour_types()}
    for days_ago, label in ((1, "Shouting out"), (2, "Shouting out"), (3, "On task"), (40, "Shouting out")):
        lead.clicker.tap(child, types[label], at=NOW - dt.timedelta(days=days_ago))
    incident(
        lead,
        child,
        NOW - dt.timedelta(days=2),
        reference="besmart-00001",
        location="Corridor",
        pild_triggers="Cover lesson",
        pi_plan_followed=False,
        physical_intervention=True,
        pi_techniques=[{"technique": "Single elbow", "effectiveness": "partly_effective"}],
    )
    incident(
        lead,
        child,
        NOW - dt.timedelta(days=9),
        location="Corridor",
        pild_triggers="- Cover lesson\n- Noise",
        pi_deescalation=[{"technique": "Offering a choice", "effectiveness": "effective"}],
    )
    incident(lead, child, NOW - dt.timedelta(days=35), location="Playground")
    incident(lead, child, NOW - dt.timedelta(days=80), location="Old")
    figures = lead.plan_builder.reflection(child, now=NOW)
    assert figures.behaviours == {"On task": (1, 0), "Shouting out": (2, 1)}
    assert figures.incidents == (2, 1)
    assert figures.triggers[0] == ("Cover lesson", 2)
    assert figures.locations[0] == ("Corridor", 2) and ("Old", 1) not in figures.locations
    techniques = {t.technique: t for t in figures.techniques}
    assert techniques["Offering a choice"].effective == 1 and techniques["Single elbow"].partly_effective == 1
    assert [(ref, day) for _id, ref, day in figures.plan_not_followed] == [
        ("besmart-00001", (NOW - dt.timedelta(days=2)).astimezone().date())
    ]
    assert sum(count for _day, count in figures.days) == 3


def test_plans_recorded_before_the_sections_stay_valid_and_contributions_are_checked() -> None:
    earlier = {
        "status": "active",
        "version": 1,
        "title": "Smart Plan",
        "review_date": "2026-01-10",
        "contributors": [{"name": "Mum", "role": "parent"}],
        "pupil_voice": "I need space",
        "strategies": "- Music",
        "triggers": "- Noise",
        "early_signs": "- Pacing",
        "reasonable_adjustments": "- Leave early",
        "agreed_responses": "- Calm voice",
        "communication_follow_up": "Phone home",
        "linked_incident_ids": [],
        "linked_communication_ids": [],
        "created_by": "u-lead",
        "created_at": "2025-10-01T09:00:00Z",
    }
    assert validate_record("smart_plan", earlier)["triggers"] == "- Noise"
    contribution = {
        "plan_id": "p1",
        "section": "green",
        "text": "Praise",
        "author_id": "u",
        "created_at": "2026-01-01T09:00:00Z",
    }
    assert validate_record("plan_contribution", contribution)["on_behalf_of"] == "self"
    with pytest.raises(RecordError, match="unknown plan section"):
        validate_record("plan_contribution", {**contribution, "section": "purple"})
    with pytest.raises(RecordError, match="say whom"):
        validate_record("plan_contribution", {**contribution, "on_behalf_of": "individual"})


def test_a_review_reminder_or_a_contribution_opens_the_plan(lead: Services, child: str) -> None:
    """A notification about a plan (a review due, a change) or one of its contributions opens the plan's view."""
    plan = lead.plans.start(child)
    contribution = lead.plans.contribute(plan, "amber", "Offer the quiet room early")
    notifications = lead.notifications
    assert notifications.destination("smart_plan", plan) == Destination("smart_plan", {"plan_id": plan})
    assert notifications.destination("plan_contribution", contribution) == Destination("smart_plan", {"plan_id": plan})
    with pytest.raises(ActionError, match="not on this device"):
        notifications.destination("smart_plan", contribution)  # the wrong kind for that record
    lead.plans.delete(plan, "Started by mistake")  # a draft is erased
    with pytest.raises(ActionError, match="not on this device"):
        notifications.destination("smart_plan", plan)


def test_a_communication_added_to_the_plan_by_its_author_is_suggested_for_it(
    services: Services, lead: Services, child: str
) -> None:
    mine = services.communications.send(child, "positive", "Settled at once with the timer on her desk")
    theirs = lead.communications.send(child, "negative", "Refused to start the task")
    plan = lead.plans.start(child)
    assert lead.plan_builder.suggestions(plan) == []  # nothing added yet
    with pytest.raises(PermissionDenied, match="Only its author or a lead"):
        services.communications.add_to_plan(theirs)  # staff may add their own, not a colleague's
    services.communications.add_to_plan(mine)
    queued = services.context.store.pending_count()
    services.communications.add_to_plan(mine)  # twice: nothing more to write
    assert services.context.store.pending_count() == queued
    assert services.context.get(mine, "communication").values["added_to_plan"] is True
    assert [(s.field, s.text) for s in lead.plan_builder.suggestions(plan)] == [
        ("green_reinforce", "Settled at once with the timer on her desk")
    ]
