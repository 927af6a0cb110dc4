"""Sync: push a batch of ops, pull a page of changes (sync.protocol)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from server.api.clock import arrived_ms
from server.api.deps import State, SyncCaller
from server.api.errors import BODY_REFUSALS, refusals
from server.api.json_body import JsonBodyRoute
from server.services import pull as pull_service
from server.services import push as push_service
from server.services.clock import device_clock
from sync.protocol import (
    CLOCK_OFFSET_HEADER,
    DEFAULT_PULL_LIMIT,
    DEVICE_OFFSET_HEADER,
    DEVICE_TIME_HEADER,
    MAX_PULL_LIMIT,
    PullResponse,
    PushRequest,
    PushResponse,
)
from sync.records import INT64_MAX

#: a push's body is read by pydantic straight from its bytes (server.api.json_body)
router = APIRouter(prefix="/sync", tags=["sync"], route_class=JsonBodyRoute)

#: optional: the device's wall clock and the offset it already applies (sync.protocol, "Device clocks")
DeviceTime = Annotated[str | None, Header(alias=DEVICE_TIME_HEADER)]
DeviceOffset = Annotated[str | None, Header(alias=DEVICE_OFFSET_HEADER)]


@router.post("/push", response_model=PushResponse, responses=refusals(*BODY_REFUSALS, 401, 403))
def push(
    body: PushRequest,
    caller: SyncCaller,
    state: State,
    request: Request,
    device_time: DeviceTime = None,
    device_offset: DeviceOffset = None,
) -> Response:
    """Merge a batch of this device's ops: one result per op (applied, conflict, duplicate, quarantined or
    rejected)."""
    reading = device_clock(
        state.db, caller.actor.device_id, device_time, device_offset, arrived_ms(request), last=caller.device_clock_last
    )
    answer = push_service.push(state.db, state.settings, state.clock, caller, body, device_clock=reading)
    # Written out here: the answer is a PushResponse we built, and FastAPI would validate it all over again
    # (every result of hundreds) against the response model before writing it.
    headers = {CLOCK_OFFSET_HEADER: str(reading.offset_ms)} if reading else None
    return Response(answer.model_dump_json(), media_type="application/json", headers=headers)


@router.get("/pull", response_model=PullResponse, responses=refusals(400, 401, 422))
def pull(
    caller: SyncCaller,
    state: State,
    request: Request,
    cursor: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    device_time: DeviceTime = None,
    device_offset: DeviceOffset = None,
) -> Response:
    """The next page of changes after `cursor` in the user's scope, with scope changes (or a wipe)."""
    reading = device_clock(
        state.db, caller.actor.device_id, device_time, device_offset, arrived_ms(request), last=caller.device_clock_last
    )
    body = pull_service.pull(state.db, state.clock, caller, cursor, limit, device_clock=reading)
    if reading is None:
        return Response(body, media_type="application/json")
    return Response(body, media_type="application/json", headers={CLOCK_OFFSET_HEADER: str(reading.offset_ms)})
