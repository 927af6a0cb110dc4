"""GET /health: the server is up and its database answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from server.api.deps import State
from server.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(state: State) -> Health:
    with state.db.read_session() as session:
        session.execute(text("SELECT 1"))
    return Health(status="ok", database="postgresql" if state.db.is_postgres else "sqlite")
