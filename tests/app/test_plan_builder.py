"""The builder's own service calls (`app.plan_builder`): what is typed is kept on the device and written to the
plan as one change when saved, and the plan opened straight after an incident (a draft, a new plan or the active
plan's next version, the incident linked to it), for those who may build it; suggestions that name no other
individual, the same words once with all their sources, and a draft's EHCP link from the profile."""

from __future__ import annotations

import datetime as dt

import pytest

from app.context import ActionError, Context, PermissionDenied
from app.services import Services
from localdb.store import LocalStore
from tests.support.device import user

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def lead(store: LocalStore, child: str) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


def incident(services: Services, profile_id: str) -> str:
    return services.context.write(
        "incident",
        "create",
        {
            "recorded_by": services.context.user.id,
            "recorded_at": NOW.isoformat(),
            "occurred_at": NOW.isoformat(),
            "status": "submitted",
            "what_happened": "Ran out of the hall",
        },
        profile_id=profile_id,
    )


def test_typing_is_kept_on_the_device_then_written_as_one_change(lead: Services, child: str) -> None:
    builder, store = lead.plan_builder, lead.context.store
    plan = lead.plans.start(child)
    before = store.pending_count()
    for text in ("Dr", "Drawing", "Drawing and football"):
        builder.keep_typing(plan, "about_strengths", text)
    builder.keep_typing(plan, "triggers", "")  # emptied, as it was: nothing to write
    assert builder.typing(plan) == {"about_strengths": "Drawing and football", "triggers": ""}
    assert store.pending_count() == before and lead.plans.get(plan).values["about_strengths"] == ""
    builder.save_typing(plan)
    assert lead.plans.get(plan).values["about_strengths"] == "Drawing and football"
    [op] = store.pending_ops()[before:]
    assert op.fields == {"about_strengths": "Drawing and football"}
    assert builder.typing(plan) == {}
    builder.save_typing(plan)  # nothing kept: nothing written
    assert store.pending_count() == before + 1
    with pytest.raises(ActionError, match="Not a part of a Smart Plan: status"):
        builder.keep_typing(plan, "status", "active")


def test_typing_the_plan_no_longer_takes_stays_kept_with_the_reason(lead: Services, child: str) -> None:
    plan = lead.plans.start(child)
    lead.plans.edit(plan, {"about_strengths": "Loves drawing"})
    lead.plan_builder.keep_typing(plan, "triggers", "Loud corridors")
    lead.plans.publish(plan)  # say, on another screen
    with pytest.raises(ActionError, match="published: start a new version"):
        lead.plan_builder.save_typing(plan)
    assert lead.plan_builder.typing(plan) == {"triggers": "Loud corridors"}  # not lost


def test_after_an_incident_the_builder_opens_a_draft_with_the_incident_linked(lead: Services, child: str) -> None:
    builder = lead.plan_builder
    first = incident(lead, child)
    plan = builder.plan_for_incident(first)  # no plan yet: a new one
    assert lead.plans.get(plan).values["linked_incident_ids"] == [first]
    second = incident(lead, child)
    assert builder.plan_for_incident(second) == plan  # the draft in progress
    assert builder.plan_for_incident(second) == plan  # linked once
    assert lead.plans.get(plan).values["linked_incident_ids"] == [first, second]
    lead.plans.edit(plan, {"about_strengths": "Loves drawing"})
    lead.plans.publish(plan)
    third = incident(lead, child)
    next_version = builder.plan_for_incident(third)  # the active plan's next version
    values = lead.plans.get(next_version).values
    assert (values["version"], values["series_id"], values["status"]) == (2, plan, "draft")
    assert values["linked_incident_ids"] == [first, second, third]


def test_staff_build_only_a_draft_they_lead(services: Services, lead: Services, child: str) -> None:
    recorded = incident(services, child)
    assert not services.plan_builder.can_build(child)
    with pytest.raises(PermissionDenied):
        services.plan_builder.plan_for_incident(recorded)
    assert not services.context.store.records("smart_plan", child)  # nothing started
    plan = lead.plans.start(child, plan_lead="u-staff")
    assert services.plan_builder.can_build(child)
    assert services.plan_builder.plan_for_incident(recorded) == plan
    services.plan_builder.keep_typing(plan, "triggers", "Loud corridors")
    services.plan_builder.save_typing(plan)
    assert lead.plans.get(plan).values["triggers"] == "Loud corridors"


def learning(services: Services, profile_id: str, days_ago: int, **fields: object) -> str:
    """A submitted incident `days_ago` days ago with post-incident learning `fields`."""
    when = (NOW - dt.timedelta(days=days_ago)).isoformat()
    return services.context.write(
        "incident",
        "create",
        {"recorded_by": "u-lead", "recorded_at": when, "occurred_at": when, "status": "submitted", **fields},
        profile_id=profile_id,
    )


def individual(services: Services, first: str, last: str, **fields: object) -> str:
    return services.context.write("individual", "create", {"first_name": first, "last_name": last, **fields})


def test_suggestions_name_no_other_individual(lead: Services, child: str) -> None:
    """A plan is shared with parents and other professionals: words drawn from the record into it name no other
    child the device knows — full names in any case, a name alone written as a name — and keep the individual's
    own names, staff ("Mr Hall") and ordinary words ("will", "dining hall", "Sports Hall")."""
    individual(lead, "Dylan", "Hall")
    individual(lead, "William", "Green", preferred_name="Will")
    individual(lead, "Bo", "Peep")
    learning(
        lead,
        child,
        3,
        pild_triggers="Ada said Dylan had been saying things about her mum\n- Bo Peep took her pencil case",
        pild_perspective="will green laughed at me in the dining hall\nI will tell Mr Hall next time",
        pild_adjustments="Keep her apart from Dylan's friends in the Sports Hall",
        pi_deescalation=[{"technique": "Moved Will away from her", "effectiveness": "effective"}],
    )
    lead.communications.add_to_plan(lead.communications.send(child, "positive", "Helped Bo at break. Kind to Will."))
    plan = lead.plans.start(child)
    offered = {(s.field, s.text) for s in lead.plan_builder.suggestions(plan)}
    assert offered == {
        ("triggers", "Ada said another young person had been saying things about her mum"),
        ("triggers", "Another young person took her pencil case"),
        ("pupil_voice", "Another young person laughed at me in the dining hall"),
        ("pupil_voice", "I will tell Mr Hall next time"),
        ("reasonable_adjustments", "Keep her apart from another young person's friends in the Sports Hall"),
        ("amber_helps", "Moved another young person away from her"),
        # "Bo" alone is too short to tell from a word or an initial; "Will" is a name as it is written.
        ("green_reinforce", "Helped Bo at break. Kind to another young person."),
    }
    [trigger] = [s for s in lead.plan_builder.suggestions(plan) if s.text.startswith("Ada said")]
    lead.plan_builder.accept(plan, trigger)
    assert (
        lead.plans.get(plan).values["triggers"]
        == "- Ada said another young person had been saying things about her mum"
    )
    assert lead.plan_builder.reflection(child).triggers == [
        ("Ada said another young person had been saying things about her mum", 1),
        ("Another young person took her pencil case", 1),
    ]


def test_the_same_words_recorded_again_are_one_suggestion_with_every_source(lead: Services, child: str) -> None:
    first = learning(lead, child, 9, pild_adjustments="Tell her form tutor at registration on a bad day.")
    second = learning(lead, child, 5, pild_adjustments="- tell her form tutor at registration on a bad day")
    third = learning(lead, child, 2, pild_adjustments="Tell her form tutor at registration on a bad day.\nA timer")
    plan = lead.plans.start(child)
    found = [s for s in lead.plan_builder.suggestions(plan) if s.field == "reasonable_adjustments"]
    assert [(s.text, [source.id for source in s.sources]) for s in found] == [
        ("Tell her form tutor at registration on a bad day.", [third, second, first]),  # newest first
        ("A timer", [third]),
    ]
    tutor = found[0]
    assert len(tutor.keys) == 3 and tutor.source == tutor.sources[0].label
    lead.plan_builder.accept(plan, tutor)
    values = lead.plans.get(plan).values
    assert values["reasonable_adjustments"] == "- Tell her form tutor at registration on a bad day."
    assert set(values["linked_incident_ids"]) == {first, second, third}
    assert [s.text for s in lead.plan_builder.suggestions(plan) if s.field == "reasonable_adjustments"] == ["A timer"]


def test_dismissing_grouped_words_dismisses_every_source(lead: Services, child: str) -> None:
    for days in (4, 3, 2):
        learning(lead, child, days, pild_triggers="Cover lessons")
    plan = lead.plans.start(child)
    [cover] = lead.plan_builder.suggestions(plan)
    assert len(cover.sources) == 3
    lead.plan_builder.dismiss(plan, cover)
    assert lead.plan_builder.suggestions(plan) == []
    assert lead.plans.get(plan).values["triggers"] == ""  # dismissing adds nothing


def test_a_draft_takes_the_ehc_plan_its_profile_records(lead: Services, child: str) -> None:
    builder = lead.plan_builder
    lead.context.write("individual", "update", {"ehc_plan": True}, record_id=child)
    plan = lead.plans.start(child)
    assert lead.plans.get(plan).values.get("link_ehcp") is None  # a new plan has no answer of its own
    assert builder.fill_from_profile(plan) is True
    assert lead.plans.get(plan).values["link_ehcp"] is True
    before = lead.context.store.pending_count()
    assert builder.fill_from_profile(plan) is False  # answered: nothing more to write
    assert lead.context.store.pending_count() == before
    lead.plans.edit(plan, {"link_ehcp": False})  # the plan's own answer is kept
    assert builder.fill_from_profile(plan) is False and lead.plans.get(plan).values["link_ehcp"] is False
    # The profile's "no" is only its default: it is not an answer.
    other = individual(lead, "Ben", "Bright")
    other_plan = lead.plans.start(other)
    assert builder.fill_from_profile(other_plan) is False
    assert lead.plans.get(other_plan).values.get("link_ehcp") is None
