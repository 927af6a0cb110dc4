"""The statutory exports' rows (sync/exports.py), pure: which incidents the register and the census list take
(recorded, in the period by the UK day, in the setting), what a row says, and a period that ends before it
starts refused."""

from __future__ import annotations

import datetime as dt

import pytest

from sync.exports import (
    ExportError,
    Held,
    Names,
    exclusions,
    other_children,
    register,
    register_summary,
    subject_access,
)
from sync.hlc import Stamp
from sync.merge import RecordState, apply_op
from sync.ops import Op

NAMES = Names(
    staff={"u-sam": "Sam Staff", "u-lee": "Lee Lead"},
    individuals={
        "kim": {"first_name": "Kim", "last_name": "Lee", "preferred_name": "Kimmy", "setting_id": "oak"},
        "max": {"first_name": "Max", "last_name": "Roe", "setting_id": "willow"},
    },
    settings={"oak": {"name": "Oak School"}, "willow": {"name": "Willow House"}},
)


def incident(profile: str, occurred: str, **values) -> Held:
    base = {
        "status": "submitted",
        "recorded_by": "u-sam",
        "recorded_at": occurred,
        "occurred_at": occurred,
        "physical_intervention": True,
    }
    return Held(f"i-{profile}-{occurred}", profile, {**base, **values})


def test_the_register_counts_days_in_uk_time_and_takes_only_recorded_interventions():
    late = incident("kim", "2026-10-31T23:30:00+00:00")  # GMT again from 25 October: still 31 October
    bst = incident("max", "2026-06-30T23:30:00+00:00")  # 00:30 BST on 1 July
    draft = incident("kim", "2026-07-02T10:00:00+00:00", status="draft")
    deleted = incident("kim", "2026-07-03T10:00:00+00:00", _deleted=True)
    plain = incident("kim", "2026-07-04T10:00:00+00:00", physical_intervention=False)
    july = register([late, bst, draft, deleted, plain], NAMES, dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert [r["individual"] for r in july.rows] == ["Max Roe"]
    assert july.rows[0]["started_at"].isoformat() == "2026-07-01T00:30:00+01:00"
    october = register([late, bst], NAMES, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert [r["individual"] for r in october.rows] == ["Kim (Kimmy) Lee"]
    assert register_summary(october) == [("Restrictive interventions", "1"), ("Children involved", "1")]


def test_a_register_row_says_who_what_how_long_and_the_report_to_parents():
    withheld = incident(
        "kim",
        "2026-10-05T09:00:00+00:00",
        pi_techniques=[
            {
                "technique": "Single elbow",
                "effectiveness": "effective",
                "used_by": ["u-sam"],
                "duration_minutes": 3,
                "reason": "To keep Kim safe",
            },
            {
                "technique": "Guiding hand",
                "effectiveness": "not_effective",
                "used_by": ["u-lee"],
                "duration_minutes": 2,
                "reason": "To keep Kim safe",
            },
        ],
        pi_reason="To keep Kim safe",
        staff_present=["u-sam", "u-lee", "u-gone"],
        pi_report_route="local_authority",
        pi_report_route_reason="Telling home would put Kim at risk",
        pi_report_route_decided_by="u-lee",
    )
    [row] = register([withheld], NAMES, dt.date(2026, 10, 1), dt.date(2026, 10, 31), "oak").rows
    assert row["duration_minutes"] == 5  # no end time: the techniques' minutes added up
    assert row["used_by"] == ["Lee Lead", "Sam Staff"] and row["others_present"] == ["Unknown"]
    assert row["reason"] == "To keep Kim safe"  # each text once
    assert row["effectiveness"] == ["Single elbow: Effective", "Guiding hand: Not effective"]
    assert row["report_to_parents"] == (
        "Withheld: reported to the local authority (decided by Lee Lead)\nTelling home would put Kim at risk"
    )
    assert register([withheld], NAMES, dt.date(2026, 10, 1), dt.date(2026, 10, 31), "willow").rows == []


def test_the_census_list_takes_each_exclusion_by_its_start_date():
    both = incident(
        "kim",
        "2026-10-05T09:00:00+00:00",
        physical_intervention=False,
        exclusions=[
            {"type": "LNCH", "sessions": 1, "reasons": ["DB"]},  # no start date: the incident's day
            {"type": "SUSP", "sessions": 6, "start_date": "2026-11-02", "reasons": ["PA", "VA", "DM"]},
        ],
    )
    october = exclusions([both], NAMES, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert [(r["category"], r["start_date"], r["sessions"], r["reason_1"]) for r in october.rows] == [
        ("LNCH", dt.date(2026, 10, 5), 1, "DB")
    ]
    [november] = exclusions([both], NAMES, dt.date(2026, 11, 1), dt.date(2026, 11, 30)).rows
    assert (november["reason_1"], november["reason_2"], november["reason_3"]) == ("PA", "VA", "DM")
    assert (november["surname"], november["forename"], november["setting"]) == ("Lee", "Kim", "Oak School")


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ExportError, match=r"ends .* before it starts"):
        register([], NAMES, dt.date(2026, 10, 2), dt.date(2026, 10, 1))
    with pytest.raises(ExportError):
        exclusions([], NAMES, dt.date(2026, 10, 2), dt.date(2026, 10, 1))


def _incident_state(profile_id: str, **values: object) -> RecordState:
    fields = {"status": "submitted", "recorded_by": "s1", "recorded_at": "2026-11-30T10:00:00Z",
              "occurred_at": "2026-11-30T09:00:00Z", **values}  # fmt: skip
    op = Op(
        op_id=1, device_id="dev-a", actor_id="s1", record_id="inc-1", kind="incident", profile_id=profile_id,
        action="create", fields=fields, hlc=Stamp(1_790_000_000_000, 0, "dev-a").encode(),
    )  # fmt: skip
    return apply_op(None, op)[0]


def test_subject_access_hides_other_childrens_names_in_free_text():
    """Kim's answer is Kim's data. Other children named in the text of Kim's incident become "[another
    child]": a full name whatever its case ("max hill"), a first or preferred name as spelled ("Maxi", "Will");
    not a word that is also a name ("will"), a surname alone ("Hill", a place as often as a person), Kim's own
    names or one another child shares with Kim (Lou Test's "Test"), nor the member of staff (Sam Staff)."""
    names = Names(
        staff={"s1": "Sam Staff"},
        individuals={
            "kim": {"first_name": "Kim", "last_name": "Test"},
            "max": {"first_name": "Max", "last_name": "Hill", "preferred_name": "Maxi"},
            "lou": {"first_name": "Lou", "last_name": "Test"},
            "will": {"first_name": "Will", "last_name": "Green"},
        },
    )
    text = (
        "Kim pushed max hill on Hill Lane, then Maxi shouted at Lou and Will; Sam Staff said it will stop and took "
        "Kim Test to the Maximum room."
    )
    [incidents] = [s for s in subject_access("kim", [_incident_state("kim", what_happened=text)], [], names)
                   if s.name == "incident"]  # fmt: skip
    [row] = incidents.rows
    assert row["what_happened"] == (
        "Kim pushed [another child] on Hill Lane, then [another child] shouted at [another child] and [another "
        "child]; Sam Staff said it will stop and took Kim Test to the Maximum room."
    )
    assert row["recorded_by"] == "Sam Staff"
    assert other_children("max", names)("Kim and Max") == "[another child] and Max"
