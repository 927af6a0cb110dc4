"""The wire messages between a device and the sync server, specified in docs/sync-protocol.md.

Push: `POST /sync/push` with a `PushRequest` → a `PushResponse` holding one `OpResult` per op. Pull:
`GET /sync/pull?cursor=N&limit=M` → a `PullResponse` page of whole record states after the cursor, plus
scope changes (profiles to add or purge) and, for a lost or revoked device, the wipe instruction.
Cursors are server sequence numbers, never timestamps.

Device clocks (both optional, so older clients and servers still work): a device sends its own wall clock
with each push and pull (`DEVICE_TIME_HEADER`, milliseconds since 1970) and the offset it already adds to
its stamps (`DEVICE_OFFSET_HEADER`); the server answers with the offset it measured
(`CLOCK_OFFSET_HEADER`: server time minus device time, ms), shifts the stamps of pushed ops by whatever
part of that offset the device has not applied yet, and keeps the measurement on the device's row. The
device applies the measured offset (when its outbox is empty) so that its later stamps need no shifting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.merge import RecordState, RecordStateData
from sync.ops import Action, Op
from sync.records import Id, NoNul

MAX_PUSH_OPS = 500
MAX_PULL_LIMIT = 2000
DEFAULT_PULL_LIMIT = 500

#: request: the device's wall clock when it sent the request (ms since 1970)
DEVICE_TIME_HEADER = "X-Device-Time"
#: request: the offset (ms) the device already adds to its wall clock when stamping ops
DEVICE_OFFSET_HEADER = "X-Device-Clock-Offset"
#: response: server time minus the device's time (ms), as measured from `DEVICE_TIME_HEADER`
CLOCK_OFFSET_HEADER = "X-Clock-Offset"

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


class _PageFields(_Message):
    """What a pull page says besides its records (`PullResponse`, `PulledPage`)."""

    cursor: int
    more: bool
    #: individuals newly in this user's scope (their records are included in `changes`)
    added_profiles: list[str] = Field(default_factory=list)
    #: individuals no longer in scope: push pending ops for them, then purge them from the device
    purge_profiles: list[str] = Field(default_factory=list)
    #: the device was reported lost or revoked: delete all data and keys now
    wipe: bool = False
    hlc: str


class PullResponse(_PageFields):
    changes: list[RecordState]


class PulledPage(_PageFields):
    """A `PullResponse` as the device reads it: the same message, each record state validated as plain data
    (`RecordStateData`) instead of a `RecordState` model — a page's thousand models cost the device more CPU,
    held in one call, than storing the records did."""

    changes: list[RecordStateData]


# --- a record's history ---------------------------------------------------------------------------------
# GET /records/{id}/history (bearer) -> RecordHistory, read from the server's op log (sync.history).


class FieldChange(_Message):
    field: str
    value: Any = None
    #: the field's value just before this change (None: it had none)
    previous: Any = None


class HistoryEntry(_Message):
    #: the op's HLC stamp (orders the entries) and its wall-clock moment, ISO-8601 UTC
    version: str
    at: str
    actor_id: str
    device_id: str
    action: Action
    #: an amendment of a submitted record: a change to what it says, made with its reason
    amendment: bool = False
    reason: str | None = None
    #: what changed (empty for a create: the whole record was written)
    changes: list[FieldChange] = Field(default_factory=list)


class RecordHistory(_Message):
    record_id: str
    #: oldest first
    entries: list[HistoryEntry]
    #: False when the record's first ops were merged before the op log kept them (older servers)
    complete: bool = True


class ErrorBody(_Message):
    """Every 4xx/5xx answer: a machine-readable code and a message for people."""

    error: str
    message: str


# --- accounts ----------------------------------------------------------------------------------------
# POST /auth/login (LoginRequest) -> Session; POST /auth/refresh (RefreshRequest) -> Session;
# POST /auth/logout (bearer) -> 204; POST /auth/password (PasswordChange, bearer) -> 204.


class LoginRequest(_Message):
    email: NoNul = Field(max_length=254)
    password: str = Field(max_length=1024)
    #: the device's own id (its HLC node id), registered on first login
    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    device_name: NoNul = Field(default="", max_length=200)


class RefreshRequest(_Message):
    refresh_token: str


class PasswordChange(_Message):
    old_password: str = Field(max_length=1024)
    new_password: str = Field(min_length=8, max_length=1024)


class UserInfo(_Message):
    id: str
    organisation_id: str
    name: str
    email: str
    role: str


class Session(_Message):
    access_token: str
    refresh_token: str
    #: seconds until the access token expires
    expires_in: int
    device_id: str
    user: UserInfo


# --- the assistant ---------------------------------------------------------------------------------------
# POST /assistant (AssistantRequest, bearer) -> AssistantAnswer. Online only; the server pseudonymises what
# it sends to the organisation's language model and restores names in the answer.

AssistantTask = Literal["improve_letter", "summarise_individual"]
#: the longest draft the assistant takes
MAX_ASSISTANT_TEXT = 20_000


class AssistantRequest(_Message):
    #: improve_letter: `text` is the draft; summarise_individual: the server reads `individual_id`'s records
    task: AssistantTask
    text: NoNul = Field(default="", max_length=MAX_ASSISTANT_TEXT)
    #: the individual the request is about (required to summarise; optional for a letter)
    individual_id: Id | None = None


class AssistantAnswer(_Message):
    #: the model's answer, with the placeholders it was given restored to the names they stood for
    text: str


# --- the written report to parents ---------------------------------------------------------------------
# POST /incidents/{id}/parent-report (the reviewed letter as application/pdf, bearer) -> ParentReportEmailed.
# Online only, and only where the organisation allows it; the server emails it to the contacts with parental
# responsibility and marks the report sent by email (a server write that syncs back).


class ParentReportEmailed(_Message):
    #: how many contacts with parental responsibility it was queued to
    recipients: int
    #: when the report was marked sent (ISO 8601, UTC)
    sent_at: str
