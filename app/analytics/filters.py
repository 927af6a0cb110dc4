"""Analytics filters: a date preset or range, and the individuals, groups, behaviours, levels, locations,
staff, intervention types and valence a report covers (saved by name as JSON)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from app.vocabulary import uk_day

PRESETS = ("7_days", "30_days", "this_term", "this_year", "all", "custom")
PRESET_LABELS = {
    "7_days": "Last 7 days",
    "30_days": "Last 30 days",
    "this_term": "This term",
    "this_year": "This school year",
    "all": "All time",
    "custom": "Custom range",
}
#: the sets of `Filters` a person chooses values for, with their names (`Analytics.options()` gives the values)
DIMENSIONS = {
    "individuals": "Individuals",
    "groups": "Groups",
    "behaviours": "Behaviours",
    "levels": "Behaviour levels",
    "locations": "Locations",
    "staff": "Staff",
    "interventions": "Intervention types",
    "valence": "Valence",
}


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


def day_label(day: dt.date) -> str:
    """A day the UK way: '1 Sep 2026' (`app.vocabulary.uk_day`)."""
    return uk_day(day)


def describe(
    filters: Filters, period: tuple[dt.date | None, dt.date | None], labels: Mapping[str, Mapping[str, str]]
) -> str:
    """The filters in words, the same on screen and on a printed report: the period with its first and last
    day, then each chosen set with the names of its values (`labels`: dimension -> value -> name), e.g.
    "Last 30 days: 2 Nov 2026 to 1 Dec 2026 · Locations: Hall, Playground"."""
    start, end = period
    if start is None and end is None:
        when = PRESET_LABELS["all"]
    else:
        first = day_label(start) if start else "the start"
        last = day_label(end - dt.timedelta(days=1)) if end else "today"
        when = (
            f"From {first} to {last}"
            if filters.preset == "custom"
            else f"{PRESET_LABELS[filters.preset]}: {first} to {last}"
        )
    parts = [when]
    for key, name in DIMENSIONS.items():
        chosen: frozenset[str] = getattr(filters, key)
        if chosen:
            names = labels.get(key, {})
            parts.append(f"{name}: " + ", ".join(sorted(names.get(v, v) for v in chosen)))
    return " · ".join(parts)
