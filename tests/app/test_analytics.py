"""Analytics on the device (issue #11): every report's figures against an independent computation.

Two data sets: a small one built on a device here, whose figures are counted by hand below; and the demo
organisation on a real server (`server.demo.seed_demo` on SQLite), synced to the demo lead's device with the
real engine, whose figures are recomputed straight from the server database's record states for the lead's
scope. Also: filters, related incidents, the capability check, CSV (escaping, columns), saved filter sets,
and the working set kept current by writes and dropped on lock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.analytics import (
    INCIDENT_COLUMNS,
    REPORTS,
    TIME_ZONE,
    Analytics,
    Filters,
    column_title,
    period_label,
    printing,
    table_cell,
)
from app.context import ActionError, Context, PermissionDenied
from app.services import Services
from documents import CLASSIFICATION, csv_cell, to_csv
from localdb.store import LocalStore, StoreLockedError
from sync.permissions import Capability
from tests.support.device import PASSCODE, user

TODAY = dt.date(2026, 11, 20)  # a Friday
NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def at(days_ago: int, hour: int = 10) -> str:
    """A moment `days_ago` days before TODAY at `hour` o'clock London time (GMT in November: = UTC)."""
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(hour), TIME_ZONE).isoformat()


@pytest.fixture
def lead_ctx(store: LocalStore) -> Context:
    return Context(store, user("lead", "u-lead"))


@pytest.fixture
def world(lead_ctx: Context) -> dict[str, str]:
    """Three children, three staff, two behaviours, six incidents, taps and communications (see the tests)."""
    ctx = lead_ctx
    ids: dict[str, str] = {}
    for key, name, role in (("sam", "Sam Staff", "staff"), ("lee", "Lee Lead", "lead"), ("kim", "Kim Key", "staff")):
        ids[key] = ctx.write(
            "staff", "create", {"name": name, "email": f"{key}@example.org", "role": role}, record_id=f"u-{key}"
        )
    ids["good"] = ctx.write("behaviour_type", "create", {"label": "On task", "valence": "positive", "level": "low"})
    ids["bad"] = ctx.write("behaviour_type", "create", {"label": "Shouting", "valence": "negative", "level": "medium"})
    ids["ada"] = ctx.write(
        "individual",
        "create",
        {"first_name": "Ada", "last_name": "Lovelace", "group": "Year 7", "send": True, "setting_id": "s1"},
    )
    ids["bob"] = ctx.write(
        "individual",
        "create",
        {
            "first_name": "Bob",
            "last_name": "Brown",
            "group": "Year 8",
            "ehc_plan": True,
            "send": True,
            "setting_id": "s1",
        },
    )
    ids["cy"] = ctx.write(
        "individual",
        "create",
        {"first_name": "Cy", "last_name": "Cole", "group": "Year 8", "looked_after": True, "setting_id": "s1"},
    )

    def incident(key: str, who: str, days_ago: int, hour: int = 10, **fields: Any) -> None:
        values = {
            "status": "submitted",
            "recorded_by": "u-sam",
            "recorded_at": NOON.isoformat(),
            "occurred_at": at(days_ago, hour),
            **fields,
        }
        ids[key] = ctx.write("incident", "create", values, profile_id=ids[who])

    pi = {
        "physical_intervention": True,
        "pi_started_at": at(2, 10),
        "pi_ended_at": (dt.datetime.fromisoformat(at(2, 10)) + dt.timedelta(minutes=12)).isoformat(),
        "pi_techniques": [{"technique": "Guide", "effectiveness": "not_effective", "used_by": ["u-kim"]}],
        "pi_deescalation": [{"technique": "Distraction", "effectiveness": "partly_effective"}],
        "pi_plan_followed": True,
        "pi_behaviours_high": "Kicking",
    }
    incident("i1", "ada", 2, 10, location="Hall", staff_present=["u-kim"], other_individuals=[], **pi)
    incident("i2", "ada", 3, 10, location="Hall", injury=True, injury_who="staff", injury_treatment="Ice pack")
    incident(
        "i3",
        "bob",
        4,
        14,
        location="Yard",
        other_individuals=[],
        discriminatory=True,
        discriminatory_categories=["racist"],
        exclusions=[{"type": "SUSP", "sessions": 4, "reasons": ["RA"]}],
        pi_behaviours_low="Muttering",
    )
    ctx.write("incident", "update", {"other_individuals": [ids["ada"]]}, record_id=ids["i3"])
    incident("i4", "cy", 20, 9, location="Hall", staff_present=["u-lee"])
    incident("old", "cy", 45, 9, location="Yard")  # outside 30 days
    incident("draft", "ada", 1, 9, location="Hall", status="draft")  # never counted
    for days_ago, kind in ((1, "good"), (1, "good"), (2, "bad"), (5, "good"), (40, "bad")):
        ctx.write(
            "clicker_event",
            "create",
            {"behaviour_type_id": ids[kind], "staff_id": "u-sam", "occurred_at": at(days_ago, 11), "device_id": "d1"},
            profile_id=ids["ada"],
        )
    c1 = ctx.write(
        "communication",
        "create",
        {
            "valence": "positive",
            "author_id": "u-sam",
            "message": "=SUM(A1) great day",
            "created_at": at(3, 9),
            "added_to_plan": True,
        },
        profile_id=ids["bob"],
    )
    ctx.write(
        "communication",
        "create",
        {"valence": "negative", "author_id": "u-kim", "message": "Tough lesson", "created_at": at(2, 9)},
        profile_id=ids["bob"],
    )
    for hours in (3, 5):
        ctx.write(
            "communication_response",
            "create",
            {
                "communication_id": c1,
                "author_id": "u-lee",
                "message": "Thanks",
                "created_at": (dt.datetime.fromisoformat(at(3, 9)) + dt.timedelta(hours=hours)).isoformat(),
            },
            profile_id=ids["bob"],
        )
    return ids


@pytest.fixture
def analytics(lead_ctx: Context, world: dict[str, str]) -> Analytics:
    return Analytics(lead_ctx, today=lambda: TODAY)


def test_global_report_counts_what_was_recorded(analytics: Analytics, world: dict[str, str]) -> None:
    report = analytics.report("global", Filters(preset="30_days"), bucket="day")
    assert report.figure("incidents").value == 4  # i1..i4: not the draft, not the one 60 days ago
    assert set(report.figure("incidents").ids) == {world[k] for k in ("i1", "i2", "i3", "i4")}
    assert report.figure("physical_intervention").ids == (world["i1"],)
    assert report.figure("injuries").ids == (world["i2"],)
    locations = {p.label: p.value for p in report.chart("by_location").points}
    assert locations == {"Hall": 3, "Yard": 1}
    levels = {p.label: p.value for p in report.chart("by_level").points}
    assert levels == {"Low": 1, "Medium": 0, "High": 1, "Not recorded": 2}  # in words
    cells = {(p.row, p.label): p.ids for p in report.chart("heat_map").points if p.value}
    # i1 two days before Friday = Wednesday 10:00, i2 Tuesday 10:00, i3 Monday 14:00, i4 20 days before = Saturday 09:00
    assert cells == {
        ("Wed", "10"): (world["i1"],),
        ("Tue", "10"): (world["i2"],),
        ("Mon", "14"): (world["i3"],),
        ("Sat", "09"): (world["i4"],),
    }
    assert len(report.chart("heat_map").points) == 7 * 24
    groups = {p.label: p.value for p in report.chart("by_group").points}
    assert groups == {"Year 7": 2, "Year 8": 2}
    days = {p.label: p.value for p in report.chart("over_time").points if p.value}
    assert days == {"2026-11-18": 1, "2026-11-17": 1, "2026-11-16": 1, "2026-10-31": 1}
    # every day of the 30 days is drawn, a quiet one as 0, in order: gaps are not closed up
    every_day = [p.label for p in report.chart("over_time").points]
    assert every_day == [(TODAY - dt.timedelta(days=29 - n)).isoformat() for n in range(30)]

    assert {row[0]: row[2:] for row in report.table.rows} == {
        "Ada Lovelace": (2, 1, 1),
        "Bob Brown": (1, 0, 0),
        "Cy Cole": (1, 0, 0),
    }
    weekly = {
        p.label: p.value
        for p in analytics.report("global", Filters(preset="30_days"), bucket="week").chart("over_time").points
    }
    assert weekly == {"2026-10-19": 0, "2026-10-26": 1, "2026-11-02": 0, "2026-11-09": 0, "2026-11-16": 3}  # Mondays


def test_a_series_over_time_is_filled_out_to_its_period(analytics: Analytics) -> None:
    weeks = analytics.report("global", Filters(preset="all"), bucket="week").chart("over_time").points
    mondays = [dt.date.fromisoformat(p.label) for p in weeks]
    assert all(b - a == dt.timedelta(days=7) for a, b in itertools.pairwise(mondays))  # no gaps
    assert mondays[-1] == TODAY - dt.timedelta(days=TODAY.weekday())  # up to this week: quiet weeks show as 0
    assert sum(p.value for p in weeks) == analytics.report("global", Filters(preset="all")).figure("incidents").value
    months = analytics.report("global", Filters(preset="custom", start=dt.date(2026, 8, 1), end=dt.date(2026, 12, 1)),
                              bucket="month").chart("over_time").points  # fmt: skip
    assert [p.label for p in months] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    nothing = analytics.report("global", Filters(preset="custom", start=dt.date(2020, 1, 1), end=dt.date(2020, 2, 1)))
    assert nothing.chart("over_time").points == ()  # nothing recorded: no line of zeros


def test_the_individual_against_the_setting(analytics: Analytics, world: dict[str, str]) -> None:
    report = analytics.report("global", Filters(individuals=frozenset({world["ada"]})))
    compared = {p.label: p.value for p in report.chart("individual_vs_setting").points}
    assert compared == {"Ada Lovelace": 2, "Setting average": round(4 / 3, 2)}


def test_intervention_report(analytics: Analytics, world: dict[str, str]) -> None:
    report = analytics.report("intervention", Filters(preset="30_days"))
    assert report.figure("interventions").value == 1
    assert report.figure("median_minutes").value == 12
    assert report.figure("longest_minutes").ids == (world["i1"],)
    assert report.figure("plan_followed_pct").value == 100
    assert report.figure("deescalation_first_pct").value == 100
    grid = {(p.row, p.label): p.value for p in report.chart("technique_effectiveness").points}
    assert grid == {("Guide", "Effective"): 0, ("Guide", "Partly effective"): 0, ("Guide", "Not effective"): 1}
    assert {p.label: p.value for p in report.chart("staff").points} == {"Kim Key": 1, "Sam Staff": 1}
    (row,) = report.table.rows
    assert dict(zip(report.table.columns, row, strict=True))["technique"] == "Guide"
    assert dict(zip(report.table.columns, row, strict=True))["staff"] == "Kim Key"


def test_involvement_injuries_and_discrimination(analytics: Analytics, world: dict[str, str]) -> None:
    involvement = analytics.report("involvement", Filters(preset="30_days"))
    table = {row[0]: row[2:] for row in involvement.table.rows}
    assert table["Ada Lovelace"] == (2, 1)  # subject twice, the other individual in Bob's incident
    assert {p.label: p.value for p in involvement.chart("pairs").points} == {"Ada Lovelace & Bob Brown": 1}
    assert {p.label: p.value for p in involvement.chart("staff_present").points} == {"Kim Key": 1, "Lee Lead": 1}

    injuries = analytics.report("injuries", Filters(preset="30_days"))
    assert injuries.figure("injuries").ids == (world["i2"],)
    assert injuries.figure("treated").value == 1
    assert {p.label: p.value for p in injuries.chart("who").points} == {"staff": 1}

    discrimination = analytics.report("discrimination", Filters(preset="30_days"))
    assert discrimination.figure("discriminatory").ids == (world["i3"],)
    assert discrimination.figure("suspensions").value == 1
    assert discrimination.figure("permanent_exclusions").value == 0
    assert discrimination.figure("sessions_lost").value == 4
    assert {p.label: p.value for p in discrimination.chart("exclusion_reasons").points} == {"Racist abuse": 1}
    assert {p.label: p.value for p in discrimination.chart("by_category").points} == {"Racist": 1}  # in words
    assert discrimination.table.rows[0][3:] == ("SUSP", 4, "RA")  # census codes, as the CSV has them
    shown = [table_cell(c, v) for c, v in zip(discrimination.table.columns, discrimination.table.rows[0], strict=True)]
    assert shown[3:] == ["Suspension (SUSP)", "4", "Racist abuse (RA)"]  # a reader gets their meaning too


def test_a_point_over_time_as_the_axis_names_it() -> None:
    assert period_label("2026-11-02") == "2 Nov"  # a day, or a week by its Monday: never "11-02"
    assert period_label("2026-11") == "Nov 2026" and period_label("2025-12-01", year=True) == "1 Dec 2025"
    assert period_label("Not recorded") == "Not recorded" and period_label("2026-13-40") == "2026-13-40"


def test_a_table_cell_for_a_reader() -> None:
    assert table_cell("occurred_at", "2026-11-04T14:50:00+00:00") == "4 Nov 2026, 14:50"  # London, in November
    assert table_cell("reason_codes", "RA PA") == "Racist abuse (RA); Physical assault against an adult (PA)"
    assert table_cell("reason_codes", "") == "" and table_cell("exclusion_type", "XYZ") == "Xyz (XYZ)"
    assert table_cell("pi_minutes", 2.5) == "2.5" and table_cell("pi_minutes", 3.0) == "3"
    assert table_cell("reference", "besmart-10001") == "besmart-10001" and table_cell("sessions", None) == ""
    assert table_cell("effectiveness", "partly_effective") == "Partly effective"
    assert column_title("physical_interventions") == "Physical interventions"
    assert column_title("share_of_roll_pct") == "Share of roll (%)" and column_title("na") == "Neither"
    assert column_title("deescalation_tried") == "De-escalation tried"
    assert table_cell("cohort", "not_send") == "Not SEND" and table_cell("valence", "n/a") == "Neither"
    assert table_cell("level", "high") == "High"


def test_communication_and_clicker_reports(analytics: Analytics, world: dict[str, str]) -> None:
    comms = analytics.report("communication", Filters(preset="7_days"))
    assert (comms.figure("positive").value, comms.figure("negative").value) == (1, 1)
    assert comms.figure("response_rate_pct").value == 50
    assert comms.figure("median_hours_to_response").value == 3  # the first of the two answers
    assert comms.figure("added_to_plan").value == 1
    assert comms.record_kind == "communication"

    clicks = analytics.report("clicker", Filters(preset="7_days"))
    assert (clicks.figure("taps").value, clicks.figure("positive").value, clicks.figure("negative").value) == (4, 3, 1)
    assert clicks.figure("ratio").value == 3
    assert {p.label: p.value for p in clicks.chart("by_behaviour").points} == {"On task": 3, "Shouting": 1}
    assert {p.label: p.value for p in clicks.chart("by_hour").points if p.value} == {"11": 4}
    assert {p.label: p.value for p in clicks.chart("by_valence").points} == {"Positive": 3, "Negative": 1, "Neither": 0}
    assert {p.label: p.value for p in clicks.chart("by_level").points}["Low"] == 3  # "On task" is a low-level behaviour
    assert analytics.report("clicker", Filters(preset="all")).figure("taps").value == 5


def test_equality_rates_per_hundred(analytics: Analytics, world: dict[str, str]) -> None:
    report = analytics.report("equality", Filters(preset="30_days"))
    assert [p.label for p in report.chart("incidents_per_100").points][:2] == ["SEND", "Not SEND"]  # in words
    table = {row[0]: dict(zip(report.table.columns, row, strict=True)) for row in report.table.rows}
    # roll: Ada (SEND), Bob (SEND, EHC), Cy (looked after); incidents: Ada 2, Bob 1, Cy 1
    assert table["send"]["individuals"] == 2
    assert table["send"]["incidents"] == 3
    assert table["send"]["incidents_per_100"] == 150.0
    assert table["send"]["share_of_roll_pct"] == round(200 / 3, 1)
    assert table["not_send"]["incidents_per_100"] == 100.0
    assert table["ehc_plan"]["suspensions_per_100"] == 100.0
    assert table["looked_after"]["physical_interventions"] == 0
    assert table["no_ehc_plan"]["physical_interventions_per_100"] == 50.0


def test_filters_narrow_every_report(analytics: Analytics, world: dict[str, str]) -> None:
    def count(**kw: Any) -> float:
        return analytics.report("global", Filters(preset="30_days", **kw)).figure("incidents").value

    assert count(groups=frozenset({"Year 8"})) == 2
    assert count(locations=frozenset({"Yard"})) == 1
    assert count(levels=frozenset({"high"})) == 1
    assert count(staff=frozenset({"u-kim"})) == 1  # present at i1, and used its technique
    assert count(interventions=frozenset({"Guide"})) == 1
    assert analytics.report("global", Filters(preset="7_days")).figure("incidents").value == 3
    custom = Filters(preset="custom", start=TODAY - dt.timedelta(days=3), end=TODAY - dt.timedelta(days=1))
    assert set(analytics.report("global", custom).figure("incidents").ids) == {world["i1"], world["i2"]}
    assert analytics.report("global", Filters(preset="this_term")).figure("incidents").value == 5  # from 1 Sep
    assert analytics.report("clicker", Filters(preset="all", valence=frozenset({"negative"}))).figure("taps").value == 2
    assert (
        analytics.report("clicker", Filters(preset="all", behaviours=frozenset({world["good"]}))).figure("taps").value
        == 3
    )
    assert analytics.report("communication", Filters(staff=frozenset({"u-kim"}))).figure("communications").value == 1


def test_related_incidents_are_the_ones_behind_a_figure(analytics: Analytics, world: dict[str, str]) -> None:
    report = analytics.report("global", Filters(preset="30_days"))
    hall = next(p for p in report.chart("by_location").points if p.label == "Hall")
    related = analytics.related(hall.ids)
    assert [r.id for r in related] == [world["i1"], world["i2"], world["i4"]]  # newest first
    assert all(r.location == "Hall" for r in related)


def test_dashboard_headline_compares_with_the_previous_period(analytics: Analytics, world: dict[str, str]) -> None:
    figures = {f.key: f for f in analytics.headline(Filters(preset="7_days"))}
    assert figures["incidents"].value == 3 and figures["incidents"].previous == 0
    assert figures["incidents"].change == 3
    assert figures["positive_clicks"].value == 3
    assert figures["negative_communications"].value == 1
    assert figures["follow_ups_open"].value == 3
    month = {f.key: f for f in analytics.headline(Filters(preset="30_days"))}
    assert month["incidents"].previous == 1  # the one 45 days ago is in the 30 days before


def test_a_role_without_analytics_is_refused(store: LocalStore, world: dict[str, str]) -> None:
    staff = Analytics(Context(store, user("staff", "u-sam")))
    with pytest.raises(PermissionDenied):
        staff.report("global")
    with pytest.raises(PermissionDenied):
        staff.headline()
    assert not Services.of(Context(store, user("staff", "u-sam"))).context.can(Capability.ANALYTICS)


def test_csv_escapes_formulas_and_uses_iso_dates() -> None:
    for dangerous in ("=1+1", "+44", "-cmd", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(dangerous) == "'" + dangerous
    assert csv_cell(-3) == "-3"  # a number stays a number
    assert csv_cell(dt.date(2026, 1, 2)) == "2026-01-02"
    assert csv_cell(True) == "yes"
    text = to_csv([("=HYPERLINK(1)", 'say "hi", then')], ("a", "b"))
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'=HYPERLINK(1)", 'say "hi", then']]


def test_csv_of_table_and_rows(analytics: Analytics, lead_ctx: Context, world: dict[str, str]) -> None:
    lead_ctx.write("incident", "update", {"location": "=cmd|' /C calc'!A0"}, record_id=world["i4"])
    for key in REPORTS:
        report = analytics.report(key, Filters(preset="all"))
        table = list(csv.reader(io.StringIO(analytics.table_csv(report))))
        assert tuple(table[0]) == report.table.columns
        assert len(table) == len(report.table.rows) + 1
        rows = list(csv.reader(io.StringIO(analytics.rows_csv(report))))
        assert len(rows) == len(report.record_ids) + 1
    report = analytics.report("global", Filters(preset="all"))
    rows = list(csv.DictReader(io.StringIO(analytics.rows_csv(report))))
    assert tuple(rows[0]) == INCIDENT_COLUMNS
    i4 = next(r for r in rows if r["incident_id"] == world["i4"])
    assert i4["location"] == "'=cmd|' /C calc'!A0"
    assert dt.datetime.fromisoformat(i4["occurred_at"]) == dt.datetime.fromisoformat(at(20, 9))


def pdf_pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_a_report_prints_as_shown_and_is_audited_as_an_export(
    analytics: Analytics, lead_ctx: Context, store: LocalStore, world: dict[str, str]
) -> None:
    lead_ctx.write("organisation", "create", {"name": "Brightwater Trust"})
    filters = Filters(
        preset="30_days", locations=frozenset({"Hall"}), individuals=frozenset({world["ada"], world["cy"]})
    )
    report = analytics.report("global", filters, bucket="day")
    before = {op.op_id for op in store.pending_ops()}
    download = Services.of(lead_ctx).downloads.export_document(analytics.document(report), "analytics_global_pdf")
    assert (download.file_name, download.media_type) == ("besmart-global-report-2026-11-20.pdf", "application/pdf")
    texts = pdf_pages(download.data)
    text = "\n".join(texts)
    assert texts[0].startswith(CLASSIFICATION) and "Global Incident Report" in texts[0]
    # the filters in words, with the names of what was chosen, as the screen's summary says them
    subtitle = "Last 30 days: 22 Oct 2026 to 20 Nov 2026 · Individuals: Ada Lovelace, Cy Cole · Locations: Hall"
    assert subtitle in " ".join(text.split()) and analytics.describe(filters) == subtitle  # (justified: spaces)
    assert "Brightwater Trust" in text and "Records counted 3 incidents" in text
    for value, label in (("3", "Incidents"), ("1", "With physical intervention"), ("1", "With an injury")):
        assert f"{value}\n{label}" in text  # each headline figure's tile: its number over its label
    # every chart, drawn from the same series, with its values: the pie's legend, the heat map's cells
    for series in report.series:
        assert series.title in text
    assert "Hall: 3 (100%)" in text and "Submitted: 3 (100%)" in text
    assert "Ada Lovelace Year 7 2 1 1" in text and "Cy Cole Year 8 1 0 0" in text  # the table
    for number, page in enumerate(texts, start=1):
        assert page.count(CLASSIFICATION) >= 2 and f"Page {number} of {len(texts)}" in page
    audits = [op.fields for op in store.pending_ops() if op.op_id not in before and op.kind == "audit_event"]
    assert [(a["action"], a["record_kind"], a["record_id"]) for a in audits] == [
        ("export", "analytics_global_pdf", None)
    ]


def test_every_report_prints(analytics: Analytics, lead_ctx: Context, world: dict[str, str]) -> None:
    downloads = Services.of(lead_ctx).downloads
    for key, title in REPORTS.items():
        report = analytics.report(key, Filters(preset="all"))
        text = "\n".join(pdf_pages(downloads.export_document(analytics.document(report), f"analytics_{key}_pdf").data))
        assert title in text.replace("\n", " ") and "All time" in text, key
        assert all(f.label in text.replace("\n", " ") for f in report.figures), key
    register = analytics.report("intervention", Filters(preset="all"))
    text = "\n".join(pdf_pages(downloads.export_document(analytics.document(register), "analytics_x_pdf").data))
    words = " ".join(text.split())
    assert "18 Nov 2026, 10:00" in words and "Records counted 1 incident " in words  # a moment the UK way
    nothing = analytics.report("intervention", Filters(preset="custom", start=TODAY, end=TODAY))
    text = "\n".join(
        pdf_pages(downloads.export_document(analytics.document(nothing), "analytics_intervention_pdf").data)
    )
    assert "Nothing to show." in text and "No rows for these filters." in text


def test_a_long_print_says_what_it_left_to_the_csv(
    analytics: Analytics, lead_ctx: Context, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(printing, "PRINT_MAX_ROWS", 2)
    monkeypatch.setattr(printing, "PRINT_MAX_BARS", 1)
    report = analytics.report("global", Filters(preset="all"))  # Ada, Bob and Cy in the table
    data = Services.of(lead_ctx).downloads.export_document(analytics.document(report), "analytics_global_pdf").data
    text = " ".join(" ".join(pdf_pages(data)).split())
    assert "The first 2 of 3 rows: the CSV has all of them." in text
    assert "The first 1 of 4: the CSV has them all." in text  # the bars by level (three or fewer: a pie)


def test_print_is_refused_to_a_role_without_it(store: LocalStore, analytics: Analytics, world: dict[str, str]) -> None:
    staff = Context(store, user("staff", "u-sam"))
    report = analytics.report("global")
    document = analytics.document(report)
    before = len(store.pending_ops())
    with pytest.raises(PermissionDenied):
        Analytics(staff).document(report)
    with pytest.raises(PermissionDenied):
        Services.of(staff).downloads.export_document(document, "analytics_global_pdf")
    assert len(store.pending_ops()) == before  # nothing audited, nothing handed over


def test_saved_filter_sets_are_kept_encrypted(analytics: Analytics, store: LocalStore, world: dict[str, str]) -> None:
    chosen = Filters(
        preset="custom", start=TODAY, end=TODAY, groups=frozenset({"Year 8"}), valence=frozenset({"negative"})
    )
    analytics.save_filters("Year 8 worries", chosen)
    analytics.save_filters("Hall", Filters(locations=frozenset({"Hall"})))
    assert analytics.saved_filters() == {"Hall": Filters(locations=frozenset({"Hall"})), "Year 8 worries": chosen}
    with pytest.raises(ActionError):
        analytics.save_filters("  ", chosen)
    analytics.delete_filters("Hall")
    assert list(analytics.saved_filters()) == ["Year 8 worries"]
    raw = b"".join(bytes(v) for (v,) in store.db.execute("SELECT value FROM vault").fetchall())
    assert b"Year 8" not in raw
    store.lock()
    store.unlock(PASSCODE)
    assert list(analytics.saved_filters()) == ["Year 8 worries"]


def test_the_working_set_follows_writes_and_is_dropped_on_lock(
    analytics: Analytics, lead_ctx: Context, world: dict[str, str]
) -> None:
    assert analytics.report("global", Filters(preset="all")).figure("incidents").value == 5
    lead_ctx.write("incident", "update", {"location": "Library"}, record_id=world["i1"])
    lead_ctx.write("incident", "update", {"status": "submitted"}, record_id=world["draft"])
    lead_ctx.write("incident", "delete", {}, record_id=world["old"])
    report = analytics.report("global", Filters(preset="all"))
    assert report.figure("incidents").value == 5  # the draft submitted, the old one deleted
    assert {p.label: p.value for p in report.chart("by_location").points} == {"Hall": 3, "Library": 1, "Yard": 1}
    analytics.working.warm()
    live = lead_ctx.store.db.execute(
        "SELECT count(*) FROM record WHERE deleted = 0 AND kind NOT IN ('key_staff', 'key_contact', 'access_grant')"
    ).fetchone()[0]
    assert analytics.working.loaded == live
    lead_ctx.store.lock()
    assert analytics.working.loaded == 0
    with pytest.raises(StoreLockedError):
        analytics.report("global")
    lead_ctx.store.unlock(PASSCODE)
    assert analytics.report("global", Filters(preset="all")).figure("incidents").value == 5


def test_a_filter_change_reads_no_ciphertext(
    analytics: Analytics, lead_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    analytics.report("global", Filters(preset="all"))
    opened: list[str] = []
    original = LocalStore._open_blob
    monkeypatch.setattr(LocalStore, "_open_blob", lambda self, *a: opened.append(a[1]) or original(self, *a))
    analytics.report("global", Filters(preset="30_days", locations=frozenset({"Hall"})))
    assert opened == []


# --- the demo organisation, against the server's own records -----------------------------------------

LEAD_EMAIL = "lead@brightwater.example"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The demo organisation (a third of its size, 120 days) on a real SQLite server; the lead's device synced;
    and the lead's records read straight from the server database."""
    from server.db import Database
    from server.demo import DEMO_PASSWORD, seed_demo
    from server.models import Record, UserAccount
    from server.permissions import Actor
    from server.services.access import scope_profiles, user_setting_limit
    from sync.merge import RecordState
    from tests.support.client import ClientDevice
    from tests.support.server import ServerProcess, settings_for

    directory = tmp_path_factory.mktemp("analytics-demo")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    seed_demo(db, settings_for(url), scale=0.3, days=120)
    records: dict[str, list[tuple[str, str | None, dict[str, Any]]]] = {}
    with db.read_session() as session:
        users = UserAccount.__table__.c
        lead = session.execute(select(users.id, users.org_id, users.role).where(users.email == LEAD_EMAIL)).one()
        actor = Actor(id=lead.id, org_id=lead.org_id, role=lead.role, settings=user_setting_limit(session, lead.id))
        reached = scope_profiles(session, actor)
        table = Record.__table__.c
        for row in session.execute(
            select(table.kind, table.profile_id, table.state).where(~table.deleted, table.org_id == lead.org_id)
        ):
            if row.profile_id is not None and row.profile_id not in reached:
                continue
            state = RecordState.model_validate_json(row.state)
            if not state.deleted:
                records.setdefault(row.kind, []).append((state.id, row.profile_id, state.values()))
    server = ServerProcess(url, directory).start()
    device = ClientDevice.create(server.url, LEAD_EMAIL, directory / "device", password=DEMO_PASSWORD)
    try:
        device.sync()
        yield device, records
    finally:
        device.close()
        server.stop()
        db.dispose()


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(TIME_ZONE)


def test_demo_reports_match_the_server_database(demo: tuple[Any, dict[str, Any]]) -> None:
    device, records = demo
    analytics: Analytics = device.services.analytics
    filters = Filters(preset="all")
    # Reports count what is on the record: not drafts, nor an incident removed from it (with its reason)
    submitted = [(i, p, v) for i, p, v in records["incident"] if v.get("status") != "draft" and not v.get("removed")]
    assert submitted, "the demo gives the lead incidents"

    report = analytics.report("global", filters)
    assert set(report.figure("incidents").ids) == {i for i, _, _ in submitted}
    assert set(report.figure("physical_intervention").ids) == {
        i for i, _, v in submitted if v.get("physical_intervention")
    }
    assert set(report.figure("injuries").ids) == {i for i, _, v in submitted if v.get("injury")}
    locations = Counter((v.get("location") or "").strip() or "unrecorded" for _, _, v in submitted)
    assert {p.label: p.value for p in report.chart("by_location").points} == dict(locations)
    cells = Counter(
        (_when(v["occurred_at"]).strftime("%a"), f"{_when(v['occurred_at']).hour:02d}") for _, _, v in submitted
    )
    assert {(p.row, p.label): p.value for p in report.chart("heat_map").points if p.value} == dict(cells)
    months = Counter(_when(v["occurred_at"]).strftime("%Y-%m") for _, _, v in submitted)
    assert {
        p.label: p.value for p in analytics.report("global", filters, bucket="month").chart("over_time").points
    } == dict(months)

    # A filter: one location, as the server's rows say.
    top = locations.most_common(1)[0][0]
    narrowed = analytics.report("global", Filters(preset="all", locations=frozenset({top})))
    assert narrowed.figure("incidents").value == locations[top]

    pis = [v for _, _, v in submitted if v.get("physical_intervention")]
    intervention = analytics.report("intervention", filters)
    uses = Counter(
        t["technique"] for v in pis for t in {x["technique"]: x for x in v.get("pi_techniques", [])}.values()
    )
    assert {p.label: p.value for p in intervention.chart("techniques").points} == dict(uses)
    minutes = [
        (_when(v["pi_ended_at"]) - _when(v["pi_started_at"])).total_seconds() / 60
        for v in pis
        if v.get("pi_started_at") and v.get("pi_ended_at")
    ]
    assert intervention.figure("median_minutes").value == (statistics.median(minutes) if minutes else 0.0)
    assert len(intervention.table.rows) == sum(max(1, len(v.get("pi_techniques", []))) for v in pis)

    clicks = analytics.report("clicker", filters)
    types = {i: v for i, _, v in records["behaviour_type"]}
    taps = records.get("clicker_event", [])
    assert clicks.figure("taps").value == len(taps)
    valence = Counter(types[v["behaviour_type_id"]]["valence"] for _, _, v in taps)
    assert clicks.figure("positive").value == valence["positive"]
    assert clicks.figure("negative").value == valence["negative"]

    comms = analytics.report("communication", filters)
    messages = records.get("communication", [])
    answered = {v["communication_id"] for _, _, v in records.get("communication_response", [])}
    assert comms.figure("communications").value == len(messages)
    assert comms.figure("positive").value == sum(v["valence"] == "positive" for _, _, v in messages)
    assert set(comms.figure("response_rate_pct").ids) == {i for i, _, _ in messages if i in answered}

    equality = analytics.report("equality", filters)
    table = {row[0]: dict(zip(equality.table.columns, row, strict=True)) for row in equality.table.rows}
    people = {i: v for i, _, v in records["individual"]}
    send = {i for i, v in people.items() if v.get("send")}
    assert table["send"]["individuals"] == len(send)
    assert table["send"]["incidents"] == sum(p in send for _, p, _ in submitted)
    suspensions = sum(
        1 for _, p, v in submitted if p in send for e in v.get("exclusions", []) if e["type"] in ("SUSP", "LNCH")
    )
    assert table["send"]["suspensions"] == suspensions

    discrimination = analytics.report("discrimination", filters)
    assert discrimination.figure("discriminatory").value == sum(bool(v.get("discriminatory")) for _, _, v in submitted)
    sessions = sum(e.get("sessions") or 0 for _, _, v in submitted for e in v.get("exclusions", []))
    assert discrimination.figure("sessions_lost").value == sessions

    # The demo exercises each of them (a comparison of zeros would prove nothing).
    assert min(len(pis), len(minutes), len(taps), len(messages), len(send), suspensions, sessions) > 0
    assert discrimination.figure("discriminatory").value > 0

    involvement = analytics.report("involvement", filters)
    as_other = Counter(o for _, _, v in submitted for o in set(v.get("other_individuals", [])))
    names = {i: f"{v.get('preferred_name') or v['first_name']} {v['last_name']}" for i, v in people.items()}
    got = {row[0]: row[3] for row in involvement.table.rows}
    assert {names[p]: n for p, n in as_other.items()} == {k: v for k, v in got.items() if v}


def test_demo_working_set_catches_up_after_a_sync(demo: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    device, records = demo
    analytics: Analytics = device.services.analytics
    before = analytics.report("clicker", Filters(preset="all")).figure("taps").value
    person = records["individual"][0][0]
    behaviour = records["behaviour_type"][0][0]
    device.services.context.write(
        "clicker_event",
        "create",
        {"behaviour_type_id": behaviour, "staff_id": device.user_id, "occurred_at": NOON.isoformat(), "device_id": "d"},
        profile_id=person,
    )
    device.sync()
    assert analytics.report("clicker", Filters(preset="all")).figure("taps").value == before + 1


def test_every_csv_column_is_documented(analytics: Analytics, world: dict[str, str]) -> None:
    from app.analytics import CLICK_COLUMNS, COMMUNICATION_COLUMNS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "analytics.md").read_text()
    for key in REPORTS:
        columns = analytics.report(key, Filters(preset="all")).table.columns
        line = next(line for line in doc.splitlines() if line.startswith(f"| `{key}` | `"))
        assert line.rstrip(" |").split(" | ")[1].replace("`", "").split(", ") == list(columns), key
    for columns in (INCIDENT_COLUMNS, CLICK_COLUMNS, COMMUNICATION_COLUMNS):
        assert ", ".join(f"`{c}`" for c in columns) in doc
