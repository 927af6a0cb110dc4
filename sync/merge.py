"""The merge rule: per-field last-writer-wins by HLC — and no concurrent edit is silently lost.

A `RecordState` holds, per field, the winning value with its version (the HLC stamp of the op that wrote
it), the versions writers had seen (`seen`), and the concurrent values that lost: `conflicts`, for a person
to review, and `echoes`. A conflict needs a different value: a losing write of the value that won, or of the
same value as a newer losing write, is an echo — kept (should the winner be overwritten by a different
value, it may become a conflict again), but nothing to review. Which losers are conflicts depends only on
the winner and the set of losers, so the split is as order-free as the merge.
`apply_op` is a pure function with these properties (tests/sync/test_merge_properties.py checks them):

- any order and any duplication of the same set of ops yields the same state (commutative, idempotent);
- every value an op wrote is the winner, a kept conflict or echo, or was seen by a later writer who
  overwrote it on purpose (listed its version in `base`);
- no conflict has the winner's value, and no two conflicts of a field have the same value.

A value loses to a higher stamp; the device id at the end of a stamp breaks ties. Append-only kinds never
conflict: their fields are written once. A delete sets the tombstone field, merged like any other, so a
delete and a concurrent edit resolve the same way everywhere.
"""

from __future__ import annotations

from typing import Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict  # pydantic reads typing's TypedDict only from Python 3.12

from sync.ops import Op, OpError
from sync.records import DELETED_FIELD, kind_spec


class FieldValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: Any
    version: str
    actor_id: str
    device_id: str


class Conflict(FieldValue):
    """A concurrent value that lost, kept for a person to review: what, who, when (the version)."""

    field: str


class RecordState(BaseModel):
    """A record as merged from every op seen so far."""

    id: str
    kind: str
    profile_id: str | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    seen: dict[str, list[str]] = Field(default_factory=dict)
    conflicts: list[Conflict] = Field(default_factory=list)
    #: losers that agree with the winner or with a newer loser (not conflicts; see the module docstring)
    echoes: list[Conflict] = Field(default_factory=list)

    @property
    def deleted(self) -> bool:
        return bool(field_value(self, DELETED_FIELD))

    @property
    def version(self) -> str:
        """The newest version of any field: changes whenever the record does."""
        return max((f.version for f in self.fields.values()), default="")

    def values(self) -> dict[str, Any]:
        return {name: f.value for name, f in self.fields.items() if name != DELETED_FIELD}

    def field_version(self, name: str) -> str | None:
        current = self.fields.get(name)
        return current.version if current else None

    def base_for(self, names: list[str] | set[str]) -> dict[str, list[str]]:
        """What an editor of `names` has seen: each field's current version (what `Op.base` wants), and the
        echoes of its value (the same value, written by others)."""
        base = {}
        for name in names:
            if name in self.fields:
                current = self.fields[name]
                echoes = [e.version for e in self.echoes if e.field == name and e.value == current.value]
                base[name] = [current.version, *sorted(echoes)]
        return base

    def resolution_base(self, name: str) -> list[str]:
        """What a person settling a field's conflicts has been shown: every value it holds, with its echoes."""
        losers = sorted(c.version for c in (*self.conflicts, *self.echoes) if c.field == name)
        return ([self.fields[name].version] if name in self.fields else []) + losers


class FieldValueData(TypedDict):
    """A `FieldValue` as plain data (its JSON form)."""

    value: Any
    version: str
    actor_id: str
    device_id: str


class ConflictData(FieldValueData):
    """A `Conflict` as plain data."""

    field: str


class RecordStateData(TypedDict):
    """A `RecordState` as plain data: the same JSON form, validated by pydantic just as strictly (types and
    required keys) but read into dicts rather than models. A device stores most pulled states without merging
    them, and building a thousand models per page cost more than storing them; `RecordState.model_validate`
    turns one into a model when it is merged."""

    id: str
    kind: str
    profile_id: NotRequired[str | None]
    fields: NotRequired[dict[str, FieldValueData]]
    seen: NotRequired[dict[str, list[str]]]
    conflicts: NotRequired[list[ConflictData]]
    echoes: NotRequired[list[ConflictData]]


def field_value(state: RecordState | None, name: str, default: Any = None) -> Any:
    """One field's current (winning) value; `default` when there is no record or it has no such field.

    The one way, on the device and on the server, to read a field of a record: cheaper than `state.values()`,
    which builds them all, and it takes the "no record yet" case that callers comparing before and after have."""
    found = state.fields.get(name) if state is not None else None
    return default if found is None else found.value


def apply_op(state: RecordState | None, op: Op) -> tuple[RecordState, list[Conflict]]:
    """Merge one validated op into a record; returns the new state and the conflicts it newly kept."""
    changes = op.changes()
    if state is None:
        if not op.base:
            # A record's first op with nothing seen before (every clicker tap): each value simply wins. One
            # validation of the whole state from plain data is several times cheaper than the general path.
            return _first_state(op, changes), []
        state = RecordState(id=op.record_id, kind=op.kind, profile_id=op.profile_id)
    elif state.kind != op.kind or state.id != op.record_id:
        raise OpError(f"op for {op.kind} {op.record_id} applied to {state.kind} {state.id}")
    append_only = kind_spec(op.kind).append_only
    fields = dict(state.fields)
    seen = dict(state.seen)
    conflicts = [c for c in state.conflicts if c.field not in changes]
    echoes = [c for c in state.echoes if c.field not in changes]
    before = {(c.field, c.version) for c in state.conflicts}
    losers_before = (*state.conflicts, *state.echoes)
    for name, value in changes.items():
        # Validated construction, not model_construct: pydantic builds a validated model in Rust, about
        # twice as cheap as model_construct's Python (an incident has ~70 fields).
        incoming = FieldValue(value=value, version=op.hlc, actor_id=op.actor_id, device_id=op.device_id)
        # Kept losers stay `Conflict`s here: only one that becomes the winner is turned into a `FieldValue`.
        candidates: dict[str, FieldValue] = {c.version: c for c in losers_before if c.field == name}
        if name in fields:
            candidates[fields[name].version] = fields[name]
        candidates.setdefault(incoming.version, incoming)
        seen_here = set(seen.get(name, ())) | set(op.base.get(name, ()))
        if seen_here:
            seen[name] = sorted(seen_here)
        winner = candidates[max(candidates)]
        if isinstance(winner, Conflict):
            winner = FieldValue(
                value=winner.value, version=winner.version, actor_id=winner.actor_id, device_id=winner.device_id
            )
        fields[name] = winner
        if append_only or len(candidates) == 1:
            continue
        # Newest first: of the losers with one value, the newest is the conflict and the rest its echoes.
        shown = [winner.value]
        for version in sorted(candidates, reverse=True):
            c = candidates[version]
            if version == winner.version or version in seen_here:
                continue
            loser = Conflict(field=name, value=c.value, version=c.version, actor_id=c.actor_id, device_id=c.device_id)
            if any(c.value == value for value in shown):
                echoes.append(loser)
            else:
                shown.append(c.value)
                conflicts.append(loser)
    conflicts.sort(key=lambda c: (c.field, c.version))
    echoes.sort(key=lambda c: (c.field, c.version))
    update: dict[str, Any] = {"fields": fields, "seen": seen, "conflicts": conflicts, "echoes": echoes}
    if state.profile_id is None and op.profile_id:
        update["profile_id"] = op.profile_id
    new_state = state.model_copy(update=update)
    kept = [c for c in conflicts if (c.field, c.version) not in before]
    return new_state, kept


def _first_state(op: Op, changes: dict[str, Any]) -> RecordState:
    """The state of a record made by `op` alone, when it had seen no versions (what the general merge gives)."""
    version, actor_id, device_id = op.hlc, op.actor_id, op.device_id
    return RecordState.model_validate(
        {
            "id": op.record_id,
            "kind": op.kind,
            "profile_id": op.profile_id,
            "fields": {
                name: {"value": value, "version": version, "actor_id": actor_id, "device_id": device_id}
                for name, value in changes.items()
            },
        }
    )


def merge_ops(ops: list[Op], state: RecordState | None = None) -> RecordState | None:
    """Fold ops (all for one record) into a state."""
    for op in ops:
        state, _ = apply_op(state, op)
    return state
