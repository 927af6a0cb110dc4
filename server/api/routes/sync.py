"""Sync: push a batch of ops, pull a page of changes (sync.protocol)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.api.deps import State, SyncCaller
from server.api.errors import BODY_REFUSALS, refusals
from server.services import pull as pull_service
from server.services import push as push_service
from sync.protocol import DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, PullResponse, PushRequest, PushResponse
from sync.records import INT64_MAX

router = APIRouter(prefix="/sync", tags=["sync"])


@router.post("/push", response_model=PushResponse, responses=refusals(*BODY_REFUSALS, 401, 403))
def push(body: PushRequest, caller: SyncCaller, state: State) -> PushResponse:
    """Merge a batch of this device's ops: one result per op (applied, conflict, duplicate, quarantined or
    rejected)."""
    return push_service.push(state.db, state.settings, state.clock, caller, body)


@router.get("/pull", response_model=PullResponse, responses=refusals(401, 422))
def pull(
    caller: SyncCaller,
    state: State,
    cursor: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
) -> Response:
    """The next page of changes after `cursor` in the user's scope, with scope changes (or a wipe)."""
    body = pull_service.pull(state.db, state.clock, caller, cursor, limit)
    return Response(body, media_type="application/json")
