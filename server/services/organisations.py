"""Organisation administration as plain service calls: organisations, settings, users, individuals, key
contacts, access grants, key staff and the behaviour catalogue (with the default one a new organisation
starts from), and the look-ups an admin tool names them by.

Each call writes records through the same path as a device's push — a server op, validated and merged by
the pure sync core, numbered, notified and audited — so what an admin tool writes syncs to devices like
anything else. Each takes the caller's open write transaction (`with db.session() as session: ...`) and
an optional `actor_id`, the staff member the write is made as (default: the server itself). Writes made
as a staff member, or in a session with an operator (`server.services.audit.set_operator`: an admin at the
command line), are audited.

    with db.session() as s:
        org = create_organisation(s, "Oak Academy", incident_prefix="oak")
        ann = create_user(s, org, "Ann Lee", "ann@oak.example", "a long password", role=Role.LEAD)
        kim = create_individual(s, org, "Kim", "Doe", group="Year 7")
        grant_access(s, kim, ann)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server.core.config import Settings, load_settings
from server.core.security import Passwords
from server.errors import ServerSideError
from server.models import ProfileStaff, Record, UserAccount
from server.services import accounts
from server.services.audit import audit_entry, operator_of, write_audit
from server.services.changes import finish_server_writes
from server.services.clock import server_clock
from server.services.records import SYSTEM_ACTOR, RecordWriter, utcnow
from server.services.references import ensure_counter
from sync.ids import uuid7
from sync.merge import RecordState, field_value
from sync.ops import Action
from sync.records import Role

RECORD = Record.__table__
PROFILE_STAFF = ProfileStaff.__table__
USER = UserAccount.__table__


#: The Behaviour Clicker catalogue a new organisation starts from: (label, valence, level, colour).
#: Colours are dark enough for the clicker's white text (contrast 4.5:1 or more).
DEFAULT_BEHAVIOURS: list[tuple[str, str, str, str]] = [
    ("On task", "positive", "low", "#2e7d32"),
    ("Kind to others", "positive", "low", "#2e7d32"),
    ("Followed instructions", "positive", "low", "#00695c"),
    ("Good effort", "positive", "low", "#00695c"),
    ("Helped someone", "positive", "medium", "#1565c0"),
    ("Managed feelings well", "positive", "medium", "#1565c0"),
    ("Used a calm-down strategy", "positive", "medium", "#283593"),
    ("Excellent contribution", "positive", "high", "#283593"),
    ("Needed a movement break", "n/a", "low", "#455a64"),
    ("Needed adult support to start", "n/a", "low", "#455a64"),
    ("Shouting out", "negative", "low", "#a84300"),
    ("Off task", "negative", "low", "#a84300"),
    ("Talking over others", "negative", "low", "#a84300"),
    ("Late to lesson", "negative", "low", "#8d5300"),
    ("Unkind words", "negative", "medium", "#c62828"),
    ("Refusal", "negative", "medium", "#c62828"),
    ("Leaving the room", "negative", "medium", "#c62828"),
    ("Swearing", "negative", "medium", "#ad1457"),
    ("Damage to property", "negative", "high", "#8e0000"),
    ("Physical aggression", "negative", "high", "#8e0000"),
]


class AdminError(ServerSideError, ValueError):
    """An admin request that cannot be done; the message says why."""


def _writer(session: Session) -> RecordWriter:
    return RecordWriter(session, server_clock())


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
    finish_server_writes(writer, settings or load_settings(), actor_id)
    return writer.get(merged.op.record_id).state  # type: ignore[union-attr]


def get_record(session: Session, record_id: str) -> tuple[str, RecordState] | None:
    """A record's organisation and merged state (no permission check: for admin tools)."""
    row = session.execute(select(RECORD.c.org_id, RECORD.c.state).where(RECORD.c.id == record_id)).first()
    return (row.org_id, RecordState.model_validate_json(row.state)) if row else None


def live_states(session: Session, kind: str, org_id: str | None = None) -> list[tuple[str, RecordState]]:
    """(organisation id, merged state) of every live (not deleted) record of a kind, of one organisation
    or of all."""
    query = select(RECORD.c.org_id, RECORD.c.state).where(RECORD.c.kind == kind, RECORD.c.deleted.is_(False))
    if org_id is not None:
        query = query.where(RECORD.c.org_id == org_id)
    return [(row.org_id, RecordState.model_validate_json(row.state)) for row in session.execute(query)]


def count_records(session: Session, org_id: str) -> dict[str, int]:
    """How many live records of each kind the organisation has."""
    rows = session.execute(
        select(RECORD.c.kind, func.count())
        .where(RECORD.c.org_id == org_id, RECORD.c.deleted.is_(False))
        .group_by(RECORD.c.kind)
    )
    return {str(kind): int(count) for kind, count in sorted(rows.all())}


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
    org_id = org_id or uuid7()
    fields = {"name": name, "incident_prefix": incident_prefix, "help_phone": help_phone}
    if help_email:
        fields["help_email"] = help_email
    write_record(
        session, org_id, "organisation", "create", fields, record_id=org_id, actor_id=actor_id, settings=settings
    )
    ensure_counter(session, org_id)
    return org_id


def set_parent_report_email(
    session: Session, org_id: str, allowed: bool, *, actor_id: str = SYSTEM_ACTOR, settings: Settings | None = None
) -> None:
    """Allow (or stop) emailing the written report to parents through the server (off by default)."""
    _org_of(session, org_id, "organisation")
    fields = {"parent_report_email": allowed}
    write_record(
        session, org_id, "organisation", "update", fields, record_id=org_id, actor_id=actor_id, settings=settings
    )


def list_organisations(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every organisation, by name."""
    found = [(state.id, str(state.values().get("name", ""))) for _org, state in live_states(session, "organisation")]
    return sorted(found, key=lambda item: item[1].casefold())


def find_organisation(session: Session, ref: str) -> tuple[str, str]:
    """An organisation by id or by name (any case): (id, name); AdminError when none or several match."""
    known = list_organisations(session)
    for org_id, name in known:
        if org_id == ref:
            return org_id, name
    matches = [(org_id, name) for org_id, name in known if name.casefold() == ref.strip().casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(org_id for org_id, _ in matches)
        raise AdminError(f"{len(matches)} organisations are called {ref!r}: name one by id ({ids})")
    names = ", ".join(repr(name) for _, name in known) or "none yet: create one with `admin create-org`"
    raise AdminError(f"no organisation {ref!r} (organisations: {names})")


def settings_of(session: Session, org_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(id, values) of an organisation's settings (schools, alternative provisions, children's homes)."""
    return [(state.id, state.values()) for _org, state in live_states(session, "setting", org_id)]


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


def staff_accounts(session: Session, org_id: str) -> list[dict[str, Any]]:
    """The organisation's accounts, by name: id, name, email, role, active and whether a password is set."""
    rows = session.execute(
        select(USER.c.id, USER.c.name, USER.c.email, USER.c.role, USER.c.active, USER.c.password_hash)
        .where(USER.c.org_id == org_id)
        .order_by(USER.c.name)
    )
    return [
        {
            "id": r.id,
            "name": r.name,
            "email": r.email,
            "role": r.role,
            "active": r.active,
            "password_set": bool(r.password_hash),
        }
        for r in rows
    ]


def setting_limit(session: Session, user_id: str) -> list[str]:
    """The settings a lead is limited to (empty: the whole organisation, or not a lead)."""
    found = get_record(session, user_id)
    return list(found[1].values().get("setting_ids") or []) if found else []


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
    fields: dict[str, Any] = {"name": name, "email": email.strip().lower(), "role": Role(role).value, "active": True}
    if setting_ids:
        fields["setting_ids"] = check_setting_limit(session, org_id, fields["role"], setting_ids)
    password_hash = Passwords(settings).hash(password) if password is not None else None
    with _unique_email(session, email):
        state = write_record(
            session,
            org_id,
            "staff",
            "create",
            fields,
            record_id=user_id or uuid7(),
            actor_id=actor_id,
            settings=settings,
        )
    if password_hash is not None:
        session.execute(update(USER).where(USER.c.id == state.id).values(password_hash=password_hash))
    return state.id


@contextmanager
def _unique_email(session: Session, email: str) -> Iterator[None]:
    """Writes that give an account an email, undone with a clear AdminError when another account has it.
    The database's unique index is the check — a look-up first would let two processes both pass it."""
    try:
        with session.begin_nested():  # a savepoint: the caller's transaction stays usable
            yield
    except IntegrityError as error:
        if "email" not in str(error.orig):
            raise
        raise AdminError(f"an account with the email {email.strip().lower()} already exists") from None


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
        role_now = fields.get("role") or field_value(get_record(session, user_id)[1], "role")  # type: ignore[index]
        fields["setting_ids"] = check_setting_limit(session, org_id, str(role_now), setting_ids)
    elif fields.get("role", Role.LEAD) != Role.LEAD:
        fields["setting_ids"] = []  # a limit is a lead's: it does not linger for a later promotion
    if fields:
        with _unique_email(session, fields.get("email", "")):
            write_record(session, org_id, "staff", "update", fields, record_id=user_id, actor_id=actor_id)


def check_setting_limit(session: Session, org_id: str, role: str, setting_ids: list[str]) -> list[str]:
    """The settings (ids or names) a lead is to be limited to, as ids; AdminError when one is not a live
    (not deleted) setting of the organisation or the user is not a lead."""
    if not setting_ids:
        return []
    if role != Role.LEAD:
        raise AdminError(
            "only a lead can be limited to settings: staff reach individuals through access grants, "
            "and an admin administers the whole organisation"
        )
    known = {
        row.id: str(field_value(RecordState.model_validate_json(row.state), "name", ""))
        for row in session.execute(
            select(RECORD.c.id, RECORD.c.state).where(
                RECORD.c.org_id == org_id, RECORD.c.kind == "setting", RECORD.c.deleted.is_(False)
            )
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


def emails_taken(session: Session, emails: list[str]) -> list[str]:
    """Which of these emails (any case) an account already has."""
    wanted = [email.strip().lower() for email in emails]
    return list(session.execute(select(USER.c.email).where(USER.c.email.in_(wanted))).scalars())


def set_organisation_password_hash(session: Session, org_id: str, password_hash: str) -> None:
    """Give every account of the organisation the same password, already hashed (`Passwords.hash`, outside
    the transaction: it is slow): a demo organisation's shared password."""
    session.execute(update(USER).where(USER.c.org_id == org_id).values(password_hash=password_hash))


def set_password(session: Session, user_id: str, password: str, *, settings: Settings | None = None) -> None:
    """Set a user's password; their open sessions end. Audited as the session's operator's, if it has one
    (the password is not a record field, so no record write audits it)."""
    org_id = _org_of(session, user_id, "staff")
    accounts.set_password(session, Passwords(settings or load_settings()), user_id, password)
    operator = operator_of(session)
    if operator is not None:
        entry = audit_entry(
            utcnow(), org_id, operator, None, "update", "staff", user_id, detail={"changed": "password"}
        )
        write_audit(session, [entry])


# --- individuals -----------------------------------------------------------------------------------


def individuals_of(session: Session, org_id: str, group: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(id, values) of an organisation's individuals (of one group, any case), by last and first name."""
    people = [(state.id, state.values()) for _org, state in live_states(session, "individual", org_id)]
    if group is not None:
        people = [(pid, v) for pid, v in people if str(v.get("group", "")).casefold() == group.strip().casefold()]
    return sorted(people, key=lambda p: (str(p[1].get("last_name", "")).casefold(), str(p[1].get("first_name", ""))))


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
    profile_id = profile_id or uuid7()
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


def behaviour_types(session: Session, org_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(id, values) of the organisation's clicker behaviours (disabled ones too), in the clicker's order."""
    found = [(state.id, state.values()) for _org, state in live_states(session, "behaviour_type", org_id)]
    return sorted(found, key=lambda b: (int(b[1].get("sort_order", 0)), str(b[1].get("label", "")).casefold()))


def add_default_behaviours(session: Session, org_id: str, *, actor_id: str = SYSTEM_ACTOR) -> tuple[int, int]:
    """Add the default clicker behaviours the organisation does not have yet (matched by label, any case),
    after the ones it has; existing ones are left as they are. Returns (added, already there)."""
    found = behaviour_types(session, org_id)
    existing = {str(v.get("label", "")).casefold() for _id, v in found}
    start = max((int(v.get("sort_order", 0)) for _id, v in found), default=0)
    added = 0
    for label, valence, level, colour in DEFAULT_BEHAVIOURS:
        if label.casefold() in existing:
            continue
        added += 1
        upsert_behaviour_type(
            session,
            org_id,
            label,
            valence,
            record_id=uuid7(),  # a new record, even if a deleted one had this label
            level=level,
            colour=colour,
            sort_order=start + added * 10,
            actor_id=actor_id,
        )
    return added, len(DEFAULT_BEHAVIOURS) - added


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
        same = [
            bid for bid, v in behaviour_types(session, org_id) if str(v.get("label", "")).casefold() == label.casefold()
        ]
        record_id = same[0] if same else None
    values = {"label": label, "valence": valence, **fields}
    if record_id is not None and get_record(session, record_id) is not None:
        write_record(session, org_id, "behaviour_type", "update", values, record_id=record_id, actor_id=actor_id)
        return record_id
    return write_record(session, org_id, "behaviour_type", "create", values, record_id=record_id, actor_id=actor_id).id
