"""Request and response bodies of the routes that are not part of the sync protocol (`sync.protocol`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from sync.ops import Op
from sync.records import ID_PATTERN, INT64_MAX, NoNul

#: a record, device or user id in a path (checked before it reaches the database)
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
#: a row id in a path (a database BIGINT)
RowIdPath = Annotated[int, Path(ge=1, le=INT64_MAX)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(_Body):
    status: Literal["ok"]
    database: str


class QuarantineItem(_Body):
    id: int
    device_id: str
    op_id: int
    actor_id: str
    kind: str
    record_id: str
    profile_id: str | None
    reason: str
    status: Literal["pending", "applied", "discarded"]
    created_at: dt.datetime
    resolved_by: str | None = None
    resolved_at: dt.datetime | None = None
    note: str = ""
    op: Op
    #: after "apply": how the op merged (applied, or conflict when a concurrent value was kept)
    result: str | None = None


class Resolve(_Body):
    action: Literal["apply", "discard"]
    note: NoNul = Field(default="", max_length=2000)


class DeviceInfo(_Body):
    id: str
    user_id: str
    email: str
    name: str
    status: Literal["active", "lost", "revoked"]
    created_at: dt.datetime
    last_seen_at: dt.datetime | None = None


class DeviceStatus(_Body):
    status: Literal["active", "lost", "revoked"]
