"""The statutory exports from the server's database, for the admin command line: the restrictive-intervention
register and the census list of suspensions and exclusions (rows from `sync.exports`, the same as a lead's
device makes them) and a subject access request's ZIP for one individual — every record held about them,
deleted ones too, with each record's history and the audit of who touched it.

Every export is audited as the operator's (`cli:NAME`, action `export`), in its own transaction, before the
caller hands the file over.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from documents import export_file
from server.services import organisations as orgs
from server.services.audit import audit_entry, list_audit, write_audit
from server.services.records import RECORD, SYSTEM_ACTOR, utcnow
from sync.exports import Held, ListKind, Names, list_export, subject_access_export
from sync.merge import RecordState

#: how many audit rows a subject access request reads at most (far more than any child's record has)
_AUDIT_LIMIT = 10_000_000


def names_of(session: Session, org_id: str) -> Names:
    """The organisation's staff, individuals and settings, by id (the server's own writes are "besmart")."""
    staff = {account["id"]: account["name"] for account in orgs.staff_accounts(session, org_id)}
    staff[SYSTEM_ACTOR] = "besmart (server)"
    return Names(
        staff=staff,
        individuals=dict(orgs.individuals_of(session, org_id)),
        settings=dict(orgs.settings_of(session, org_id)),
    )


def _organisation(session: Session, org_id: str) -> str:
    found = orgs.get_record(session, org_id)
    return str(found[1].values().get("name", "")) if found else ""


def period_list(
    session: Session,
    kind: ListKind,
    org_id: str,
    date_from: dt.date,
    date_to: dt.date,
    setting_id: str | None,
    fmt: str,
) -> tuple[bytes, int]:
    """The register or the census list (`kind`) as CSV or PDF bytes, and how many rows it holds."""
    incidents = [Held(s.id, s.profile_id, s.values()) for _org, s in orgs.live_states(session, "incident", org_id)]
    names = names_of(session, org_id)
    organisation = _organisation(session, org_id)
    export = list_export(kind, incidents, names, date_from, date_to, setting_id, organisation=organisation)
    assert export.table is not None
    return export_file(export, fmt), len(export.table.rows)


def subject_access(session: Session, org_id: str, profile_id: str) -> bytes:
    """Everything the organisation holds about one individual as a ZIP: `subject-access.pdf` and one CSV per
    kind of record, `history.csv` and `audit.csv`."""
    rows = session.execute(
        select(RECORD.c.state).where(RECORD.c.org_id == org_id, RECORD.c.profile_id == profile_id)
    ).scalars()
    states = [RecordState.model_validate_json(state) for state in rows]
    audit = list_audit(session, org_id, profile_id=profile_id, limit=_AUDIT_LIMIT)
    names = names_of(session, org_id)
    export = subject_access_export(profile_id, states, audit, names, organisation=_organisation(session, org_id))
    return export_file(export, "zip")


def audit_export(
    session: Session,
    org_id: str,
    operator: str,
    kind: str,
    *,
    profile_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record that the operator exported something (action `export`; `kind` says what)."""
    write_audit(session, [audit_entry(utcnow(), org_id, operator, None, "export", kind, None, profile_id, detail)])
