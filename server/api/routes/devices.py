"""Devices: see your devices (admins: the organisation's), report one lost or revoke it (it is wiped at its
next contact)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from server.api.deps import CurrentCaller, State
from server.api.errors import BODY_REFUSALS, ApiError, refusals
from server.api.schemas import DeviceInfo, DeviceStatus, IdPath
from server.models import Device, UserAccount
from server.permissions import Capability
from server.services.accounts import list_devices, mark_device

router = APIRouter(prefix="/devices", tags=["devices"])
DEVICE = Device.__table__
USER = UserAccount.__table__


@router.get("", response_model=list[DeviceInfo], responses=refusals(401))
def devices(caller: CurrentCaller, state: State) -> list[DeviceInfo]:
    actor = caller.actor
    with state.db.read_session() as session:
        if actor.can(Capability.ADMIN):
            rows = list_devices(session, org_id=actor.org_id)
        else:
            rows = list_devices(session, user_id=actor.id)
    return [DeviceInfo.model_validate(row) for row in rows]


@router.post("/{device_id}/status", response_model=DeviceInfo, responses=refusals(*BODY_REFUSALS, 401, 403, 404))
def set_status(device_id: IdPath, body: DeviceStatus, caller: CurrentCaller, state: State) -> DeviceInfo:
    """Users may report their own devices lost; admins may set any status on their organisation's."""
    actor = caller.actor
    with state.db.session() as session:
        owner = session.execute(
            select(DEVICE.c.user_id, USER.c.org_id)
            .join(USER, USER.c.id == DEVICE.c.user_id)
            .where(DEVICE.c.id == device_id)
        ).first()
        if owner is None or owner.org_id != actor.org_id:
            raise ApiError(404, "not_found", "No such device.")
        own_report = owner.user_id == actor.id and body.status == "lost"
        if not (own_report or actor.can(Capability.ADMIN)):
            raise ApiError(403, "forbidden", "You may only report your own devices lost.")
        mark_device(session, device_id, body.status, actor_id=actor.id)
        row = next(r for r in list_devices(session, user_id=owner.user_id) if r["id"] == device_id)
    return DeviceInfo.model_validate(row)
