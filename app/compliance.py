"""Statutory clocks on the device: each incident's clocks (computed by `sync.compliance` under the rules of its
individual's setting), every open clock across the individuals the user reaches (the leads' Compliance screen,
from the local store, so offline too), and the actions that stop a clock — the written report to the parents
marked sent (who, when, how), the report withheld (a lead's decision, with the reason), the education
authority told. Recording and sign-off, which stop the other clocks, are `app.incidents`'."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.context import ActionError, Context, now_utc
from app.incidents import Incidents
from localdb.queries import Stored
from sync.compliance import Clock, ClockState, RuleSet, rule_set_for
from sync.compliance import clocks as _clocks_of
from sync.permissions import Capability
from sync.records import ClockRule, ContactMethod, IncidentStatus, ReportRoute

__all__ = ["Clock", "ClockRule", "ClockState", "Compliance", "OpenClock", "state_text"]

#: the parents' clocks a withheld report stops
PARENTS_CLOCKS = frozenset({ClockRule.PARENTS_WRITTEN_REPORT, ClockRule.PARENTS_TOLD})


@dataclass(frozen=True)
class OpenClock:
    """One clock still running (due or overdue) on one incident, for the Compliance list."""

    incident_id: str
    reference: str | None
    profile_id: str | None
    individual: str
    clock: Clock


def _span(delta: dt.timedelta) -> str:
    """A length of time in the largest whole unit: "3 days", "5 hours", "20 minutes"."""
    minutes = max(1, int(delta.total_seconds() // 60))
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "1 minute"  # unreachable: minutes >= 1


def state_text(clock: Clock, now: dt.datetime) -> str:
    """The clock's state in words: "Done", "Done (late)", "Withheld", "Due in 5 hours", "Overdue by 2 days"."""
    if clock.state == ClockState.DONE:
        if clock.withheld:
            return "Withheld: the local authority is told instead"
        return "Done (late)" if clock.late else "Done"
    if clock.state == ClockState.OVERDUE:
        return f"Overdue by {_span(now - clock.deadline)}"
    return f"Due in {_span(clock.deadline - now)}"


class Compliance:
    def __init__(self, context: Context, incidents: Incidents) -> None:
        self.context = context
        self.incidents = incidents

    def rule_set(self, profile_id: str | None) -> RuleSet | None:
        """The rules of the individual's setting (with its admin's overrides); None: no setting recorded."""
        individual = self.context.store.get(profile_id) if profile_id else None
        setting_id = individual.values.get("setting_id") if individual is not None else None
        setting = self.context.store.get(setting_id) if setting_id else None
        if setting is None or setting.kind != "setting":
            return None
        return rule_set_for(setting.values)

    def clocks(self, incident: Stored, now: dt.datetime | None = None) -> list[Clock]:
        """The incident's clocks at `now`: none if it was not a restrictive intervention, is still a draft, or
        its individual has no setting (whose rules would apply)."""
        if (incident.values.get("status") or IncidentStatus.DRAFT) == IncidentStatus.DRAFT:
            return []
        rules = self.rule_set(incident.profile_id)
        if rules is None:
            return []
        return _clocks_of(incident.values, rules, now or now_utc())

    def allowed(self) -> bool:
        """Whether the user has the Compliance list (leads)."""
        return self.context.can(Capability.COMPLIANCE)

    def open_clocks(self, now: dt.datetime | None = None) -> list[OpenClock]:
        """Every clock still running on the incidents this user sees, overdue first, then by deadline."""
        self.context.require(Capability.COMPLIANCE, "see the compliance list")
        now = now or now_utc()
        names = self.context.individual_names()
        rules: dict[str | None, RuleSet | None] = {}
        found: list[OpenClock] = []
        for stored in self.context.store.incidents():
            values = stored.values
            if not self.incidents.visible(values) or values.get("status") == IncidentStatus.DRAFT:
                continue
            if stored.profile_id not in rules:
                rules[stored.profile_id] = self.rule_set(stored.profile_id)
            ruleset = rules[stored.profile_id]
            if ruleset is None:
                continue
            for clock in _clocks_of(values, ruleset, now):
                if clock.state != ClockState.DONE:
                    individual = names.get(stored.profile_id or "", "Unknown")
                    found.append(OpenClock(stored.id, values.get("reference"), stored.profile_id, individual, clock))
        found.sort(key=lambda o: (o.clock.state != ClockState.OVERDUE, o.clock.deadline))
        return found

    # --- what stops a clock -------------------------------------------------------------------------

    def can_withhold(self) -> bool:
        """Deciding the parents are not told is a lead's (the server checks again)."""
        return self.context.can(Capability.REVIEW_INCIDENTS)

    def report_sent(self, record_id: str, *, method: str, sent_at: dt.datetime | None = None) -> None:
        """The written report to the parents was sent, by this user, now (or `sent_at`), by `method`."""
        self.context.require(Capability.RECORD, "mark the written report sent")
        if method not in {m.value for m in ContactMethod}:
            raise ActionError("Choose how the report was sent.")
        self._done(record_id, "parent_report_sent", sent_at, {"parent_report_method": method})

    def withhold(self, record_id: str, reason: str) -> None:
        """A lead's decision that telling the parents would put the child at risk of significant harm: the
        local authority is told instead, with the reason and who decided (stops the parents' clocks)."""
        self.context.require(Capability.REVIEW_INCIDENTS, "decide the parents are not told")
        if not reason.strip():
            raise ActionError("Give the reason the report to the parents is withheld.")
        route = {"pi_report_route": ReportRoute.LOCAL_AUTHORITY.value, "pi_report_route_reason": reason.strip()}
        self._done(record_id, "pi_report_route_decided", None, route)

    def authority_told(self, record_id: str, *, told_at: dt.datetime | None = None) -> None:
        """The education authority was told (Scotland), by this user, now (or `told_at`)."""
        self.context.require(Capability.RECORD, "record that the education authority was told")
        self._done(record_id, "authority_informed", told_at, {})

    def _done(self, record_id: str, duty: str, at: dt.datetime | None, fields: dict[str, str]) -> None:
        """Write `<duty>_by` (this user) and `<duty>_at` (now, or `at`: not before the incident) with `fields`."""
        incident = self.incidents.get(record_id)
        when = at or now_utc()
        occurred = incident.values.get("occurred_at")
        if occurred and when < dt.datetime.fromisoformat(str(occurred).replace("Z", "+00:00")):
            raise ActionError("That is before the incident happened: check the date and time.")
        moment = {f"{duty}_by": self.context.user.id, f"{duty}_at": when.isoformat()}
        self.context.write("incident", "update", {**fields, **moment}, record_id=record_id)
