"""Dashboard (at a glance: the analytics headline figures with their change and a small trend, for roles with
analytics; incidents from the last 7 days, 30 days or all; notifications; the way to the Help Centre,
`screens/help.py`) and the notifications inbox."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import flet as ft

from app.incidents import IncidentDraft, IncidentSummary
from app.notifications import InboxItem
from app.vocabulary import Capability
from screens.ui import card, empty, heading, muted, page_body, when

if TYPE_CHECKING:
    from screens.shell import Shell

WINDOWS = {"7": ("Last 7 days", 7), "30": ("Last 30 days", 30), "all": ("All", None)}
#: the analytics date preset and trend bucket of each window
WINDOW_PRESETS = {"7": ("7_days", "day"), "30": ("30_days", "day"), "all": ("all", "month")}
#: the report (and the valence filtered on) each headline figure opens; None: its incidents, listed
FIGURE_REPORTS: dict[str, tuple[str, frozenset[str]] | None] = {
    "incidents": ("global", frozenset()),
    "physical_intervention": ("intervention", frozenset()),
    "injuries": ("injuries", frozenset()),
    "positive_communications": ("communication", frozenset({"positive"})),
    "negative_communications": ("communication", frozenset({"negative"})),
    "positive_clicks": ("clicker", frozenset({"positive"})),
    "negative_clicks": ("clicker", frozenset({"negative"})),
    "follow_ups_open": None,
}
#: the dashboard's own words for figures whose report label needs its report to make sense ("Positive")
FIGURE_LABELS = {
    "positive_communications": "Positive communications",
    "negative_communications": "Negative communications",
    "positive_clicks": "Positive clicks",
    "negative_clicks": "Negative clicks",
}


def incident_tile(shell: Shell, summary: IncidentSummary) -> ft.Control:
    badges: list[ft.Control] = []
    if summary.removed:
        badges.append(ft.Text("Deleted", color=ft.Colors.ERROR, weight=ft.FontWeight.BOLD))
    if summary.flagged:
        badges.append(ft.Icon(ft.Icons.FLAG, color=ft.Colors.RED_700, tooltip="Flagged"))
    if summary.parents_informed:
        badges.append(ft.Icon(ft.Icons.THUMB_UP, color=ft.Colors.GREEN_700, tooltip="Parents informed"))
    if summary.conflicts:
        badges.append(ft.Icon(ft.Icons.WARNING_AMBER, color=ft.Colors.ORANGE_800, tooltip="Needs review"))
    if summary.pending:
        badges.append(ft.Icon(ft.Icons.CLOUD_UPLOAD_OUTLINED, tooltip="Waiting for sync"))
    subtitle = f"{summary.individual} · {when(summary.occurred_at)}"
    if summary.location:
        subtitle += f" · {summary.location}"
    return ft.ListTile(
        title=ft.Text(summary.label, weight=ft.FontWeight.BOLD),
        subtitle=ft.Text(subtitle),
        trailing=ft.Row(badges, tight=True, spacing=4),
        on_click=lambda _: shell.show("incident", record_id=summary.id),
    )


def draft_incident_tile(shell: Shell, draft: IncidentDraft, names: dict[str, str]) -> ft.Control:
    """A report this person started and has not submitted, among the incidents: marked as a draft (it is on this
    device alone until it is submitted), and opened where it was left."""
    subtitle = f"{names.get(draft.profile_id, 'Unknown')} · {when(draft.values.get('occurred_at'))}"
    if draft.values.get("location"):
        subtitle += f" · {draft.values['location']}"
    return ft.ListTile(
        title=ft.Text("Draft (not submitted)", weight=ft.FontWeight.BOLD),
        subtitle=ft.Text(subtitle),
        trailing=ft.Icon(ft.Icons.EDIT_NOTE, tooltip="Your unfinished report: tap to carry on"),
        on_click=lambda _: shell.show("incident_form", draft_id=draft.id),
    )


def unfinished(count: int) -> str:
    return f"{count} unfinished incident report{'' if count == 1 else 's'}"


class Dashboard:
    NAME = "dashboard"
    ROUTE = "/dashboard"
    refresh_after_sync = True

    def __init__(self, shell: Shell, window: str = "7") -> None:
        self.shell = shell
        self.params = {"window": window}
        self.window = window

    def build(self) -> ft.Control:
        services = self.shell.services
        _label, days = WINDOWS[self.window]
        incidents = services.incidents.list(days=days)
        unread = services.notifications.unread_count()
        drafts = services.incidents.drafts()
        names = services.context.individual_names()
        listed: list[ft.Control] = [
            draft_incident_tile(self.shell, d, names) for d in services.incidents.new_drafts(days=days)
        ] + [incident_tile(self.shell, i) for i in incidents]
        if not listed:
            listed = [
                empty("Incidents appear here once this device's first sync has finished.")
                if self.first_sync()
                else empty("No incidents in this period.")
            ]
        picker = ft.SegmentedButton(
            segments=[ft.Segment(value=k, label=label) for k, (label, _) in WINDOWS.items()],
            selected=[self.window],
            show_selected_icon=False,  # with the tick, "Last 7 days" wraps on a phone
            on_change=lambda e: self.shell.show("dashboard", window=e.control.selected[0]),
        )
        return page_body(
            heading(f"Hello, {self.shell.session.user.name if self.shell.session.user else ''}"),
            ft.Row(
                [
                    ft.OutlinedButton(
                        f"Notifications ({unread} unread)",
                        icon=ft.Icons.NOTIFICATIONS_OUTLINED,
                        on_click=lambda _: self.shell.show("notifications"),
                    ),
                    ft.OutlinedButton(
                        "Help Centre", icon=ft.Icons.HELP_OUTLINE, on_click=lambda _: self.shell.show("help")
                    ),
                ],
                wrap=True,
            ),
            *(
                [
                    card(
                        ft.Text(unfinished(len(drafts))),
                        ft.TextButton("Continue", on_click=lambda _: self.carry_on(drafts, names)),
                    )
                ]
                if drafts
                else []
            ),
            picker,
            *self.at_a_glance(),
            heading("Incidents", size=18),
            *listed,
        )

    def first_sync(self) -> bool:
        """Whether this device has never finished a sync (its first may be under way): what it holds is not yet
        the organisation's, so a count of nothing would say what is not so."""
        return self.shell.sync.status.last_synced is None

    def carry_on(self, drafts: list[IncidentDraft], names: dict[str, str]) -> None:
        """Continue: the one unfinished report, where it was left; with several, a list of them to choose from."""
        if len(drafts) == 1:
            self.shell.show("incident_form", draft_id=drafts[0].id)
            return
        from screens.record import draft_tile  # here: screens.record reaches this module (through screens.people)

        def close() -> None:
            # This dialog, not the topmost one: a toast shown while it was open would be closed instead.
            box.open = False
            box.update()

        box = ft.AlertDialog(
            title=ft.Text(unfinished(len(drafts)).capitalize()),
            content=ft.Column(
                [draft_tile(self.shell, d, names, opening=close) for d in drafts],
                tight=True,
                scroll=ft.ScrollMode.AUTO,
            ),
            actions=[ft.TextButton("Close", on_click=lambda _: close())],
        )
        self.shell.page.show_dialog(box)

    def at_a_glance(self) -> list[ft.Control]:
        """The headline figures with their change against the previous period, and the incidents' trend: the
        analytics engine's own figures (`Analytics.headline`), so they always match the reports. Only for roles
        with analytics: the figures cover everyone the device holds, more than a staff member's own work."""
        services = self.shell.services
        if not services.context.can(Capability.ANALYTICS):
            return []
        # Imported here: a role without analytics (most of the staff who unlock) never loads the engine.
        from app.analytics import Filters
        from screens.analytics import figure_card, preparing, show_related
        from screens.charts import chart

        if self.first_sync():
            return [heading("At a glance", size=18), self.figures_on_their_way()]
        if not self.shell.analytics_ready:
            return [heading("At a glance", size=18), preparing()]
        preset, bucket = WINDOW_PRESETS[self.window]
        filters = Filters(preset=preset)
        figures = [replace(f, label=FIGURE_LABELS.get(f.key, f.label)) for f in services.analytics.headline(filters)]
        trend = services.analytics.report("global", filters, bucket=bucket).chart("over_time")
        compare = preset != "all"  # "all" has no previous period

        def opener(key: str, ids: tuple[str, ...], label: str) -> Any:
            target = FIGURE_REPORTS.get(key)
            if target is None:
                return lambda _e: show_related(self.shell, ids, label)
            report, valence = target
            return lambda _e: self.shell.show(
                "analytics_report", report=report, filters=replace(filters, valence=valence)
            )

        return [
            heading("At a glance", size=18),
            ft.ResponsiveRow(
                [figure_card(f, opener(f.key, f.ids, f.label), compare=compare) for f in figures],
                spacing=8,
                run_spacing=8,
            ),
            chart(trend) if trend.points else muted("No incidents in this period."),
        ]

    def figures_on_their_way(self) -> ft.Control:
        """Instead of the figures until the first sync has finished: noughts "the same as the previous period"
        would read as real. (The screen is rendered again when that sync brings the records.)"""
        text = ft.Text("The figures are on their way: they are worked out once this device's first sync has finished.")
        text.expand = True
        spinning = [ft.ProgressRing(width=18, height=18)] if self.shell.sync.status.syncing else []
        return ft.Row([*spinning, text], vertical_alignment=ft.CrossAxisAlignment.CENTER)


def told(item: InboxItem) -> str:
    """An inbox item's line under its subject: whom it is about, who wrote it, when it happened ("Ada Lovelace ·
    from Lee Lead · Thu 26 Nov 2026, 14:02"), so that a sync's worth of "Someone responded…" can be told apart."""
    parts = [item.individual, f"from {item.by}" if item.by else None, when(item.happened_at or item.created_at)]
    return " · ".join(p for p in parts if p)


class Inbox:
    NAME = "notifications"
    ROUTE = "/inbox"
    refresh_after_sync = True

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.params: dict[str, Any] = {}

    def open(self, item: InboxItem) -> None:
        def read() -> bool:
            self.shell.services.notifications.mark_read(item.id)
            return True

        if not self.shell.act(read):
            return
        if item.record_kind and item.record_id:
            self.shell.open_record(item.record_kind, item.record_id)
        else:
            self.shell.show("notifications")

    def build(self) -> ft.Control:
        items = self.shell.services.notifications.items()
        tiles: list[ft.Control] = []
        for item in items:
            tiles.append(
                ft.ListTile(
                    leading=ft.Icon(ft.Icons.DRAFTS_OUTLINED if item.read else ft.Icons.MARK_EMAIL_UNREAD_OUTLINED),
                    title=ft.Text(item.subject, weight=None if item.read else ft.FontWeight.BOLD),
                    subtitle=ft.Text(told(item)),
                    on_click=lambda _, i=item: self.open(i),
                )
            )
        return page_body(heading("Notifications"), *(tiles or [empty("No notifications yet.")]))
