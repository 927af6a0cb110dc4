"""The record vocabulary the screens show: the stored enums, their user-facing labels and the capabilities.

The labels live once, in `sync.records.ENUM_LABELS` (a test checks every enum member has one); this module
hands them — and the enums and capabilities a screen needs to decide what to offer — to `screens/`, which
never import `sync/` themselves.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from enum import StrEnum

from sync.permissions import Capability
from sync.records import (
    EXCLUSION_REASON_LABELS,
    PLAN_SECTIONS,
    ContactMethod,
    ContributorRole,
    DiscriminationCategory,
    Effectiveness,
    ExclusionReason,
    ExclusionType,
    IncidentStatus,
    OnBehalfOf,
    PlanStatus,
    PlanType,
    ReportRoute,
    ReviewKind,
    SupportRequestKind,
    label,
)

__all__ = [
    "EXCLUSION_REASON_LABELS",
    "PLAN_SECTIONS",
    "Capability",
    "ContactMethod",
    "ContributorRole",
    "DiscriminationCategory",
    "Effectiveness",
    "ExclusionReason",
    "ExclusionType",
    "IncidentStatus",
    "OnBehalfOf",
    "PlanStatus",
    "PlanType",
    "ReportRoute",
    "ReviewKind",
    "SupportRequestKind",
    "label",
    "local_moment",
    "options",
    "uk_moment",
    "uk_when",
]


def options(enum: type[StrEnum]) -> dict[str, str]:
    """Every value of `enum` with its label, in the enum's order: what a dropdown or a set of toggles offers."""
    return {member.value: label(enum, member) for member in enum}


def local_moment(value: str) -> dt.datetime:
    """An ISO moment (UTC, "Z" or an offset) in this device's local time; ValueError if it is not one."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()


def uk_moment(moment: dt.datetime) -> str:
    """A moment the UK way, as shown and as typed: '1 Dec 2026, 09:15'."""
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def uk_when(value: str | None, *, weekday: bool = True) -> str:
    """An ISO moment as the user's local 'Tue 1 Dec 2026, 09:15' — the one way the app and its screens write a
    moment ("" for none; text that is not a moment as it is)."""
    if not value:
        return ""
    try:
        moment = local_moment(value)
    except ValueError:
        return value
    return f"{moment:%a} {uk_moment(moment)}" if weekday else uk_moment(moment)


def uk_day(value: str | dt.date | None) -> str:
    """A date (a datetime's day, or an ISO date) the UK way: '8 Jan 2027' — the one way the app and its
    screens write a day ("" for none; text that is not a date as it is)."""
    if not value:
        return ""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


_MONTHS = {m.lower(): n for n, m in enumerate(calendar.month_abbr) if m} | {
    m.lower(): n for n, m in enumerate(calendar.month_name) if m
}
_MONTHS["sept"] = 9
_NUMERIC_DATE = re.compile(r"(?P<d>\d{1,2})[/.-](?P<mo>\d{1,2})[/.-](?P<y>\d{4}|\d{2})$")
_ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})$")
_WORD_DATE = re.compile(r"(?:[a-z]+\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mo>[a-z]+)\.?\s+(?P<y>\d{4})$")


def parse_day(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """A typed UK date, day first ('8/1/2027', '8 Jan 2027', '2027-01-08', 'today'); None if it is not one."""
    date_text = re.sub(r"\s+", " ", text.strip().lower().replace(",", " ")).strip()
    base = today or dt.date.today()
    try:
        if date_text in ("today", "yesterday"):
            return base - dt.timedelta(days=1 if date_text == "yesterday" else 0)
        if found := (_NUMERIC_DATE.match(date_text) or _ISO_DATE.match(date_text)):
            year = int(found["y"]) + (2000 if len(found["y"]) == 2 else 0)
            return dt.date(year, int(found["mo"]), int(found["d"]))
        if (found := _WORD_DATE.match(date_text)) and found["mo"] in _MONTHS:
            return dt.date(int(found["y"]), _MONTHS[found["mo"]], int(found["d"]))
    except ValueError:  # 31/02/2026
        return None
    return None
