"""Organisation administration as plain service calls: organisations, settings, users, individuals, key
contacts, access grants, key staff and the behaviour catalogue.

Each call writes records through the same path as a device's push — a server op, validated and merged by
the pure sync core, numbered, notified and audited — so what an admin tool writes syncs to devices like
anything else. Each takes the caller's open write transaction (`with db.session() as session: ...`) and
an optional `actor_id`, the admin the audit log names (default: the server itself).

    with db.session() as s:
        org = create_organisation(s, "Oak Academy", incident_prefix="oak")
        ann = create_user(s, org, "Ann Lee", "ann@oak.example", "a long password", role=Role.LEAD)
        kim = create_individual(s, org, "Kim", "Doe", group="Year 7")
        grant_access(s, kim, ann)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from server.core.config import Settings, load_settings
from server.core.security import Passwords
from server.models import ProfileStaff, Record, UserAccount
from server.services import accounts
from server.services.changes import finish
from server.services.clock import server_clock
from server.services.records import SYSTEM_ACTOR, RecordWriter, new_id
from server.services.references import ensure_counter
from sync.merge import RecordState
from sync.ops import Action
from sync.records import Role

RECORD = Record.__table__
PROFILE_STAFF = ProfileStaff.__table__
USER = UserAccount.__table__


class AdminError(ValueError):
    """An admin request that cannot be done; the message says why."""


def _writer(session: Session) -> RecordWriter:
    return RecordWriter(session, server_clock())


def _commit(writer: RecordWriter, actor_id: str, settings: Settings | None) -> None:
    if actor_id != SYSTEM_ACTOR:
        for merged in writer.merged:
            if merged.op.actor_id == actor_id:
                writer.audit(
                    org_id=merged.org_id,
                    actor_id=actor_id,
                    device_id=None,
                    action=merged.op.action,
                    record_kind=merged.op.kind,
                    record_id=merged.op.record_id,
                    profile_id=merged.op.profile_id,
                )
    finish(writer, settings or load_settings())


def write_record(
    session: Session,
    org_id: str,
    kind: str,
    action: Action,
    fields: dict[str, Any] | None = None,
    *,
    record_id: str | None = None,
    profile_id: str | None = None,
    actor_id: str = SYSTEM_ACTOR,
    settings: Settings | None = None,
) -> RecordState:
    """Write any record as a server op (create, update or delete); returns the merged state."""
    writer = _writer(session)
    if record_id is not None:
        writer.load([record_id], lock=True)
    merged = writer.server_write(
        kind, action, fields, org_id=org_id, record_id=record_id, profile_id=profile_id, actor_id=actor_id
    )
    _commit(writer, actor_id, settings)
    return writer.existing(merged.op.record_id).state


def get_record(session: Session, record_id: str) -> tuple[str, RecordState] | None:
    """A record's organisation and merged state (no permission check: for admin tools)."""
    row = session.execute(select(RECORD.c.org_id, RECORD.c.state).where(RECORD.c.id == record_id)).first()
    return (row.org_id, RecordState.model_validate_json(row.state)) if row else None


def _org_of(session: Session, record_id: str, kind: str) -> str:
    found = get_record(session, record_id)
    if found is None or found[1].kind != kind:
        raise AdminError(f"no {kind} {record_id}")
    return found[0]


# --- organisations and settings -------------------------------------------------------------------


def create_organisation(
    session: Session,
    name: str,
    *,
    incident_prefix: str = "besmart",
    help_email: str | None = None,
    help_phone: str = "",
    org_id: str | None = None,
    actor_id: str = SYSTEM_ACTOR,
    settings: Settings | None = None,
) -> str:
    """A new organisation (its incident references will read `<incident_prefix>-10001`, ...)."""
    org_id = org_id or new_id()
    fields = {"name": name, "incident_prefix": incident_prefix, "help_phone": help_phone}
    if help_email:
        fields["help_email"] = help_email
    write_record(
        session, org_id, "organisation", "create", fields, record_id=org_id, actor_id=actor_id, settings=settings
    )
    ensure_counter(session, org_id)
    return org_id


def create_setting(session: Session, org_id: str, name: str, setting_type: str, *, actor_id: str = SYSTEM_ACTOR) -> str:
    """A school, alternative provision or children's home of the organisation."""
    state = write_record(
        session, org_id, "setting", "create", {"name": name, "setting_type": setting_type}, actor_id=actor_id
    )
    return state.id


# --- users -----------------------------------------------------------------------------------------


def find_user(session: Session, email: str) -> dict[str, Any] | None:
    """An account by email (any case), without its password hash."""
    row = session.execute(select(USER).where(USER.c.email == email.strip().lower())).first()
    if row is None:
        return None
    return {k: v for k, v in row._mapping.items() if k != "password_hash"}


def create_user(
    session: Session,
    org_id: str,
    name: str,
    email: str,
    password: str | None = None,
    *,
    role: Role | str = Role.STAFF,
    user_id: str | None = None,
    actor_id: str = SYSTEM_ACTOR,
    settings: Settings | None = None,
    setting_ids: list[str] | None = None,
) -> str:
    """A staff member (their `staff` record and account); without a password they cannot sign in yet.
    `setting_ids`: limit a lead to these settings of the organisation (default: the whole organisation)."""
    settings = settings or load_settings()
    if find_user(session, email) is not None:
        raise AdminError(f"an account with the email {email} already exists")
    fields: dict[str, Any] = {"name": name, "email": email.strip().lower(), "role": Role(role).value, "active": True}
    if setting_ids:
        fields["setting_ids"] = check_setting_limit(session, org_id, fields["role"], setting_ids)
    password_hash = Passwords(settings).hash(password) if password is not None else None
    state = write_record(
        session, org_id, "staff", "create", fields, record_id=user_id or new_id(), actor_id=actor_id, settings=settings
    )
    if password_hash is not None:
        session.execute(update(USER).where(USER.c.id == state.id).values(password_hash=password_hash))
    return state.id


def update_user(
    session: Session,
    user_id: str,
    *,
    name: str | None = None,
    email: str | None = None,
    role: Role | str | None = None,
    active: bool | None = None,
    actor_id: str = SYSTEM_ACTOR,
    setting_ids: list[str] | None = None,
) -> None:
    """Change a staff member's name, email, role or active flag (deactivated: devices are wiped), or the
    settings a lead is limited to (`setting_ids=[]`: the whole organisation again)."""
    org_id = _org_of(session, user_id, "staff")
    fields: dict[str, Any] = {}
    if name is not None:
        fields["name"] = name
    if email is not None:
        fields["email"] = email.strip().lower()
    if role is not None:
        fields["role"] = Role(role).value
    if active is not None:
        fields["active"] = active
    if setting_ids is not None:
        role_now = fields.get("role")
        if role_now is None:
            found = get_record(session, user_id)
            assert found is not None  # `_org_of` above found this staff record
            role_now = found[1].values().get("role")
        fields["setting_ids"] = check_setting_limit(session, org_id, str(role_now), setting_ids)
    elif fields.get("role", Role.LEAD) != Role.LEAD:
        fields["setting_ids"] = []  # a limit is a lead's: it does not linger for a later promotion
    if fields:
        write_record(session, org_id, "staff", "update", fields, record_id=user_id, actor_id=actor_id)


def check_setting_limit(session: Session, org_id: str, role: str, setting_ids: list[str]) -> list[str]:
    """The settings (ids or names) a lead is to be limited to, as ids; AdminError when one is not a setting
    of the organisation or the user is not a lead."""
    if not setting_ids:
        return []
    if role != Role.LEAD:
        raise AdminError(
            "only a lead can be limited to settings: staff reach individuals through access grants, "
            "and an admin administers the whole organisation"
        )
    known = {
        row.id: str(RecordState.model_validate_json(row.state).values().get("name", ""))
        for row in session.execute(
            select(RECORD.c.id, RECORD.c.state).where(RECORD.c.org_id == org_id, RECORD.c.kind == "setting")
        )
    }
    by_name = {name.casefold(): setting_id for setting_id, name in known.items()}
    chosen: list[str] = []
    for wanted in setting_ids:
        found = wanted if wanted in known else by_name.get(wanted.strip().casefold())
        if found is None:
            names = ", ".join(sorted(known.values())) or "none yet"
            raise AdminError(f"no setting called {wanted!r} in this organisation ({names})")
        if found not in chosen:
            chosen.append(found)
    return chosen


def set_password(session: Session, user_id: str, password: str, *, settings: Settings | None = None) -> None:
    """Set a user's password; their open sessions end."""
    accounts.set_password(session, Passwords(settings or load_settings()), user_id, password)


# --- individuals -----------------------------------------------------------------------------------


def create_individual(
    session: Session,
    org_id: str,
    first_name: str,
    last_name: str,
    *,
    profile_id: str | None = None,
    actor_id: str = SYSTEM_ACTOR,
    **fields: Any,
) -> str:
    """A child or young person (their profile); `fields`: any other `sync.records.Individual` field."""
    profile_id = profile_id or new_id()
    write_record(
        session,
        org_id,
        "individual",
        "create",
        {"first_name": first_name, "last_name": last_name, **fields},
        record_id=profile_id,
        profile_id=profile_id,
        actor_id=actor_id,
    )
    return profile_id


def update_individual(session: Session, profile_id: str, *, actor_id: str = SYSTEM_ACTOR, **fields: Any) -> None:
    org_id = _org_of(session, profile_id, "individual")
    write_record(
        session, org_id, "individual", "update", fields, record_id=profile_id, profile_id=profile_id, actor_id=actor_id
    )


def add_key_contact(
    session: Session, profile_id: str, name: str, relationship: str, *, actor_id: str = SYSTEM_ACTOR, **fields: Any
) -> str:
    """A key contact (parent, carer, social worker...) of an individual."""
    org_id = _org_of(session, profile_id, "individual")
    state = write_record(
        session,
        org_id,
        "key_contact",
        "create",
        {"name": name, "relationship": relationship, **fields},
        profile_id=profile_id,
        actor_id=actor_id,
    )
    return state.id


def _links(session: Session, profile_id: str, kind: str) -> dict[str, list[str]]:
    """staff id -> ids of the live link records of `kind` (access_grant / key_staff) for an individual."""
    rows = session.execute(
        select(PROFILE_STAFF.c.staff_id, PROFILE_STAFF.c.record_id).where(
            PROFILE_STAFF.c.profile_id == profile_id, PROFILE_STAFF.c.kind == kind
        )
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.staff_id, []).append(row.record_id)
    return found


def _link(session: Session, kind: str, profile_id: str, staff_id: str, actor_id: str, **fields: Any) -> str:
    org_id = _org_of(session, profile_id, "individual")
    if _org_of(session, staff_id, "staff") != org_id:
        raise AdminError("the staff member belongs to another organisation")
    existing = _links(session, profile_id, kind).get(staff_id)
    if existing:
        return existing[0]
    state = write_record(
        session, org_id, kind, "create", {"staff_id": staff_id, **fields}, profile_id=profile_id, actor_id=actor_id
    )
    return state.id


def _unlink(session: Session, kind: str, profile_id: str, staff_id: str, actor_id: str) -> int:
    org_id = _org_of(session, profile_id, "individual")
    ids = _links(session, profile_id, kind).get(staff_id, [])
    for record_id in ids:
        write_record(session, org_id, kind, "delete", record_id=record_id, profile_id=profile_id, actor_id=actor_id)
    return len(ids)


def grant_access(session: Session, profile_id: str, staff_id: str, *, actor_id: str = SYSTEM_ACTOR) -> str:
    """Let a staff member see and record for an individual (idempotent); returns the grant's id."""
    granted_by = None if actor_id == SYSTEM_ACTOR else actor_id
    return _link(session, "access_grant", profile_id, staff_id, actor_id, granted_by=granted_by)


def revoke_access(session: Session, profile_id: str, staff_id: str, *, actor_id: str = SYSTEM_ACTOR) -> int:
    """Take a staff member's access to an individual away; their devices purge the individual at the next
    pull. Returns how many grants were removed."""
    return _unlink(session, "access_grant", profile_id, staff_id, actor_id)


def set_key_staff(session: Session, profile_id: str, staff_ids: list[str], *, actor_id: str = SYSTEM_ACTOR) -> None:
    """Make exactly these staff the individual's key staff (they are notified of its records)."""
    current = _links(session, profile_id, "key_staff")
    for staff_id in staff_ids:
        if staff_id not in current:
            _link(session, "key_staff", profile_id, staff_id, actor_id)
    for staff_id in set(current) - set(staff_ids):
        _unlink(session, "key_staff", profile_id, staff_id, actor_id)


# --- the behaviour catalogue -----------------------------------------------------------------------


def upsert_behaviour_type(
    session: Session,
    org_id: str,
    label: str,
    valence: str,
    *,
    record_id: str | None = None,
    actor_id: str = SYSTEM_ACTOR,
    **fields: Any,
) -> str:
    """Add a Behaviour Clicker button, or update the one with this id (or else this label, any case);
    `fields`: level, colour, icon, active, sort_order."""
    if record_id is None:
        rows = session.execute(
            select(RECORD.c.id, RECORD.c.state).where(
                RECORD.c.org_id == org_id, RECORD.c.kind == "behaviour_type", RECORD.c.deleted.is_(False)
            )
        )
        for row in rows:
            values = RecordState.model_validate_json(row.state).values()
            if str(values.get("label", "")).casefold() == label.casefold():
                record_id = row.id
                break
    values = {"label": label, "valence": valence, **fields}
    if record_id is not None and get_record(session, record_id) is not None:
        write_record(session, org_id, "behaviour_type", "update", values, record_id=record_id, actor_id=actor_id)
        return record_id
    return write_record(session, org_id, "behaviour_type", "create", values, record_id=record_id, actor_id=actor_id).id
