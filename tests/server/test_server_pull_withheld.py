"""What a pull sends of an incident deleted with a reason to someone who may not delete incidents: a
tombstone, however the `removed` field is written in the stored JSON — and every other incident as stored.
(`withheld` answers most incidents without parsing them: every incident carries `removed`, false.)"""

from __future__ import annotations

import json

import pytest

from server.permissions import Actor
from server.services.pull import withheld
from sync.merge import FieldValue, RecordState
from sync.records import DELETED_FIELD, Role

STAFF = Actor(id="u1", org_id="o1", role=Role.STAFF)
LEAD = Actor(id="u2", org_id="o1", role=Role.LEAD)
V1, V2 = "1796144967849.00005.dev1", "1796144967850.00000.dev1"


def incident(removed: object, **fields: object) -> RecordState:
    values = {"status": "submitted", "what_happened": "Left the room.", "removed": removed, **fields}
    return RecordState(
        id="r1",
        kind="incident",
        profile_id="p1",
        fields={
            name: FieldValue(value=value, version=V1, actor_id="u1", device_id="dev1") for name, value in values.items()
        },
    )


def is_tombstone(sent: str) -> bool:
    state = RecordState.model_validate_json(sent)
    return set(state.fields) == {DELETED_FIELD}


@pytest.mark.parametrize("removed", [False, None])
def test_an_incident_not_removed_is_sent_as_stored(removed: object) -> None:
    stored = incident(removed).model_dump_json()
    assert withheld(STAFF, "incident", stored) is stored


@pytest.mark.parametrize("removed", [True, "yes", 1])
def test_a_removed_incident_is_a_tombstone_to_staff_and_whole_to_a_lead(removed: object) -> None:
    stored = incident(removed).model_dump_json()
    assert is_tombstone(withheld(STAFF, "incident", stored))
    assert withheld(LEAD, "incident", stored) == stored


def test_a_removed_incident_is_withheld_whatever_the_spacing_of_its_json() -> None:
    spaced = json.dumps(json.loads(incident(True).model_dump_json()), indent=1)
    assert is_tombstone(withheld(STAFF, "incident", spaced))


def test_a_value_quoting_a_false_removed_does_not_hide_the_real_one() -> None:
    # A nested value written like a field that is not removed, and the record's own field set.
    nested = {"removed": {"value": False, "version": V1}}
    stored = incident(True, notes=nested).model_dump_json()
    assert stored.count('"removed"') == 2
    assert is_tombstone(withheld(STAFF, "incident", stored))
    state = incident(False, notes={"removed": {"value": True}})
    assert withheld(STAFF, "incident", state.model_dump_json()) == state.model_dump_json()


def test_a_text_mentioning_removed_changes_nothing() -> None:
    stored = incident(False, what_happened='He said "removed": {"value": true,').model_dump_json()
    assert withheld(STAFF, "incident", stored) == stored
    removed = incident(True, what_happened='"removed":{"value":false,').model_dump_json()
    assert is_tombstone(withheld(STAFF, "incident", removed))
