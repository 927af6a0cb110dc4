"""CSV of analytics: the stable column names of the underlying rows (docs/analytics.md), ISO 8601 dates,
and cells escaped so a spreadsheet never runs them as formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

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
        return yes_no(value)
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


def yes_no(value: bool) -> str:
    return "yes" if value else "no"
