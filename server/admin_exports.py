"""`python -m server admin register|exclusions|subject-access`: the statutory exports from the command line.

    python -m server admin register --from 2026-09-01 --to 2026-12-31 [--setting ID] --format pdf --out reg.pdf
    python -m server admin exclusions --from 2026-09-01 --to 2026-12-31 --format csv --out census.csv
    python -m server admin subject-access --individual ID --out sar.zip

The rows are `sync.exports`' (the same a lead's device exports); the files are made by
`server.services.exports`. Each export is audited as the operator's (`cli:NAME`, action `export`) before the
file appears; a refused request (a date that is not one, a period that ends before it starts, an unknown
setting or individual, a folder that does not exist) writes nothing. The file is written beside its final
name and moved into place, so a half-written file is never left under that name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlmodel import Session

from server.admin import CommandError, Context, add_command, resolve_individual, say
from server.services import exports
from server.services import organisations as orgs
from sync.exports import ExportError, ListKind, check_period

FORMATS = ("csv", "pdf")


def _date(flag: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"{flag}: {text!r} is not a date (write it as YYYY-MM-DD, e.g. 2026-09-01)") from None


def _period(args: argparse.Namespace) -> tuple[dt.date, dt.date]:
    date_from, date_to = _date("--from", args.date_from), _date("--to", args.date_to)
    try:
        check_period(date_from, date_to)
    except ExportError as error:
        raise CommandError(str(error)) from None
    return date_from, date_to


def _target(out: str, suffix: str) -> Path:
    path = Path(out).expanduser()
    if path.suffix.lower() != suffix:
        raise CommandError(f"--out: name the file with {suffix} at the end (it holds {suffix[1:].upper()})")
    if not path.parent.is_dir():
        raise CommandError(f"--out: there is no folder {str(path.parent)!r}")
    if path.is_dir():
        raise CommandError(f"--out: {str(path)!r} is a folder")
    return path


def _scope(s: Session, args: argparse.Namespace) -> tuple[str, str | None]:
    """(organisation id, setting id or None) from --setting and --org (an only organisation need not be named)."""
    setting_id = None
    if args.setting:
        found = orgs.get_record(s, args.setting.strip())
        if found is None or found[1].kind != "setting" or found[1].deleted:
            raise CommandError(f"no setting with the id {args.setting} (`admin list-orgs` lists them)")
        org_id, setting_id = found[0], found[1].id
        if args.org and orgs.find_organisation(s, args.org)[0] != org_id:
            raise CommandError(f"the setting {args.setting} belongs to another organisation")
        return org_id, setting_id
    if args.org:
        return orgs.find_organisation(s, args.org)[0], None
    known = orgs.list_organisations(s)
    if len(known) != 1:
        raise CommandError(f"this database has {len(known)} organisations: name one with --org")
    return known[0][0], None


def _write(ctx: Context, path: Path, data: bytes, org_id: str, kind: str, **audit: Any) -> None:
    """Write the file beside its final name, audit the export, then move the file into place."""
    handle, temporary = tempfile.mkstemp(prefix=".besmart-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        with ctx.write() as s:
            exports.audit_export(s, org_id, ctx.operator, kind, **audit)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _list(ctx: Context, kind: ListKind) -> None:
    a = ctx.args
    date_from, date_to = _period(a)
    path = _target(a.out, f".{a.format}")
    with ctx.read() as s:
        org_id, setting_id = _scope(s, a)
        data, count = exports.period_list(s, kind, org_id, date_from, date_to, setting_id, a.format)
    detail = {"from": date_from.isoformat(), "to": date_to.isoformat(), "setting": setting_id, "rows": count}
    _write(ctx, path, data, org_id, kind, detail=detail)
    what = "restrictive interventions" if kind == "register" else "suspensions and exclusions"
    say(f"wrote {path} ({count} {what}, {date_from.isoformat()} to {date_to.isoformat()})")


def register_command(ctx: Context) -> None:
    _list(ctx, "register")


def exclusions_command(ctx: Context) -> None:
    _list(ctx, "exclusions")


def subject_access_command(ctx: Context) -> None:
    path = _target(ctx.args.out, ".zip")
    with ctx.read() as s:
        profile_id, org_id, _values = resolve_individual(s, ctx.args.individual)
        data = exports.subject_access(s, org_id, profile_id)
    _write(ctx, path, data, org_id, "subject_access", profile_id=profile_id)
    say(f"wrote {path}: everything held about the individual {profile_id} (a PDF and a CSV per kind of record)")


def add_commands(sub: Any) -> None:
    """Add the export subcommands to `admin`'s."""
    for name, text, handler in (
        ("register", "the restrictive-intervention register (reg 35 fields) for a period", register_command),
        ("exclusions", "suspensions and permanent exclusions in the School Census layout", exclusions_command),
    ):
        p = add_command(sub, name, text, handler)
        p.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="first day (YYYY-MM-DD)")
        p.add_argument("--to", dest="date_to", required=True, metavar="DATE", help="last day, included (YYYY-MM-DD)")
        p.add_argument("--setting", metavar="ID", help="only this setting's individuals (default: every setting)")
        p.add_argument("--org", help="organisation id or name (needed when the database holds several)")
        p.add_argument("--format", required=True, choices=FORMATS, help="csv (one row each) or pdf")
        p.add_argument("--out", required=True, metavar="FILE", help="the file to write (.csv or .pdf)")
    p = add_command(
        sub,
        "subject-access",
        "everything held about one individual, as a ZIP of a PDF and CSVs (a subject access request)",
        subject_access_command,
    )
    p.add_argument("--individual", required=True, metavar="ID", help="the individual's id (`admin list-individuals`)")
    p.add_argument("--out", required=True, metavar="FILE", help="the ZIP file to write")
