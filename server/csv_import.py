"""Import individuals and staff from CSV files: every line is checked first, and the file is written in one
transaction only when every line is valid — a file with a bad line imports nothing.

Lines are checked with the record models of `sync.records` (the same validation a device's op passes) plus
what only the server can know: the setting named exists, the staff named in `key_staff` / `access` belong
to the organisation, an email is not taken, a child is not already on roll. Every problem is reported as
`line N: <column>: <problem>` (the header is line 1), all of them at once, so a file is fixed in one go.

    with db.session() as session:
        result = import_individuals(session, org_id, Path("pupils.csv"), settings=settings)

The columns are documented in docs/admin.md (and `INDIVIDUAL_COLUMNS` / `STAFF_COLUMNS` below).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlmodel import Session

from server.core.config import Settings
from server.errors import ServerSideError
from server.models import UserAccount
from server.services.changes import finish_server_writes
from server.services.clock import server_clock
from server.services.organisations import AdminError, check_setting_limit, live_states, settings_of
from server.services.records import SYSTEM_ACTOR, RecordWriter
from sync.ids import uuid7
from sync.records import KINDS, Role

USER = UserAccount.__table__

CONTACT_PREFIXES = ("contact_", "contact2_")
CONTACT_FIELDS = ("name", "relationship", "phone", "email", "parental_responsibility")

#: column -> what it holds (docs/admin.md repeats this table)
INDIVIDUAL_COLUMNS: dict[str, str] = {
    "first_name": "required",
    "last_name": "required",
    "preferred_name": "what they like to be called",
    "date_of_birth": "YYYY-MM-DD (DD/MM/YYYY is accepted too)",
    "group": "year, class, house or home, e.g. Year 8",
    "setting": "the name (or id) of one of the organisation's settings",
    "send": "yes/no",
    "ehc_plan": "yes/no",
    "looked_after": "yes/no",
    "details": "free text",
    **{
        f"{prefix}{name}": f"key contact {'2 ' if prefix == 'contact2_' else ''}{name.replace('_', ' ')}"
        for prefix in CONTACT_PREFIXES
        for name in CONTACT_FIELDS
    },
    "key_staff": "emails of existing staff, separated by ';' (they are given access too)",
    "access": "emails of existing staff who may see and record for the individual, separated by ';'",
}
INDIVIDUAL_REQUIRED = ("first_name", "last_name")

STAFF_COLUMNS: dict[str, str] = {
    "name": "required",
    "email": "required, unique across the server",
    "role": "staff (default), lead or admin",
    "settings": "for a lead: the settings (names or ids, separated by ';') they are limited to; blank: every one",
}
STAFF_REQUIRED = ("name", "email")

_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"", "no", "n", "false", "f", "0"}
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class ImportFailed(ServerSideError):
    """The file was not imported (nothing was written); `errors` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    #: ids of the records created for the lines (individuals or staff), in file order
    created: list[str] = field(default_factory=list)
    contacts: int = 0
    grants: int = 0
    key_staff: int = 0
    dry_run: bool = False


@dataclass
class _Line:
    number: int
    values: dict[str, str]


# --- reading ---------------------------------------------------------------------------------------


def _header_name(raw: str) -> str:
    """`First name` / `first-name` / ` FIRST_NAME ` all mean first_name."""
    return re.sub(r"[\s-]+", "_", raw.strip().lower())


def read_lines(source: str | Path | bytes, columns: Iterable[str], required: Iterable[str]) -> list[_Line]:
    """The data lines of a CSV file (a path, or its text/bytes), with their line numbers; raises
    ImportFailed for a file that cannot be read or a header that does not fit `columns`."""
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as error:
            raise ImportFailed([f"{source}: cannot be read: {error.strerror or error}"]) from None
    else:
        data = source if isinstance(source, bytes) else source.encode()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed(
            [f"the file is not UTF-8 text (byte {error.start}): save it as 'CSV UTF-8' and try again"]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise ImportFailed(["the file is empty: its first line must name the columns"])
        header_line = reader.line_num
        names = [_header_name(cell) for cell in header]
        known = list(columns)
        errors = []
        for position, name in enumerate(names, start=1):
            if not name:
                errors.append(f"line {header_line}: column {position} has no name")
            elif name not in known:
                errors.append(f"line {header_line}: unknown column {name!r} (columns: {', '.join(known)})")
            elif names.index(name) != position - 1:
                errors.append(f"line {header_line}: column {name!r} appears twice")
        errors += [f"line {header_line}: missing column {name!r}" for name in required if name not in names]
        if errors:
            raise ImportFailed(errors)
        lines: list[_Line] = []
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) > len(names) and any(cell.strip() for cell in row[len(names) :]):
                errors.append(f"line {start}: has {len(row)} values but the header names {len(names)} columns")
                continue
            values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(names)}
            lines.append(_Line(start, values))
    except csv.Error as error:
        raise ImportFailed([f"line {reader.line_num}: not valid CSV: {error}"]) from None
    if errors:
        raise ImportFailed(errors)
    if not lines:
        raise ImportFailed(["the file has a header but no lines to import"])
    return lines


# --- checking values -------------------------------------------------------------------------------


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected yes or no, not {value!r}")


def _date(value: str, today: dt.date) -> dt.date:
    try:
        if _ISO_DATE.match(value):
            year, month, day = (int(p) for p in value.split("-"))
            found = dt.date(year, month, day)
        elif match := _UK_DATE.match(value):
            found = dt.date(int(match[3]), int(match[2]), int(match[1]))
        else:
            raise ValueError
    except ValueError:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD, e.g. 2013-04-27)") from None
    if found > today:
        raise ValueError(f"{value} is in the future")
    return found


_FRIENDLY_PATTERN = {
    "email": "is not a valid email address",
    "phone": "may hold only digits, spaces and + ( ) -",
}


def model_problems(
    model: type[BaseModel], values: dict[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validate with a `sync.records` model: (JSON-ready values, [(field, problem in plain words)])."""
    try:
        return model.model_validate(values).model_dump(mode="json"), []
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = str(item["loc"][0]) if item.get("loc") else "record"
            kind = item.get("type", "")
            if kind == "string_too_short" and not values.get(name):
                message = "is required"
            elif kind == "string_pattern_mismatch" and name in _FRIENDLY_PATTERN:
                message = _FRIENDLY_PATTERN[name]
            else:
                message = item.get("msg", "is not valid")
            problems.append((prefix + name, message))
        return {}, problems
    except ValueError as error:  # a model's own cross-field check
        return {}, [(prefix.rstrip("_") or "record", str(error))]


def _emails(value: str) -> list[str]:
    return [part.strip().lower() for part in re.split(r"[;\n]", value) if part.strip()]


# --- what the organisation already holds -------------------------------------------------------------


def _org_staff(session: Session, org_id: str) -> dict[str, Any]:
    """email -> account row of the organisation's staff."""
    rows = session.execute(select(USER.c.id, USER.c.email, USER.c.role, USER.c.active).where(USER.c.org_id == org_id))
    return {row.email: row for row in rows}


def _person_key(first: str, last: str, born: Any) -> tuple[str, str, str]:
    return (first.strip().casefold(), last.strip().casefold(), str(born or ""))


# --- individuals -----------------------------------------------------------------------------------


@dataclass
class _IndividualPlan:
    fields: dict[str, Any]
    contacts: list[dict[str, Any]]
    access: list[str]
    key_staff: list[str]


def check_individuals(session: Session, org_id: str, lines: list[_Line]) -> tuple[list[_IndividualPlan], list[str]]:
    """Check every line; returns what to write and the problems found (`line N: column: problem`)."""
    today = dt.date.today()
    settings = dict(settings_of(session, org_id))
    settings_by_name = {str(v.get("name", "")).casefold(): sid for sid, v in settings.items()}
    staff = _org_staff(session, org_id)
    existing = {
        _person_key(v.get("first_name", ""), v.get("last_name", ""), v.get("date_of_birth")): s.id
        for _org, s in live_states(session, "individual", org_id)
        for v in [s.values()]
    }
    seen: dict[tuple[str, str, str], int] = {}
    plans: list[_IndividualPlan] = []
    errors: list[str] = []
    model = KINDS["individual"].model
    contact_model = KINDS["key_contact"].model
    for line in lines:
        v = line.values
        problems: list[tuple[str, str]] = []
        fields: dict[str, Any] = {
            name: v.get(name, "")
            for name in ("first_name", "last_name", "preferred_name", "group", "details")
            if name in v
        }
        if v.get("date_of_birth"):
            try:
                fields["date_of_birth"] = _date(v["date_of_birth"], today).isoformat()
            except ValueError as error:
                problems.append(("date_of_birth", str(error)))
        for flag in ("send", "ehc_plan", "looked_after"):
            if flag in v:
                try:
                    fields[flag] = _boolean(v[flag])
                except ValueError as error:
                    problems.append((flag, str(error)))
        if v.get("setting"):
            setting_id = settings_by_name.get(v["setting"].casefold()) or (
                v["setting"] if v["setting"] in settings else None
            )
            if setting_id is None:
                names = ", ".join(sorted(str(s.get("name")) for s in settings.values())) or "none yet"
                problems.append(("setting", f"no setting called {v['setting']!r} in this organisation ({names})"))
            else:
                fields["setting_id"] = setting_id
        clean, found = model_problems(model, fields)
        problems += [p for p in found if p[0] not in {name for name, _ in problems}]
        contacts = []
        for prefix in CONTACT_PREFIXES:
            given = {name: v.get(prefix + name, "") for name in CONTACT_FIELDS}
            if not any(given.values()):
                continue
            contact: dict[str, Any] = {k: given[k] for k in ("name", "relationship", "phone")}
            if given["email"]:
                contact["email"] = given["email"].lower()
            try:
                contact["parental_responsibility"] = _boolean(given["parental_responsibility"])
            except ValueError as error:
                problems.append((prefix + "parental_responsibility", str(error)))
            if not given["relationship"]:
                problems.append((prefix + "relationship", "is required when a key contact is given"))
            contact_clean, found = model_problems(contact_model, contact, prefix)
            problems += [p for p in found if p[0] not in {name for name, _ in problems}]
            contacts.append(contact_clean)
        people: dict[str, list[str]] = {}
        for column in ("key_staff", "access"):
            people[column] = []
            for email in _emails(v.get(column, "")):
                account = staff.get(email)
                if account is None:
                    problems.append((column, f"no staff member with the email {email} in this organisation"))
                elif not account.active:
                    problems.append((column, f"{email} is deactivated"))
                elif account.id not in people[column]:
                    people[column].append(account.id)
        if clean:
            key = _person_key(clean["first_name"], clean["last_name"], clean.get("date_of_birth"))
            born = f" (born {clean['date_of_birth']})" if clean.get("date_of_birth") else ""
            who = f"{clean['first_name']} {clean['last_name']}{born}"
            if key in existing:
                problems.append(("first_name", f"{who} is already in the organisation (id {existing[key]})"))
            elif key in seen:
                problems.append(("first_name", f"{who} is also on line {seen[key]}"))
            else:
                seen[key] = line.number
        if problems:
            errors += [f"line {line.number}: {column}: {problem}" for column, problem in problems]
            continue
        access = people["access"] + [s for s in people["key_staff"] if s not in people["access"]]
        plans.append(_IndividualPlan(clean, contacts, access, people["key_staff"]))
    return plans, errors


def import_individuals(
    session: Session,
    org_id: str,
    source: str | Path | bytes,
    *,
    settings: Settings,
    actor_id: str = SYSTEM_ACTOR,
    dry_run: bool = False,
) -> ImportResult:
    """Import individuals (with key contacts, key staff and access grants) from a CSV file, all or nothing.
    Raises ImportFailed, having written nothing, if any line is wrong."""
    lines = read_lines(source, INDIVIDUAL_COLUMNS, INDIVIDUAL_REQUIRED)
    plans, errors = check_individuals(session, org_id, lines)
    if errors:
        raise ImportFailed(errors)
    result = ImportResult(dry_run=dry_run)
    if dry_run:
        result.created = ["" for _ in plans]
        return result
    writer = RecordWriter(session, server_clock())
    granted_by = None if actor_id == SYSTEM_ACTOR else actor_id
    for plan in plans:
        profile_id = uuid7()
        write = _writer_for(writer, org_id, profile_id, actor_id)
        write("individual", plan.fields, record_id=profile_id)
        for contact in plan.contacts:
            write("key_contact", contact)
        for staff_id in plan.access:
            write("access_grant", {"staff_id": staff_id, "granted_by": granted_by})
        for staff_id in plan.key_staff:
            write("key_staff", {"staff_id": staff_id})
        result.created.append(profile_id)
        result.contacts += len(plan.contacts)
        result.grants += len(plan.access)
        result.key_staff += len(plan.key_staff)
    finish_server_writes(writer, settings, actor_id)
    return result


def _writer_for(writer: RecordWriter, org_id: str, profile_id: str, actor_id: str) -> Any:
    def write(kind: str, fields: dict[str, Any], *, record_id: str | None = None) -> None:
        writer.server_write(
            kind, "create", fields, org_id=org_id, record_id=record_id, profile_id=profile_id, actor_id=actor_id
        )

    return write


# --- staff -----------------------------------------------------------------------------------------


def check_staff(session: Session, org_id: str, lines: list[_Line]) -> tuple[list[dict[str, Any]], list[str]]:
    model = KINDS["staff"].model
    seen: dict[str, int] = {}
    plans: list[dict[str, Any]] = []
    errors: list[str] = []
    emails = [line.values.get("email", "").strip().lower() for line in lines]
    taken = (
        {row.email for row in session.execute(select(USER.c.email).where(USER.c.email.in_([e for e in emails if e])))}
        if any(emails)
        else set()
    )
    for line, email in zip(lines, emails, strict=True):
        v = line.values
        problems: list[tuple[str, str]] = []
        role = v.get("role", "").strip().lower() or Role.STAFF.value
        if role not in {r.value for r in Role}:
            problems.append(("role", f"must be staff, lead or admin, not {v.get('role')!r}"))
            role = Role.STAFF.value
        clean, found = model_problems(model, {"name": v.get("name", ""), "email": email, "role": role, "active": True})
        problems += found
        limit = [part.strip() for part in v.get("settings", "").split(";") if part.strip()]
        if clean and limit:
            try:
                clean["setting_ids"] = check_setting_limit(session, org_id, role, limit)
            except AdminError as error:
                problems.append(("settings", str(error)))
        if clean:
            if email in taken:
                problems.append(("email", f"an account with the email {email} already exists"))
            elif email in seen:
                problems.append(("email", f"{email} is also on line {seen[email]}"))
            else:
                seen[email] = line.number
        if problems:
            errors += [f"line {line.number}: {column}: {problem}" for column, problem in problems]
        else:
            plans.append(clean)
    return plans, errors


def import_staff(
    session: Session,
    org_id: str,
    source: str | Path | bytes,
    *,
    settings: Settings,
    actor_id: str = SYSTEM_ACTOR,
    dry_run: bool = False,
) -> ImportResult:
    """Import staff accounts (without passwords: set them with `admin set-password`), all or nothing."""
    lines = read_lines(source, STAFF_COLUMNS, STAFF_REQUIRED)
    plans, errors = check_staff(session, org_id, lines)
    if errors:
        raise ImportFailed(errors)
    result = ImportResult(dry_run=dry_run)
    if dry_run:
        result.created = ["" for _ in plans]
        return result
    writer = RecordWriter(session, server_clock())
    for fields in plans:
        merged = writer.server_write("staff", "create", fields, org_id=org_id, record_id=uuid7(), actor_id=actor_id)
        result.created.append(merged.op.record_id)
    finish_server_writes(writer, settings, actor_id)
    return result
