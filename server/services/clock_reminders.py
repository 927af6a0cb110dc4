"""Statutory clock reminders: before an incident's clock runs out, and once it has, the people responsible —
whoever recorded it, the individual's key staff and the organisation's safeguarding leads (a lead limited to
settings: only for theirs) — are told in the app and by email (no child data: see `notifications`).

The clocks are `sync.compliance`'s, under the rules of the individual's setting, the same as on the devices.
"Before" is when a quarter of the clock's time is left, and at most a day before its deadline. A reminder says
which duty and when its deadline is (UK time), so an incident's clocks are told apart. Each reminder
goes once per clock, stage and deadline: the server notes what it sent in the incident's `reminders_sent` (a
field only the server writes), so the hourly check (with the plan reminders, `plan_reminders.run_reminders`)
sends nothing twice, and a deadline that moves (an admin's override, a corrected start) is reminded afresh.
Incidents that happened longer ago than `LOOKBACK` are left alone: their clocks ran out long before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from documents import cell_text
from server.models import Record
from server.services.notifications import Event
from server.services.records import SYSTEM_ACTOR, RecordWriter
from sync.compliance import LONDON, Clock, ClockState, RuleSet, clocks, rule_set_for, starts_clocks
from sync.merge import field_value
from sync.records import IncidentStatus

RECORD = Record.__table__
#: the earliest "due" reminder before a deadline
DUE_AT_MOST = dt.timedelta(hours=24)
#: how far back incidents are checked (the longest clock an admin may set is 31 working days)
LOOKBACK = dt.timedelta(days=62)
_INCIDENTS = select(RECORD.c.id).where(RECORD.c.kind == "incident", RECORD.c.deleted.is_(False))


def stage(clock: Clock, now: dt.datetime) -> str | None:
    """ "clock_overdue", "clock_due" (a quarter of its time left, at most a day) or None (done, or not yet)."""
    if clock.state == ClockState.OVERDUE:
        return "clock_overdue"
    if clock.state == ClockState.DUE:
        warn = min(DUE_AT_MOST, (clock.deadline - clock.started_at) / 4)
        return "clock_due" if clock.deadline - now <= warn else None
    return None


def _rules(writer: RecordWriter, profile_id: str | None, cache: dict[str | None, RuleSet | None]) -> RuleSet | None:
    if profile_id not in cache:
        individual = writer.get(profile_id) if profile_id else None
        setting_id = field_value(individual.state, "setting_id") if individual else None
        setting = writer.get(str(setting_id)) if setting_id else None
        ok = setting is not None and not setting.state.deleted and setting.state.kind == "setting"
        cache[profile_id] = rule_set_for(setting.state.values()) if ok and setting else None
    return cache[profile_id]


def detail(clock: Clock) -> str:
    """Which deadline, e.g. "Staff spoken to and record signed, deadline Wed 2 Dec 2026, 13:22 (UK time)": the
    duty's name and its moment, never child data."""
    moment = clock.deadline.astimezone(LONDON)
    if moment.time() == dt.time(0):
        # A day's deadline is the next midnight: "00:00 on Wed" would read as a day later than it is.
        day = moment.date() - dt.timedelta(days=1)
        return f"{clock.rule.duty}, deadline the end of {day:%a} {cell_text(day)} (UK time)"
    return f"{clock.rule.duty}, deadline {cell_text(moment)} (UK time)"


def clock_events(writer: RecordWriter, now: dt.datetime, org_id: str | None = None) -> list[Event]:
    """The clock reminders due at `now` (of one organisation, or all), noted in each incident's `reminders_sent`
    in the writer's transaction (so they are sent once: pass them to `notifications.send` in the same one)."""
    events: list[Event] = []
    cache: dict[str | None, RuleSet | None] = {}
    query = _INCIDENTS if org_id is None else _INCIDENTS.where(RECORD.c.org_id == org_id)
    for row in writer.conn.execute(query):
        stored = writer.get(row.id)
        if stored is None or stored.state.deleted:
            continue
        values: dict[str, Any] = stored.state.values()
        if values.get("status") not in (IncidentStatus.SUBMITTED, IncidentStatus.REVIEWED):
            continue
        if not starts_clocks(values) or _happened(values) < now - LOOKBACK:
            continue
        rules = _rules(writer, stored.state.profile_id, cache)
        if rules is None:
            continue
        sent = list(values.get("reminders_sent") or [])
        new = []
        for clock in clocks(values, rules, now):
            kind = stage(clock, now)
            key = f"{clock.rule.rule.value}:{kind}:{clock.deadline.isoformat()}"
            if kind is None or key in sent:
                continue
            new.append(key)
            recorder = values.get("recorded_by")
            events.append(
                Event(
                    kind,
                    stored.org_id,
                    stored.state.id,
                    "incident",
                    stored.state.profile_id,
                    SYSTEM_ACTOR,
                    reference=values.get("reference"),
                    key_staff=True,
                    leads=True,
                    named=[recorder] if recorder else [],
                    detail=detail(clock),
                )
            )
        if new:
            writer.server_write(
                "incident",
                "update",
                {"reminders_sent": [*sent, *new]},
                org_id=stored.org_id,
                record_id=stored.state.id,
                profile_id=stored.state.profile_id,
            )
    return events


def _happened(values: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(values["occurred_at"]).replace("Z", "+00:00"))
