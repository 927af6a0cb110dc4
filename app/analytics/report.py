"""What a report is made of — headline figures, chart series, a table — as plain dataclasses the screens,
the documents layer and CSV read; each value carries the ids of the records behind it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.analytics.filters import Filters
from app.vocabulary import Effectiveness, ExclusionReason, ExclusionType, label, uk_when
from documents.charts import number
from sync.records import BehaviourLevel, Valence


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


#: a category series with this many points or fewer is drawn as a pie (on screen and on paper)
PIE_MAX = 3


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    #: "time" (line), "category" (bar or pie), "grid" (heat map: points carry row and label as column)
    shape: str
    points: tuple[Point, ...]

    @property
    def drawing(self) -> str:
        """How the chart is drawn, the same on screen and in print: "line", "pie", "bars" or "grid"."""
        if self.shape == "grid":
            return "grid"
        if self.shape == "time":
            return "line"
        return "pie" if len(self.points) <= PIE_MAX and any(p.value for p in self.points) else "bars"


@dataclass(frozen=True)
class Table:
    #: stable column names (docs/analytics.md): the CSV header
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    #: the record ids behind each row, in the same order
    ids: tuple[tuple[str, ...], ...]


def table_cell(column: str, value: object) -> str:
    """A report table's value for a reader, by its column, on the screen and on paper (for one value alone, see
    `documents.cell_text`): numbers as the charts show them, a moment the UK way, stored values in words
    ("Partly effective", "Not SEND"), a suspension's census codes with what they mean ("Racist abuse (RA)"). The
    CSV keeps the values for machines: ISO 8601 moments, stored values and bare census codes.
    Tested in tests/app/test_analytics.py."""
    if value is None:
        return ""
    if isinstance(value, float):
        return number(value)
    text = str(value)
    if column.endswith("_at"):
        return uk_when(text, weekday=False)
    census = {"exclusion_type": ExclusionType, "reason_codes": ExclusionReason}.get(column)
    if census is not None and text:
        return "; ".join(f"{label(census, code)} ({code})" for code in text.split())
    if column == "effectiveness":
        return label(Effectiveness, text)
    if column == "valence":
        return label(Valence, text)
    if column == "level":
        return label(BehaviourLevel, text)
    if column == "cohort":
        return COHORTS.get(text, text)
    return text


#: the equality report's cohorts (the table's and the CSV's `cohort` values) in words
COHORTS = {
    "send": "SEND",
    "not_send": "Not SEND",
    "ehc_plan": "EHC plan",
    "no_ehc_plan": "No EHC plan",
    "looked_after": "Looked after",
    "not_looked_after": "Not looked after",
}
#: column names a reader would not read as meant, word by word
_TITLES = {"na": "Neither"}


def column_title(column: str) -> str:
    """A table column's heading for a reader ("Physical interventions", "Share of roll (%)", "Incidents per
    100"); the CSV header keeps the name."""
    if column in _TITLES:
        return _TITLES[column]
    words = column.removesuffix("_pct").replace("deescalation", "de-escalation").replace("_", " ")
    return words.capitalize() + (" (%)" if column.endswith("_pct") else "")


def spans_years(points: Sequence[Point]) -> bool:
    """Whether a series over time runs over more than one calendar year (its labels then name the year)."""
    return len({p.label[:4] for p in points}) > 1


def period_label(label: str, *, year: bool = False) -> str:
    """A point of a series over time as a chart names it: a day or a week's Monday as "2 Nov" ("2 Nov 2025"
    with `year`, for a series over more than one year), a month as "Nov 2026" (its label is ISO: "2026-11-02",
    "2026-11"; "11-02" would read as 11 February here)."""
    try:
        if len(label) == 10:
            day = dt.date.fromisoformat(label)
            return f"{day.day} {day:%b %Y}" if year else f"{day.day} {day:%b}"
        if len(label) == 7:
            return f"{dt.date.fromisoformat(label + '-01'):%b %Y}"
    except ValueError:
        pass
    return label


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
