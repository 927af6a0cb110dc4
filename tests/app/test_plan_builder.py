"""The builder's own service calls (`app.plan_builder`): what is typed is kept on the device and written to the
plan as one change when saved, and the plan opened straight after an incident (a draft, a new plan or the active
plan's next version, the incident linked to it), for those who may build it."""

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
