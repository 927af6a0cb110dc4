"""Statutory clocks on the device (issue #13): an incident's clocks under its individual's setting, the leads'
list of open clocks (overdue first, offline), the written report marked sent and the withheld path — and what
a bad input or the wrong role leaves unchanged."""

from __future__ import annotations

import datetime as dt

import pytest

from app.compliance import ClockRule, ClockState, state_text
from app.context import ActionError, Context, PermissionDenied
from app.services import Services
from localdb.store import LocalStore
from tests.support.device import user
from tests.support.screens import server_create

MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def school_child(services: Services, child: str, *, setting_type: str = "school") -> None:
    setting = services.context.write("setting", "create", {"name": "Brightwater", "setting_type": setting_type})
    services.context.write("individual", "update", {"setting_id": setting}, record_id=child, profile_id=child)


def force(services: Services, child: str, occurred: dt.datetime = MONDAY, **fields: object) -> str:
    return services.context.write(
        "incident",
        "create",
        {
            "status": "submitted",
            "recorded_by": services.context.user.id,
            "recorded_at": (occurred + dt.timedelta(hours=1)).isoformat(),
            "occurred_at": occurred.isoformat(),
            "physical_intervention": True,
            **fields,
        },
        profile_id=child,
    )


def lead_services(store: LocalStore) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


def test_an_incident_shows_its_school_clocks_with_their_regulation(services: Services, child: str) -> None:
    school_child(services, child)
    incident = services.incidents.get(force(services, child))
    found = services.compliance.clocks(incident, MONDAY + dt.timedelta(hours=3))
    assert [c.rule.rule for c in found] == [ClockRule.RECORDED, ClockRule.PARENTS_WRITTEN_REPORT]
    recorded, report = found
    assert recorded.state == ClockState.DONE
    assert report.state == ClockState.DUE
    assert "s93A" in report.rule.regulation
    # 10:00 UTC is 10:00 GMT: the same day ends at midnight, 11 hours after 13:00
    assert state_text(report, MONDAY + dt.timedelta(hours=3)) == "Due in 11 hours"
    later = MONDAY + dt.timedelta(days=2)
    assert state_text(services.compliance.clocks(incident, later)[1], later) == "Overdue by 1 day"


def test_no_clocks_without_a_setting_or_a_restrictive_intervention(services: Services, child: str) -> None:
    assert services.compliance.clocks(services.incidents.get(force(services, child)), MONDAY) == []
    school_child(services, child)
    calm = force(services, child, physical_intervention=False)
    assert services.compliance.clocks(services.incidents.get(calm), MONDAY) == []


def test_marking_the_written_report_sent_stops_its_clock(services: Services, child: str) -> None:
    school_child(services, child)
    record = force(services, child)
    services.compliance.report_sent(record, method="email", sent_at=MONDAY + dt.timedelta(hours=5))
    values = services.incidents.get(record).values
    assert values["parent_report_sent_by"] == "u-staff"
    assert values["parent_report_method"] == "email"
    report = services.compliance.clocks(services.incidents.get(record), MONDAY + dt.timedelta(days=3))[1]
    assert report.state == ClockState.DONE and not report.late


def test_bad_report_input_changes_nothing(services: Services, child: str) -> None:
    school_child(services, child)
    record = force(services, child)
    with pytest.raises(ActionError, match="how the report was sent"):
        services.compliance.report_sent(record, method="pigeon")
    with pytest.raises(ActionError, match="before the incident"):
        services.compliance.report_sent(record, method="email", sent_at=MONDAY - dt.timedelta(days=1))
    assert services.incidents.get(record).values.get("parent_report_sent_at") is None


def test_only_a_lead_withholds_the_report_and_must_say_why(store: LocalStore, services: Services, child: str) -> None:
    school_child(services, child)
    record = force(services, child)
    assert not services.compliance.can_withhold()
    with pytest.raises(PermissionDenied):
        services.compliance.withhold(record, "Risk of harm at home")
    lead = lead_services(store)
    with pytest.raises(ActionError, match="reason"):
        lead.compliance.withhold(record, "   ")
    assert lead.incidents.get(record).values.get("pi_report_route_decided_by") is None
    lead.compliance.withhold(record, "Telling them would put the child at risk of significant harm")
    values = lead.incidents.get(record).values
    assert (values["pi_report_route"], values["pi_report_route_decided_by"]) == ("local_authority", "u-lead")
    report = lead.compliance.clocks(lead.incidents.get(record), MONDAY + dt.timedelta(days=9))[1]
    assert report.state == ClockState.DONE and report.withheld
    assert state_text(report, MONDAY).startswith("Withheld")


def test_the_compliance_list_is_a_leads_overdue_first(store: LocalStore, services: Services, child: str) -> None:
    school_child(services, child)
    old = force(services, child, MONDAY - dt.timedelta(days=3))
    new = force(services, child, MONDAY)
    done = force(services, child, MONDAY - dt.timedelta(days=5))
    services.compliance.report_sent(done, method="letter", sent_at=MONDAY - dt.timedelta(days=5, hours=-2))
    with pytest.raises(PermissionDenied):
        services.compliance.open_clocks(MONDAY)
    found = lead_services(store).compliance.open_clocks(MONDAY + dt.timedelta(hours=1))
    assert [(o.incident_id, o.clock.state) for o in found] == [(old, ClockState.OVERDUE), (new, ClockState.DUE)]
    assert found[0].individual == "Ada Lovelace"


def test_childrens_home_clocks_stop_at_sign_off(store: LocalStore, services: Services, child: str) -> None:
    school_child(services, child, setting_type="childrens_home")
    record = force(services, child, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    lead = lead_services(store)
    states = [c.state for c in lead.compliance.clocks(lead.incidents.get(record))]
    assert states == [ClockState.DONE, ClockState.DUE, ClockState.DUE]
    lead.incidents.sign_off(record, staff_spoken_to=True, child_spoken_to=True)
    assert {c.state for c in lead.compliance.clocks(lead.incidents.get(record))} == {ClockState.DONE}


def test_a_clock_reminder_opens_its_incident(store: LocalStore, services: Services, child: str) -> None:
    school_child(services, child)
    record = force(services, child)
    server_create(store, "notification", "n-clock", {
        "recipient_id": "u-staff", "kind": "clock_overdue", "subject": "Incident besmart-1 has missed a statutory "
        "deadline", "record_id": record, "record_kind": "incident", "profile_id": child,
        "created_at": MONDAY.isoformat(),
    })  # fmt: skip
    destination = services.notifications.destination("incident", record)
    assert (destination.screen, destination.params) == ("incident", {"record_id": record})
