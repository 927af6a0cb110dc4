"""The wire messages between a device and the sync server (DESIGN.md §4).

Push: `POST /sync/push` with a `PushRequest` → a `PushResponse` holding one `OpResult` per op. Pull:
`GET /sync/pull?cursor=N&limit=M` → a `PullResponse` page of whole record states after the cursor, plus
scope changes (profiles to add or purge) and, for a lost or revoked device, the wipe instruction.
Cursors are server sequence numbers, never timestamps.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.merge import RecordState
from sync.ops import Op

MAX_PUSH_OPS = 500
MAX_PULL_LIMIT = 2000
DEFAULT_PULL_LIMIT = 500

#: applied: merged; conflict: merged, and a concurrent value was kept as a conflict; duplicate: a
#: replayed op already applied (acknowledged, not applied twice); quarantined: held for a lead to review
#: (e.g. the author no longer has access) — never dropped; rejected: invalid, nothing written.
OpStatus = Literal["applied", "conflict", "duplicate", "quarantined", "rejected"]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PushRequest(_Message):
    ops: list[Op] = Field(max_length=MAX_PUSH_OPS)


class OpResult(_Message):
    op_id: int
    status: OpStatus
    reason: str | None = None
    record_id: str | None = None
    #: set when the op's record is an incident that has been given its reference
    reference: str | None = None


class PushResponse(_Message):
    results: list[OpResult]
    #: the server's HLC reading, so the device's clock moves past everything the server has seen
    hlc: str


class PullResponse(_Message):
    changes: list[RecordState]
    cursor: int
    more: bool
    #: individuals newly in this user's scope (their records are included in `changes`)
    added_profiles: list[str] = Field(default_factory=list)
    #: individuals no longer in scope: push pending ops for them, then purge them from the device
    purge_profiles: list[str] = Field(default_factory=list)
    #: the device was reported lost or revoked: delete all data and keys now
    wipe: bool = False
    hlc: str


class ErrorBody(_Message):
    """Every 4xx/5xx answer: a machine-readable code and a message for people."""

    error: str
    message: str
