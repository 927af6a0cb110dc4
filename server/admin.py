"""`python -m server admin ...`: organisation administration from the command line.

    python -m server admin create-org --name "Oak Academy" --prefix oak
    python -m server admin create-user --org "Oak Academy" --email ann@oak.example --name "Ann Lee" --role lead
    python -m server admin import-staff --org "Oak Academy" staff.csv
    python -m server admin import-individuals --org "Oak Academy" pupils.csv
    python -m server admin grant --email sam@oak.example --group "Year 8"
    python -m server admin behaviours defaults --org "Oak Academy"
    python -m server admin devices lost 3f2a9c...
    python -m server admin feedback resolve --id 01f... --note "Lexicon entry corrected"
    python -m server admin register --from 2026-09-01 --to 2026-12-31 --format pdf --out register.pdf
    python -m server admin legal-hold --individual 01a2... --reason "Insurance claim"
    python -m server admin retention list
    python -m server admin retention destroy --individual 01a2... --confirm

The statutory exports (register, exclusions, subject-access) are in `server.admin_exports`.

Every subcommand takes `--db URL` (default: the SQLite file in the server home) and writes through the
service calls of `server.services.organisations`, so what it changes syncs to devices like anything else.
Every write is audited as the operator's: `--operator NAME` (default: the OS user running the command),
recorded as "cli:NAME".
Organisations are named by id or by name; staff by email; individuals by id (`list-individuals` shows them).
A refused request prints `error: ...` on stderr and exits with status 2, having changed nothing.
The commands and the CSV columns are documented in docs/admin.md.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlmodel import Session

from server.cli import command, settings_from
from server.core.config import Settings
from server.core.security import MIN_PASSWORD_LENGTH
from server.csv_import import ImportFailed, import_individuals, import_staff, model_problems
from server.db import Database
from server.errors import ServerSideError
from server.services import accounts, retention
from server.services import assistant as ai
from server.services import feedback as fb
from server.services import organisations as orgs
from server.services.audit import OPERATOR_MAX_LENGTH, set_operator
from server.services.clock import server_clock
from server.services.records import utcnow
from sync.ids import uuid7
from sync.records import KINDS, BehaviourLevel, FeedbackStatus, Role, SettingType, Valence

#: how an operator at the command line is named in the audit log: "cli:ann"
OPERATOR_PREFIX = "cli:"


class CommandError(ServerSideError):
    """A request the command refuses; printed as `error: <message>` with exit status 2."""


# --- looking things up -----------------------------------------------------------------------------


def resolve_user(session: Session, email: str) -> dict[str, Any]:
    user = orgs.find_user(session, email)
    if user is None:
        raise CommandError(f"no account with the email {email}")
    return user


def resolve_individual(session: Session, ref: str) -> tuple[str, str, dict[str, Any]]:
    """An individual by id: (id, organisation id, values)."""
    found = orgs.get_record(session, ref.strip())
    if found is None or found[1].kind != "individual" or found[1].deleted:
        raise CommandError(f"no individual with the id {ref} (`admin list-individuals --org ...` lists them)")
    return found[1].id, found[0], found[1].values()


def _person_name(values: dict[str, Any]) -> str:
    preferred = values.get("preferred_name")
    first = values.get("first_name", "")
    shown = f"{first} ({preferred})" if preferred and preferred != first else first
    return f"{shown} {values.get('last_name', '')}".strip()


# --- running a command -----------------------------------------------------------------------------


def operator_name(given: str | None) -> str:
    """How the audit log names the person at the command line: "cli:<name>", the name from --operator or
    else the OS account running the command."""
    name = given
    if name is None:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no login name in the environment and no password-database entry
            name = "unknown"
    name = name.strip()
    if not name or len(OPERATOR_PREFIX) + len(name) > OPERATOR_MAX_LENGTH:
        raise CommandError(f"--operator needs a name of 1 to {OPERATOR_MAX_LENGTH - len(OPERATOR_PREFIX)} characters")
    return OPERATOR_PREFIX + name


class Context:
    """What a subcommand works with: its arguments, the settings, the (migrated) database and the operator
    its writes are audited as."""

    def __init__(self, args: argparse.Namespace, operator: str) -> None:
        self.args = args
        self.operator = operator
        self.settings: Settings = settings_from(args)
        self.db = Database(self.settings.url, pool_size=2)
        self.db.upgrade()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction; every write made in it is audited as the operator's."""
        with self.db.session() as session:
            set_operator(session, self.operator)
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.db.read_session() as session:
            yield session

    def close(self) -> None:
        self.db.dispose()


Handler = Callable[[Context], None]


def say(*lines: str) -> None:
    """Print a command's answer, a line each (stdout; refusals go to stderr as CommandError)."""
    for line in lines:
        print(line)


def _table(rows: list[list[str]], header: list[str]) -> None:
    if not rows:
        return
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _password(args: argparse.Namespace, *, allow_none: bool) -> str | None:
    """The password from --password, --password-stdin or a prompt; None with --no-password."""
    if getattr(args, "no_password", False):
        return None
    if args.password is not None:
        password = args.password
    elif args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandError("the two passwords differ")
    else:
        extra = ", or --no-password" if allow_none else ""
        raise CommandError(f"no password given: use --password-stdin (or --password P{extra})")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CommandError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _check_record(kind: str, values: dict[str, Any]) -> None:
    """Refuse values a record of `kind` cannot hold, with the field named (before anything is written)."""
    _clean, problems = model_problems(KINDS[kind].model, values)
    if problems:
        raise CommandError("; ".join(f"{name}: {problem}" for name, problem in problems))


# --- organisations, settings, users ------------------------------------------------------------------


def create_org(ctx: Context) -> None:
    a = ctx.args
    org_fields = {
        "name": a.name,
        "incident_prefix": a.prefix,
        "help_email": a.help_email,
        "help_phone": a.help_phone or "",
    }
    _check_record("organisation", org_fields)
    with ctx.write() as s:
        taken = [org_id for org_id, name in orgs.list_organisations(s) if name.casefold() == a.name.strip().casefold()]
        if taken:
            raise CommandError(f"an organisation called {a.name!r} already exists (id {taken[0]})")
        org_id = orgs.create_organisation(
            s,
            a.name.strip(),
            incident_prefix=a.prefix,
            help_email=a.help_email,
            help_phone=a.help_phone or "",
            settings=ctx.settings,
        )
        if not a.no_behaviours:
            orgs.add_default_behaviours(s, org_id)
    say(f"created organisation {a.name.strip()!r} (id {org_id}); incident references: {a.prefix}-10001, ...")
    if not a.no_behaviours:
        say(f"added the {len(orgs.DEFAULT_BEHAVIOURS)} default clicker behaviours (`admin behaviours list`)")


def list_orgs(ctx: Context) -> None:
    with ctx.read() as s:
        rows = []
        for org_id, name in orgs.list_organisations(s):
            settings = ", ".join(f"{v.get('name')} ({v.get('setting_type')})" for _id, v in orgs.settings_of(s, org_id))
            rows.append([org_id, name, settings or "-"])
    if not rows:
        say("no organisations yet: create one with `admin create-org --name ...`")
    _table(rows, ["id", "name", "settings"])


def parent_email(ctx: Context) -> None:
    a = ctx.args
    allowed = a.state == "on"
    with ctx.write() as s:
        org_id, org_name = orgs.find_organisation(s, a.org)
        orgs.set_parent_report_email(s, org_id, allowed)
    if allowed:
        say(f"{org_name}: the written report to parents can be emailed from the app (through this server's SMTP)")
    else:
        say(f"{org_name}: the written report to parents is not emailed by the server")


def create_setting(ctx: Context) -> None:
    a = ctx.args
    _check_record("setting", {"name": a.name, "setting_type": a.type})
    with ctx.write() as s:
        org_id, org_name = orgs.find_organisation(s, a.org)
        for setting_id, values in orgs.settings_of(s, org_id):
            if str(values.get("name", "")).casefold() == a.name.strip().casefold():
                raise CommandError(f"{org_name} already has a setting called {a.name!r} (id {setting_id})")
        setting_id = orgs.create_setting(s, org_id, a.name.strip(), a.type)
    say(f"created setting {a.name.strip()!r} ({a.type}) in {org_name} (id {setting_id})")


def create_user(ctx: Context) -> None:
    a = ctx.args
    email = a.email.strip().lower()
    _check_record("staff", {"name": a.name, "email": email, "role": a.role})
    password = _password(a, allow_none=True)
    with ctx.write() as s:
        org_id, org_name = orgs.find_organisation(s, a.org)
        if orgs.find_user(s, email) is not None:
            raise CommandError(f"an account with the email {email} already exists")
        user_id = orgs.create_user(
            s, org_id, a.name.strip(), email, password, role=a.role, settings=ctx.settings, setting_ids=a.setting
        )
        sees = _sees(s, org_id, a.role, orgs.setting_limit(s, user_id))
    say(f"created {a.role} {a.name.strip()} <{email}> in {org_name} (id {user_id}); sees {sees}")
    if password is None:
        say(f"they cannot sign in until a password is set: admin set-password --email {email}")


def update_user(ctx: Context) -> None:
    a = ctx.args
    changes: dict[str, Any] = {}
    if a.name is not None:
        changes["name"] = a.name.strip()
    if a.new_email is not None:
        changes["email"] = a.new_email.strip().lower()
    if a.role is not None:
        changes["role"] = a.role
    if a.active is not None:
        changes["active"] = a.active
    if a.all_settings and a.setting:
        raise CommandError("give either --setting or --all-settings, not both")
    limit = [] if a.all_settings else a.setting
    if not changes and limit is None:
        raise CommandError(
            "nothing to change: give --name, --new-email, --role, --setting, --all-settings, --deactivate"
            " or --reactivate"
        )
    with ctx.write() as s:
        user = resolve_user(s, a.email)
        _check_record("staff", {"name": user["name"], "email": user["email"], **changes})
        if "email" in changes and changes["email"] != user["email"] and orgs.find_user(s, changes["email"]):
            raise CommandError(f"an account with the email {changes['email']} already exists")
        orgs.update_user(s, user["id"], setting_ids=limit, **changes)
        role = changes.get("role", user["role"])
        sees = _sees(s, user["org_id"], role, orgs.setting_limit(s, user["id"]))
    described = ", ".join(f"{k}={v}" for k, v in changes.items())
    say(f"updated {user['email']}: {', '.join(p for p in (described, f'sees {sees}') if p)}")
    if changes.get("active") is False:
        say("their devices are wiped at their next contact with the server")


def set_password(ctx: Context) -> None:
    password = _password(ctx.args, allow_none=False)
    assert password is not None
    with ctx.write() as s:
        user = resolve_user(s, ctx.args.email)
        orgs.set_password(s, user["id"], password, settings=ctx.settings)
    say(f"password set for {user['email']}; their open sessions have ended")


def _sees(s: Session, org_id: str, role: str, limit: list[str]) -> str:
    """Whom a user reaches, in words: the settings a lead is limited to, or how their role reaches."""
    if role == Role.STAFF:
        return "the individuals they are granted access to"
    if role == Role.LEAD and limit:
        names = {setting_id: str(v.get("name", setting_id)) for setting_id, v in orgs.settings_of(s, org_id)}
        return ", ".join(names.get(setting_id, setting_id) for setting_id in limit)
    return "the whole organisation"


def list_users(ctx: Context) -> None:
    with ctx.read() as s:
        org_id, _name = orgs.find_organisation(s, ctx.args.org)
        table = [
            [
                u["id"],
                u["name"],
                u["email"],
                u["role"],
                "active" if u["active"] else "deactivated",
                "yes" if u["password_set"] else "no",
                _sees(s, org_id, u["role"], orgs.setting_limit(s, u["id"]) if u["role"] == Role.LEAD else []),
            ]
            for u in orgs.staff_accounts(s, org_id)
        ]
    if not table:
        say("no staff yet")
    _table(table, ["id", "name", "email", "role", "status", "password set", "sees"])


# --- individuals and CSV imports --------------------------------------------------------------------


def _report_import(kind: str, result: Any, org_name: str) -> None:
    count = len(result.created)
    if result.dry_run:
        say(f"the file is valid: {count} {kind} would be imported into {org_name} (dry run: nothing written)")
        return
    say(f"imported {count} {kind} into {org_name}")
    if kind == "individuals":
        say(
            f"with {result.contacts} key contacts, {result.grants} access grants and {result.key_staff} key staff links"
        )
    else:
        say("they cannot sign in until a password is set: admin set-password --email ...")


def _import(ctx: Context, kind: str, run: Callable[..., Any]) -> None:
    a = ctx.args
    path = Path(a.file)
    try:
        with ctx.write() as s:
            org_id, org_name = orgs.find_organisation(s, a.org)
            result = run(s, org_id, path, settings=ctx.settings, dry_run=a.dry_run)
    except ImportFailed as failed:
        lines = "\n".join(f"  {error}" for error in failed.errors)
        count = len(failed.errors)
        raise CommandError(
            f"{path}: nothing was imported ({count} problem{'s' if count != 1 else ''}):\n{lines}"
        ) from None
    _report_import(kind, result, org_name)


def import_individuals_command(ctx: Context) -> None:
    _import(ctx, "individuals", import_individuals)


def import_staff_command(ctx: Context) -> None:
    _import(ctx, "staff", import_staff)


def list_individuals(ctx: Context) -> None:
    with ctx.read() as s:
        org_id, _name = orgs.find_organisation(s, ctx.args.org)
        people = orgs.individuals_of(s, org_id, ctx.args.group)
    rows = []
    for pid, v in people:
        flags = ",".join(f for f, key in (("SEND", "send"), ("EHC", "ehc_plan"), ("LAC", "looked_after")) if v.get(key))
        rows.append([pid, _person_name(v), str(v.get("group", "")), str(v.get("date_of_birth") or ""), flags])
    if not rows:
        say("no individuals" + (f" in the group {ctx.args.group!r}" if ctx.args.group else ""))
    _table(rows, ["id", "name", "group", "born", "flags"])


# --- access and key staff -----------------------------------------------------------------------------


def _targets(s: Session, args: argparse.Namespace, user: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The individuals named by --individual and --group (groups within the user's organisation)."""
    chosen: dict[str, dict[str, Any]] = {}
    for ref in args.individual or []:
        pid, org_id, values = resolve_individual(s, ref)
        if org_id != user["org_id"]:
            raise CommandError(f"{user['email']} and the individual {pid} belong to different organisations")
        chosen[pid] = values
    for group in args.group or []:
        people = orgs.individuals_of(s, user["org_id"], group)
        if not people:
            raise CommandError(f"no individuals in the group {group!r}")
        chosen.update(people)
    if not chosen:
        raise CommandError("name the individuals: --individual ID (repeatable) and/or --group NAME")
    return list(chosen.items())


def grant(ctx: Context) -> None:
    with ctx.write() as s:
        user = resolve_user(s, ctx.args.email)
        targets = _targets(s, ctx.args, user)
        for pid, _values in targets:
            orgs.grant_access(s, pid, user["id"])
        limit = orgs.setting_limit(s, user["id"]) if user["role"] == Role.LEAD else []
    names = ", ".join(_person_name(v) for _pid, v in targets[:10]) + (" ..." if len(targets) > 10 else "")
    say(f"{user['email']} may now see and record for {len(targets)} individual(s): {names}")
    if user["role"] != Role.STAFF and not limit:
        say(f"(as a {user['role']} they already reached every individual of the organisation)")


def revoke(ctx: Context) -> None:
    with ctx.write() as s:
        user = resolve_user(s, ctx.args.email)
        targets = _targets(s, ctx.args, user)
        removed = sum(orgs.revoke_access(s, pid, user["id"]) for pid, _v in targets)
        limit = orgs.setting_limit(s, user["id"]) if user["role"] == Role.LEAD else []
    say(f"removed {removed} access grant(s) of {user['email']}; their devices drop those records at the next sync")
    if user["role"] != Role.STAFF and not limit:
        say(f"(as a {user['role']} they still reach every individual of the organisation)")


def key_staff(ctx: Context) -> None:
    a = ctx.args
    if not a.email and not a.none:
        raise CommandError("name the key staff with --email (repeatable), or --none to clear them")
    with ctx.write() as s:
        pid, org_id, values = resolve_individual(s, a.individual)
        users = [resolve_user(s, email) for email in a.email or []]
        for user in users:
            if user["org_id"] != org_id:
                raise CommandError(f"{user['email']} belongs to another organisation")
        orgs.set_key_staff(s, pid, [u["id"] for u in users])
        # Key staff are told of the individual's records, so they must be able to open them.
        granted = [u for u in users if u["role"] == Role.STAFF]
        for user in granted:
            orgs.grant_access(s, pid, user["id"])
    who = ", ".join(u["email"] for u in users) or "nobody"
    say(f"key staff of {_person_name(values)}: {who}")
    if granted:
        say("staff among them were given access to the individual (if they did not have it)")


# --- the behaviour catalogue ---------------------------------------------------------------------------


def behaviours_list(ctx: Context) -> None:
    with ctx.read() as s:
        org_id, org_name = orgs.find_organisation(s, ctx.args.org)
        found = orgs.behaviour_types(s, org_id)
    rows = [
        [
            bid,
            str(v.get("label")),
            str(v.get("valence")),
            str(v.get("level")),
            str(v.get("colour")),
            ", ".join(v.get("setting_types") or []) or "all",
            "active" if v.get("active", True) else "disabled",
        ]
        for bid, v in found
        if ctx.args.all or v.get("active", True)
    ]
    if not rows:
        say(f"{org_name} has no clicker behaviours yet: `admin behaviours defaults --org ...` adds a starter set")
    _table(rows, ["id", "label", "valence", "level", "colour", "settings", "status"])


def behaviours_add(ctx: Context) -> None:
    a = ctx.args
    fields: dict[str, Any] = {"level": a.level, "active": True}
    if a.colour:
        fields["colour"] = a.colour
    if a.icon is not None:
        fields["icon"] = a.icon
    if a.setting_type:
        fields["setting_types"] = sorted(set(a.setting_type))
    _check_record("behaviour_type", {"label": a.label, "valence": a.valence, **fields, "sort_order": a.sort or 0})
    with ctx.write() as s:
        org_id, org_name = orgs.find_organisation(s, a.org)
        existing = {str(v.get("label", "")).casefold(): bid for bid, v in orgs.behaviour_types(s, org_id)}
        if a.sort is not None:
            fields["sort_order"] = a.sort
        elif a.label.strip().casefold() not in existing:
            top = max((int(v.get("sort_order", 0)) for _b, v in orgs.behaviour_types(s, org_id)), default=0)
            fields["sort_order"] = min(10_000, top + 10)
        # The live behaviour with this label, or a new record (upsert by label alone would find a deleted one).
        record_id = existing.get(a.label.strip().casefold()) or uuid7()
        bid = orgs.upsert_behaviour_type(s, org_id, a.label.strip(), a.valence, record_id=record_id, **fields)
    verb = "updated" if a.label.strip().casefold() in existing else "added"
    say(f"{verb} {a.label.strip()!r} ({a.valence}, {a.level}) in {org_name} (id {bid})")


def _set_behaviour_active(ctx: Context, active: bool) -> None:
    a = ctx.args
    with ctx.write() as s:
        org_id, _org_name = orgs.find_organisation(s, a.org)
        found = orgs.behaviour_types(s, org_id)
        match = [
            (bid, v)
            for bid, v in found
            if bid == a.behaviour or str(v.get("label", "")).casefold() == a.behaviour.casefold()
        ]
        if not match:
            labels = ", ".join(repr(v.get("label")) for _b, v in found) or "none"
            raise CommandError(f"no behaviour {a.behaviour!r} (behaviours: {labels})")
        bid, values = match[0]
        orgs.write_record(s, org_id, "behaviour_type", "update", {"active": active}, record_id=bid)
    say(f"{'enabled' if active else 'disabled'} {values.get('label')!r}" + ("" if active else " (past taps are kept)"))


def behaviours_disable(ctx: Context) -> None:
    _set_behaviour_active(ctx, False)


def behaviours_enable(ctx: Context) -> None:
    _set_behaviour_active(ctx, True)


def behaviours_defaults(ctx: Context) -> None:
    with ctx.write() as s:
        org_id, org_name = orgs.find_organisation(s, ctx.args.org)
        added, kept = orgs.add_default_behaviours(s, org_id)
    say(f"added {added} default behaviour(s) to {org_name}; {kept} were already there")


# --- devices ---------------------------------------------------------------------------------------------


def devices_list(ctx: Context) -> None:
    a = ctx.args
    with ctx.read() as s:
        user_id = resolve_user(s, a.email)["id"] if a.email else None
        org_id = orgs.find_organisation(s, a.org)[0] if a.org else None
        found = accounts.list_devices(s, user_id=user_id, org_id=org_id)
    rows = [
        [
            str(d["id"]),
            str(d["email"]),
            str(d["name"] or "-"),
            str(d["status"]),
            f"{d['last_seen_at']:%Y-%m-%d %H:%M}" if d["last_seen_at"] else "-",
        ]
        for d in found
    ]
    if not rows:
        say("no devices registered")
    _table(rows, ["id", "user", "name", "status", "last seen (UTC)"])


def _mark(ctx: Context, status: str) -> None:
    with ctx.write() as s:
        try:
            accounts.mark_device(s, ctx.args.device_id, status, actor_id=ctx.operator)
        except LookupError:
            raise CommandError(f"no device {ctx.args.device_id} (`admin devices list` shows them)") from None
    if status == "active":
        say(f"device {ctx.args.device_id} is active again")
    else:
        say(f"device {ctx.args.device_id} marked {status}: it will be wiped (data and keys) at its next contact")


# --- reports of a problem with an output -------------------------------------------------------------


def _staff_name(s: Session, staff_id: object) -> str:
    found = orgs.get_record(s, str(staff_id)) if staff_id else None
    if found is None or found[1].kind != "staff":
        return str(staff_id or "-")
    values = found[1].values()
    return f"{values.get('name')} <{values.get('email')}>"


def _indented(label: str, text: object) -> list[str]:
    lines = str(text or "").splitlines() or [""]
    return [f"  {label}: {lines[0]}", *(f"    {line}" for line in lines[1:])]


def feedback_list(ctx: Context) -> None:
    a = ctx.args
    # A write session: every report shown is audited as a view by the operator (the output may quote a child).
    with ctx.write() as s:
        org_id = orgs.find_organisation(s, a.org)[0] if a.org else None
        reports = fb.list_feedback(s, org_id=org_id, status=a.status)
        blocks = []
        for r in reports:
            v = r.values
            about = " ".join(str(v[k]) for k in ("record_kind", "record_id") if v.get(k))
            if v.get("profile_id"):
                about += f" (individual {v['profile_id']})"
            lines = [
                f"{r.id}  {v.get('status')}  {v.get('tool')}  {str(v.get('created_at', ''))[:16]}  "
                f"{_staff_name(s, v.get('author_id'))}" + (f"  about: {about.strip()}" if about else ""),
                *_indented("note", v.get("note")),
                *_indented("output", v.get("output")),
            ]
            if not r.open:
                lines += _indented(
                    f"resolved by {_staff_name(s, v.get('resolved_by'))} at {str(v.get('resolved_at', ''))[:16]}",
                    v.get("resolution"),
                )
            blocks.append("\n".join(lines))
    if not blocks:
        say("no reports" + (f" {a.status}" if a.status else ""))
    say(*blocks)


def feedback_resolve(ctx: Context) -> None:
    with ctx.write() as s:
        report = fb.resolve_feedback(s, ctx.args.id, ctx.args.note, resolved_by=ctx.operator)
    say(f"resolved report {report.id} ({report.values.get('tool')}) as {ctx.operator}")


# --- the parser -----------------------------------------------------------------------------------------


def _db(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a --db (or --operator) given before the subcommand is not overwritten by the subcommand's default.
    parser.add_argument(
        "--db", dest="database_url", default=argparse.SUPPRESS, help="database URL (default: SQLite in the server home)"
    )
    parser.add_argument(
        "--operator",
        default=argparse.SUPPRESS,
        help="who is running the command, as the audit log names them (cli:NAME; default: your OS user name)",
    )


def add_command(sub: Any, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
    """A subcommand of `admin` with the `--db` option every command takes, run by `handler`."""
    parser = sub.add_parser(name, help=help_text, description=help_text)
    _db(parser)
    parser.set_defaults(admin_handler=handler)
    return parser


def _password_options(parser: argparse.ArgumentParser, *, allow_none: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password", help="the password (visible to other users of this machine: prefer the next)")
    group.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    if allow_none:
        group.add_argument("--no-password", action="store_true", help="no password yet (cannot sign in until set)")
    parser.epilog = "Without a password option, the password is asked for (twice) when run in a terminal."


def _who(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True, help="the staff member's email")
    parser.add_argument("--individual", action="append", metavar="ID", help="an individual's id (repeatable)")
    parser.add_argument(
        "--group", action="append", metavar="NAME", help="every individual in this group, e.g. 'Year 8' (repeatable)"
    )


def arguments(parser: argparse.ArgumentParser) -> None:
    _db(parser)
    parser.set_defaults(database_url=None, operator=None)
    sub = parser.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")

    p = add_command(sub, "create-org", "create an organisation (with the default clicker behaviours)", create_org)
    p.add_argument("--name", required=True)
    p.add_argument("--prefix", default="besmart", help="incident reference prefix (default besmart: besmart-10001)")
    p.add_argument("--help-email", help="where staff ask for help")
    p.add_argument("--help-phone")
    p.add_argument("--no-behaviours", action="store_true", help="start with an empty clicker catalogue")

    add_command(sub, "list-orgs", "list the organisations and their settings", list_orgs)

    about = "allow or stop emailing the written report to parents (off by default)"
    p = add_command(sub, "parent-email", about, parent_email)
    p.add_argument("--org", required=True, help="organisation id or name")
    p.add_argument("state", choices=["on", "off"])

    p = add_command(sub, "create-setting", "add a school, alternative provision or children's home", create_setting)
    p.add_argument("--org", required=True, help="organisation id or name")
    p.add_argument("--name", required=True)
    p.add_argument("--type", required=True, choices=[t.value for t in SettingType])

    roles = [r.value for r in Role]
    p = add_command(sub, "create-user", "create a staff account with a role", create_user)
    p.add_argument("--org", required=True, help="organisation id or name")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="staff", choices=roles)
    p.add_argument(
        "--setting",
        action="append",
        metavar="SETTING",
        help="limit a lead to this setting's individuals (name or id; repeat for more; default: every setting)",
    )
    _password_options(p, allow_none=True)

    p = add_command(
        sub, "update-user", "change a staff member's name, email or role, or (de)activate them", update_user
    )
    p.add_argument("--email", required=True, help="their current email")
    p.add_argument("--name")
    p.add_argument("--new-email")
    p.add_argument("--role", choices=roles)
    p.add_argument(
        "--setting",
        action="append",
        metavar="SETTING",
        help="limit a lead to these settings' individuals (name or id; repeat for more); replaces their limit",
    )
    p.add_argument("--all-settings", action="store_true", help="a lead sees every setting again")
    active = p.add_mutually_exclusive_group()
    active.add_argument("--deactivate", dest="active", action="store_false", default=None)
    active.add_argument("--reactivate", dest="active", action="store_true", default=None)

    p = add_command(sub, "set-password", "set a staff member's password (their sessions end)", set_password)
    p.add_argument("--email", required=True)
    _password_options(p, allow_none=False)

    p = add_command(sub, "list-users", "list an organisation's staff", list_users)
    p.add_argument("--org", required=True, help="organisation id or name")

    for name, kind, handler in (
        ("import-individuals", "individuals", import_individuals_command),
        ("import-staff", "staff", import_staff_command),
    ):
        p = add_command(sub, name, f"import {kind} from a CSV file (all lines or none; see docs/admin.md)", handler)
        p.add_argument("--org", required=True, help="organisation id or name")
        p.add_argument("file", help="the CSV file (UTF-8, header line first)")
        p.add_argument("--dry-run", action="store_true", help="check the file only")

    p = add_command(sub, "list-individuals", "list an organisation's individuals (with their ids)", list_individuals)
    p.add_argument("--org", required=True, help="organisation id or name")
    p.add_argument("--group", help="only this group")

    _who(add_command(sub, "grant", "let a staff member see and record for individuals", grant))
    _who(add_command(sub, "revoke", "take a staff member's access to individuals away", revoke))

    p = add_command(sub, "key-staff", "set exactly who an individual's key staff are", key_staff)
    p.add_argument("--individual", required=True, metavar="ID")
    p.add_argument("--email", action="append", help="a key staff member's email (repeatable)")
    p.add_argument("--none", action="store_true", help="remove all key staff")

    beh = sub.add_parser("behaviours", help="the Behaviour Clicker catalogue").add_subparsers(
        dest="behaviours_command", required=True, metavar="ACTION"
    )
    p = add_command(beh, "list", "list the clicker behaviours", behaviours_list)
    p.add_argument("--org", required=True)
    p.add_argument("--all", action="store_true", help="include disabled behaviours")
    p = add_command(beh, "add", "add a behaviour (or update the one with this label)", behaviours_add)
    p.add_argument("--org", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--valence", required=True, choices=[v.value for v in Valence])
    p.add_argument("--level", default="low", choices=[lv.value for lv in BehaviourLevel])
    p.add_argument("--colour", help="#rrggbb (dark enough for white text)")
    p.add_argument("--icon")
    p.add_argument("--sort", type=int, help="position (lower first)")
    p.add_argument(
        "--setting-type",
        action="append",
        choices=[t.value for t in SettingType],
        help="offer it only to individuals at this kind of setting (repeat for several; default: every setting)",
    )
    for name, text, handler in (
        ("disable", "hide a behaviour from the clicker (its past taps are kept)", behaviours_disable),
        ("enable", "show a disabled behaviour again", behaviours_enable),
    ):
        p = add_command(beh, name, text, handler)
        p.add_argument("--org", required=True)
        p.add_argument("behaviour", help="its label or id")
    p = add_command(
        beh, "defaults", "add the default behaviours the organisation does not have yet", behaviours_defaults
    )
    p.add_argument("--org", required=True)

    p = add_command(
        sub, "assistant-log", "the AI assistant's log of an organisation (pseudonymised, newest first)", assistant_log
    )
    p.add_argument("--org", required=True, help="organisation id or name")
    p.add_argument("--limit", type=int, default=100, help="how many entries (default 100)")
    add_command(
        sub, "assistant-purge", "delete AI assistant log entries older than BESMART_ASSISTANT_LOG_DAYS", assistant_purge
    )

    fdb = sub.add_parser("feedback", help="reports of a problem with a tool's output").add_subparsers(
        dest="feedback_command", required=True, metavar="ACTION"
    )
    p = add_command(fdb, "list", "list the reports (open first), with their output and note", feedback_list)
    p.add_argument("--org", help="only this organisation (id or name)")
    p.add_argument("--status", choices=[s.value for s in FeedbackStatus], help="only open or only resolved reports")
    p = add_command(fdb, "resolve", "resolve a report, saying what was done", feedback_resolve)
    p.add_argument("--id", required=True, help="the report's id (`feedback list` shows it)")
    p.add_argument("--note", required=True, help="what was done about it")
    # The statutory exports live in their own module (it imports this one's helpers, hence here).
    from server.admin_exports import add_commands as export_commands

    export_commands(sub)
    p = add_command(sub, "legal-hold", "put an individual's records on legal hold (or lift it)", legal_hold)
    p.add_argument("--individual", required=True, metavar="ID")
    p.add_argument("--reason", help="why (required to set the hold)")
    p.add_argument("--lift", action="store_true", help="lift the hold")

    ret = sub.add_parser("retention", help="records past their retention period").add_subparsers(
        dest="retention_command", required=True, metavar="ACTION"
    )
    p = add_command(ret, "list", "list the individuals whose records are past retention, for review", retention_list)
    p.add_argument("--org", help="only this organisation (id or name)")
    p = add_command(
        ret, "destroy", "destroy one individual's records past retention (audited; not on hold)", retention_destroy
    )
    p.add_argument("--individual", required=True, metavar="ID")
    p.add_argument("--confirm", action="store_true", help="yes, destroy them (it cannot be undone)")

    dev = sub.add_parser("devices", help="registered devices").add_subparsers(
        dest="devices_command", required=True, metavar="ACTION"
    )
    p = add_command(dev, "list", "list devices (of one user, one organisation, or all)", devices_list)
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--email")
    scope.add_argument("--org")
    for status, name, text in (
        ("revoked", "revoke", "revoke a device: wiped at its next contact, cannot sign in again"),
        ("lost", "lost", "report a device lost: wiped (data and keys) at its next contact"),
        ("active", "activate", "make a revoked or lost device active again"),
    ):
        p = add_command(dev, name, text, functools.partial(_mark, status=status))
        p.add_argument("device_id")


def assistant_log(ctx: Context) -> None:
    with ctx.read() as s:
        org_id = orgs.find_organisation(s, ctx.args.org)[0]
        rows = ai.list_log(s, org_id, limit=ctx.args.limit)
    say(*(ai.log_json(row) for row in rows))


def assistant_purge(ctx: Context) -> None:
    with ctx.write() as s:
        gone = ai.purge_log(s, ctx.settings, utcnow())
    say(f"purged {gone} assistant log entries older than {ctx.settings.assistant_log_days} days")


def legal_hold(ctx: Context) -> None:
    a = ctx.args
    reason = (a.reason or "").strip()
    if a.lift == bool(reason):
        raise CommandError("give the reason for the hold (--reason TEXT), or --lift to lift it")
    with ctx.write() as s:
        profile, _org_id, _values = resolve_individual(s, a.individual)
        orgs.update_individual(
            s, profile, legal_hold=not a.lift, legal_hold_reason=reason, legal_hold_at=utcnow().isoformat()
        )
    say(f"legal hold {'lifted' if a.lift else 'set'} on individual {profile}")


def retention_list(ctx: Context) -> None:
    with ctx.read() as s:
        org_id = orgs.find_organisation(s, ctx.args.org)[0] if ctx.args.org else None
        due = retention.due_for_review(s, utcnow().date(), org_id)
    say(*(retention.due_line(d) for d in due))
    if not due:
        say("no individual's records are past their retention period")


def retention_destroy(ctx: Context) -> None:
    if not ctx.args.confirm:
        raise CommandError("destroying an individual's records cannot be undone: add --confirm")
    with ctx.write() as s:
        try:
            due = retention.destroy(s, server_clock(), ctx.args.individual.strip(), utcnow().date())
        except retention.RetentionError as error:
            raise CommandError(str(error)) from None
    count = sum(due.records.values())
    say(f"destroyed {count} records of individual {due.individual_id} (kept until {due.until}); audited")


@command("admin", "organisation administration (see `admin --help`)", arguments)
def admin(args: argparse.Namespace) -> int:
    try:
        operator = operator_name(args.operator)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        ctx = Context(args, operator)
    except Exception as error:  # a bad URL or an unreachable database
        print(f"error: cannot open the database: {error}", file=sys.stderr)
        return 2
    try:
        args.admin_handler(ctx)
    except (CommandError, orgs.AdminError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        ctx.close()
    return 0
