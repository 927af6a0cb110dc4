"""Which individuals a user reaches: every individual of their organisation for leads and admins (their role
has `all_individuals`), only those they hold a live access grant for otherwise. A lead can be limited to
some of the organisation's settings (their staff record's `setting_ids`): they then reach the individuals
of those settings, and any they hold a grant for — in pushes, pulls, reads and notifications alike."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlmodel import Session

from server.models import ProfileStaff, Record
from server.permissions import Actor
from sync.merge import RecordState, field_value
from sync.records import Role

PROFILE_STAFF = ProfileStaff.__table__
RECORD = Record.__table__


def setting_limit(staff: RecordState | None) -> frozenset[str]:
    """The settings a staff record limits its lead to (empty: none — the whole organisation). Only a lead
    is limited by settings: staff reach through grants, and an admin administers everything."""
    if staff is None:
        return frozenset()
    values = staff.values()
    if values.get("role") != Role.LEAD:
        return frozenset()
    return frozenset(values.get("setting_ids") or ())


def user_setting_limit(session: Session, user_id: str) -> frozenset[str]:
    """`setting_limit` of a user, read from their staff record."""
    row = session.execute(select(RECORD.c.state).where(RECORD.c.id == user_id, RECORD.c.kind == "staff")).first()
    return setting_limit(RecordState.model_validate_json(row.state)) if row else frozenset()


def in_settings(individual: RecordState | None, settings: Iterable[str]) -> bool:
    """Whether an individual belongs to one of these settings."""
    return individual is not None and field_value(individual, "setting_id") in set(settings)


def _grants(actor: Actor) -> Select[tuple[str]]:
    """The individuals this user holds a live access grant for (a query)."""
    return select(PROFILE_STAFF.c.profile_id).where(
        PROFILE_STAFF.c.staff_id == actor.id,
        PROFILE_STAFF.c.kind == "access_grant",
        PROFILE_STAFF.c.org_id == actor.org_id,
    )


def granted_profiles(session: Session, actor: Actor) -> set[str]:
    """Individuals this user reaches without being org-wide: their live access grants, and for a lead limited
    to settings, the individuals of those settings."""
    found = {row.profile_id for row in session.execute(_grants(actor))}
    if actor.settings:
        individuals = session.execute(
            select(RECORD.c.id, RECORD.c.state).where(RECORD.c.org_id == actor.org_id, RECORD.c.kind == "individual")
        )
        found |= {
            row.id for row in individuals if in_settings(RecordState.model_validate_json(row.state), actor.settings)
        }
    return found


def scope_profiles(session: Session, actor: Actor) -> set[str]:
    """The individuals whose records this user's devices hold."""
    query = select(RECORD.c.id).where(RECORD.c.org_id == actor.org_id, RECORD.c.kind == "individual")
    if not actor.org_wide and not actor.settings:
        # Grants only (most staff): one query, not two — a pull runs this on every page.
        query = query.where(RECORD.c.id.in_(_grants(actor)))
    elif not actor.org_wide:
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
