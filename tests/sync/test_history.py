"""The pure core of amendments: which changes of an incident are amendments, an op's reason, and a history
folded from ops in HLC order whatever order they arrive in."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from sync.history import history
from sync.hlc import Stamp
from sync.ops import Op, OpError, validate_op
from sync.records import amended_fields

BASE_MS = 1_790_000_000_000


def op(n: int, action: str, fields: dict[str, Any], *, reason: str | None = None, node: str = "dev-a") -> Op:
    return Op(
        op_id=n, device_id=node, actor_id=f"user-{node}", record_id="inc-1", kind="incident", profile_id="kid-1",
        action=action, fields=fields, hlc=Stamp(BASE_MS + n * 1000, 0, node).encode(), reason=reason,
    )  # fmt: skip


CREATE = {"status": "submitted", "recorded_by": "user-dev-a", "recorded_at": "2026-11-30T10:00:00Z",
          "occurred_at": "2026-11-30T09:00:00Z", "location": "Hall", "what_happened": "Shouted"}  # fmt: skip


def test_only_what_a_submitted_incident_says_is_amended() -> None:
    fields = ["location", "what_happened", "flagged", "review_notes", "parent_report_sent_at", "removed", "status"]
    assert amended_fields("incident", {"status": "submitted"}, fields) == {"location", "what_happened"}
    assert amended_fields("incident", {"status": "reviewed"}, ["pi_reason"]) == {"pi_reason"}
    assert amended_fields("incident", {"status": "draft"}, fields) == set()
    assert amended_fields("incident", None, fields) == set()  # an update seen before its record
    assert amended_fields("smart_plan", {"status": "submitted"}, ["title"]) == set()


@pytest.mark.parametrize(
    ("action", "fields", "reason", "message"),
    [
        ("create", CREATE, "Why", "a reason comes with an update or a delete"),
        ("update", {"location": "Yard"}, "   ", "and is not blank"),
    ],
)
def test_a_reason_is_never_on_a_create_nor_blank(action: str, fields: dict[str, Any], reason: str, message: str):
    with pytest.raises(OpError, match=message):
        validate_op(op(1, action, fields, reason=reason))
    assert validate_op(op(2, "update", {"location": "Yard"}, reason="Corrected")).reason == "Corrected"


def test_the_history_is_folded_in_hlc_order_with_what_each_change_replaced() -> None:
    ops = [
        op(1, "create", CREATE),
        op(2, "update", {"flagged": True}),
        op(3, "update", {"location": "Yard"}, reason="It was the yard", node="dev-b"),
        op(4, "update", {"location": "Yard, by the gate", "what_happened": "Shouted"}, reason="More precise"),
    ]
    for order in itertools.permutations(ops):
        entries, state = history(validate_op(o) for o in order)
        assert [e.action for e in entries] == ["create", "update", "update", "update"]
        assert [e.amendment for e in entries] == [False, False, True, True]
        assert [e.reason for e in entries] == [None, None, "It was the yard", "More precise"]
        assert entries[0].changes == []  # a create writes the whole record
        # an unchanged value is not listed; each change shows what it replaced
        assert [(c.field, c.previous, c.value) for c in entries[3].changes] == [
            ("location", "Yard", "Yard, by the gate")
        ]
        assert entries[2].actor_id == "user-dev-b" and entries[2].at.endswith("Z")
        assert state is not None and state.values()["location"] == "Yard, by the gate"
