"""The statutory clocks of an incident: which duties a restrictive intervention starts, their deadlines per
setting type and jurisdiction (with an admin's overrides from the `setting` record), and for one incident
each clock's state — done, due (by its deadline) or overdue — computed from the incident's own fields and
"now", offline, the same on the device and on the server (docs/compliance.md lists the rules and sources).

Deadlines are counted in Europe/London time: "the same day" ends at local midnight, days are calendar days
at the same time of day, hours are elapsed hours (so 24 hours across a clock change is still 24 hours), and
working days skip weekends and the jurisdiction's bank holidays (`sync/data/bank_holidays.json`). A deadline
is the moment a clock becomes overdue: done before it is on time, done at or after it is late.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sync.records import (
    ENUM_LABELS,
    ClockOverride,
    ClockRule,
    ClockUnit,
    IncidentStatus,
    Jurisdiction,
    ReportRoute,
    SettingType,
)

LONDON = ZoneInfo("Europe/London")


class ClockState(StrEnum):
    DONE = "done"
    DUE = "due"
    OVERDUE = "overdue"


@cache
def bank_holidays(jurisdiction: Jurisdiction | str) -> frozenset[dt.date]:
    """The bank holidays of a jurisdiction in the years the data file lists (England's are England and Wales's)."""
    text = resources.files("sync").joinpath("data").joinpath("bank_holidays.json").read_text(encoding="utf-8")
    days: list[str] = json.loads(text)[Jurisdiction(jurisdiction).value]
    return frozenset(dt.date.fromisoformat(day) for day in days)


def _local_midnight(day: dt.date) -> dt.datetime:
    # Midnight exists once every day in Europe/London (the clocks change at 01:00 UTC).
    return dt.datetime.combine(day, dt.time(0), tzinfo=LONDON).astimezone(dt.UTC)


def is_working_day(day: dt.date, holidays: frozenset[dt.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


@dataclass(frozen=True)
class Deadline:
    """How long a duty may take: `amount` of `unit` (amount 0 for the same day)."""

    unit: ClockUnit
    amount: int = 0

    def after(self, start: dt.datetime, holidays: frozenset[dt.date] = frozenset()) -> dt.datetime:
        """The moment (UTC) a clock started at `start` becomes overdue."""
        if start.tzinfo is None:
            raise ValueError("a clock starts at a moment with a timezone")
        local = start.astimezone(LONDON)
        if self.unit == ClockUnit.HOURS:
            return start.astimezone(dt.UTC) + dt.timedelta(hours=self.amount)
        if self.unit == ClockUnit.DAYS:
            # An aware datetime plus a timedelta keeps the wall-clock time: the same time of day, n days on.
            return (local + dt.timedelta(days=self.amount)).astimezone(dt.UTC)
        if self.unit == ClockUnit.SAME_DAY:
            return _local_midnight(local.date() + dt.timedelta(days=1))
        day, left = local.date(), self.amount
        while left > 0:
            day += dt.timedelta(days=1)
            if is_working_day(day, holidays):
                left -= 1
        return _local_midnight(day + dt.timedelta(days=1))

    def describe(self) -> str:
        """In words, e.g. "within 24 hours", "the same day", "within 2 working days"."""
        if self.unit == ClockUnit.SAME_DAY:
            return "the same day"
        unit = {ClockUnit.HOURS: "hour", ClockUnit.DAYS: "day", ClockUnit.WORKING_DAYS: "working day"}[self.unit]
        return f"within {self.amount} {unit}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True)
class Rule:
    """One duty of a rule set: its deadline, the statutory one (None: the organisation added it) and the law."""

    rule: ClockRule
    deadline: Deadline
    statutory: Deadline | None
    regulation: str

    @property
    def duty(self) -> str:
        return ENUM_LABELS[ClockRule][self.rule]

    @property
    def overridden(self) -> bool:
        return self.deadline != self.statutory


@dataclass(frozen=True)
class RuleSet:
    name: str
    jurisdiction: Jurisdiction
    rules: tuple[Rule, ...]

    @property
    def holidays(self) -> frozenset[dt.date]:
        """The weekdays that are not working days where this rule set applies."""
        return bank_holidays(self.jurisdiction)


_REG_35 = "Children's Homes (England) Regulations 2015, regulation 35"
_S93A = (
    "Education and Inspections Act 2006 s93A; the Schools (Recording and Reporting of Seclusion and Restraint) "
    "Regulations 2025"
)
_ORGANISATION = "Set by the organisation (no statutory deadline)"
_IEI = "Included, Engaged and Involved part 3 (Scottish Government guidance)"


def _statutory(rule: ClockRule, deadline: Deadline, regulation: str) -> Rule:
    return Rule(rule, deadline, deadline, regulation)


CHILDRENS_HOME_ENGLAND = RuleSet(
    "Children's home, England",
    Jurisdiction.ENGLAND,
    (
        _statutory(ClockRule.RECORDED, Deadline(ClockUnit.HOURS, 24), _REG_35),
        _statutory(ClockRule.STAFF_SPOKEN_TO_AND_SIGNED, Deadline(ClockUnit.HOURS, 48), _REG_35),
        _statutory(ClockRule.CHILD_SPOKEN_TO, Deadline(ClockUnit.DAYS, 5), _REG_35),
    ),
)
SCHOOL_ENGLAND = RuleSet(
    "School, England",
    Jurisdiction.ENGLAND,
    (
        _statutory(ClockRule.RECORDED, Deadline(ClockUnit.SAME_DAY), _S93A),
        # "As soon as practicable": the same day by default (an admin may set another deadline).
        _statutory(ClockRule.PARENTS_WRITTEN_REPORT, Deadline(ClockUnit.SAME_DAY), _S93A),
    ),
)
SCHOOL_SCOTLAND = RuleSet(
    "School, Scotland",
    Jurisdiction.SCOTLAND,
    (
        _statutory(ClockRule.PARENTS_TOLD, Deadline(ClockUnit.HOURS, 24), _IEI),
        _statutory(ClockRule.AUTHORITY_TOLD, Deadline(ClockUnit.WORKING_DAYS, 2), _IEI),
        _statutory(ClockRule.RECORDED, Deadline(ClockUnit.WORKING_DAYS, 5), _IEI),
    ),
)
#: The statutory rule sets; a setting type and jurisdiction not here has no statutory clocks (an admin may add).
RULE_SETS: dict[tuple[SettingType, Jurisdiction], RuleSet] = {
    (SettingType.CHILDRENS_HOME, Jurisdiction.ENGLAND): CHILDRENS_HOME_ENGLAND,
    (SettingType.SCHOOL, Jurisdiction.ENGLAND): SCHOOL_ENGLAND,
    (SettingType.ALTERNATIVE_PROVISION, Jurisdiction.ENGLAND): SCHOOL_ENGLAND,
    (SettingType.SCHOOL, Jurisdiction.SCOTLAND): SCHOOL_SCOTLAND,
    (SettingType.ALTERNATIVE_PROVISION, Jurisdiction.SCOTLAND): SCHOOL_SCOTLAND,
}


def rule_set_for(setting: Mapping[str, Any]) -> RuleSet:
    """The rule set of a setting record's values (validated): the statutory one for its type and jurisdiction,
    with its `clock_overrides` applied — a changed deadline, a clock turned off, or one the statute lacks."""
    setting_type = SettingType(setting["setting_type"])
    jurisdiction = Jurisdiction(setting.get("jurisdiction") or Jurisdiction.ENGLAND)
    base = RULE_SETS.get((setting_type, jurisdiction))
    name = base.name if base else f"{ENUM_LABELS[SettingType][setting_type]}, {ENUM_LABELS[Jurisdiction][jurisdiction]}"
    rules = {rule.rule: rule for rule in (base.rules if base else ())}
    for raw in setting.get("clock_overrides") or ():
        override = ClockOverride.model_validate(raw)
        rule = ClockRule(override.rule)
        if not override.enabled:
            rules.pop(rule, None)
            continue
        deadline = Deadline(ClockUnit(override.unit), override.amount)
        kept = rules.get(rule)
        rules[rule] = replace(kept, deadline=deadline) if kept else Rule(rule, deadline, None, _ORGANISATION)
    return RuleSet(name, jurisdiction, tuple(rules.values()))


# --- one incident's clocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    rule: Rule
    started_at: dt.datetime
    deadline: dt.datetime
    state: ClockState
    done_at: dt.datetime | None = None
    #: the report to the parents was withheld (the child at risk of significant harm): reason and who decided
    withheld: bool = False

    @property
    def late(self) -> bool:
        return self.done_at is not None and self.done_at >= self.deadline


def _moment(values: Mapping[str, Any], name: str) -> dt.datetime | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(dt.UTC)


def starts_clocks(incident: Mapping[str, Any]) -> bool:
    """Whether an incident is a restrictive intervention (force, restraint, seclusion, a measure of control):
    the report says so, or names a physical technique used."""
    return bool(incident.get("physical_intervention") or incident.get("pi_techniques"))


def why_not_emailed(incident: Mapping[str, Any]) -> str | None:
    """Why the written report to the parents may not be emailed for this incident (None: it may): it must be a
    submitted restrictive intervention whose report goes to the parents — never one routed to the local
    authority (telling the parents could put the child at risk of significant harm)."""
    if incident.get("pi_report_route") == ReportRoute.LOCAL_AUTHORITY:
        return "This report goes to the local authority, not the parents: it is not emailed to them."
    if (incident.get("status") or IncidentStatus.DRAFT) == IncidentStatus.DRAFT:
        return "Submit the incident before its report is sent to the parents."
    if not starts_clocks(incident):
        return "Only the written report after a restrictive intervention is emailed to the parents."
    return None


def started_at(incident: Mapping[str, Any]) -> dt.datetime:
    """When the clocks start: when the physical intervention started, else when the incident happened."""
    moment = _moment(incident, "pi_started_at") or _moment(incident, "occurred_at")
    if moment is None:
        raise ValueError("an incident has the moment it happened (occurred_at)")
    return moment


def _withheld_at(incident: Mapping[str, Any]) -> dt.datetime | None:
    """When it was decided, with a recorded reason and who decided, to tell the local authority instead of the
    parents — which stops a parents' clock."""
    decided = (
        incident.get("pi_report_route") == ReportRoute.LOCAL_AUTHORITY
        and str(incident.get("pi_report_route_reason") or "").strip()
        and incident.get("pi_report_route_decided_by")
    )
    return _moment(incident, "pi_report_route_decided_at") if decided else None


def _done_at(rule: ClockRule, incident: Mapping[str, Any]) -> dt.datetime | None:
    if rule == ClockRule.RECORDED:
        recorded = incident.get("status") in (IncidentStatus.SUBMITTED, IncidentStatus.REVIEWED)
        return _moment(incident, "recorded_at") if recorded else None
    if rule == ClockRule.STAFF_SPOKEN_TO_AND_SIGNED:
        return _moment(incident, "review_signed_off_at") if incident.get("review_staff_spoken_to") else None
    if rule == ClockRule.CHILD_SPOKEN_TO:
        return _moment(incident, "review_child_spoken_at")
    if rule == ClockRule.PARENTS_WRITTEN_REPORT:
        return _moment(incident, "parent_report_sent_at")
    if rule == ClockRule.PARENTS_TOLD:
        return _moment(incident, "parents_informed_at") if incident.get("parents_informed") is True else None
    return _moment(incident, "authority_informed_at")


def clocks(incident: Mapping[str, Any], rules: RuleSet, now: dt.datetime) -> list[Clock]:
    """The clocks of one incident (its record's values) under a rule set at `now` (timezone-aware); none when
    it was not a restrictive intervention."""
    if not starts_clocks(incident):
        return []
    start = started_at(incident)
    found: list[Clock] = []
    for rule in rules.rules:
        deadline = rule.deadline.after(start, rules.holidays)
        done_at = _done_at(rule.rule, incident)
        withheld = False
        if done_at is None and rule.rule in (ClockRule.PARENTS_WRITTEN_REPORT, ClockRule.PARENTS_TOLD):
            done_at = _withheld_at(incident)
            withheld = done_at is not None
        if done_at is not None:
            state = ClockState.DONE
        elif now >= deadline:
            state = ClockState.OVERDUE
        else:
            state = ClockState.DUE
        found.append(Clock(rule, start, deadline, state, done_at, withheld))
    return found
