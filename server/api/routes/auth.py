"""Accounts: sign in (rate-limited), refresh, sign out, change password, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from server.api.deps import CurrentCaller, State
from server.api.errors import BODY_REFUSALS, refusals
from server.services import accounts
from sync.protocol import LoginRequest, PasswordChange, RefreshRequest, Session, UserInfo

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=Session, responses=refusals(*BODY_REFUSALS, 401, 403, 409, 429, 503))
def login(body: LoginRequest, request: Request, state: State) -> Session:
    """Sign in with email and password; registers the device and opens a session bound to it."""
    address = request.client.host if request.client else "unknown"
    return accounts.login(state.db, state.settings, state.passwords, body, address)


@router.post("/refresh", response_model=Session, responses=refusals(*BODY_REFUSALS, 401))
def refresh(body: RefreshRequest, state: State) -> Session:
    """Swap the refresh token for a new access and refresh token."""
    return accounts.refresh(state.db, state.settings, body.refresh_token)


@router.post("/logout", status_code=204, response_class=Response, responses=refusals(401))
def logout(caller: CurrentCaller, state: State) -> Response:
    """End this device's session."""
    accounts.logout(state.db, caller)
    return Response(status_code=204)


@router.post("/password", status_code=204, response_class=Response, responses=refusals(*BODY_REFUSALS, 401, 403, 503))
def change_password(body: PasswordChange, caller: CurrentCaller, state: State) -> Response:
    """Change your password; sessions on your other devices end."""
    accounts.change_password(state.db, state.passwords, caller, body.old_password, body.new_password)
    return Response(status_code=204)


@router.get("/me", response_model=UserInfo, responses=refusals(401))
def me(caller: CurrentCaller) -> UserInfo:
    """The signed-in user."""
    actor = caller.actor
    return UserInfo(id=actor.id, organisation_id=actor.org_id, name=caller.name, email=caller.email, role=actor.role)
