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

from collections.abc import Iterable, Iterator
from typing import Any

import pydantic_core

from sync.merge import Conflict, ConflictData, FieldValue, RecordState, RecordStateData
from sync.records import DELETED_FIELD

#: one value as the compact form takes it: (field, value, version, actor_id, device_id)
_Entry = tuple[str, Any, str, str, str]


def _compact(
    fields: Iterable[_Entry], seen: dict[str, list[str]], conflicts: Iterable[_Entry], echoes: Iterable[_Entry]
) -> tuple[dict[str, Any], str]:
    """The compact form of a state given as entries, and its newest field version (`RecordState.version`)."""
    writers: dict[tuple[str, str, str], int] = {}
    newest = ""

    def writer(version: str, actor_id: str, device_id: str) -> int:
        key = (version, actor_id, device_id)
        index = writers.get(key)
        if index is None:
            index = writers[key] = len(writers)
        return index

    winners: dict[str, Any] = {}
    for name, value, version, actor_id, device_id in fields:
        # `writer` inlined: a pulled page runs this for every field of every record
        key = (version, actor_id, device_id)
        index = writers.get(key)
        if index is None:
            index = writers[key] = len(writers)
        winners[name] = [value, index]
        if version > newest:
            newest = version
    body: dict[str, Any] = {"f": winners}
    if seen:
        body["s"] = seen
    lost = [[name, value, writer(v, a, d)] for name, value, v, a, d in conflicts]
    if lost:
        body["c"] = lost
    lost = [[name, value, writer(v, a, d)] for name, value, v, a, d in echoes]
    if lost:
        body["e"] = lost
    body["w"] = [list(key) for key in writers]
    return body, newest


def encode_state(state: RecordState) -> dict[str, Any]:
    """The compact form of a record's merged state (without its id, kind and profile: the row has them)."""
    body, _ = _compact(
        ((name, f.value, f.version, f.actor_id, f.device_id) for name, f in state.fields.items()),
        state.seen,
        ((c.field, c.value, c.version, c.actor_id, c.device_id) for c in state.conflicts),
        ((c.field, c.value, c.version, c.actor_id, c.device_id) for c in state.echoes),
    )
    return body


def state_json(state: RecordState) -> bytes:
    """The compact form as JSON text, what a record row's blob holds.

    Serialised by pydantic's (Rust) encoder, three to four times cheaper than `json` with sorted keys, and every
    tap and every pulled record pays it; key order is the form's own (readers parse it, nothing compares text)."""
    return pydantic_core.to_json(encode_state(state))


def data_json(data: RecordStateData) -> tuple[bytes, str]:
    """`state_json` of a state given as plain data (a pulled one), and its newest version: the same bytes as
    `state_json(RecordState.model_validate(data))` (test_codec checks it), without building the models."""

    def entries(items: Iterable[ConflictData]) -> Iterator[_Entry]:
        return ((c["field"], c["value"], c["version"], c["actor_id"], c["device_id"]) for c in items)

    body, newest = _compact(
        ((name, f["value"], f["version"], f["actor_id"], f["device_id"]) for name, f in data.get("fields", {}).items()),
        data.get("seen", {}),
        entries(data.get("conflicts", ())),
        entries(data.get("echoes", ())),
    )
    return pydantic_core.to_json(body), newest


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
