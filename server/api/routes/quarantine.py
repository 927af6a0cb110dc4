"""Quarantined ops, for leads: list them, then apply or discard each."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from server.api.deps import CurrentCaller, State
from server.api.errors import BODY_REFUSALS, refusals
from server.api.schemas import QuarantineItem, Resolve, RowIdPath
from server.services.quarantine import list_quarantined, resolve_quarantined

router = APIRouter(prefix="/quarantine", tags=["quarantine"])


@router.get("", response_model=list[QuarantineItem], responses=refusals(401, 403, 422))
def list_items(
    caller: CurrentCaller,
    state: State,
    status: Annotated[Literal["pending", "applied", "discarded", "all"], Query()] = "pending",
) -> list[QuarantineItem]:
    """Quarantined ops of your organisation (leads only), oldest first."""
    with state.db.session() as session:
        rows = list_quarantined(session, caller.actor, status=None if status == "all" else status)
    return [QuarantineItem.model_validate(row) for row in rows]


@router.post(
    "/{item_id}/resolve", response_model=QuarantineItem, responses=refusals(*BODY_REFUSALS, 401, 403, 404, 409)
)
def resolve(item_id: RowIdPath, body: Resolve, caller: CurrentCaller, state: State) -> QuarantineItem:
    """Apply the op (merged as its author made it) or discard it, with a note."""
    row = resolve_quarantined(state.db, state.settings, state.clock, caller.actor, item_id, body.action, body.note)
    return QuarantineItem.model_validate(row)
