"""Sync: push a batch of ops, pull a page of changes (sync.protocol)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.api.deps import State, SyncCaller
from server.services import pull as pull_service
from server.services import push as push_service
from sync.protocol import DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, PullResponse, PushRequest, PushResponse

router = APIRouter(prefix="/sync", tags=["sync"])


@router.post("/push", response_model=PushResponse, responses={400: {}, 403: {}, 413: {}})
def push(body: PushRequest, caller: SyncCaller, state: State) -> PushResponse:
    """Merge a batch of this device's ops: one result per op (applied, conflict, duplicate, quarantined or
    rejected)."""
    return push_service.push(state.db, state.settings, state.clock, caller, body)


@router.get("/pull", response_model=PullResponse)
def pull(
    caller: SyncCaller,
    state: State,
    cursor: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
) -> Response:
    """The next page of changes after `cursor` in the user's scope, with scope changes (or a wipe)."""
    body = pull_service.pull(state.db, state.clock, caller, cursor, limit)
    return Response(body, media_type="application/json")
