"""Analytics on the device: the decrypted working set, filters, the eight reports, the dashboard's headline
figures, related incidents, saved filter sets and CSV (docs/analytics.md).

Reports read a **working set**: the records analytics needs (incidents, clicker taps, communications and
their responses, individuals, staff, behaviour types, settings), decrypted once per unlock into plain rows
and kept current by re-reading only the records whose ciphertext changed since (after a write or a sync; the
store's change count says whether anything was written at all). Locking the store drops it. Kinds are loaded
the first time a report needs them, so the first report after unlock does not wait for every clicker tap.
It covers what the device holds, which is exactly the individuals the user may see. Draft incidents are
their author's and are never counted.

Every figure, chart point and table row carries the ids of the records behind it ("Show related
incidents"). Day, hour and week buckets are in the organisation's time zone (`TIME_ZONE`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo

from app.context import Context, StoreLockedError, now_utc
from localdb.queries import PlainRecord
from localdb.store import LocalStore
from sync.permissions import Capability

#: where the organisation's days and hours are counted (English schools and homes)
TIME_ZONE = ZoneInfo("Europe/London")
#: the vault entry holding this user's saved filter sets (encrypted like every other value)
SAVED_FILTERS_SECRET = "analytics_filters"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LEVELS = ("low", "medium", "high")
UNRECORDED = "unrecorded"

# --- working set rows --------------------------------------------------------------------------------


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(TIME_ZONE)


@dataclass(frozen=True)
class IncidentRow:
    id: str
    profile_id: str
    reference: str
    status: str
    occurred_at: dt.datetime  # in TIME_ZONE
    location: str
    recorded_by: str
    staff_present: tuple[str, ...]
    other_individuals: tuple[str, ...]
    #: the highest behaviour level described in the physical intervention section ("unrecorded" if none)
    level: str
    injury: bool
    injury_who: str
    injury_treatment: bool
    physical_intervention: bool
    #: (technique, effectiveness, duration in minutes or None, staff ids)
    techniques: tuple[tuple[str, str, int | None, tuple[str, ...]], ...]
    #: (technique, effectiveness)
    deescalation: tuple[tuple[str, str], ...]
    pi_minutes: float | None
    pi_plan_followed: bool | None
    discriminatory: bool
    categories: tuple[str, ...]
    #: (type, sessions or None, reason codes)
    exclusions: tuple[tuple[str, int | None, tuple[str, ...]], ...]
    flagged: bool
    parents_informed: bool | None

    @classmethod
    def of(cls, record: PlainRecord) -> IncidentRow:
        v = record.values
        level = next((lv for lv in reversed(LEVELS) if str(v.get(f"pi_behaviours_{lv}") or "").strip()), UNRECORDED)
        started, ended = _moment(v.get("pi_started_at")), _moment(v.get("pi_ended_at"))
        occurred = _moment(v.get("occurred_at")) or dt.datetime.min.replace(tzinfo=dt.UTC)
        return cls(
            id=record.id,
            profile_id=record.profile_id or "",
            reference=v.get("reference") or "",
            status=v.get("status") or "draft",
            occurred_at=occurred,
            location=(v.get("location") or "").strip(),
            recorded_by=v.get("recorded_by") or "",
            staff_present=tuple(v.get("staff_present") or ()),
            other_individuals=tuple(v.get("other_individuals") or ()),
            level=level,
            injury=bool(v.get("injury")),
            injury_who=(v.get("injury_who") or "").strip(),
            injury_treatment=bool(str(v.get("injury_treatment") or "").strip()),
            physical_intervention=bool(v.get("physical_intervention")),
            techniques=tuple(
                (t["technique"], t["effectiveness"], t.get("duration_minutes"), tuple(t.get("used_by") or ()))
                for t in v.get("pi_techniques") or ()
            ),
            deescalation=tuple((d["technique"], d["effectiveness"]) for d in v.get("pi_deescalation") or ()),
            pi_minutes=(ended - started).total_seconds() / 60 if started and ended else None,
            pi_plan_followed=v.get("pi_plan_followed"),
            discriminatory=bool(v.get("discriminatory")),
            categories=tuple(v.get("discriminatory_categories") or ()),
            exclusions=tuple(
                (e["type"], e.get("sessions"), tuple(e.get("reasons") or ())) for e in v.get("exclusions") or ()
            ),
            flagged=bool(v.get("flagged")),
            parents_informed=v.get("parents_informed"),
        )

    @property
    def staff(self) -> set[str]:
        """Everyone on staff involved: the recorder, those present and those who used a technique."""
        return {self.recorded_by, *self.staff_present, *(s for t in self.techniques for s in t[3])} - {""}


@dataclass(frozen=True)
class ClickRow:
    id: str
    profile_id: str
    occurred_at: dt.datetime
    behaviour_type_id: str
    staff_id: str


@dataclass(frozen=True)
class CommunicationRow:
    id: str
    profile_id: str
    created_at: dt.datetime
    valence: str
    author_id: str
    added_to_plan: bool
    #: when the first response came (None: none yet) and how many there are
    first_response_at: dt.datetime | None
    responses: int


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    group: str
    setting_id: str
    send: bool
    ehc_plan: bool
    looked_after: bool


#: the kinds the working set holds
WORKING_KINDS = (
    "individual",
    "staff",
    "behaviour_type",
    "setting",
    "incident",
    "communication",
    "communication_response",
    "clicker_event",
)


class WorkingSet:
    """The decrypted rows analytics reads, for one unlocked store (see the module docstring)."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self._records: dict[str, dict[str, PlainRecord]] = {}
        self._prints: dict[str, dict[str, bytes]] = {}
        self._seen_changes: dict[str, int] = {}
        #: moves whenever the rows change: reports computed for an older version are stale
        self.version = 0
        self._derived: dict[str, Any] = {}
        self._drops = 0
        #: one refresh at a time (a screen and the dashboard may ask at once)
        self._guard = threading.RLock()
        mine = weakref.ref(self)

        def forget() -> None:
            # weakly held: a working set of an earlier unlock must not be kept alive by the store
            working = mine()
            if working is not None:
                working.drop()

        store.on_forget(forget)

    def drop(self) -> None:
        """Forget every decrypted value (the store is locking)."""
        # Takes no lock of its own: it runs inside the store's lock, which a refresh may be waiting for.
        self._drops += 1
        self._records.clear()
        self._prints.clear()
        self._seen_changes.clear()
        self._derived.clear()
        self.version += 1

    @property
    def loaded(self) -> int:
        """How many records are held in memory now."""
        return sum(len(records) for records in self._records.values())

    def _kind(self, kind: str) -> dict[str, PlainRecord]:
        with self._guard:
            drops = self._drops
            if self.store.locked:
                self.drop()
                raise StoreLockedError("besmart is locked: unlock it to continue.")
            count = self.store.change_count
            if self._seen_changes.get(kind) != count:
                changes = self.store.record_changes([kind], self._prints.get(kind, {}))
                records = self._records.setdefault(kind, {})
                for gone in changes.gone:
                    records.pop(gone, None)
                for record in changes.changed:
                    records[record.id] = record
                self._prints[kind] = changes.fingerprints
                self._seen_changes[kind] = count
                if changes.changed or changes.gone:
                    self.version += 1
            if self._drops != drops:
                # The store locked while this was read: what was just put back must go too.
                self.drop()
                raise StoreLockedError("besmart is locked: unlock it to continue.")
            return self._records[kind]

    def warm(self) -> None:
        """Decrypt every kind analytics reads now (e.g. in the background after unlock), so no report waits."""
        for kind in WORKING_KINDS:
            self._kind(kind)

    def _cached(self, key: str, kinds: Sequence[str], build: Callable[[], Any]) -> Any:
        """`build()` once per version of the rows it reads."""
        with self._guard:
            for kind in kinds:
                self._kind(kind)
            hit = self._derived.get(key)
            if hit is not None and hit[0] == self.version:
                return hit[1]
            value = build()
            self._derived[key] = (self.version, value)
            return value

    def incidents(self) -> list[IncidentRow]:
        """Submitted and reviewed incidents, oldest first."""

        def build() -> list[IncidentRow]:
            rows = (IncidentRow.of(r) for r in self._kind("incident").values())
            return sorted((r for r in rows if r.status != "draft"), key=lambda r: (r.occurred_at, r.id))

        result: list[IncidentRow] = self._cached("incidents", ["incident"], build)
        return result

    def clicks(self) -> list[ClickRow]:
        def build() -> list[ClickRow]:
            rows = []
            for r in self._kind("clicker_event").values():
                at = _moment(r.values.get("occurred_at"))
                if at is not None:
                    rows.append(
                        ClickRow(
                            r.id,
                            r.profile_id or "",
                            at,
                            r.values.get("behaviour_type_id", ""),
                            r.values.get("staff_id", ""),
                        )
                    )
            return sorted(rows, key=lambda r: (r.occurred_at, r.id))

        result: list[ClickRow] = self._cached("clicks", ["clicker_event"], build)
        return result

    def communications(self) -> list[CommunicationRow]:
        def build() -> list[CommunicationRow]:
            firsts: dict[str, list[dt.datetime]] = defaultdict(list)
            for r in self._kind("communication_response").values():
                at = _moment(r.values.get("created_at"))
                if at is not None:
                    firsts[r.values.get("communication_id", "")].append(at)
            rows = []
            for r in self._kind("communication").values():
                at = _moment(r.values.get("created_at"))
                if at is None:
                    continue
                answers = firsts.get(r.id, [])
                rows.append(
                    CommunicationRow(
                        r.id,
                        r.profile_id or "",
                        at,
                        r.values.get("valence", ""),
                        r.values.get("author_id", ""),
                        bool(r.values.get("added_to_plan")),
                        min(answers) if answers else None,
                        len(answers),
                    )
                )
            return sorted(rows, key=lambda r: (r.created_at, r.id))

        result: list[CommunicationRow] = self._cached(
            "communications", ["communication", "communication_response"], build
        )
        return result

    def people(self) -> dict[str, Person]:
        def build() -> dict[str, Person]:
            people = {}
            for r in self._kind("individual").values():
                v = r.values
                name = f"{v.get('preferred_name') or v.get('first_name', '')} {v.get('last_name', '')}".strip()
                people[r.id] = Person(
                    r.id,
                    name,
                    (v.get("group") or "").strip(),
                    v.get("setting_id") or "",
                    bool(v.get("send")),
                    bool(v.get("ehc_plan")),
                    bool(v.get("looked_after")),
                )
            return people

        result: dict[str, Person] = self._cached("people", ["individual"], build)
        return result

    def names(self, kind: str, field_name: str) -> dict[str, str]:
        """id -> name (or label) of the org records of one kind (staff, behaviour_type, setting)."""
        return {r.id: str(r.values.get(field_name, "")) for r in self._kind(kind).values()}

    def behaviour_types(self) -> dict[str, dict[str, Any]]:
        return {r.id: r.values for r in self._kind("behaviour_type").values()}


# --- filters -----------------------------------------------------------------------------------------

PRESETS = ("7_days", "30_days", "this_term", "this_year", "all", "custom")


def term_start(day: dt.date) -> dt.date:
    """The start of the English school term holding `day`: autumn from 1 September, spring from 1 January,
    summer from 1 April (fixed dates: term dates differ by school and Easter moves)."""
    if day.month >= 9:
        return dt.date(day.year, 9, 1)
    if day.month >= 4:
        return dt.date(day.year, 4, 1)
    return dt.date(day.year, 1, 1)


def year_start(day: dt.date) -> dt.date:
    """The start of the school year holding `day` (1 September)."""
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


@dataclass(frozen=True)
class Filters:
    """What a report covers. Empty sets mean "all"; dates are whole days in `TIME_ZONE`, `end` exclusive."""

    preset: str = "30_days"
    start: dt.date | None = None  # custom range only
    end: dt.date | None = None  # custom range only (exclusive)
    individuals: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    #: behaviour type ids (clicker taps)
    behaviours: frozenset[str] = frozenset()
    #: behaviour levels: a tap's behaviour level, an incident's highest described level
    levels: frozenset[str] = frozenset()
    locations: frozenset[str] = frozenset()
    #: staff involved: an incident's recorder, staff present or technique users; a tap's or message's author
    staff: frozenset[str] = frozenset()
    #: physical intervention technique names (an incident matches if it used any)
    interventions: frozenset[str] = frozenset()
    #: valence of taps (by behaviour type) and communications
    valence: frozenset[str] = frozenset()

    def period(self, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
        """The days covered, [start, end) (None: unbounded)."""
        tomorrow = today + dt.timedelta(days=1)
        if self.preset == "7_days":
            return today - dt.timedelta(days=6), tomorrow
        if self.preset == "30_days":
            return today - dt.timedelta(days=29), tomorrow
        if self.preset == "this_term":
            return term_start(today), tomorrow
        if self.preset == "this_year":
            return year_start(today), tomorrow
        if self.preset == "custom":
            return self.start, self.end
        if self.preset == "all":
            return None, None
        raise ValueError(f"unknown date preset {self.preset!r}")

    def previous(self, today: dt.date) -> Filters:
        """The same filters over the period just before this one, of the same length (for "change")."""
        start, end = self.period(today)
        if start is None or end is None:
            return replace(self, preset="custom", start=dt.date.min, end=dt.date.min)
        return replace(self, preset="custom", start=start - (end - start), end=start)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = sorted(value) if isinstance(value, frozenset) else value
            if isinstance(value, dt.date):
                out[f.name] = value.isoformat()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Filters:
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in ("start", "end"):
                kwargs[f.name] = dt.date.fromisoformat(value) if value else None
            elif f.name == "preset":
                kwargs[f.name] = value
            else:
                kwargs[f.name] = frozenset(value)
        return cls(**kwargs)


# --- report values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One headline number; `previous` and `change` when compared with the period before."""

    key: str
    label: str
    value: float
    ids: tuple[str, ...] = ()
    previous: float | None = None

    @property
    def change(self) -> float | None:
        return None if self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class Point:
    """One bar, slice, line point or heat-map cell (`row` set for a grid)."""

    label: str
    value: float
    ids: tuple[str, ...] = ()
    row: str = ""


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    #: "time" (line), "category" (bar or pie), "grid" (heat map: points carry row and label as column)
    shape: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Table:
    #: stable column names (docs/analytics.md): the CSV header
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    #: the record ids behind each row, in the same order
    ids: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    filters: Filters
    period: tuple[dt.date | None, dt.date | None]
    #: what the ids are ids of: "incident", "clicker_event" or "communication"
    record_kind: str
    figures: tuple[Figure, ...]
    series: tuple[Series, ...]
    table: Table
    #: every record the report counted (the "underlying rows" CSV)
    record_ids: tuple[str, ...] = field(default=())

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def chart(self, key: str) -> Series:
        return next(s for s in self.series if s.key == key)


REPORTS = {
    "global": "Global Incident Report",
    "intervention": "Intervention Report",
    "involvement": "Involvement Report",
    "injuries": "Injuries Report",
    "communication": "Communication Report",
    "clicker": "Clicker Report",
    "discrimination": "Discriminatory, prejudiced and other behaviour",
    "equality": "Equality and disproportionality",
}


# --- helpers -----------------------------------------------------------------------------------------


def _bucket(moment: dt.datetime, size: str) -> str:
    day = moment.date()
    if size == "day":
        return day.isoformat()
    if size == "week":
        return (day - dt.timedelta(days=day.weekday())).isoformat()  # the Monday
    return day.strftime("%Y-%m")


def _grouped(rows: Iterable[Any], key: Callable[[Any], Iterable[str]]) -> dict[str, list[str]]:
    """label -> ids of the rows carrying it (a row may carry several labels)."""
    out: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for label in key(row):
            out[label].append(row.id)
    return out


def _points(
    groups: dict[str, list[str]], *, order: Sequence[str] | None = None, by_count: bool = True
) -> tuple[Point, ...]:
    labels = list(order) if order is not None else sorted(groups, key=lambda k: (-len(groups[k]), k) if by_count else k)
    return tuple(Point(label, len(groups.get(label, [])), tuple(groups.get(label, []))) for label in labels)


def _series(key: str, title: str, rows: Sequence[Any], label: Callable[[Any], Iterable[str]], **kw: Any) -> Series:
    return Series(key, title, "category", _points(_grouped(rows, label), **kw))


def _timeline(rows: Sequence[Any], at: Callable[[Any], dt.datetime], bucket: str) -> Series:
    groups = _grouped(rows, lambda r: [_bucket(at(r), bucket)])
    return Series("over_time", f"By {bucket}", "time", _points(groups, by_count=False))


def _heat_map(rows: Sequence[Any], at: Callable[[Any], dt.datetime]) -> Series:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        moment = at(r)
        groups[(WEEKDAYS[moment.weekday()], f"{moment.hour:02d}")].append(r.id)
    points = tuple(
        Point(hour, len(groups.get((day, hour), [])), tuple(groups.get((day, hour), [])), row=day)
        for day in WEEKDAYS
        for hour in (f"{h:02d}" for h in range(24))
    )
    return Series("heat_map", "Day of week × hour of day", "grid", points)


def _ids(rows: Iterable[Any]) -> tuple[str, ...]:
    return tuple(r.id for r in rows)


def _rate(count: int, of: int) -> float:
    return round(100 * count / of, 1) if of else 0.0


def _table(columns: Sequence[str], rows: Sequence[tuple[tuple[Any, ...], Sequence[str]]]) -> Table:
    return Table(tuple(columns), tuple(r[0] for r in rows), tuple(tuple(r[1]) for r in rows))


# --- the service -------------------------------------------------------------------------------------


class Analytics:
    """Reports over the device's working set, for users with the analytics capability."""

    def __init__(self, context: Context, *, today: Callable[[], dt.date] | None = None) -> None:
        self.context = context
        self.working = WorkingSet(context.store)
        self._today = today or (lambda: now_utc().astimezone(TIME_ZONE).date())

    def _require(self) -> None:
        self.context.require(Capability.ANALYTICS, "see analytics")

    # --- selection --------------------------------------------------------------------------------

    def _profiles(self, filters: Filters) -> set[str]:
        people = self.working.people()
        return {
            p.id
            for p in people.values()
            if (not filters.individuals or p.id in filters.individuals)
            and (not filters.groups or p.group in filters.groups)
        }

    def _in_period(self, filters: Filters) -> Callable[[dt.datetime], bool]:
        start, end = filters.period(self._today())

        def inside(moment: dt.datetime) -> bool:
            day = moment.date()
            return (start is None or day >= start) and (end is None or day < end)

        return inside

    def incidents(self, filters: Filters) -> list[IncidentRow]:
        """The incidents a report with these filters counts, oldest first."""
        self._require()
        profiles, inside = self._profiles(filters), self._in_period(filters)
        return [
            r
            for r in self.working.incidents()
            if r.profile_id in profiles
            and inside(r.occurred_at)
            and (not filters.levels or r.level in filters.levels)
            and (not filters.locations or r.location in filters.locations)
            and (not filters.staff or r.staff & filters.staff)
            and (not filters.interventions or {t[0] for t in r.techniques} & filters.interventions)
        ]

    def clicks(self, filters: Filters) -> list[ClickRow]:
        self._require()
        profiles, inside = self._profiles(filters), self._in_period(filters)
        types = self.working.behaviour_types()
        return [
            r
            for r in self.working.clicks()
            if r.profile_id in profiles
            and inside(r.occurred_at)
            and (not filters.behaviours or r.behaviour_type_id in filters.behaviours)
            and (not filters.levels or types.get(r.behaviour_type_id, {}).get("level") in filters.levels)
            and (not filters.valence or types.get(r.behaviour_type_id, {}).get("valence") in filters.valence)
            and (not filters.staff or r.staff_id in filters.staff)
        ]

    def communications(self, filters: Filters) -> list[CommunicationRow]:
        self._require()
        profiles, inside = self._profiles(filters), self._in_period(filters)
        return [
            r
            for r in self.working.communications()
            if r.profile_id in profiles
            and inside(r.created_at)
            and (not filters.valence or r.valence in filters.valence)
            and (not filters.staff or r.author_id in filters.staff)
        ]

    def related(self, ids: Iterable[str]) -> list[IncidentRow]:
        """The incidents behind a figure, bar, cell or row (its `ids`), newest first."""
        self._require()
        wanted = set(ids)
        return sorted(
            (r for r in self.working.incidents() if r.id in wanted), key=lambda r: r.occurred_at, reverse=True
        )

    def options(self) -> dict[str, list[tuple[str, str]]]:
        """What each filter can be set to, as (value, label) pairs, for the filter form."""
        self._require()
        people = self.working.people()
        incidents = self.working.incidents()
        return {
            "individuals": sorted(((p.id, p.name) for p in people.values()), key=lambda x: x[1]),
            "groups": [(g, g) for g in sorted({p.group for p in people.values()} - {""})],
            "behaviours": sorted(
                ((i, str(v.get("label", ""))) for i, v in self.working.behaviour_types().items()), key=lambda x: x[1]
            ),
            "levels": [(lv, lv.capitalize()) for lv in LEVELS],
            "locations": [(x, x) for x in sorted({r.location for r in incidents} - {""})],
            "staff": sorted(self.working.names("staff", "name").items(), key=lambda x: x[1]),
            "interventions": [(x, x) for x in sorted({t[0] for r in incidents for t in r.techniques})],
            "valence": [("positive", "Positive"), ("negative", "Negative"), ("n/a", "Neither")],
        }

    # --- reports ----------------------------------------------------------------------------------

    def report(self, key: str, filters: Filters | None = None, *, bucket: str = "week") -> Report:
        """One of `REPORTS`, for these filters; `bucket`: "day", "week" or "month" for the time series."""
        self._require()
        filters = filters or Filters()
        build = getattr(self, f"_{key}", None)
        if key not in REPORTS or build is None:
            raise ValueError(f"unknown report {key!r}")
        kind, figures, series, table, ids = build(filters, bucket)
        return Report(key, REPORTS[key], filters, filters.period(self._today()), kind, figures, series, table, ids)

    def _global(self, filters: Filters, bucket: str) -> tuple[Any, ...]:
        rows = self.incidents(filters)
        people = self.working.people()
        statuses = ("submitted", "reviewed")
        figures = [
            Figure("incidents", "Incidents", len(rows), _ids(rows)),
            Figure(
                "physical_intervention", "With physical intervention", *_count(rows, lambda r: r.physical_intervention)
            ),
            Figure("injuries", "With an injury", *_count(rows, lambda r: r.injury)),
            Figure("individuals", "Individuals involved", len({r.profile_id for r in rows})),
        ]
        series = [
            _timeline(rows, lambda r: r.occurred_at, bucket),
            _series("by_level", "By behaviour level", rows, lambda r: [r.level], order=(*LEVELS, UNRECORDED)),
            _series("by_location", "By location", rows, lambda r: [r.location or UNRECORDED]),
            _heat_map(rows, lambda r: r.occurred_at),
            _series("by_individual", "By individual", rows, lambda r: [_name(people, r.profile_id)]),
            _series("by_group", "By group", rows, lambda r: [_person(people, r.profile_id).group or UNRECORDED]),
            _series("by_status", "By status", rows, lambda r: [r.status], order=statuses),
        ]
        if len(filters.individuals) == 1:
            # The individual against the setting: their count, and the mean per individual of their setting.
            (who,) = filters.individuals
            setting = _person(people, who).setting_id
            peers = {p.id for p in people.values() if p.setting_id == setting}
            wider = self.incidents(replace(filters, individuals=frozenset(), groups=frozenset()))
            in_setting = [r for r in wider if r.profile_id in peers]
            mean = round(len(in_setting) / len(peers), 2) if peers else 0.0
            series.append(
                Series(
                    "individual_vs_setting",
                    "The individual compared with the setting",
                    "category",
                    (
                        Point(_name(people, who), len(rows), _ids(rows)),
                        Point("Setting average", mean, _ids(in_setting)),
                    ),
                )
            )
        by_person = _grouped(rows, lambda r: [r.profile_id])
        index = {r.id: r for r in rows}
        table = _table(
            ("individual", "group", "incidents", "physical_interventions", "injuries"),
            [
                (
                    (
                        _name(people, pid),
                        _person(people, pid).group,
                        len(ids),
                        sum(index[i].physical_intervention for i in ids),
                        sum(index[i].injury for i in ids),
                    ),
                    ids,
                )
                for pid, ids in sorted(by_person.items(), key=lambda kv: (-len(kv[1]), _name(people, kv[0])))
            ],
        )
        return "incident", tuple(figures), tuple(series), table, _ids(rows)

    def _intervention(self, filters: Filters, bucket: str) -> tuple[Any, ...]:
        rows = [r for r in self.incidents(filters) if r.physical_intervention]
        people, staff = self.working.people(), self.working.names("staff", "name")
        minutes = [r.pi_minutes for r in rows if r.pi_minutes is not None]
        followed = [r for r in rows if r.pi_plan_followed is True]
        answered = [r for r in rows if r.pi_plan_followed is not None]
        tried = [r for r in rows if r.deescalation]
        longest = max(rows, key=lambda r: r.pi_minutes or -1.0) if minutes else None
        figures = (
            Figure("interventions", "Incidents with physical intervention", len(rows), _ids(rows)),
            Figure(
                "deescalation_first_pct", "De-escalation tried first (%)", _rate(len(tried), len(rows)), _ids(tried)
            ),
            Figure("median_minutes", "Median duration (minutes)", statistics.median(minutes) if minutes else 0.0),
            Figure("longest_minutes", "Longest (minutes)", max(minutes, default=0.0), (longest.id,) if longest else ()),
            Figure("plan_followed_pct", "Smart Plan followed (%)", _rate(len(followed), len(answered)), _ids(followed)),
        )
        technique_grid: dict[tuple[str, str], list[str]] = defaultdict(list)
        for r in rows:
            for technique, effectiveness, *_ in r.techniques:
                technique_grid[(technique, effectiveness)].append(r.id)
        techniques = sorted({t for t, _ in technique_grid})
        ratings = ("effective", "partly_effective", "not_effective")
        series = (
            _timeline(rows, lambda r: r.occurred_at, bucket),
            _series("techniques", "Techniques used", rows, lambda r: sorted({t[0] for t in r.techniques})),
            Series(
                "technique_effectiveness",
                "Techniques by rated effectiveness",
                "grid",
                tuple(
                    Point(
                        rating,
                        len(technique_grid.get((t, rating), [])),
                        tuple(technique_grid.get((t, rating), [])),
                        row=t,
                    )
                    for t in techniques
                    for rating in ratings
                ),
            ),
            _series(
                "deescalation_tried",
                "De-escalation tried first",
                rows,
                lambda r: ["yes" if r.deescalation else "no"],
                order=("yes", "no"),
            ),
            _series("deescalation", "De-escalation techniques", rows, lambda r: sorted({d[0] for d in r.deescalation})),
            _series("staff", "Staff involved", rows, lambda r: sorted(staff.get(s, s) for s in r.staff)),
        )
        register = []
        for r in rows:
            for technique, effectiveness, duration, used_by in r.techniques or (("", "", None, ()),):
                register.append(
                    (
                        (
                            r.reference,
                            r.occurred_at.isoformat(),
                            _name(people, r.profile_id),
                            technique,
                            effectiveness,
                            duration if duration is not None else "",
                            "; ".join(sorted(staff.get(s, s) for s in (used_by or r.staff_present))),
                            "; ".join(d[0] for d in r.deescalation),
                            "" if r.pi_plan_followed is None else ("yes" if r.pi_plan_followed else "no"),
                            "" if r.pi_minutes is None else round(r.pi_minutes, 1),
                        ),
                        (r.id,),
                    )
                )
        table = _table(
            (
                "reference",
                "occurred_at",
                "individual",
                "technique",
                "effectiveness",
                "technique_minutes",
                "staff",
                "deescalation_tried",
                "plan_followed",
                "intervention_minutes",
            ),
            register,
        )
        return "incident", figures, series, table, _ids(rows)

    def _involvement(self, filters: Filters, bucket: str) -> tuple[Any, ...]:
        rows = self.incidents(filters)
        people, staff = self.working.people(), self.working.names("staff", "name")
        subject = _grouped(rows, lambda r: [r.profile_id])
        other = _grouped(rows, lambda r: sorted(set(r.other_individuals)))
        pairs = _grouped(
            rows,
            lambda r: [
                " & ".join(sorted((_name(people, r.profile_id), _name(people, o))))
                for o in sorted(set(r.other_individuals) - {r.profile_id})
            ],
        )
        everyone = sorted(
            set(subject) | set(other),
            key=lambda p: (-(len(subject.get(p, [])) + len(other.get(p, []))), _name(people, p)),
        )
        figures = (
            Figure("incidents", "Incidents", len(rows), _ids(rows)),
            Figure("individuals", "Individuals involved", len(everyone)),
            Figure(
                "with_others", "Incidents with other individuals", *_count(rows, lambda r: bool(r.other_individuals))
            ),
        )
        series = (
            _series("as_subject", "As the individual", rows, lambda r: [_name(people, r.profile_id)]),
            _series(
                "as_other",
                "As another individual involved",
                rows,
                lambda r: sorted({_name(people, o) for o in r.other_individuals}),
            ),
            _series(
                "staff_present", "Staff present", rows, lambda r: sorted({staff.get(s, s) for s in r.staff_present})
            ),
            Series("pairs", "Pairs who appear together", "category", _points(pairs)),
        )
        table = _table(
            ("individual", "group", "as_subject", "as_other"),
            [
                (
                    (_name(people, p), _person(people, p).group, len(subject.get(p, [])), len(other.get(p, []))),
                    sorted(set(subject.get(p, [])) | set(other.get(p, []))),
                )
                for p in everyone
            ],
        )
        return "incident", figures, series, table, _ids(rows)

    def _injuries(self, filters: Filters, bucket: str) -> tuple[Any, ...]:
        rows = [r for r in self.incidents(filters) if r.injury]
        people = self.working.people()
        figures = (
            Figure("injuries", "Incidents with an injury", len(rows), _ids(rows)),
            Figure("treated", "Treatment given", *_count(rows, lambda r: r.injury_treatment)),
            Figure(
                "during_intervention", "During physical intervention", *_count(rows, lambda r: r.physical_intervention)
            ),
        )
        series = (
            _timeline(rows, lambda r: r.occurred_at, bucket),
            _series("who", "Who was injured", rows, lambda r: [r.injury_who or UNRECORDED]),
            _series(
                "treatment",
                "Treatment given",
                rows,
                lambda r: ["yes" if r.injury_treatment else "no"],
                order=("yes", "no"),
            ),
            _series(
                "by_technique", "By technique used", rows, lambda r: sorted({t[0] for t in r.techniques}) or ["none"]
            ),
        )
        table = _table(
            (
                "reference",
                "occurred_at",
                "individual",
                "injured",
                "treatment_given",
                "physical_intervention",
                "techniques",
            ),
            [
                (
                    (
                        r.reference,
                        r.occurred_at.isoformat(),
                        _name(people, r.profile_id),
                        r.injury_who,
                        "yes" if r.injury_treatment else "no",
                        "yes" if r.physical_intervention else "no",
                        "; ".join(sorted({t[0] for t in r.techniques})),
                    ),
                    (r.id,),
                )
                for r in rows
            ],
        )
        return "incident", figures, series, table, _ids(rows)

    def _communication(self, filters: Filters, bucket: str) -> tuple[Any, ...]:
        rows = self.communications(filters)
        staff = self.working.names("staff", "name")
        answered = [r for r in rows if r.first_response_at is not None]
        hours = [(r.first_response_at - r.created_at).total_seconds() / 3600 for r in answered if r.first_response_at]
        figures = (
            Figure("communications", "Communications", len(rows), _ids(rows)),
            Figure("positive", "Positive", *_count(rows, lambda r: r.valence == "positive")),
            Figure("negative", "Negative", *_count(rows, lambda r: r.valence == "negative")),
            Figure("na", "Neither", *_count(rows, lambda r: r.valence == "n/a")),
            Figure("response_rate_pct", "Answered (%)", _rate(len(answered), len(rows)), _ids(answered)),
            Figure(
                "median_hours_to_response",
                "Median time to first response (hours)",
                round(statistics.median(hours), 2) if hours else 0.0,
            ),
            Figure("added_to_plan", "Added to plans", *_count(rows, lambda r: r.added_to_plan)),
        )
        series = (
            _timeline(rows, lambda r: r.created_at, bucket),
            _series("by_valence", "By valence", rows, lambda r: [r.valence], order=("positive", "negative", "n/a")),
            _series("by_author", "By author", rows, lambda r: [staff.get(r.author_id, r.author_id)]),
        )
        by_author = _grouped(rows, lambda r: [r.author_id])
        index = {r.id: r for r in rows}
        table = _table(
            ("author", "communications", "positive", "negative", "na", "answered", "added_to_plan"),
            [
                (
                    (
                        staff.get(a, a),
                        len(ids),
                        sum(index[i].valence == "positive" for i in ids),
                        sum(index[i].valence == "negative" for i in ids),
                        sum(index[i].valence == "n/a" for i in ids),
                        sum(index[i].first_response_at is not None for i in ids),
                        sum(index[i].added_to_plan for i in ids),
                    ),
                    ids,
                )
                for a, ids in sorted(by_author.items(), key=lambda kv: (-len(kv[1]), staff.get(kv[0], kv[0])))
            ],
        )
        return "communication", figures, series, table, _ids(rows)

    def _clicker(self, filters: Filters, bucket: str) -> tuple[Any, ...]:
        rows = self.clicks(filters)
        types, staff = self.working.behaviour_types(), self.working.names("staff", "name")

        def of(r: ClickRow, name: str) -> str:
            return str(types.get(r.behaviour_type_id, {}).get(name, UNRECORDED))

        positive = [r for r in rows if of(r, "valence") == "positive"]
        negative = [r for r in rows if of(r, "valence") == "negative"]
        figures = (
            Figure("taps", "Taps", len(rows), _ids(rows)),
            Figure("positive", "Positive", len(positive), _ids(positive)),
            Figure("negative", "Negative", len(negative), _ids(negative)),
            Figure("ratio", "Positive to negative", round(len(positive) / len(negative), 2) if negative else 0.0),
        )
        series = (
            _timeline(rows, lambda r: r.occurred_at, bucket),
            _series("by_behaviour", "By behaviour", rows, lambda r: [of(r, "label")]),
            _series(
                "by_valence", "By valence", rows, lambda r: [of(r, "valence")], order=("positive", "negative", "n/a")
            ),
            _series("by_level", "By level", rows, lambda r: [of(r, "level")], order=LEVELS),
            _series(
                "by_hour",
                "By hour of day",
                rows,
                lambda r: [f"{r.occurred_at.hour:02d}"],
                order=[f"{h:02d}" for h in range(24)],
            ),
            _series(
                "by_weekday", "By day of week", rows, lambda r: [WEEKDAYS[r.occurred_at.weekday()]], order=WEEKDAYS
            ),
            _series("by_staff", "By staff", rows, lambda r: [staff.get(r.staff_id, r.staff_id)]),
        )
        by_type = _grouped(rows, lambda r: [r.behaviour_type_id])
        table = _table(
            ("behaviour", "valence", "level", "taps"),
            [
                (
                    (
                        str(types.get(t, {}).get("label", t)),
                        str(types.get(t, {}).get("valence", "")),
                        str(types.get(t, {}).get("level", "")),
                        len(ids),
                    ),
                    ids,
                )
                for t, ids in sorted(by_type.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            ],
        )
        return "clicker_event", figures, series, table, _ids(rows)

    def _discrimination(self, filters: Filters, bucket: str) -> tuple[Any, ...]:
        everything = self.incidents(filters)
        rows = [r for r in everything if r.discriminatory]
        excluded = [r for r in everything if r.exclusions]
        people = self.working.people()
        uses = [(r, e) for r in excluded for e in r.exclusions]
        figures = (
            Figure("discriminatory", "Discriminatory or prejudiced incidents", len(rows), _ids(rows)),
            Figure("suspensions", "Suspensions", *_uses(uses, ("SUSP", "LNCH"))),
            Figure("permanent_exclusions", "Permanent exclusions", *_uses(uses, ("PERM",))),
            Figure("sessions_lost", "Sessions lost", sum(e[1] or 0 for _, e in uses), _ids(excluded)),
        )
        series = (
            _timeline(rows, lambda r: r.occurred_at, bucket),
            _series("by_category", "By category", rows, lambda r: sorted(set(r.categories)) or ["other"]),
            _series("by_individual", "By individual", rows, lambda r: [_name(people, r.profile_id)]),
            _series("by_location", "By location", rows, lambda r: [r.location or UNRECORDED]),
            _series(
                "exclusion_reasons",
                "Exclusion reason codes",
                excluded,
                lambda r: sorted({c for e in r.exclusions for c in e[2]}),
            ),
        )
        table = _table(
            ("reference", "occurred_at", "individual", "exclusion_type", "sessions", "reason_codes"),
            [
                (
                    (
                        r.reference,
                        r.occurred_at.isoformat(),
                        _name(people, r.profile_id),
                        e[0],
                        "" if e[1] is None else e[1],
                        " ".join(e[2]),
                    ),
                    (r.id,),
                )
                for r, e in uses
            ],
        )
        return "incident", figures, series, table, _ids(sorted({*rows, *excluded}, key=lambda r: (r.occurred_at, r.id)))

    def _equality(self, filters: Filters, bucket: str) -> tuple[Any, ...]:
        rows = self.incidents(filters)
        people = self.working.people()
        roll = [p for p in people.values() if p.id in self._profiles(filters)]
        cohorts: list[tuple[str, Callable[[Person], bool]]] = [
            ("send", lambda p: p.send),
            ("not_send", lambda p: not p.send),
            ("ehc_plan", lambda p: p.ehc_plan),
            ("no_ehc_plan", lambda p: not p.ehc_plan),
            ("looked_after", lambda p: p.looked_after),
            ("not_looked_after", lambda p: not p.looked_after),
        ]
        table_rows = []
        series_points: list[Point] = []
        for name, member in cohorts:
            ids = {p.id for p in roll if member(p)}
            mine = [r for r in rows if r.profile_id in ids]
            pis = [r for r in mine if r.physical_intervention]
            susp = [r for r in mine for e in r.exclusions if e[0] in ("SUSP", "LNCH")]
            table_rows.append(
                (
                    (
                        name,
                        len(ids),
                        _rate(len(ids), len(roll)),
                        len(mine),
                        _rate(len(mine), len(rows)),
                        _per100(len(mine), len(ids)),
                        len(pis),
                        _per100(len(pis), len(ids)),
                        len(susp),
                        _per100(len(susp), len(ids)),
                    ),
                    _ids(mine),
                )
            )
            series_points.append(Point(name, _per100(len(mine), len(ids)), _ids(mine)))
        figures = (
            Figure("roll", "Individuals", len(roll)),
            Figure("incidents_per_100", "Incidents per 100 individuals", _per100(len(rows), len(roll)), _ids(rows)),
        )
        series = (Series("incidents_per_100", "Incidents per 100 individuals", "category", tuple(series_points)),)
        table = _table(
            (
                "cohort",
                "individuals",
                "share_of_roll_pct",
                "incidents",
                "share_of_incidents_pct",
                "incidents_per_100",
                "physical_interventions",
                "physical_interventions_per_100",
                "suspensions",
                "suspensions_per_100",
            ),
            table_rows,
        )
        return "incident", figures, series, table, _ids(rows)

    # --- dashboard --------------------------------------------------------------------------------

    def headline(self, filters: Filters | None = None) -> tuple[Figure, ...]:
        """The dashboard's figures for the filters' period, each with the previous period's value: the same
        figures the reports show (`report(...).figure(key)`), so they can never disagree."""
        self._require()
        filters = filters or Filters(preset="7_days")
        before = filters.previous(self._today())
        picks = (
            ("global", "incidents", "incidents"),
            ("global", "physical_intervention", "physical_intervention"),
            ("global", "injuries", "injuries"),
            ("communication", "positive", "positive_communications"),
            ("communication", "negative", "negative_communications"),
            ("clicker", "positive", "positive_clicks"),
            ("clicker", "negative", "negative_clicks"),
        )
        now: dict[str, Report] = {}
        then: dict[str, Report] = {}
        out = []
        for report, key, name in picks:
            if report not in now:
                now[report], then[report] = self.report(report, filters), self.report(report, before)
            figure = now[report].figure(key)
            out.append(replace(figure, key=name, previous=then[report].figure(key).value))
        open_now = [r for r in self.incidents(filters) if _follow_up_open(r)]
        open_then = [r for r in self.incidents(before) if _follow_up_open(r)]
        out.append(Figure("follow_ups_open", "Follow-ups still open", len(open_now), _ids(open_now), len(open_then)))
        return tuple(out)

    # --- saved filter sets ------------------------------------------------------------------------

    def saved_filters(self) -> dict[str, Filters]:
        """This user's saved filter sets by name (encrypted in the store's vault)."""
        self._require()
        saved = self.context.store.get_secret(SAVED_FILTERS_SECRET) or {}
        return {name: Filters.from_json(data) for name, data in sorted(saved.items())}

    def save_filters(self, name: str, filters: Filters) -> None:
        self._require()
        name = name.strip()
        if not name:
            raise ValueError("a saved filter set needs a name")
        saved = self.context.store.get_secret(SAVED_FILTERS_SECRET) or {}
        saved[name] = filters.to_json()
        self.context.store.put_secret(SAVED_FILTERS_SECRET, saved)

    def delete_filters(self, name: str) -> None:
        self._require()
        saved = self.context.store.get_secret(SAVED_FILTERS_SECRET) or {}
        saved.pop(name, None)
        self.context.store.put_secret(SAVED_FILTERS_SECRET, saved)

    # --- CSV --------------------------------------------------------------------------------------

    def table_csv(self, report: Report) -> str:
        """The report's table as CSV (columns: docs/analytics.md)."""
        self._require()
        return to_csv(report.table.columns, report.table.rows)

    def rows_csv(self, report: Report) -> str:
        """The records the report counted, one per line (columns: docs/analytics.md)."""
        self._require()
        wanted = set(report.record_ids)
        people = self.working.people()
        staff = self.working.names("staff", "name")
        if report.record_kind == "clicker_event":
            types = self.working.behaviour_types()
            return to_csv(
                CLICK_COLUMNS,
                [
                    (
                        r.id,
                        r.occurred_at.isoformat(),
                        _name(people, r.profile_id),
                        _person(people, r.profile_id).group,
                        str(types.get(r.behaviour_type_id, {}).get("label", "")),
                        str(types.get(r.behaviour_type_id, {}).get("valence", "")),
                        str(types.get(r.behaviour_type_id, {}).get("level", "")),
                        staff.get(r.staff_id, ""),
                    )
                    for r in self.working.clicks()
                    if r.id in wanted
                ],
            )
        if report.record_kind == "communication":
            return to_csv(
                COMMUNICATION_COLUMNS,
                [
                    (
                        r.id,
                        r.created_at.isoformat(),
                        _name(people, r.profile_id),
                        _person(people, r.profile_id).group,
                        r.valence,
                        staff.get(r.author_id, ""),
                        r.responses,
                        r.first_response_at.isoformat() if r.first_response_at else "",
                        "yes" if r.added_to_plan else "no",
                    )
                    for r in self.working.communications()
                    if r.id in wanted
                ],
            )
        return to_csv(
            INCIDENT_COLUMNS,
            [
                (
                    r.id,
                    r.reference,
                    r.occurred_at.isoformat(),
                    _name(people, r.profile_id),
                    _person(people, r.profile_id).group,
                    r.status,
                    r.location,
                    r.level,
                    _yes(r.physical_intervention),
                    _yes(r.injury),
                    r.injury_who,
                    _yes(r.discriminatory),
                    " ".join(r.categories),
                    " ".join(e[0] for e in r.exclusions),
                    sum(e[1] or 0 for e in r.exclusions),
                    "; ".join(sorted({t[0] for t in r.techniques})),
                    "" if r.pi_minutes is None else round(r.pi_minutes, 1),
                    "; ".join(sorted(staff.get(s, s) for s in r.staff_present)),
                    "; ".join(sorted(_name(people, o) for o in r.other_individuals)),
                    _yes(r.flagged),
                )
                for r in self.working.incidents()
                if r.id in wanted
            ],
        )


INCIDENT_COLUMNS = (
    "incident_id",
    "reference",
    "occurred_at",
    "individual",
    "group",
    "status",
    "location",
    "behaviour_level",
    "physical_intervention",
    "injury",
    "injured",
    "discriminatory",
    "discriminatory_categories",
    "exclusion_types",
    "sessions_lost",
    "techniques",
    "intervention_minutes",
    "staff_present",
    "other_individuals",
    "flagged",
)
CLICK_COLUMNS = ("tap_id", "occurred_at", "individual", "group", "behaviour", "valence", "level", "staff")
COMMUNICATION_COLUMNS = (
    "communication_id",
    "created_at",
    "individual",
    "group",
    "valence",
    "author",
    "responses",
    "first_response_at",
    "added_to_plan",
)

#: what a spreadsheet would read as the start of a formula (or a cell control character)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One CSV cell: dates in ISO 8601, booleans as yes/no, and text a spreadsheet would run as a formula
    prefixed with an apostrophe (numbers, including negative ones, stay numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (RFC 4180, CRLF line ends) with a header; every cell through `csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _count(rows: Sequence[Any], test: Callable[[Any], bool]) -> tuple[int, tuple[str, ...]]:
    hits = [r for r in rows if test(r)]
    return len(hits), _ids(hits)


def _uses(uses: Sequence[tuple[IncidentRow, Any]], types: Sequence[str]) -> tuple[int, tuple[str, ...]]:
    hits = [r for r, e in uses if e[0] in types]
    return len(hits), tuple(dict.fromkeys(r.id for r in hits))


def _per100(count: int, of: int) -> float:
    return round(100 * count / of, 1) if of else 0.0


def _follow_up_open(row: IncidentRow) -> bool:
    """Still to do after an incident: a lead's review, or telling the parents."""
    return row.status != "reviewed" or row.parents_informed is None


_NOBODY = Person("", "Unknown individual", "", "", False, False, False)


def _person(people: dict[str, Person], pid: str) -> Person:
    return people.get(pid, _NOBODY)


def _name(people: dict[str, Person], pid: str) -> str:
    return _person(people, pid).name
