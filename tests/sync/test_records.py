"""Record kinds: every field validated, unknown fields and out-of-range values rejected clearly."""

import pytest

from sync.ops import Op, OpError, parse_op, validate_op
from sync.records import (
    KINDS,
    ExclusionReason,
    RecordError,
    validate_fields,
    validate_record,
)

NOW = "2026-11-23T10:00:00Z"


def test_every_kind_has_a_model_forbidding_unknown_fields():
    for name, spec in KINDS.items():
        assert spec.model.model_config.get("extra") == "forbid", name


def test_a_valid_incident_is_normalised_to_utc_and_defaults_filled():
    record = validate_record(
        "incident",
        {"recorded_by": "s1", "recorded_at": NOW, "occurred_at": "2026-11-23T11:00:00+01:00"},
    )
    assert record["occurred_at"] == "2026-11-23T10:00:00Z"
    assert record["status"] == "draft" and record["staff_present"] == []


def test_unknown_field_is_named_in_the_error():
    with pytest.raises(RecordError, match="colour_of_shoes: unknown field for incident"):
        validate_record(
            "incident",
            {"recorded_by": "s1", "recorded_at": NOW, "occurred_at": NOW, "colour_of_shoes": "red"},
        )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"occurred_at": "2026-11-23T10:00:00"}, "timezone"),
        (
            {"exclusions": [{"type": "SUSP", "sessions": 2, "reasons": ["ZZ"]}]},
            "exclusions.0.reasons",
        ),
        ({"exclusions": [{"type": "SUSP", "sessions": 2, "reasons": []}]}, "at least 1"),
        (
            {"exclusions": [{"type": "PERM", "reasons": ["PP", "PA", "VP", "VA"]}]},
            "at most 3",
        ),
        ({"exclusions": [{"type": "SUSP", "reasons": ["PP"]}]}, "sessions"),
        ({"discriminatory_categories": ["unkind"]}, "discriminatory_categories"),
        ({"pi_techniques": [{"technique": "hold", "effectiveness": "great"}]}, "effectiveness"),
        ({"what_happened": "x" * 20_001}, "what_happened"),
    ],
)
def test_out_of_range_values_are_rejected_with_the_field_named(fields, message):
    with pytest.raises(RecordError, match=message):
        validate_fields("incident", fields)


def test_census_reason_codes_are_the_dfe_list():
    assert {r.value for r in ExclusionReason} == set(
        ["PP", "PA", "VP", "VA", "BU", "RA", "LG", "DS", "SM", "DA", "DM", "TH", "DB", "MT", "OW", "PH"]
    )


def test_communication_valence_is_positive_negative_or_na():
    base = {"author_id": "s1", "message": "Great focus", "created_at": NOW}
    for valence in ("positive", "negative", "n/a"):
        assert validate_record("communication", {**base, "valence": valence})["valence"] == valence
    with pytest.raises(RecordError, match="valence"):
        validate_record("communication", {**base, "valence": "meh"})


def _op(**overrides):
    values = {
        "op_id": 1,
        "device_id": "dev1",
        "actor_id": "s1",
        "record_id": "rec1",
        "kind": "clicker_event",
        "profile_id": "p1",
        "action": "create",
        "fields": {
            "behaviour_type_id": "b1",
            "staff_id": "s1",
            "occurred_at": NOW,
            "device_id": "dev1",
        },
        "hlc": "1763892000000.00000.dev1",
    }
    values.update(overrides)
    return values


def test_a_valid_op_parses():
    assert parse_op(_op()).fields["occurred_at"] == NOW


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"kind": "spaceship"}, "unknown record kind"),
        ({"profile_id": None}, "profile_id"),
        ({"action": "update", "fields": {"staff_id": "s2"}}, "append-only"),
        ({"action": "delete"}, "a delete carries no fields"),
        ({"hlc": "yesterday"}, "malformed HLC"),
        ({"op_id": 0}, "op_id"),
        ({"surprise": 1}, "surprise"),
        ({"fields": {"staff_id": "s1"}}, "behaviour_type_id"),
        ({"base": {"staff_id": ["1763892000000.00000.dev1"]}}, None),
    ],
)
def test_bad_ops_are_rejected_with_a_reason(overrides, message):
    if message is None:  # base for a written field is fine
        parse_op(_op(**overrides))
        return
    with pytest.raises(OpError, match=message):
        parse_op(_op(**overrides))


def test_server_only_fields_cannot_come_from_a_device():
    op = Op(
        op_id=1,
        device_id="d",
        actor_id="s",
        record_id="i1",
        kind="incident",
        profile_id="p",
        action="update",
        fields={"reference": "besmart-1"},
        hlc="1763892000000.00000.d",
    )
    with pytest.raises(OpError, match="only by the server"):
        validate_op(op)
    assert validate_op(op, from_server=True).fields["reference"] == "besmart-1"
