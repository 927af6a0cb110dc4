"""What routes depend on: the server's shared state (database, settings, clock, password hasher) and the
caller behind the bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.api.errors import ApiError
from server.core.config import Settings
from server.core.security import Passwords
from server.db import Database
from server.services.accounts import Caller, authenticate
from sync.hlc import HybridClock


@dataclass
class ServerState:
    settings: Settings
    db: Database
    clock: HybridClock
    passwords: Passwords


def get_state(request: Request) -> ServerState:
    return request.app.state.server


State = Annotated[ServerState, Depends(get_state)]

_bearer = HTTPBearer(auto_error=False, description="The access token from /auth/login or /auth/refresh")


def _unauthorized(message: str, code: str = "unauthorized") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def _caller(state: ServerState, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    if credentials is None:
        raise _unauthorized("Sign in first: this request needs an access token.")
    caller = authenticate(state.db, credentials.credentials)
    if caller is None:
        raise _unauthorized("This access token is not valid: sign in again.", "invalid_token")
    return caller


def current_caller(
    state: State, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    """A signed-in user on a device in good standing, with an unexpired token."""
    caller = _caller(state, credentials)
    if caller.blocked:
        raise _unauthorized("This device was reported lost or revoked, or the account deactivated.", "device_blocked")
    if caller.expired:
        raise _unauthorized("The access token has expired: refresh it.", "token_expired")
    return caller


def sync_caller(state: State, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    """Like `current_caller`, but a blocked device still gets through (even on an expired token): its
    pushes are quarantined and its pull tells it to wipe itself."""
    caller = _caller(state, credentials)
    if caller.expired and not caller.blocked:
        raise _unauthorized("The access token has expired: refresh it.", "token_expired")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
SyncCaller = Annotated[Caller, Depends(sync_caller)]
