"""Retention: how long each kind of an individual's records is kept, which individuals' records are past it
(listed for an admin's review) and their deliberate destruction. Nothing is destroyed automatically.

Periods run from the individual's date of birth, by the type of their setting (`RETENTION`, with the source
of each default; docs/admin.md). An individual without a date of birth is listed for review as such: their
period cannot be worked out. One without a setting is given the longest period (never destroyed early).
Destruction (`destroy`) replaces every record of the individual with a tombstone that carries none of its
fields — devices pull it and drop the record — clears the ops the op log kept of them, their quarantined
ops and their AI assistant log, and writes one audit row; it is refused while the individual is on legal
hold or before their retention period has ended.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlmodel import Session

from server.errors import ServerSideError
from server.models import AssistantLog, OpLog, QuarantinedOp, Record
from server.services.audit import audit_entry, operator_of
from server.services.records import RecordWriter
from sync.hlc import HybridClock
from sync.merge import RecordState
from sync.records import KINDS, SettingType

RECORD = Record.__table__
OP_LOG = OpLog.__table__
QUARANTINE = QuarantinedOp.__table__
ASSISTANT_LOG = AssistantLog.__table__


class RetentionError(ServerSideError, ValueError):
    """A destruction refused (legal hold, period not over, unknown individual); nothing changed."""


@dataclass(frozen=True)
class Period:
    """Keep a record until the individual's `years`th birthday."""

    years: int
    source: str


#: schools and alternative provision: behaviour, restraint and child-protection records of a pupil
SCHOOL_PERIOD = Period(
    25,
    "IRMS Information Management Toolkit for Schools (pupil records with child-protection, SEND and "
    "restrictive-intervention content: date of birth + 25 years)",
)
#: children's homes: the child's case records
HOME_PERIOD = Period(
    75,
    "Children's Homes (England) Regulations 2015, regulation 37 (case records kept until 75 years after the "
    "child's date of birth)",
)
BY_SETTING = {
    SettingType.SCHOOL: SCHOOL_PERIOD,
    SettingType.ALTERNATIVE_PROVISION: SCHOOL_PERIOD,
    SettingType.CHILDRENS_HOME: HOME_PERIOD,
}
#: record kind -> setting type -> period: every kind kept per individual (the defaults are the same for each
#: kind today; the table is per kind so that one kind can be given its own period)
RETENTION: dict[str, dict[SettingType, Period]] = {
    kind: dict(BY_SETTING) for kind, spec in KINDS.items() if spec.scope == "profile"
}
LONGEST = max(BY_SETTING.values(), key=lambda period: period.years)


@dataclass(frozen=True)
class Due:
    """An individual whose records are due for review (or cannot be worked out: no date of birth)."""

    org_id: str
    individual_id: str
    setting_type: str
    date_of_birth: dt.date | None
    #: the first day their records may be destroyed (the latest end of any of their records' periods)
    until: dt.date | None
    records: dict[str, int]
    legal_hold: bool


def _birthday(born: dt.date, years: int) -> dt.date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return born.replace(year=born.year + years, day=28)


def _individual(session: Session, individual_id: str) -> tuple[str, RecordState] | None:
    row = session.execute(
        select(RECORD.c.org_id, RECORD.c.state).where(RECORD.c.id == individual_id, RECORD.c.kind == "individual")
    ).first()
    return (row.org_id, RecordState.model_validate_json(row.state)) if row else None


def _setting_types(session: Session) -> dict[str, str]:
    rows = session.execute(select(RECORD.c.id, RECORD.c.state).where(RECORD.c.kind == "setting"))
    return {row.id: str(RecordState.model_validate_json(row.state).values().get("setting_type")) for row in rows}


def _due(session: Session, org_id: str, individual: RecordState, settings: dict[str, str]) -> Due:
    values = individual.values()
    setting_type = settings.get(str(values.get("setting_id")), "")
    born = dt.date.fromisoformat(values["date_of_birth"]) if values.get("date_of_birth") else None
    counts = Counter(
        row.kind
        for row in session.execute(
            select(RECORD.c.kind).where(RECORD.c.profile_id == individual.id, RECORD.c.deleted.is_(False))
        )
    )
    until = None
    if born is not None:
        periods = [RETENTION.get(kind, {}).get(SettingType(setting_type), LONGEST) if setting_type else LONGEST
                   for kind in counts or {"individual": 1}]  # fmt: skip
        until = _birthday(born, max(p.years for p in periods))
    return Due(org_id, individual.id, setting_type, born, until, dict(counts), bool(values.get("legal_hold")))


def due_for_review(session: Session, today: dt.date, org_id: str | None = None) -> list[Due]:
    """Individuals whose records are past their retention period (or without a date of birth), oldest first."""
    query = select(RECORD.c.org_id, RECORD.c.state).where(RECORD.c.kind == "individual", RECORD.c.deleted.is_(False))
    if org_id is not None:
        query = query.where(RECORD.c.org_id == org_id)
    settings = _setting_types(session)
    found = [
        _due(session, row.org_id, RecordState.model_validate_json(row.state), settings)
        for row in session.execute(query)
    ]
    listed = [d for d in found if d.until is None or d.until <= today]
    return sorted(listed, key=lambda d: (d.until is not None, d.until or dt.date.min, d.individual_id))


def destroy(session: Session, clock: HybridClock, individual_id: str, today: dt.date) -> Due:
    """Destroy every record of one individual whose retention period has ended (see the module docstring)."""
    found = _individual(session, individual_id)
    if found is None or found[1].deleted:
        raise RetentionError(f"no individual with the id {individual_id}")
    org_id, individual = found
    due = _due(session, org_id, individual, _setting_types(session))
    if due.legal_hold:
        raise RetentionError("this individual's records are on legal hold: lift the hold before destroying them")
    if due.until is None:
        raise RetentionError("this individual has no date of birth: their retention period cannot be worked out")
    if due.until > today:
        raise RetentionError(f"their records are kept until {due.until.isoformat()}: nothing destroyed")
    ids = [row.id for row in session.execute(select(RECORD.c.id).where(RECORD.c.profile_id == individual_id))]
    writer = RecordWriter(session, clock)
    writer.load(ids, lock=True)
    who = operator_of(session) or "server"
    for record_id in ids:
        writer.destroy(record_id, who)
    session.execute(update(OP_LOG).where(OP_LOG.c.record_id.in_(ids)).values(op=None))
    session.execute(delete(QUARANTINE).where(QUARANTINE.c.profile_id == individual_id))
    session.execute(delete(ASSISTANT_LOG).where(ASSISTANT_LOG.c.profile_id == individual_id))
    detail = {"records": due.records, "retained_until": due.until.isoformat(), "setting_type": due.setting_type}
    writer.pending.audit.append(
        audit_entry(writer.db_now, org_id, who, None, "destroy", "individual", individual_id, individual_id, detail)
    )
    writer.flush()
    return due


def due_line(due: Due) -> str:
    """One line of `admin retention list`."""
    records = ", ".join(f"{kind} {count}" for kind, count in sorted(due.records.items()))
    return json.dumps(
        {
            "individual": due.individual_id,
            "organisation": due.org_id,
            "setting_type": due.setting_type or None,
            "date_of_birth": due.date_of_birth.isoformat() if due.date_of_birth else None,
            "kept_until": due.until.isoformat() if due.until else None,
            "review": "no date of birth: work out the period by hand" if due.until is None else "past retention",
            "legal_hold": due.legal_hold,
            "records": records,
        }
    )
