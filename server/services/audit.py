"""The audit log: who read or wrote which record (above all, a child's), when, and from which device.

Writes are audited as they are merged (`RecordWriter.audit`), reads where a person makes them: a single
record opened (`view`), the quarantine list (`view` per item shown). A sync is what a device does, not a
person reading each record: one `sync` row per pull page that sent anything, its `detail` holding the
counts, the cursor range and the individuals whose records it carried (so "who has had Kim's records" is
still answerable) — not one row per record, which made an initial sync of a large organisation write
millions of rows. Rows are written with the rest of the transaction, so an audited read and the read
itself commit together.

A write an administrator makes outside the app (the admin command line, a CSV import) is made by the server
(its ops carry the server as their actor) but audited as the operator's: `set_operator(session, "cli:ann")`
names them for every write of that transaction, and `actor_id` in those rows is the operator's name.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from server.models import AuditLog

AUDIT = AuditLog.__table__


#: the key of `Session.info` that names the operator of a transaction's admin writes
_OPERATOR = "besmart.audit.operator"
#: an operator's name is stored in `audit_log.actor_id`
OPERATOR_MAX_LENGTH = 64


def set_operator(session: Session, operator: str) -> None:
    """Name the person behind every admin write of this session's transaction (e.g. "cli:ann"): each one
    is audited as theirs."""
    if not operator.strip() or len(operator) > OPERATOR_MAX_LENGTH:
        raise ValueError(f"an operator is named in 1 to {OPERATOR_MAX_LENGTH} characters")
    session.info[_OPERATOR] = operator


def operator_of(session: Session) -> str | None:
    """The operator `set_operator` named for this session, if any."""
    return session.info.get(_OPERATOR)


def audit_entry(
    at: dt.datetime,
    org_id: str,
    actor_id: str,
    device_id: str | None,
    action: str,
    record_kind: str,
    record_id: str | None,
    profile_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "org_id": org_id,
        "actor_id": actor_id,
        "device_id": device_id,
        "action": action,
        "record_kind": record_kind,
        "record_id": record_id,
        "profile_id": profile_id,
        "detail": None if detail is None else json.dumps(detail, sort_keys=True),
    }


def write_audit(session: Session, entries: list[dict[str, Any]]) -> None:
    if entries:
        session.execute(insert(AUDIT), entries)


def list_audit(
    session: Session,
    org_id: str,
    *,
    profile_id: str | None = None,
    record_id: str | None = None,
    actor_id: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The newest audit entries of an organisation, optionally for one child, record or actor."""
    query = select(AUDIT).where(AUDIT.c.org_id == org_id)
    if profile_id is not None:
        query = query.where(AUDIT.c.profile_id == profile_id)
    if record_id is not None:
        query = query.where(AUDIT.c.record_id == record_id)
    if actor_id is not None:
        query = query.where(AUDIT.c.actor_id == actor_id)
    rows = session.execute(query.order_by(AUDIT.c.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]
