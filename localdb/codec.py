"""How a merged record (`sync.merge.RecordState`) is laid out inside its encrypted blob on the device.

The sync core's JSON form repeats, for every field, the version, actor and device that wrote it, and the
record's id, kind and profile, which the row keeps in plain columns anyway. On a device holding tens of
thousands of records that was most of the storage: a clicker tap took ~900 bytes, so a record row spilled
into an overflow page of its own. The compact form names each writer (version, actor, device) once::

    {"w": [[version, actor_id, device_id], ...],          # the writers, each once
     "f": {field: [value, writer], ...},                   # winning values
     "s": {field: [version, ...]},                         # what writers had seen (omitted when empty)
     "c": [[field, value, writer], ...], "e": [...]}       # conflicts and echoes (omitted when empty)

It is still encrypted per row and column by `localdb.crypto` (this module never sees ciphertext), as the JSON
text `state_json` makes. Blobs
written before this form (the sync core's JSON) are still read.
"""

from __future__ import annotations

from typing import Any

import pydantic_core

from sync.merge import Conflict, FieldValue, RecordState
from sync.records import DELETED_FIELD


def encode_state(state: RecordState) -> dict[str, Any]:
    """The compact form of a record's merged state (without its id, kind and profile: the row has them)."""
    writers: dict[tuple[str, str, str], int] = {}

    def writer(value: FieldValue) -> int:
        key = (value.version, value.actor_id, value.device_id)
        index = writers.get(key)
        if index is None:
            index = writers[key] = len(writers)
        return index

    body: dict[str, Any] = {"f": {name: [f.value, writer(f)] for name, f in state.fields.items()}}
    if state.seen:
        body["s"] = state.seen
    if state.conflicts:
        body["c"] = [[c.field, c.value, writer(c)] for c in state.conflicts]
    if state.echoes:
        body["e"] = [[c.field, c.value, writer(c)] for c in state.echoes]
    body["w"] = [list(key) for key in writers]
    return body


def state_json(state: RecordState) -> bytes:
    """The compact form as JSON text, what a record row's blob holds.

    Serialised by pydantic's (Rust) encoder, three to four times cheaper than `json` with sorted keys, and every
    tap and every pulled record pays it; key order is the form's own (readers parse it, nothing compares text)."""
    return pydantic_core.to_json(encode_state(state))


def decode_state(body: dict[str, Any], record_id: str, kind: str, profile_id: str | None) -> RecordState:
    """A record's merged state from its stored form (compact, or the sync core's JSON of older blobs)."""
    if "w" not in body:
        return RecordState.model_validate(body)
    writers = body["w"]

    def field_value(value: Any, index: int) -> FieldValue:
        version, actor_id, device_id = writers[index]
        # Built without validation: these values were validated before they were merged and sealed, and the
        # blob is authenticated (any change to it fails decryption).
        return FieldValue.model_construct(value=value, version=version, actor_id=actor_id, device_id=device_id)

    def losers(items: list[list[Any]]) -> list[Conflict]:
        out = []
        for name, value, index in items:
            version, actor_id, device_id = writers[index]
            out.append(
                Conflict.model_construct(
                    field=name, value=value, version=version, actor_id=actor_id, device_id=device_id
                )
            )
        return out

    return RecordState.model_construct(
        id=record_id,
        kind=kind,
        profile_id=profile_id,
        fields={name: field_value(value, index) for name, (value, index) in body["f"].items()},
        seen=body.get("s", {}),
        conflicts=losers(body.get("c", [])),
        echoes=losers(body.get("e", [])),
    )


def plain_values(body: dict[str, Any]) -> dict[str, Any]:
    """A stored record's current field values (without its tombstone), read straight from either form."""
    if "w" in body:
        return {name: item[0] for name, item in body["f"].items() if name != DELETED_FIELD}
    return {name: item["value"] for name, item in body.get("fields", {}).items() if name != DELETED_FIELD}
