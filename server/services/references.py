"""Incident references: `<prefix>-<n>`, unique per organisation, numbered from 10001.

A submitted incident (status other than draft) gets its reference the first time it reaches the server in
that state. The number comes from the organisation's counter row (`incident:<org id>`), whose row lock
serialises allocation across server processes; the database's unique (org, reference) constraint is the
backstop. The reference is written by a server op, so it syncs to every device like any other field.
"""

from __future__ import annotations

from sqlalchemy.exc import NoResultFound
from sqlmodel import Session

from server.db import insert_new
from server.models import Counter
from server.services.records import RecordWriter
from sync.merge import field_value
from sync.records import IncidentStatus

FIRST_REFERENCE = 10001
DEFAULT_PREFIX = "besmart"
COUNTER = Counter.__table__


def counter_name(org_id: str) -> str:
    return f"incident:{org_id}"


def ensure_counter(session: Session, org_id: str) -> None:
    """Create the organisation's incident counter if it does not exist yet."""
    insert_new(session, COUNTER, {"name": counter_name(org_id), "value": FIRST_REFERENCE - 1})


def _needs_reference(writer: RecordWriter, record_id: str) -> bool:
    stored = writer.get(record_id)
    if stored is None or stored.state.kind != "incident" or stored.state.deleted:
        return False
    state = stored.state
    return not field_value(state, "reference") and field_value(state, "status", "draft") != IncidentStatus.DRAFT


def assign_references(writer: RecordWriter) -> list[str]:
    """Number every incident merged in this transaction that was submitted and has no reference yet;
    returns their ids."""
    by_org: dict[str, list[str]] = {}
    for merged in writer.merged:
        record_id = merged.op.record_id
        if merged.op.kind == "incident" and _needs_reference(writer, record_id):
            ids = by_org.setdefault(writer.existing(record_id).org_id, [])
            if record_id not in ids:
                ids.append(record_id)
    numbered = []
    for org_id, ids in by_org.items():
        try:
            top = writer.allocate(counter_name(org_id), len(ids))
        except NoResultFound:
            ensure_counter(writer.session, org_id)
            top = writer.allocate(counter_name(org_id), len(ids))
        organisation = writer.get(org_id)
        prefix = field_value(organisation.state if organisation else None, "incident_prefix") or DEFAULT_PREFIX
        for number, record_id in enumerate(ids, start=top - len(ids) + 1):
            profile_id = writer.existing(record_id).state.profile_id
            writer.server_write(
                "incident",
                "update",
                {"reference": f"{prefix}-{number}"},
                org_id=org_id,
                record_id=record_id,
                profile_id=profile_id,
            )
            numbered.append(record_id)
    return numbered
