"""The statutory clocks: per rule set done / due / overdue from the incident's own fields, working days that skip
weekends and bank holidays, deadlines across midnight and both clock changes of 2026 in Europe/London, the
withheld-report path, no clocks without a restrictive intervention, and an admin's override on the setting."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.compliance import (
    LONDON,
    ClockState,
    Deadline,
    bank_holidays,
    clocks,
    is_working_day,
    rule_set_for,
)
from sync.records import ClockRule, ClockUnit, RecordError, validate_fields, validate_record


def utc(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def incident(occurred_at: str, **fields: Any) -> dict[str, Any]:
    """A submitted physical-intervention incident's values, validated as a device would store them; a moment
    without a timezone is UTC."""
    occurred_at = utc(occurred_at).isoformat()
    values = {
        "status": "submitted",
        "recorded_by": "s1",
        "recorded_at": occurred_at,
        "occurred_at": occurred_at,
        "physical_intervention": True,
        **fields,
    }
    return validate_record("incident", values)


def setting(setting_type: str, jurisdiction: str = "england", **fields: Any) -> dict[str, Any]:
    return validate_record(
        "setting", {"name": "Oak", "setting_type": setting_type, "jurisdiction": jurisdiction, **fields}
    )


HOME = rule_set_for(setting("childrens_home"))
SCHOOL = rule_set_for(setting("school"))
SCOTTISH_SCHOOL = rule_set_for(setting("school", "scotland"))


def by_rule(values: dict[str, Any], rules: Any, now: str) -> dict[ClockRule, Any]:
    return {clock.rule.rule: clock for clock in clocks(values, rules, utc(now))}


# --- children's home, England (reg 35) ---------------------------------------------------------------


def test_a_childrens_home_has_the_three_reg_35_clocks_done_due_and_overdue():
    values = incident(
        "2026-11-23T10:00:00",  # a Monday, GMT
        recorded_at="2026-11-23T12:00:00Z",
        review_staff_spoken_to=True,
        review_signed_off_by="lead",
        review_signed_off_at="2026-11-24T16:00:00Z",
    )
    found = by_rule(values, HOME, "2026-11-26T09:00:00")
    assert set(found) == {ClockRule.RECORDED, ClockRule.STAFF_SPOKEN_TO_AND_SIGNED, ClockRule.CHILD_SPOKEN_TO}
    recorded, signed, child = (found[r] for r in found)
    assert recorded.state == ClockState.DONE and recorded.deadline == utc("2026-11-24T10:00:00") and not recorded.late
    assert signed.state == ClockState.DONE and signed.deadline == utc("2026-11-25T10:00:00") and not signed.late
    assert child.state == ClockState.DUE and child.deadline == utc("2026-11-28T10:00:00")
    assert "Regulations 2015, regulation 35" in child.rule.regulation
    assert by_rule(values, HOME, "2026-11-28T10:00:00")[ClockRule.CHILD_SPOKEN_TO].state == ClockState.OVERDUE
    spoken = {**values, "review_child_spoken_by": "lead", "review_child_spoken_at": "2026-11-27T09:00:00Z"}
    assert by_rule(spoken, HOME, "2026-12-30T00:00:00")[ClockRule.CHILD_SPOKEN_TO].state == ClockState.DONE


def test_a_late_record_is_done_late_and_a_signature_without_speaking_to_staff_is_not_done():
    values = incident(
        "2026-11-23T10:00:00",
        recorded_at="2026-11-24T11:00:00Z",
        review_signed_off_by="lead",
        review_signed_off_at="2026-11-24T16:00:00Z",
    )
    found = by_rule(values, HOME, "2026-11-26T09:00:00")
    assert found[ClockRule.RECORDED].state == ClockState.DONE and found[ClockRule.RECORDED].late
    assert found[ClockRule.STAFF_SPOKEN_TO_AND_SIGNED].state == ClockState.OVERDUE


def test_a_draft_is_not_yet_recorded():
    values = incident("2026-11-23T10:00:00", status="draft")
    assert by_rule(values, HOME, "2026-11-23T11:00:00")[ClockRule.RECORDED].state == ClockState.DUE
    assert by_rule(values, HOME, "2026-11-24T10:00:00")[ClockRule.RECORDED].state == ClockState.OVERDUE


# --- school, England (s93A and the 2025 regulations) -------------------------------------------------


def test_a_school_in_england_records_and_reports_to_the_parents_the_same_day():
    values = incident("2026-11-23T15:00:00", recorded_at="2026-11-23T16:00:00Z")
    found = by_rule(values, SCHOOL, "2026-11-23T23:59:00")
    assert set(found) == {ClockRule.RECORDED, ClockRule.PARENTS_WRITTEN_REPORT}
    assert found[ClockRule.RECORDED].state == ClockState.DONE
    report = found[ClockRule.PARENTS_WRITTEN_REPORT]
    assert report.state == ClockState.DUE and report.deadline == utc("2026-11-24T00:00:00")
    assert "s93A" in report.rule.regulation
    assert by_rule(values, SCHOOL, "2026-11-24T00:00:00")[ClockRule.PARENTS_WRITTEN_REPORT].state == ClockState.OVERDUE
    sent = incident(
        "2026-11-23T15:00:00",
        parent_report_sent_by="s1",
        parent_report_sent_at="2026-11-23T17:30:00Z",
        parent_report_method="email",
    )
    report = by_rule(sent, SCHOOL, "2026-12-24T00:00:00")[ClockRule.PARENTS_WRITTEN_REPORT]
    assert report.state == ClockState.DONE and not report.late and not report.withheld


def test_the_same_day_ends_at_local_midnight_not_utc_midnight():
    # 23:30 in British Summer Time is 22:30 UTC: the day ends half an hour later, at 23:00 UTC.
    values = incident("2026-06-10T22:30:00", status="draft")
    assert by_rule(values, SCHOOL, "2026-06-10T22:31:00")[ClockRule.RECORDED].deadline == utc("2026-06-10T23:00:00")


def test_recorded_just_after_midnight_is_late():
    values = incident("2026-11-23T23:30:00", recorded_at="2026-11-24T00:10:00Z")
    recorded = by_rule(values, SCHOOL, "2026-11-24T00:20:00")[ClockRule.RECORDED]
    assert recorded.deadline == utc("2026-11-24T00:00:00") and recorded.state == ClockState.DONE and recorded.late


def test_a_withheld_report_with_its_reason_and_who_decided_stops_the_parents_clock():
    withheld = {
        "pi_report_route": "local_authority",
        "pi_report_route_reason": "Telling the parents would put the pupil at risk of significant harm.",
        "pi_report_route_decided_by": "dsl",
        "pi_report_route_decided_at": "2026-11-23T16:00:00Z",
    }
    values = incident("2026-11-23T15:00:00", **withheld)
    report = by_rule(values, SCHOOL, "2026-11-25T00:00:00")[ClockRule.PARENTS_WRITTEN_REPORT]
    assert report.state == ClockState.DONE and report.withheld and report.done_at == utc("2026-11-23T16:00:00")
    # Without who decided, or without a reason, or routed to the parents after all, the clock still runs.
    for missing in (
        {"pi_report_route_decided_by": None},
        {"pi_report_route_reason": " "},
        {"pi_report_route": "parents"},
    ):
        values = incident("2026-11-23T15:00:00", **{**withheld, **missing})
        report = by_rule(values, SCHOOL, "2026-11-25T00:00:00")[ClockRule.PARENTS_WRITTEN_REPORT]
        assert report.state == ClockState.OVERDUE and not report.withheld, missing


# --- school, Scotland (Included, Engaged and Involved part 3) ----------------------------------------


def test_a_scottish_school_tells_parents_in_24_hours_and_the_authority_in_2_working_days():
    values = incident(
        "2026-11-13T10:00:00",  # a Friday
        status="draft",
        parents_informed=True,
        parents_informed_by="s1",
        parents_informed_at="2026-11-13T15:00:00Z",
        parents_informed_method="phone",
    )
    found = by_rule(values, SCOTTISH_SCHOOL, "2026-11-17T12:00:00")
    assert found[ClockRule.PARENTS_TOLD].state == ClockState.DONE
    # The weekend is skipped: Monday and Tuesday are the two working days, so it is due by Tuesday's end.
    authority = found[ClockRule.AUTHORITY_TOLD]
    assert authority.state == ClockState.DUE and authority.deadline == utc("2026-11-18T00:00:00")
    record = found[ClockRule.RECORDED]
    assert record.state == ClockState.DUE and record.deadline == utc("2026-11-21T00:00:00")  # Friday's end
    assert by_rule(values, SCOTTISH_SCHOOL, "2026-11-18T00:00:00")[ClockRule.AUTHORITY_TOLD].state == ClockState.OVERDUE
    told = {**values, "authority_informed_by": "s1", "authority_informed_at": "2026-11-16T09:00:00Z"}
    assert by_rule(told, SCOTTISH_SCHOOL, "2026-11-18T00:00:00")[ClockRule.AUTHORITY_TOLD].state == ClockState.DONE


def test_a_weekend_incident_counts_from_monday():
    values = incident("2026-11-14T10:00:00")  # a Saturday
    authority = by_rule(values, SCOTTISH_SCHOOL, "2026-11-14T11:00:00")[ClockRule.AUTHORITY_TOLD]
    assert authority.deadline == utc("2026-11-18T00:00:00")


def test_working_days_skip_the_jurisdictions_bank_holidays():
    # Monday 30 November 2026 is St Andrew's Day, a bank holiday in Scotland but not in England.
    start = utc("2026-11-27T10:00:00")
    two = Deadline(ClockUnit.WORKING_DAYS, 2)
    assert two.after(start, bank_holidays("scotland")) == utc("2026-12-03T00:00:00")
    assert two.after(start, bank_holidays("england")) == utc("2026-12-02T00:00:00")
    values = incident("2026-11-27T10:00:00")
    authority = by_rule(values, SCOTTISH_SCHOOL, "2026-11-27T11:00:00")[ClockRule.AUTHORITY_TOLD]
    assert authority.deadline == utc("2026-12-03T00:00:00")


def test_the_bank_holiday_lists_are_weekdays_for_2026_and_2027():
    for jurisdiction, per_year in (("england", 8), ("scotland", 9)):
        days = bank_holidays(jurisdiction)
        assert all(day.weekday() < 5 for day in days), jurisdiction
        for year in (2026, 2027):
            assert len([d for d in days if d.year == year]) == per_year, (jurisdiction, year)
    assert dt.date(2026, 12, 28) in bank_holidays("england")  # Boxing Day's substitute
    assert dt.date(2027, 1, 4) in bank_holidays("scotland") and dt.date(2027, 1, 4) not in bank_holidays("england")


# --- the clock changes (Europe/London: 29 March and 25 October 2026) ---------------------------------


@pytest.mark.parametrize(
    ("start", "deadline", "expected"),
    [
        # 24 hours are elapsed hours: 10:00 GMT on Saturday is 11:00 BST on Sunday, 24 hours later.
        ("2026-03-28T10:00:00", Deadline(ClockUnit.HOURS, 24), "2026-03-29T10:00:00"),
        ("2026-10-24T10:00:00", Deadline(ClockUnit.HOURS, 24), "2026-10-25T10:00:00"),
        # 5 days keep the time of day: 10:00 GMT Thursday -> 10:00 BST Tuesday; 10:00 BST -> 10:00 GMT.
        ("2026-03-26T10:00:00", Deadline(ClockUnit.DAYS, 5), "2026-03-31T09:00:00"),
        ("2026-10-22T09:00:00", Deadline(ClockUnit.DAYS, 5), "2026-10-27T10:00:00"),
        # The same day: 29 March has 23 hours, 25 October 25.
        ("2026-03-29T00:30:00", Deadline(ClockUnit.SAME_DAY), "2026-03-29T23:00:00"),
        ("2026-10-25T00:30:00", Deadline(ClockUnit.SAME_DAY), "2026-10-26T00:00:00"),
        # Across midnight into the change: 23:30 GMT on Saturday 28 March ends at midnight GMT.
        ("2026-03-28T23:30:00", Deadline(ClockUnit.SAME_DAY), "2026-03-29T00:00:00"),
        # 23:30 BST on Saturday 24 October (22:30 UTC) ends at midnight BST (23:00 UTC).
        ("2026-10-24T22:30:00", Deadline(ClockUnit.SAME_DAY), "2026-10-24T23:00:00"),
        # Working days over a change: Friday 23 October -> Monday, Tuesday; Tuesday's end is GMT midnight.
        ("2026-10-23T09:00:00", Deadline(ClockUnit.WORKING_DAYS, 2), "2026-10-28T00:00:00"),
        ("2026-03-27T09:00:00", Deadline(ClockUnit.WORKING_DAYS, 2), "2026-03-31T23:00:00"),
    ],
)
def test_deadlines_across_the_clock_changes(start: str, deadline: Deadline, expected: str):
    assert deadline.after(utc(start), bank_holidays("england")) == utc(expected)


def test_a_reg_35_clock_through_the_spring_change():
    values = incident("2026-03-28T10:00:00", status="draft")
    recorded = by_rule(values, HOME, "2026-03-29T09:30:00")[ClockRule.RECORDED]
    # At 10:30 BST on Sunday only 23½ hours have passed: still due.
    assert recorded.state == ClockState.DUE and recorded.deadline == utc("2026-03-29T10:00:00")


# --- which incidents start clocks --------------------------------------------------------------------


def test_an_incident_without_a_restrictive_intervention_has_no_clocks():
    values = incident("2026-11-23T10:00:00", physical_intervention=False, status="draft")
    for rules in (HOME, SCHOOL, SCOTTISH_SCHOOL):
        assert clocks(values, rules, utc("2026-12-30T00:00:00")) == []


def test_a_physical_technique_named_starts_the_clocks_from_when_the_intervention_started():
    technique = {"technique": "Two-person escort", "effectiveness": "effective"}
    values = incident(
        "2026-11-23T10:00:00",
        physical_intervention=False,
        pi_techniques=[technique],
        pi_started_at="2026-11-23T10:20:00Z",
    )
    found = clocks(values, HOME, utc("2026-11-23T11:00:00"))
    assert found and all(clock.started_at == utc("2026-11-23T10:20:00") for clock in found)
    assert found[0].deadline == utc("2026-11-24T10:20:00")


def test_a_setting_type_and_jurisdiction_without_a_statutory_rule_set_has_no_clocks():
    rules = rule_set_for(setting("childrens_home", "scotland"))
    assert rules.rules == () and clocks(incident("2026-11-23T10:00:00"), rules, utc("2026-12-30T00:00:00")) == []
    assert rule_set_for(setting("alternative_provision")).rules == SCHOOL.rules
    assert rule_set_for({"name": "Old", "setting_type": "school"}).jurisdiction == "england"


# --- an admin's override -----------------------------------------------------------------------------


def test_a_setting_override_changes_a_deadline_turns_a_clock_off_and_adds_one():
    overrides = [
        {"rule": "parents_written_report", "unit": "hours", "amount": 48},
        {"rule": "recorded", "unit": "same_day", "enabled": False},
    ]
    rules = rule_set_for(setting("school", clock_overrides=overrides))
    assert [r.rule for r in rules.rules] == [ClockRule.PARENTS_WRITTEN_REPORT]
    report = rules.rules[0]
    assert report.overridden and report.statutory == Deadline(ClockUnit.SAME_DAY) and "s93A" in report.regulation
    assert report.deadline.describe() == "within 48 hours" and report.statutory.describe() == "the same day"
    values = incident("2026-11-23T15:00:00")
    clock = by_rule(values, rules, "2026-11-24T12:00:00")[ClockRule.PARENTS_WRITTEN_REPORT]
    assert clock.state == ClockState.DUE and clock.deadline == utc("2026-11-25T15:00:00")

    added = rule_set_for(
        setting("childrens_home", clock_overrides=[{"rule": "authority_told", "unit": "working_days", "amount": 1}])
    )
    extra = {r.rule: r for r in added.rules}[ClockRule.AUTHORITY_TOLD]
    assert extra.statutory is None and extra.overridden and "Set by the organisation" in extra.regulation
    assert not {r.rule: r for r in added.rules}[ClockRule.RECORDED].overridden


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            [{"rule": "recorded", "unit": "hours", "amount": 12}, {"rule": "recorded", "unit": "days", "amount": 1}],
            "overridden once",
        ),
        ([{"rule": "recorded", "unit": "same_day", "amount": 3}], "same day"),
        ([{"rule": "recorded", "unit": "hours", "amount": 0}], "same day"),
        ([{"rule": "recorded", "unit": "working_days", "amount": 40}], "at most 31 days"),
        ([{"rule": "shoe_colour", "unit": "hours", "amount": 2}], "clock_overrides"),
    ],
)
def test_an_invalid_override_is_refused_on_the_record_and_on_a_field_update(overrides: list, message: str):
    with pytest.raises(RecordError, match=message):
        setting("school", clock_overrides=overrides)
    with pytest.raises(RecordError, match=message):
        validate_fields("setting", {"clock_overrides": overrides})


# --- properties --------------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(dt.UTC)
)
deadlines = st.one_of(
    st.just(Deadline(ClockUnit.SAME_DAY)),
    st.builds(Deadline, st.sampled_from([ClockUnit.HOURS, ClockUnit.DAYS, ClockUnit.WORKING_DAYS]), st.integers(1, 31)),
)


@given(start=moments, deadline=deadlines, jurisdiction=st.sampled_from(["england", "scotland"]))
def test_a_deadline_is_always_after_its_start(start: dt.datetime, deadline: Deadline, jurisdiction: str):
    holidays = bank_holidays(jurisdiction)
    end = deadline.after(start, holidays)
    assert end > start
    if deadline.unit in (ClockUnit.SAME_DAY, ClockUnit.WORKING_DAYS):
        # It ends at a local midnight, and the day before it is the start's own day or a working day.
        local = end.astimezone(LONDON)
        assert local.time() == dt.time(0)
        last = local.date() - dt.timedelta(days=1)
        assert last == start.astimezone(LONDON).date() or is_working_day(last, holidays)
    if deadline.unit == ClockUnit.WORKING_DAYS:
        # Exactly `amount` working days lie after the start's day, up to the deadline.
        first = start.astimezone(LONDON).date()
        days = [first + dt.timedelta(days=n) for n in range(1, (end.astimezone(LONDON).date() - first).days)]
        assert sum(is_working_day(day, holidays) for day in days) == deadline.amount


@given(start=moments, later=st.lists(st.timedeltas(dt.timedelta(0), dt.timedelta(days=60)), min_size=2, max_size=6))
def test_as_time_passes_done_stays_done_and_overdue_never_returns_to_due(start: dt.datetime, later: list):
    iso = start.isoformat()
    open_clocks = incident(iso, status="draft")
    done = incident(iso, recorded_at=(start + dt.timedelta(hours=30)).isoformat())
    order = {ClockState.DUE: 0, ClockState.OVERDUE: 1}
    for rules in (HOME, SCHOOL, SCOTTISH_SCHOOL):
        states = [{c.rule.rule: c.state for c in clocks(open_clocks, rules, start + gap)} for gap in sorted(later)]
        for before, after in itertools.pairwise(states):
            assert all(order[before[rule]] <= order[after[rule]] for rule in before)
        recorded = [by_rule(done, rules, (start + gap).isoformat())[ClockRule.RECORDED] for gap in sorted(later)]
        assert all(c.state == ClockState.DONE and c.done_at == start + dt.timedelta(hours=30) for c in recorded)


def test_the_new_report_fields_are_validated():
    with pytest.raises(RecordError, match=r"pi_report_route_decided_at: .*timezone"):
        validate_fields("incident", {"pi_report_route_decided_at": "2026-11-23T16:00:00"})
    with pytest.raises(RecordError, match="parent_report_method"):
        validate_fields("incident", {"parent_report_method": "carrier_pigeon"})
    with pytest.raises(RecordError, match="authority_informed_by"):
        validate_fields("incident", {"authority_informed_by": "not an id"})
