"""Which individuals a user reaches: every individual of their organisation for leads and admins (their role
has `all_individuals`), only those they hold a live access grant for otherwise."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from server.models import ProfileStaff, Record
from server.permissions import Actor

PROFILE_STAFF = ProfileStaff.__table__
RECORD = Record.__table__


def granted_profiles(session: Session, actor: Actor) -> set[str]:
    """Individuals this user holds a live access grant for."""
    rows = session.execute(
        select(PROFILE_STAFF.c.profile_id).where(
            PROFILE_STAFF.c.staff_id == actor.id,
            PROFILE_STAFF.c.kind == "access_grant",
            PROFILE_STAFF.c.org_id == actor.org_id,
        )
    )
    return {row.profile_id for row in rows}


def scope_profiles(session: Session, actor: Actor) -> set[str]:
    """The individuals whose records this user's devices hold."""
    query = select(RECORD.c.id).where(RECORD.c.org_id == actor.org_id, RECORD.c.kind == "individual")
    if not actor.org_wide:
        granted = granted_profiles(session, actor)
        if not granted:
            return set()
        query = query.where(RECORD.c.id.in_(granted))
    return {row.id for row in session.execute(query)}


def reaches(session: Session, actor: Actor, profile_id: str) -> bool:
    """Whether the user may see and record for this individual (which must exist in their organisation)."""
    found = session.execute(
        select(RECORD.c.org_id).where(RECORD.c.id == profile_id, RECORD.c.kind == "individual")
    ).first()
    if found is None or found.org_id != actor.org_id:
        return False
    return actor.org_wide or profile_id in granted_profiles(session, actor)


class Reach:
    """Whether a user reaches an individual, their grants read once (for a batch of ops)."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self._session = session
        self._actor = actor
        self._granted: set[str] | None = None

    def __call__(self, profile_id: str) -> bool:
        if self._actor.org_wide:
            return True
        if self._granted is None:
            self._granted = granted_profiles(self._session, self._actor)
        return profile_id in self._granted
