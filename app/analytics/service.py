"""The analytics service: the eight reports over the working set, the dashboard's headline figures (the same
code), related incidents, saved filter sets and CSV, for roles with the analytics capability."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Any

from app.analytics.export import CLICK_COLUMNS, COMMUNICATION_COLUMNS, INCIDENT_COLUMNS, yes_no
from app.analytics.filters import Filters, day_label, describe
from app.analytics.printing import report_document
from app.analytics.report import COHORTS, REPORTS, Figure, Point, Report, Series, Table
from app.analytics.working_set import (
    LEVELS,
    TIME_ZONE,
    UNRECORDED,
    WEEKDAYS,
    ClickRow,
    CommunicationRow,
    IncidentRow,
    Person,
    WorkingSet,
)
from app.context import ActionError, Context, now_utc
from documents import Document, Fact, to_csv
from sync.permissions import Capability
from sync.records import (
    BehaviourLevel,
    DiscriminationCategory,
    Effectiveness,
    ExclusionReason,
    IncidentStatus,
    Valence,
)
from sync.records import label as label_of

#: the vault entry holding this user's saved filter sets (encrypted like every other value)
SAVED_FILTERS_SECRET = "analytics_filters"

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


def _in_words(
    key: str,
    title: str,
    rows: Sequence[Any],
    enum: type[StrEnum],
    value: Callable[[Any], str],
    order: Sequence[str] | None = None,
) -> Series:
    """A category series of a stored value, named in words ("Submitted", "Neither"), every value of `order`
    (the enum's own by default) shown in that order, an unused one as 0."""
    return _series(
        key, title, rows, lambda r: [label_of(enum, value(r))], order=tuple(label_of(enum, v) for v in order or enum)
    )


def _timeline(rows: Sequence[Any], at: Callable[[Any], dt.datetime], bucket: str) -> Series:
    groups = _grouped(rows, lambda r: [_bucket(at(r), bucket)])
    return Series("over_time", f"By {bucket}", "time", _points(groups, by_count=False))


#: the most periods a series over time is filled out to (a day at a time over years would be thousands)
MAX_PERIODS = 400


def _next_period(day: dt.date, size: str) -> dt.date:
    if size == "day":
        return day + dt.timedelta(days=1)
    if size == "week":
        return day + dt.timedelta(days=7)
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _filled(series: Series, period: tuple[dt.date | None, dt.date | None], today: dt.date, size: str) -> Series:
    """A series over time with every period of the report in it, a quiet one as 0: left out, the weeks either
    side of a quiet month would be drawn side by side and a falling trend would look like a steady one. It
    runs from the report's first day (or its first record) to its last day (or today). Tested in
    tests/app/test_analytics.py."""
    if not series.points:
        return series  # nothing recorded: the screen says so rather than drawing a flat line
    start, end = period
    first = min(dt.date.fromisoformat(_day_of(p.label)) for p in series.points)
    first = min(first, start) if start else first
    last = end - dt.timedelta(days=1) if end else today
    last = max(last, max(dt.date.fromisoformat(_day_of(p.label)) for p in series.points))
    known = {p.label: p for p in series.points}
    points: list[Point] = []
    day = dt.date.fromisoformat(_day_of(_bucket(dt.datetime.combine(first, dt.time()), size)))
    while day <= last and len(points) <= MAX_PERIODS:
        label = _bucket(dt.datetime.combine(day, dt.time()), size)
        points.append(known.get(label, Point(label, 0)))
        day = _next_period(day, size)
    if len(points) > MAX_PERIODS:
        return series
    return replace(series, points=tuple(points))


def _day_of(label: str) -> str:
    """The first day of a period's label: a day or a week's Monday as it is, a month ("2026-11") its 1st."""
    return label if len(label) == 10 else f"{label}-01"


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


#: a chart's name for the records that leave a value out (a filter's value for them is UNRECORDED)
NOT_RECORDED = "Not recorded"


def _level(level: str) -> str:
    """A behaviour level as a chart names it: "High", or "Not recorded"."""
    return label_of(BehaviourLevel, level) if level in LEVELS else NOT_RECORDED


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

    def describe(self, filters: Filters) -> str:
        """The filters in words, with the names of what was chosen (the screen's summary, a print's subtitle)."""
        self._require()
        chosen = [key for key, value in filters.to_json().items() if isinstance(value, list) and value]
        options = self.options() if chosen else {}
        labels = {key: dict(pairs) for key, pairs in options.items()}
        return describe(filters, filters.period(self._today()), labels)

    # --- reports ----------------------------------------------------------------------------------

    def report(self, key: str, filters: Filters | None = None, *, bucket: str = "week") -> Report:
        """One of `REPORTS`, for these filters; `bucket`: "day", "week" or "month" for the time series."""
        self._require()
        filters = filters or Filters()
        build = getattr(self, f"_{key}", None)
        if key not in REPORTS or build is None:
            raise ValueError(f"unknown report {key!r}")
        kind, figures, series, table, ids = build(filters, bucket)
        today, period = self._today(), filters.period(self._today())
        series = tuple(_filled(s, period, today, bucket) if s.shape == "time" else s for s in series)
        return Report(key, REPORTS[key], filters, period, kind, figures, series, table, ids)

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
            _series(
                "by_level",
                "By behaviour level",
                rows,
                lambda r: [_level(r.level)],
                order=(*map(_level, LEVELS), NOT_RECORDED),
            ),
            _series("by_location", "By location", rows, lambda r: [r.location or NOT_RECORDED]),
            _heat_map(rows, lambda r: r.occurred_at),
            _series("by_individual", "By individual", rows, lambda r: [_name(people, r.profile_id)]),
            _series("by_group", "By group", rows, lambda r: [_person(people, r.profile_id).group or NOT_RECORDED]),
            _in_words("by_status", "By status", rows, IncidentStatus, lambda r: r.status, statuses),
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
                        label_of(Effectiveness, rating),
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
                lambda r: ["Yes" if r.deescalation else "No"],
                order=("Yes", "No"),
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
            _series("who", "Who was injured", rows, lambda r: [r.injury_who or NOT_RECORDED]),
            _series(
                "treatment",
                "Treatment given",
                rows,
                lambda r: ["Yes" if r.injury_treatment else "No"],
                order=("Yes", "No"),
            ),
            _series(
                "by_technique", "By technique used", rows, lambda r: sorted({t[0] for t in r.techniques}) or ["None"]
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
            _in_words("by_valence", "By valence", rows, Valence, lambda r: r.valence),
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
            _in_words("by_valence", "By valence", rows, Valence, lambda r: of(r, "valence")),
            _series("by_level", "By level", rows, lambda r: [_level(of(r, "level"))], order=tuple(map(_level, LEVELS))),
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
            _series(
                "by_category",
                "By category",
                rows,
                lambda r: sorted({label_of(DiscriminationCategory, c) for c in r.categories}) or ["Not said"],
            ),
            _series("by_individual", "By individual", rows, lambda r: [_name(people, r.profile_id)]),
            _series("by_location", "By location", rows, lambda r: [r.location or NOT_RECORDED]),
            _series(
                "exclusion_reasons",
                "Suspension and exclusion reasons",
                excluded,
                lambda r: sorted({label_of(ExclusionReason, c) for e in r.exclusions for c in e[2]}),
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
            series_points.append(Point(COHORTS[name], _per100(len(mine), len(ids)), _ids(mine)))
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
        open_now = [r for r in self.incidents(filters) if follow_up_open(r)]
        open_then = [r for r in self.incidents(before) if follow_up_open(r)]
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
            raise ActionError("Give the filter set a name to save it under.")
        saved = self.context.store.get_secret(SAVED_FILTERS_SECRET) or {}
        saved[name] = filters.to_json()
        self.context.store.put_secret(SAVED_FILTERS_SECRET, saved)

    def delete_filters(self, name: str) -> None:
        self._require()
        saved = self.context.store.get_secret(SAVED_FILTERS_SECRET) or {}
        saved.pop(name, None)
        self.context.store.put_secret(SAVED_FILTERS_SECRET, saved)

    # --- print ------------------------------------------------------------------------------------

    def document(self, report: Report) -> Document:
        """The report as shown, laid out for print (`app/analytics/printing.py`): hand it to
        `Downloads.export_document`, which makes the PDF and audits it as an export."""
        self._require()
        me = self.context.staff_names().get(self.context.user.id) or self.context.user.name
        today = self._today()
        facts = [
            Fact("Organisation", self.context.organisation_name()),
            Fact("Printed by", f"{me} ({self.context.role_label()})"),
            Fact("Printed on", day_label(today)),
        ]
        return report_document(
            report,
            subtitle=self.describe(report.filters),
            facts=facts,
            file_name=f"besmart-{report.key}-report-{today.isoformat()}.pdf",
        )

    # --- CSV --------------------------------------------------------------------------------------

    def table_csv(self, report: Report) -> str:
        """The report's table as CSV (columns: docs/analytics.md)."""
        self._require()
        return to_csv(report.table.rows, report.table.columns)

    def rows_csv(self, report: Report) -> str:
        """The records the report counted, one per line (columns: docs/analytics.md)."""
        self._require()
        wanted = set(report.record_ids)
        people = self.working.people()
        staff = self.working.names("staff", "name")
        if report.record_kind == "clicker_event":
            types = self.working.behaviour_types()
            return to_csv(
                columns=CLICK_COLUMNS,
                rows=[
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
                columns=COMMUNICATION_COLUMNS,
                rows=[
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
            columns=INCIDENT_COLUMNS,
            rows=[
                (
                    r.id,
                    r.reference,
                    r.occurred_at.isoformat(),
                    _name(people, r.profile_id),
                    _person(people, r.profile_id).group,
                    r.status,
                    r.location,
                    r.level,
                    yes_no(r.physical_intervention),
                    yes_no(r.injury),
                    r.injury_who,
                    yes_no(r.discriminatory),
                    " ".join(r.categories),
                    " ".join(e[0] for e in r.exclusions),
                    sum(e[1] or 0 for e in r.exclusions),
                    "; ".join(sorted({t[0] for t in r.techniques})),
                    "" if r.pi_minutes is None else round(r.pi_minutes, 1),
                    "; ".join(sorted(staff.get(s, s) for s in r.staff_present)),
                    "; ".join(sorted(_name(people, o) for o in r.other_individuals)),
                    yes_no(r.flagged),
                )
                for r in self.working.incidents()
                if r.id in wanted
            ],
        )


def _count(rows: Sequence[Any], test: Callable[[Any], bool]) -> tuple[int, tuple[str, ...]]:
    hits = [r for r in rows if test(r)]
    return len(hits), _ids(hits)


def _uses(uses: Sequence[tuple[IncidentRow, Any]], types: Sequence[str]) -> tuple[int, tuple[str, ...]]:
    hits = [r for r, e in uses if e[0] in types]
    return len(hits), tuple(dict.fromkeys(r.id for r in hits))


def _per100(count: int, of: int) -> float:
    return round(100 * count / of, 1) if of else 0.0


def follow_up_open(row: IncidentRow) -> bool:
    """Still to do after an incident: a lead's review, or telling the parents."""
    return row.status != "reviewed" or row.parents_informed is None


_NOBODY = Person("", "Unknown individual", "", "", False, False, False)


def _person(people: dict[str, Person], pid: str) -> Person:
    return people.get(pid, _NOBODY)


def _name(people: dict[str, Person], pid: str) -> str:
    return _person(people, pid).name
