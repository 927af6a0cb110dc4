"""The statutory exports' rows, built once from records so that the device and the server produce the same:
the **restrictive-intervention register** (the fields of the Children's Homes (England) Regulations 2015,
reg 35, which also cover a school's record of force), the **suspensions and permanent exclusions** list in
the School Census layout (category, start date, sessions, up to three reason codes), and a **subject access**
bundle: everything held about one individual, each record with its history and the audit of who touched it.

Pure: the caller (the app's exports on the device, the server's admin command) hands over the records it
holds and gets back `Sheet`s — named columns and rows of plain values (moments in Europe/London time, dates,
numbers, text) — which `documents` turns into CSV and PDF. Drafts and deleted incidents are not in the
register or the census list (a draft is not yet a record); a subject access bundle holds everything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sync.compliance import LONDON, started_at, starts_clocks
from sync.errors import SyncError
from sync.hlc import Stamp
from sync.merge import RecordState
from sync.records import (
    DELETED_FIELD,
    EXCLUSION_REASON_LABELS,
    KINDS,
    ContactMethod,
    Effectiveness,
    ExclusionReason,
    ExclusionType,
    IncidentStatus,
    ReportRoute,
    label,
)


class ExportError(SyncError, ValueError):
    """An export asked for with values it cannot have (a period that ends before it starts)."""


@dataclass(frozen=True)
class Held:
    """A record as its holder has it: id, individual (profile) and field values."""

    id: str
    profile_id: str | None
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Sheet:
    """One table of an export: `name` is its CSV file's stem; `columns` are (key, label) pairs, the keys the CSV
    header and the labels the PDF's; `heading` names the column that titles each row when the PDF shows rows
    one by one (None: the rows as one table); a `csv_only` sheet's rows are in its CSV, the PDF only counts them."""

    name: str
    title: str
    columns: tuple[tuple[str, str], ...]
    rows: list[dict[str, Any]]
    heading: str | None = None
    #: a long list of short rows (a child's clicker taps, every field's history) is only counted in the PDF
    csv_only: bool = False


@dataclass(frozen=True)
class Export:
    """An export ready to lay out as PDF, CSV or ZIP (`documents.export_file`): its title and header
    facts, the sheets its PDF shows, and `table`, the one sheet its CSV holds (None: a ZIP of every sheet).
    `name` names its files (`register.pdf`, `subject-access.pdf` in the ZIP)."""

    name: str
    title: str
    facts: tuple[tuple[str, str], ...]
    sheets: tuple[Sheet, ...]
    table: Sheet | None = None
    subtitle: str = ""


@dataclass(frozen=True)
class Names:
    """Who is who, for the rows: staff by id, individuals (their values) by id, settings (their values) by id."""

    staff: Mapping[str, str] = field(default_factory=dict)
    individuals: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def person(self, staff_id: str | None) -> str:
        """A member of staff's name; an admin at the command line as the audit log names them ("cli:ann")."""
        if not staff_id:
            return ""
        return self.staff.get(staff_id) or (staff_id if staff_id.startswith("cli:") else "Unknown")

    def people(self, ids: Iterable[str]) -> list[str]:
        return [self.person(i) for i in ids]

    def individual(self, profile_id: str | None) -> str:
        values = self.individuals.get(profile_id or "")
        if values is None:
            return "Unknown"
        first, preferred = values.get("first_name", ""), values.get("preferred_name", "")
        shown = f"{first} ({preferred})" if preferred and preferred != first else first
        return f"{shown} {values.get('last_name', '')}".strip()

    def setting_of(self, profile_id: str | None) -> str | None:
        return (self.individuals.get(profile_id or "") or {}).get("setting_id")

    def setting(self, setting_id: str | None) -> str:
        return str((self.settings.get(setting_id or "") or {}).get("name", ""))


def check_period(date_from: dt.date, date_to: dt.date) -> None:
    """Refuse a period that ends before it starts (ExportError, in words)."""
    if date_to < date_from:
        raise ExportError(f"the period ends ({date_to.isoformat()}) before it starts ({date_from.isoformat()})")


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(LONDON)


def _day(value: Any) -> dt.date | None:
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _recorded(incident: Held) -> bool:
    return incident.values.get("status", IncidentStatus.DRAFT) != IncidentStatus.DRAFT and not incident.values.get(
        DELETED_FIELD
    )


def _join(*parts: Any) -> str:
    """Texts one a line, each once (a technique's reason often repeats the intervention's)."""
    texts = (str(p).strip() for p in parts if p)
    return "\n".join(dict.fromkeys(t for t in texts if t))


# --- the restrictive-intervention register (reg 35) -------------------------------------------------------

REGISTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", "Reference"),
    ("individual", "Child's name"),
    ("date_of_birth", "Date of birth"),
    ("setting", "Setting"),
    ("started_at", "Date and time"),
    ("ended_at", "Ended"),
    ("duration_minutes", "How long (minutes)"),
    ("location", "Location"),
    ("behaviour", "Behaviour that led to it"),
    ("measures", "Measure used"),
    ("used_by", "Who used it"),
    ("others_present", "Who else was present"),
    ("steps_to_avoid", "Steps taken to avoid it"),
    ("reason", "Why it was necessary"),
    ("effectiveness", "Effectiveness"),
    ("consequences", "Consequences and support afterwards"),
    ("injuries", "Injuries"),
    ("medical_treatment", "Medical treatment"),
    ("plan_followed", "Support plan followed"),
    ("recorded_by", "Recorded by"),
    ("recorded_at", "Recorded at"),
    ("signed_off_by", "Signed as accurate by"),
    ("signed_off_at", "Signed at"),
    ("staff_spoken_to", "Staff involved spoken to"),
    ("child_spoken_to_by", "Child spoken to by"),
    ("child_spoken_to_at", "Child spoken to at"),
    ("report_to_parents", "Report to parents"),
    ("status", "Status"),
)


def _parents_report(v: Mapping[str, Any], names: Names) -> str:
    sent = _moment(v.get("parent_report_sent_at"))
    if sent:
        how = label(ContactMethod, v["parent_report_method"]) if v.get("parent_report_method") else ""
        by = names.person(v.get("parent_report_sent_by"))
        return ", ".join(p for p in (f"Sent {sent:%d/%m/%Y %H:%M}", how, by) if p)
    if v.get("pi_report_route") == ReportRoute.LOCAL_AUTHORITY:
        who = names.person(v.get("pi_report_route_decided_by"))
        return _join(
            f"Withheld: reported to the local authority (decided by {who or 'not recorded'})",
            v.get("pi_report_route_reason"),
        )
    informed = _moment(v.get("parents_informed_at"))
    if v.get("parents_informed") and informed:
        return f"Parents told {informed:%d/%m/%Y %H:%M}"
    return "Not yet"


def register_row(incident: Held, names: Names) -> dict[str, Any]:
    """One restrictive intervention as a row of the register."""
    v = incident.values
    techniques = v.get("pi_techniques") or []
    started = started_at(v).astimezone(LONDON)
    ended = _moment(v.get("pi_ended_at"))
    minutes = [t["duration_minutes"] for t in techniques if t.get("duration_minutes") is not None]
    duration = round((ended - started).total_seconds() / 60) if ended else (sum(minutes) if minutes else None)
    used_by = sorted({s for t in techniques for s in t.get("used_by", [])})
    individual = names.individuals.get(incident.profile_id or "") or {}
    deescalation = [
        f"{d['technique']} ({label(Effectiveness, d.get('effectiveness'))})" for d in v.get("pi_deescalation") or []
    ]
    return {
        "reference": v.get("reference") or "",
        "individual": names.individual(incident.profile_id),
        "date_of_birth": _day(individual.get("date_of_birth")),
        "setting": names.setting(names.setting_of(incident.profile_id)),
        "started_at": started,
        "ended_at": ended,
        "duration_minutes": duration,
        "location": v.get("location", ""),
        "behaviour": _join(
            v.get("what_happened_before"),
            v.get("pi_behaviours_low"),
            v.get("pi_behaviours_medium"),
            v.get("pi_behaviours_high"),
            v.get("what_happened"),
        ),
        "measures": [t["technique"] for t in techniques],
        "used_by": names.people(used_by),
        "others_present": names.people(s for s in v.get("staff_present") or [] if s not in used_by),
        "steps_to_avoid": _join(v.get("pi_steps_to_avoid"), "; ".join(deescalation)),
        "reason": _join(v.get("pi_reason"), *(t.get("reason") for t in techniques)),
        "effectiveness": [f"{t['technique']}: {label(Effectiveness, t.get('effectiveness'))}" for t in techniques],
        "consequences": _join(v.get("pi_support_after")),
        "injuries": _join(v.get("pi_injuries"), *(t.get("injuries") for t in techniques), v.get("injury_details")),
        "medical_treatment": _join(v.get("pi_medical_treatment"), v.get("injury_treatment")),
        "plan_followed": v.get("pi_plan_followed"),
        "recorded_by": names.person(v.get("recorded_by")),
        "recorded_at": _moment(v.get("recorded_at")),
        "signed_off_by": names.person(v.get("review_signed_off_by")),
        "signed_off_at": _moment(v.get("review_signed_off_at")),
        "staff_spoken_to": bool(v.get("review_staff_spoken_to")),
        "child_spoken_to_by": names.person(v.get("review_child_spoken_by")),
        "child_spoken_to_at": _moment(v.get("review_child_spoken_at")),
        "report_to_parents": _parents_report(v, names),
        "status": label(IncidentStatus, v.get("status")),
    }


def _in_setting(incident: Held, names: Names, setting_id: str | None) -> bool:
    return setting_id is None or names.setting_of(incident.profile_id) == setting_id


def register(
    incidents: Iterable[Held],
    names: Names,
    date_from: dt.date,
    date_to: dt.date,
    setting_id: str | None = None,
) -> Sheet:
    """The restrictive interventions that started between two days (inclusive, London time), in one setting
    or all, oldest first: recorded incidents only (no drafts, nothing deleted)."""
    check_period(date_from, date_to)
    chosen = [
        i
        for i in incidents
        if _recorded(i)
        and starts_clocks(i.values)
        and _in_setting(i, names, setting_id)
        and date_from <= started_at(i.values).astimezone(LONDON).date() <= date_to
    ]
    rows = [register_row(i, names) for i in chosen]
    rows.sort(key=lambda r: (r["started_at"], r["reference"]))
    return Sheet("register", "Restrictive interventions", REGISTER_COLUMNS, rows, heading="reference")


_OVERVIEW = ("reference", "individual", "started_at", "measures", "duration_minutes", "signed_off_at")


def register_overview(sheet: Sheet) -> Sheet:
    """The register at a glance (a PDF's first table): reference, child, when, measure, minutes, signed."""
    columns = tuple(c for c in sheet.columns if c[0] in _OVERVIEW)
    rows = [{key: row[key] for key, _label in columns} for row in sheet.rows]
    return Sheet("overview", "At a glance", columns, rows)


def register_summary(sheet: Sheet) -> list[tuple[str, str]]:
    """What an inspector asks first: how many restrictive interventions, and how many children."""
    children = {r["individual"] for r in sheet.rows}
    return [("Restrictive interventions", str(len(sheet.rows))), ("Children involved", str(len(children)))]


# --- suspensions and permanent exclusions (School Census) ---------------------------------------------------

EXCLUSION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("surname", "Surname"),
    ("forename", "Forename"),
    ("date_of_birth", "Date of birth"),
    ("group", "Group"),
    ("setting", "Setting"),
    ("category", "Category"),
    ("start_date", "Start date"),
    ("sessions", "Sessions"),
    ("reason_1", "Reason 1"),
    ("reason_2", "Reason 2"),
    ("reason_3", "Reason 3"),
    ("incident_reference", "Incident"),
)


def exclusions(
    incidents: Iterable[Held],
    names: Names,
    date_from: dt.date,
    date_to: dt.date,
    setting_id: str | None = None,
) -> Sheet:
    """Every suspension and permanent exclusion whose start date (else the incident's day) falls between two
    days (inclusive), in the census layout: category (PERM, SUSP, LNCH), start date, sessions (a day is two),
    reason codes in the order given. Recorded incidents only."""
    check_period(date_from, date_to)
    rows = []
    for incident in incidents:
        if not _recorded(incident) or not _in_setting(incident, names, setting_id):
            continue
        individual = names.individuals.get(incident.profile_id or "") or {}
        happened = _moment(incident.values.get("occurred_at"))
        for exclusion in incident.values.get("exclusions") or []:
            start = _day(exclusion.get("start_date")) or (happened.date() if happened else None)
            if start is None or not date_from <= start <= date_to:
                continue
            reasons = [*list(exclusion.get("reasons") or [])[:3], "", "", ""]
            rows.append(
                {
                    "surname": individual.get("last_name", ""),
                    "forename": individual.get("first_name", ""),
                    "date_of_birth": _day(individual.get("date_of_birth")),
                    "group": individual.get("group", ""),
                    "setting": names.setting(individual.get("setting_id")),
                    "category": ExclusionType(exclusion["type"]).value,
                    "start_date": start,
                    "sessions": exclusion.get("sessions"),
                    "reason_1": reasons[0],
                    "reason_2": reasons[1],
                    "reason_3": reasons[2],
                    "incident_reference": incident.values.get("reference") or "",
                }
            )
    rows.sort(key=lambda r: (r["start_date"], r["surname"], r["forename"], r["incident_reference"]))
    return Sheet("exclusions", "Suspensions and permanent exclusions", EXCLUSION_COLUMNS, rows)


def census_codes() -> Sheet:
    """The key to the codes in the census list (category and reason)."""
    rows: list[dict[str, Any]] = [{"code": t.value, "meaning": label(ExclusionType, t)} for t in ExclusionType]
    rows += [{"code": r.value, "meaning": EXCLUSION_REASON_LABELS[r]} for r in ExclusionReason]
    return Sheet("codes", "Census codes", (("code", "Code"), ("meaning", "Meaning")), rows)


def _period_facts(
    organisation: str, date_from: dt.date, date_to: dt.date, setting_id: str | None, names: Names
) -> tuple[tuple[str, str], ...]:
    return (
        ("Organisation", organisation),
        ("Setting", names.setting(setting_id) if setting_id else "All settings"),
        ("Period", f"{date_from:%d/%m/%Y} to {date_to:%d/%m/%Y} (inclusive)"),
    )


ListKind = Literal["register", "exclusions"]
LIST_TITLES: dict[str, str] = {
    "register": "Restrictive-intervention register",
    "exclusions": "Suspensions and permanent exclusions",
}


def list_export(
    kind: ListKind,
    incidents: Iterable[Held],
    names: Names,
    date_from: dt.date,
    date_to: dt.date,
    setting_id: str | None = None,
    *,
    organisation: str = "",
    facts: Sequence[tuple[str, str]] = (),
) -> Export:
    """The register (with the counts of interventions and children, a table at a glance, then each one) or the
    census list (then the key to its codes) as an export; `facts` are added to the header."""
    if kind == "register":
        sheet = register(incidents, names, date_from, date_to, setting_id)
        counts, shown = register_summary(sheet), (register_overview(sheet), sheet)
    else:
        sheet = exclusions(incidents, names, date_from, date_to, setting_id)
        counts, shown = [("Suspensions and exclusions", str(len(sheet.rows)))], (sheet, census_codes())
    header = (*_period_facts(organisation, date_from, date_to, setting_id, names), *facts, *counts)
    return Export(kind, LIST_TITLES[kind], header, shown, sheet)


# --- subject access -----------------------------------------------------------------------------------------

#: the order a bundle shows an individual's records in: the individual, then the people around them, then
#: what was recorded about them
SUBJECT_KINDS = (
    "individual",
    "key_contact",
    "key_staff",
    "access_grant",
    "incident",
    "smart_plan",
    "plan_contribution",
    "communication",
    "communication_response",
    "clicker_event",
)
_TITLES = {
    "individual": "The individual",
    "key_contact": "Parents and carers",
    "key_staff": "Key staff",
    "access_grant": "Staff with access",
    "incident": "Incidents",
    "smart_plan": "Smart Plans",
    "plan_contribution": "Plan contributions",
    "communication": "Communications",
    "communication_response": "Responses to communications",
    "clicker_event": "Behaviour Clicker taps",
}
HISTORY_COLUMNS = (
    ("record_kind", "Kind"),
    ("record_id", "Record"),
    ("field", "Field"),
    ("value", "Value"),
    ("written_by", "Written by"),
    ("written_at", "Written at"),
    ("kept_as", "Kept as"),
)
AUDIT_COLUMNS = (
    ("at", "When"),
    ("actor", "Who"),
    ("action", "Action"),
    ("record_kind", "Kind"),
    ("record_id", "Record"),
    ("device_id", "Device"),
)
#: staff ids in these fields are shown as names
_PEOPLE_FIELDS = frozenset(
    {
        "staff_id",
        "author_id",
        "recorded_by",
        "granted_by",
        "plan_lead",
        "staff_present",
        "parents_informed_by",
        "pi_report_route_decided_by",
        "parent_report_sent_by",
        "authority_informed_by",
        "review_signed_off_by",
        "review_child_spoken_by",
        "removed_by",
    }
)


def _written_at(version: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(Stamp.parse(version).ms / 1000, LONDON)
    except ValueError:
        return None


#: what another child's name becomes in the free text of someone else's subject access answer
OTHER_CHILD = "[another child]"


def _names_of(values: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """An individual's full names ("Max Hill", "Maxi Hill") and the names they are called by alone ("Max",
    "Maxi"); one letter is not a name. A surname alone is left out: it is rarely how a child is written about
    and too often part of a place ("Main Hall", "Green Room")."""
    first, last, preferred = (str(values.get(k) or "").strip() for k in ("first_name", "last_name", "preferred_name"))
    full = {f"{f} {last}" for f in (first, preferred) if f and last}
    return {n for n in full if len(n) >= 2}, {n for n in (first, preferred) if len(n) >= 2}


def other_children(profile_id: str, names: Names) -> Callable[[str], str]:
    """A function hiding the other children's names in a piece of free text about `profile_id` (a subject
    access answer is about its subject: the others' data is not theirs to receive). Whole words only; a full
    name whatever its case, a first or preferred name alone as it is spelled (capitalised: "Will" is a name,
    "will" a word); a name the subject shares is theirs too and stays. Tested in tests/sync/test_exports.py
    `test_subject_access_hides_other_childrens_names_in_free_text`."""
    own_full, own_called = _names_of(names.individuals.get(profile_id) or {})
    own = {n.casefold() for n in own_full | own_called}
    full: set[str] = set()
    called: set[str] = set()
    for other, values in names.individuals.items():
        if other != profile_id:
            their_full, their_called = _names_of(values)
            full |= {n for n in their_full if n.casefold() not in own}
            called |= {n for n in their_called if n.casefold() not in own}
    patterns = [
        re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(n) for n in sorted(group, key=len, reverse=True))})(?!\w)", flags)
        for group, flags in ((full, re.IGNORECASE), (called, re.NOFLAG))
        if group
    ]

    def hide(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub(OTHER_CHILD, text)
        return text

    return hide


def _shown(name: str, value: Any, names: Names, hide: Callable[[str], str] | None = None) -> Any:
    """A field's value as an export shows it: people by name, other children counted; `hide` is applied to
    free text (`other_children`)."""
    if name == "other_individuals" and value:
        # Other children are never named in someone else's subject access answer.
        return f"{len(value)} other individual{'' if len(value) == 1 else 's'} (not named)"
    if name in _PEOPLE_FIELDS or name == "used_by":
        return names.people(value) if isinstance(value, list) else names.person(value)
    if isinstance(value, dict):
        # a technique used, an exclusion, a target: "(technique: Single elbow; used by: Sam Staff; ...)"
        parts = (
            f"{k.replace('_', ' ')}: {_text(_shown(k, v, names, hide))}"
            for k, v in value.items()
            if v not in ("", None, [])
        )
        return "(" + "; ".join(parts) + ")"
    if isinstance(value, list):
        return [_shown(name, v, names, hide) for v in value]
    if hide is not None and isinstance(value, str):
        return hide(value)
    return value


def _text(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _record_row(state: RecordState, names: Names, hide: Callable[[str], str]) -> dict[str, Any]:
    values = state.values()
    row: dict[str, Any] = {"id": state.id, "deleted": state.deleted}
    for name in KINDS[state.kind].model.model_fields:
        row[name] = _shown(name, values.get(name), names, hide)
    return row


def _history(state: RecordState, names: Names, hide: Callable[[str], str]) -> list[dict[str, Any]]:
    """Each field's value with who wrote it and when, and the concurrent values kept beside it."""
    rows = []
    for kept_as, entries in (
        ("current", [(name, f) for name, f in state.fields.items()]),
        ("concurrent value", [(c.field, c) for c in state.conflicts]),
    ):
        for name, value in entries:
            rows.append(
                {
                    "record_kind": state.kind,
                    "record_id": state.id,
                    "field": "deleted" if name == DELETED_FIELD else name,
                    "value": _shown(name, value.value, names, hide),
                    "written_by": names.person(value.actor_id),
                    "written_at": _written_at(value.version),
                    "kept_as": kept_as,
                }
            )
    rows.sort(key=_by_moment("written_at"))
    return rows


def subject_access(
    profile_id: str,
    records: Iterable[RecordState],
    audit: Iterable[Mapping[str, Any]],
    names: Names,
) -> list[Sheet]:
    """Everything held about one individual: one sheet per kind of record (every field, deleted records too),
    the history of every record (each field's writer and time, concurrent values kept) and the audit of who
    viewed, changed, downloaded or exported their records. Other children are counted, not named, and their
    names are hidden in free text (`other_children`). `audit` rows have at, actor_id, action,
    record_kind, record_id and device_id."""
    mine = [r for r in records if r.profile_id == profile_id and r.kind in SUBJECT_KINDS]
    hide = other_children(profile_id, names)
    sheets = []
    for kind in SUBJECT_KINDS:
        of_kind = sorted((r for r in mine if r.kind == kind), key=lambda r: r.id)
        fields = KINDS[kind].model.model_fields
        columns = (("id", "Record"), ("deleted", "Deleted"), *((n, n.replace("_", " ").capitalize()) for n in fields))
        taps = kind == "clicker_event"
        rows = [_record_row(r, names, hide) for r in of_kind]
        sheets.append(Sheet(kind, _TITLES[kind], columns, rows, None if taps else "id", csv_only=taps))
    history = [
        row for r in sorted(mine, key=lambda r: (SUBJECT_KINDS.index(r.kind), r.id)) for row in _history(r, names, hide)
    ]
    sheets.append(Sheet("history", "History of every record", HISTORY_COLUMNS, history, csv_only=True))
    audit_rows = [
        {
            "at": _moment(a.get("at")),
            "actor": names.person(a.get("actor_id")),
            "action": a.get("action", ""),
            "record_kind": a.get("record_kind", ""),
            "record_id": a.get("record_id") or "",
            "device_id": a.get("device_id") or "",
        }
        for a in audit
    ]
    audit_rows.sort(key=_by_moment("at"))
    sheets.append(
        Sheet("audit", "Who viewed, changed, downloaded or exported these records", AUDIT_COLUMNS, audit_rows)
    )
    return sheets


def _by_moment(key: str) -> Callable[[Mapping[str, Any]], dt.datetime]:
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return lambda row: row[key] or floor


def subject_access_export(
    profile_id: str,
    records: Iterable[RecordState],
    audit: Iterable[Mapping[str, Any]],
    names: Names,
    *,
    organisation: str = "",
    facts: Sequence[tuple[str, str]] = (),
) -> Export:
    """Everything held about one individual as an export (a ZIP of every sheet): who it is about and how much
    of each kind it holds, then the sheets of `subject_access`."""
    sheets = subject_access(profile_id, records, audit, names)
    individual = names.individuals.get(profile_id) or {}
    header = [("Organisation", organisation), ("Individual", names.individual(profile_id))]
    if individual.get("date_of_birth"):
        header.append(("Date of birth", str(individual["date_of_birth"])))
    header += [*facts, *((s.title, str(len(s.rows))) for s in sheets)]
    return Export(
        "subject-access",
        "Subject access: everything held",
        tuple(header),
        tuple(sheets),
        subtitle=names.individual(profile_id),
    )
