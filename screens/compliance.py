"""Statutory clocks on screen: the panel of an incident's clocks (each done / due in … / overdue, with its
regulation, and the actions that stop the parents' and the authority's clocks: the written report marked sent,
withheld by a lead, the authority told), and the leads' Compliance screen listing every open clock, overdue
first, each opening its incident. What the clocks are and who may act: `app.compliance`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.compliance import PARENTS_CLOCKS, Clock, ClockRule, ClockState, OpenClock, state_text
from app.context import now_utc
from app.vocabulary import Capability, ContactMethod, ReportRoute, label
from screens.ui import card, empty, heading, muted, named, page_body

if TYPE_CHECKING:
    from screens.shell import Shell

_LOOKS = {
    ClockState.DONE: (ft.Icons.CHECK_CIRCLE_OUTLINE, ft.Colors.GREEN_700),
    ClockState.DUE: (ft.Icons.SCHEDULE, ft.Colors.AMBER_900),
    ClockState.OVERDUE: (ft.Icons.ERROR_OUTLINE, ft.Colors.RED_700),
}


def _clock_row(clock: Clock, text: str) -> ft.Control:
    icon, colour = _LOOKS[clock.state]
    return ft.Row(
        [
            ft.Icon(icon, color=colour),
            ft.Column(
                [
                    ft.Text(clock.rule.duty, weight=ft.FontWeight.BOLD),
                    ft.Text(text, color=colour),
                    muted(f"{clock.rule.deadline.describe().capitalize()} · {clock.rule.regulation}"),
                ],
                spacing=2,
                expand=True,
            ),
        ],
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def clocks_panel(shell: Shell, record_id: str) -> list[ft.Control]:
    """The incident's statutory clocks as a card (none when it starts no clocks)."""
    services = shell.services
    now = now_utc()
    incident = services.incidents.get(record_id)
    found = services.compliance.clocks(incident, now)
    if not found:
        return []

    def reload() -> None:
        shell.show("incident", record_id=record_id)

    def report_sent(_e: Any) -> None:
        method = ft.Dropdown(
            label="How was it sent?",
            value=ContactMethod.EMAIL.value,
            options=[ft.DropdownOption(key=m.value, text=label(ContactMethod, m)) for m in ContactMethod],
        )

        content = ft.Column(
            [muted("You sent the reviewed written report to the parents, now."), named(method, "report-method")],
            tight=True,
        )
        shell.ask(
            "Written report sent",
            content,
            "Confirm",
            lambda: services.compliance.report_sent(record_id, method=method.value or ""),
            done="Recorded: written report sent",
            then=lambda _: reload(),
        )

    def withhold(_e: Any) -> None:
        # The recorder may have given the route and its reason already: the lead confirms or corrects it.
        routed = incident.values.get("pi_report_route") == ReportRoute.LOCAL_AUTHORITY
        given = incident.values.get("pi_report_route_reason") if routed else ""
        reason = ft.TextField(label="Why are the parents not told?", value=given or "", multiline=True)

        content = ft.Column(
            [
                muted(
                    "Telling the parents would likely put the child at risk of significant harm: the local "
                    "authority is told instead. Your name and the time are recorded."
                ),
                named(reason, "withhold-reason"),
            ],
            tight=True,
        )
        shell.ask(
            "Withhold the report to the parents",
            content,
            "Record decision",
            lambda: services.compliance.withhold(record_id, reason.value or ""),
            done="Decision recorded",
            then=lambda _: reload(),
        )

    def authority_told(_e: Any) -> None:
        shell.act(lambda: services.compliance.authority_told(record_id), done="Recorded: authority told")
        reload()

    open_rules = {c.rule.rule for c in found if c.state != ClockState.DONE}
    actions: list[ft.Control] = []
    recorder = services.context.can(Capability.RECORD)
    if ClockRule.PARENTS_WRITTEN_REPORT in open_rules:
        actions.append(
            ft.OutlinedButton(
                "Draft the written report",
                icon=ft.Icons.MAIL_OUTLINE,
                on_click=lambda _: shell.show("letter", record_id=record_id, kind="restraint"),
            )
        )
        if recorder:
            actions.append(ft.OutlinedButton("Written report sent", icon=ft.Icons.SEND_OUTLINED, on_click=report_sent))
    if open_rules & PARENTS_CLOCKS and services.compliance.can_withhold():
        actions.append(ft.OutlinedButton("Withhold (risk of harm)", icon=ft.Icons.SHIELD_OUTLINED, on_click=withhold))
    if ClockRule.AUTHORITY_TOLD in open_rules and recorder:
        actions.append(ft.OutlinedButton("Authority told", icon=ft.Icons.ACCOUNT_BALANCE, on_click=authority_told))
    rules = services.compliance.rule_set(incident.profile_id)
    return [
        named(
            card(
                heading("Statutory deadlines", size=16),
                muted(rules.name if rules else ""),
                *[_clock_row(c, state_text(c, now)) for c in found],
                *([ft.Row(actions, wrap=True)] if actions else []),
            ),
            "statutory-clocks",
        )
    ]


def _open_tile(shell: Shell, item: OpenClock, text: str) -> ft.Control:
    icon, colour = _LOOKS[item.clock.state]
    return ft.ListTile(
        leading=ft.Icon(icon, color=colour),
        title=ft.Text(f"{item.reference or 'Not yet numbered'} · {item.individual}", weight=ft.FontWeight.BOLD),
        subtitle=ft.Text(f"{item.clock.rule.duty} — {text}"),
        on_click=lambda _: shell.show("incident", record_id=item.incident_id),
    )


class ComplianceScreen:
    """The leads' list of every statutory clock still running, overdue first (from this device's store)."""

    NAME = "compliance"
    ROUTE = "/compliance"
    refresh_after_sync = True

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.params: dict[str, Any] = {}

    def build(self) -> ft.Control:
        now = now_utc()
        found = self.shell.services.compliance.open_clocks(now)
        overdue = sum(1 for o in found if o.clock.state == ClockState.OVERDUE)
        summary = f"{overdue} overdue · {len(found) - overdue} due" if found else ""
        return page_body(
            heading("Compliance"),
            muted("Statutory deadlines still open after restrictive interventions, overdue first."),
            *([muted(summary)] if summary else []),
            *([_open_tile(self.shell, o, state_text(o.clock, now)) for o in found] or [empty("Nothing is open.")]),
        )
