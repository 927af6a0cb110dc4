"""Property tests of the merge rule (hypothesis): order, duplication and replay never change the result,
and no written value disappears unless a later writer saw it and overwrote it on purpose."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.hlc import Stamp
from sync.merge import RecordState, apply_op, field_value, merge_ops
from sync.ops import Op, validate_op

FIELDS = ["location", "what_happened", "flagged"]
DEVICES = ["devA", "devB", "devC"]
CREATE = validate_op(
    Op(
        op_id=1,
        device_id="devA",
        actor_id="u-devA",
        record_id="inc1",
        kind="incident",
        profile_id="p1",
        action="create",
        fields={
            "recorded_by": "u-devA",
            "recorded_at": "2026-11-23T10:00:00Z",
            "occurred_at": "2026-11-23T09:00:00Z",
            "location": "hall",
        },
        hlc=Stamp(1, 0, "devA").encode(),
    )
)


@st.composite
def op_sets(draw):
    ops = [CREATE]
    written: dict[str, list[str]] = {"location": [CREATE.hlc]}
    used = {CREATE.hlc}
    for op_id in range(2, draw(st.integers(1, 12)) + 2):
        device = draw(st.sampled_from(DEVICES))
        stamp = Stamp(draw(st.integers(1, 30)), draw(st.integers(0, 3)), device).encode()
        if stamp in used:
            continue
        used.add(stamp)
        if draw(st.integers(0, 9)) == 0:
            ops.append(
                validate_op(
                    Op(
                        op_id=op_id,
                        device_id=device,
                        actor_id=f"u-{device}",
                        record_id="inc1",
                        kind="incident",
                        profile_id="p1",
                        action="delete",
                        hlc=stamp,
                    )
                )
            )
            continue
        names = draw(st.sets(st.sampled_from(FIELDS), min_size=1))
        fields, base = {}, {}
        for name in names:
            # Often the same few values: people agreeing must not look like a disagreement.
            text = st.sampled_from(["hall", "yard", "gym"]) | st.text(max_size=5)
            fields[name] = draw(st.booleans()) if name == "flagged" else draw(text)
            prior = written.get(name, [])
            seen = draw(st.lists(st.sampled_from(prior), unique=True)) if prior else []
            if seen:
                base[name] = seen
            written.setdefault(name, []).append(stamp)
        ops.append(
            validate_op(
                Op(
                    op_id=op_id,
                    device_id=device,
                    actor_id=f"u-{device}",
                    record_id="inc1",
                    kind="incident",
                    profile_id="p1",
                    action="update",
                    fields=fields,
                    base=base,
                    hlc=stamp,
                )
            )
        )
    return ops


@settings(max_examples=300, deadline=None)
@given(ops=op_sets(), data=st.data())
def test_any_order_and_duplication_gives_the_same_state(ops, data):
    reference = merge_ops(ops)
    shuffled = data.draw(st.permutations(ops))
    duplicated = shuffled + data.draw(st.lists(st.sampled_from(ops), max_size=8))
    duplicated = data.draw(st.permutations(duplicated))
    assert merge_ops(duplicated) == reference


@settings(max_examples=200, deadline=None)
@given(ops=op_sets(), data=st.data())
def test_merge_is_idempotent(ops, data):
    state = merge_ops(ops)
    again = data.draw(st.sampled_from(ops))
    assert apply_op(state, again)[0] == state


@settings(max_examples=300, deadline=None)
@given(ops=op_sets())
def test_every_value_is_the_winner_a_kept_conflict_or_knowingly_overwritten(ops):
    state: RecordState = merge_ops(ops)
    conflicts = {(c.field, c.version): c.value for c in (*state.conflicts, *state.echoes)}
    for op in ops:
        for name, value in op.changes().items():
            current = state.fields[name]
            if current.version == op.hlc:
                assert current.value == value
            elif (name, op.hlc) in conflicts:
                assert conflicts[(name, op.hlc)] == value
            else:
                assert op.hlc in state.seen.get(name, []), (name, op.hlc)


@settings(max_examples=300, deadline=None)
@given(ops=op_sets())
def test_a_conflict_needs_a_different_value(ops):
    """Equal values never make a conflict: none has the winner's value, none of a field repeats another's,
    and every loser kept without being a conflict (an echo) repeats the winner or a newer conflict."""
    state: RecordState = merge_ops(ops)
    for name, current in state.fields.items():
        conflicts = [c for c in state.conflicts if c.field == name]
        values = [c.value for c in conflicts]
        assert current.value not in values
        assert all(values.count(v) == 1 for v in values)
        for echo in (e for e in state.echoes if e.field == name):
            newer = [current, *(c for c in conflicts if c.version > echo.version)]
            assert any(n.value == echo.value for n in newer)


def test_two_writes_of_the_same_value_are_no_conflict_and_one_disagreement_shows_once():
    def edit(device: str, ms: int, location: str) -> Op:
        return validate_op(
            Op(
                op_id=ms,
                device_id=device,
                actor_id=f"u-{device}",
                record_id="inc1",
                kind="incident",
                profile_id="p1",
                action="update",
                fields={"location": location},
                base={"location": [CREATE.hlc]},
                hlc=Stamp(ms, 0, device).encode(),
            )
        )

    agree = [edit("devA", 50, "yard"), edit("devB", 60, "yard")]
    state, kept = apply_op(merge_ops([CREATE, agree[0]]), agree[1])
    assert state.values()["location"] == "yard" and state.conflicts == [] and kept == []
    # A third, different value wins: the two agreeing writes are one disagreement, not two.
    state, kept = apply_op(state, edit("devC", 70, "gym"))
    assert [(c.value, c.device_id) for c in state.conflicts] == [("yard", "devB")]
    assert [(c.value, c.device_id) for c in kept] == [("yard", "devB")]
    # Someone who saw "yard" (and its echo) overwrites it: nothing is left to review.
    resolve = validate_op(
        Op(
            op_id=9,
            device_id="devC",
            actor_id="lead",
            record_id="inc1",
            kind="incident",
            profile_id="p1",
            action="update",
            fields={"location": "gym, by the door"},
            base={"location": state.resolution_base("location")},
            hlc=Stamp(80, 0, "devC").encode(),
        )
    )
    state, kept = apply_op(state, resolve)
    assert state.conflicts == state.echoes == [] and kept == []


@settings(max_examples=200, deadline=None)
@given(ops=op_sets())
def test_the_winner_is_the_highest_stamp(ops):
    state = merge_ops(ops)
    for name, current in state.fields.items():
        assert current.version == max(op.hlc for op in ops if name in op.changes())


def test_two_offline_edits_of_one_field_keep_the_loser_as_a_conflict():
    base = {"location": [CREATE.hlc]}
    edit_a = validate_op(
        Op(
            op_id=2,
            device_id="devA",
            actor_id="amy",
            record_id="inc1",
            kind="incident",
            profile_id="p1",
            action="update",
            fields={"location": "class 4"},
            base=base,
            hlc=Stamp(50, 0, "devA").encode(),
        )
    )
    edit_b = validate_op(
        Op(
            op_id=1,
            device_id="devB",
            actor_id="ben",
            record_id="inc1",
            kind="incident",
            profile_id="p1",
            action="update",
            fields={"location": "yard"},
            base=base,
            hlc=Stamp(50, 0, "devB").encode(),
        )
    )
    state, _ = apply_op(merge_ops([CREATE]), edit_a)
    state, kept = apply_op(state, edit_b)
    assert state.values()["location"] == "yard"  # same ms and counter: device id breaks the tie
    assert [(c.field, c.value, c.actor_id) for c in kept] == [("location", "class 4", "amy")]
    # A reviewer who saw both resolves it: the conflict goes away, nothing else is lost.
    resolve = validate_op(
        Op(
            op_id=3,
            device_id="devC",
            actor_id="lead",
            record_id="inc1",
            kind="incident",
            profile_id="p1",
            action="update",
            fields={"location": "class 4 then yard"},
            base={"location": [edit_a.hlc, edit_b.hlc]},
            hlc=Stamp(60, 0, "devC").encode(),
        )
    )
    state, kept = apply_op(state, resolve)
    assert state.conflicts == [] and kept == []
    assert state.values()["location"] == "class 4 then yard"


def test_append_only_records_never_conflict():
    fields = {
        "behaviour_type_id": "b1",
        "staff_id": "s1",
        "occurred_at": "2026-11-23T10:00:00Z",
        "device_id": "devA",
    }
    create = validate_op(
        Op(
            op_id=1,
            device_id="devA",
            actor_id="s1",
            record_id="tap1",
            kind="clicker_event",
            profile_id="p1",
            action="create",
            fields=fields,
            hlc=Stamp(5, 0, "devA").encode(),
        )
    )
    undo = validate_op(
        Op(
            op_id=2,
            device_id="devA",
            actor_id="s1",
            record_id="tap1",
            kind="clicker_event",
            profile_id="p1",
            action="delete",
            hlc=Stamp(6, 0, "devA").encode(),
        )
    )
    state = merge_ops([undo, create, undo])
    assert state.deleted and state.conflicts == []


@settings(max_examples=200, deadline=None)
@given(op_sets())
def test_field_value_reads_the_winning_value_or_the_default(ops):
    state = merge_ops(ops)
    assert state is not None
    for name in [*FIELDS, "recorded_by", "never_written"]:
        assert field_value(state, name, "absent") == state.values().get(name, "absent")
    assert field_value(None, "location", "absent") == "absent"


@settings(max_examples=100, deadline=None)
@given(st.sets(st.sampled_from(FIELDS), min_size=1), st.integers(1, 30))
def test_a_first_op_gives_what_the_general_merge_gives(names, ms):
    """A record's first op with no base is built directly: the same state the general merge makes of it (which
    it takes when the op lists versions seen), but for those versions."""
    values = {"location": "hall", "what_happened": "x", "flagged": True}
    fields = {name: values[name] for name in names}

    def update(base: dict[str, list[str]]) -> Op:
        return validate_op(
            Op(
                op_id=2,
                device_id="devB",
                actor_id="u-devB",
                record_id="inc1",
                kind="incident",
                profile_id="p1",
                action="update",
                fields=fields,
                base=base,
                hlc=Stamp(ms, 0, "devB").encode(),
            )
        )

    seen = Stamp(0, 0, "devA").encode()
    direct, kept = apply_op(None, update({}))
    general, _ = apply_op(None, update({name: [seen] for name in names}))
    assert kept == []
    assert general.seen == {name: [seen] for name in names}
    assert direct == general.model_copy(update={"seen": {}})
    assert direct.values() == fields and direct.profile_id == "p1"
