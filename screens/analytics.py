"""The Analytics screen (docs/analytics.md), for roles with the analytics capability: the report dropdown,
the filters ("Show or Create filters", saved filter sets: save, pick, delete), a report's headline figures,
its charts (each with a table equivalent), its table, "Show related incidents" from a figure, bar, cell or
row, CSV downloads and "Print (PDF)" (the report as shown, `Analytics.document`), each audited as an export,
for roles that may download records.

The filters are a screen parameter, not part of the URL (`/analytics/<report>`): a URL names records only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import flet as ft

from app.analytics import (
    DIMENSIONS,
    PRESET_LABELS,
    PRESETS,
    REPORTS,
    Figure,
    Filters,
    Point,
    Report,
    Series,
    column_title,
    table_cell,
)
from app.context import ActionError
from app.downloads import Download
from app.vocabulary import Capability
from screens.charts import chart
from screens.exports import exports_button
from screens.ui import NAME_MENU_HEIGHT, card, empty, heading, muted, named, page_body, parse_day, when

if TYPE_CHECKING:
    from screens.shell import Shell

BUCKETS = {"day": "Day", "week": "Week", "month": "Month"}
#: table rows shown on screen at first, and after "Show all" (the CSV has every row)
MAX_ROWS = 50
ALL_ROWS = 500
#: related incidents listed at once
MAX_RELATED = 100


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def show_related(shell: Shell, ids: tuple[str, ...], title: str = "Related incidents") -> None:
    """The incidents behind a figure, bar, cell or row, in a dialog; each opens the incident."""
    analytics = shell.services.analytics
    rows = shell.act(lambda: analytics.related(ids))
    if rows is None:
        return
    people = analytics.working.people()
    page = shell.page

    def open_incident(record_id: str) -> None:
        page.pop_dialog()
        shell.show("incident", record_id=record_id)

    tiles: list[ft.Control] = [
        ft.ListTile(
            title=ft.Text(r.reference or "Incident (not yet numbered)", weight=ft.FontWeight.BOLD),
            subtitle=ft.Text(
                " · ".join(
                    x
                    for x in (
                        people[r.profile_id].name if r.profile_id in people else "",
                        when(r.occurred_at.isoformat()),
                        r.location,
                    )
                    if x
                )
            ),
            on_click=lambda _e, i=r.id: open_incident(i),
        )
        for r in rows[:MAX_RELATED]
    ]
    if len(rows) > MAX_RELATED:
        tiles.append(muted(f"The {MAX_RELATED} most recent of {len(rows)}: narrow the filters to see the others."))
    page.show_dialog(
        ft.AlertDialog(
            title=ft.Text(f"{title} ({len(rows)})"),
            content=ft.Column(
                tiles or [empty("No incidents behind this figure.")], scroll=ft.ScrollMode.AUTO, width=420
            ),
            actions=[ft.TextButton("Close", on_click=lambda _: page.pop_dialog())],
        )
    )


def preparing() -> ft.Control:
    """Shown until the working set is decrypted after unlock (the shell shows the figures then)."""
    return ft.Row(
        [ft.ProgressRing(width=18, height=18), ft.Text("Working out the figures…", expand=True)],
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )


def figure_card(figure: Figure, on_click: Any = None, *, compare: bool = False) -> ft.Control:
    """One headline number (with its change against the previous period when `compare`)."""
    lines: list[ft.Control] = [
        ft.Text(_number(figure.value), size=24, weight=ft.FontWeight.BOLD),
        ft.Text(figure.label, size=12),
    ]
    spoken = f"{figure.label}: {_number(figure.value)}"
    if compare and figure.change is not None:
        change = figure.change
        # An icon, not a ▲/▼ character: the app's font has no such glyph, and the browser's fallback font
        # would have to be downloaded (it is not, offline), leaving an empty box.
        if change > 0:
            icon, words = ft.Icons.ARROW_UPWARD, f"up {_number(change)} on the previous period"
        elif change < 0:
            icon, words = ft.Icons.ARROW_DOWNWARD, f"down {_number(-change)} on the previous period"
        else:
            icon, words = ft.Icons.DRAG_HANDLE, "the same as the previous period"
        muted = ft.Colors.ON_SURFACE_VARIANT
        lines.append(
            ft.Row(
                [ft.Icon(icon, size=12, color=muted), ft.Text(words, size=11, color=muted, expand=True)],
                spacing=2,
            )
        )
        spoken += f", {words}"
    box = ft.Container(
        ft.Column(lines, spacing=2),
        padding=10,
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        border_radius=8,
        on_click=on_click,
        col={"xs": 6, "sm": 4, "md": 3},
    )
    return ft.Semantics(
        content=box,
        label=spoken,
        button=on_click is not None,
        exclude_semantics=True,  # the label says it all, the change in words rather than an arrow
        on_tap=on_click,  # a screen reader's "activate": the card's own tap is excluded with its semantics
        col={"xs": 6, "sm": 4, "md": 3},
    )


class AnalyticsScreen:
    NAME = "analytics"
    ROUTE = "/analytics"
    refresh_after_sync = True

    def __init__(
        self,
        shell: Shell,
        report: str = "global",
        filters: Filters | None = None,
        bucket: str = "week",
        editing: bool = False,
    ) -> None:
        self.shell = shell
        self.report_key = report
        self.filters = filters or Filters()
        self.bucket = bucket if bucket in BUCKETS else "week"
        self.editing = editing
        self.params: dict[str, Any] = {
            "report": report,
            "filters": self.filters,
            "bucket": self.bucket,
            "editing": editing,
        }
        self.report: Report | None = None

    @property
    def analytics(self) -> Any:
        return self.shell.services.analytics

    def _apply(self, **changes: Any) -> None:
        params = {**self.params, **changes}
        self.shell.show("analytics_report", **params)

    def _filter(self, **changes: Any) -> None:
        self._apply(filters=replace(self.filters, **changes))

    # --- filters ----------------------------------------------------------------------------------

    def _dimension(self, key: str, options: list[tuple[str, str]]) -> list[ft.Control]:
        chosen: frozenset[str] = getattr(self.filters, key)
        labels = dict(options)
        dropdown = ft.Dropdown(
            label=DIMENSIONS[key],
            options=[ft.DropdownOption(key=v, text=t) for v, t in options if v not in chosen],
            enable_filter=len(options) > 10,
            editable=len(options) > 10,
            menu_height=NAME_MENU_HEIGHT,  # a long list leaves the field in view above it
            on_select=lambda e: self._filter(**{key: chosen | {e.control.value}}) if e.control.value else None,
        )
        out: list[ft.Control] = [named(dropdown, f"filter-{key}", DIMENSIONS[key])]
        if chosen:
            out.append(
                ft.Row(
                    [
                        ft.Chip(
                            label=ft.Text(labels.get(v, v)),
                            on_delete=lambda _e, v=v: self._filter(**{key: chosen - {v}}),
                            delete_icon_tooltip=f"Remove {labels.get(v, v)}",
                        )
                        for v in sorted(chosen, key=lambda v: labels.get(v, v))
                    ],
                    wrap=True,
                )
            )
        return out

    def _custom_range(self) -> list[ft.Control]:
        start = ft.TextField(
            label="From (dd/mm/yyyy)", value=self.filters.start.strftime("%d/%m/%Y") if self.filters.start else ""
        )
        end = ft.TextField(
            label="To (dd/mm/yyyy)",
            value=(self.filters.end - dt.timedelta(days=1)).strftime("%d/%m/%Y") if self.filters.end else "",
        )

        def apply(_e: Any) -> None:
            first, last = parse_day(start.value or ""), parse_day(end.value or "")
            if (start.value and first is None) or (end.value and last is None):
                self.shell.toast("Type the days as dd/mm/yyyy, for example 01/09/2026.", error=True)
                return
            if first and last and last < first:
                self.shell.toast("The range ends before it starts.", error=True)
                return
            if first is None and last is None:  # nothing typed: say so rather than quietly showing all time
                self.shell.toast("Type the first day, the last day or both, for example 01/09/2026.", error=True)
                return
            self._filter(preset="custom", start=first, end=last + dt.timedelta(days=1) if last else None)

        return [start, end, ft.OutlinedButton("Apply dates", on_click=apply)]

    def _saved(self) -> list[ft.Control]:
        saved = self.analytics.saved_filters()
        name = ft.TextField(label="Save these filters as")

        def save(_e: Any) -> None:
            if self.shell.act(
                lambda: self.analytics.save_filters(name.value or "", self.filters) or True, done="Filters saved"
            ):
                self._apply()

        def forget(chosen: str) -> None:
            if self.shell.act(lambda: self.analytics.delete_filters(chosen) or True, done="Saved filters deleted"):
                self._apply()

        # the saved sets these filters are (picked from the list, or saved just now): each may be deleted
        current = [n for n, f in saved.items() if f == self.filters]
        out: list[ft.Control] = []
        if saved:
            out.append(
                named(
                    ft.Dropdown(
                        label="Saved filters",
                        value=current[0] if current else None,
                        options=[ft.DropdownOption(key=n, text=n) for n in saved],
                        on_select=lambda e: self._apply(filters=saved[e.control.value]) if e.control.value else None,
                    ),
                    "saved-filters",
                    "Saved filters",
                )
            )
        out += [
            ft.TextButton(
                f"Delete the saved filters “{n}”",
                icon=ft.Icons.DELETE_OUTLINE,
                on_click=lambda _e, n=n: forget(n),
            )
            for n in current
        ]
        out += [name, ft.Row([ft.OutlinedButton("Save filters", on_click=save)], wrap=True)]
        return out

    def _filter_panel(self) -> list[ft.Control]:
        toggle = ft.TextButton(
            "Hide filters" if self.editing else "Show or create filters",
            icon=ft.Icons.FILTER_LIST,
            on_click=lambda _: self._apply(editing=not self.editing),
        )
        summary = ft.Text(self.analytics.describe(self.filters), size=12, expand=True)
        out: list[ft.Control] = [ft.Row([toggle, summary], wrap=False)]
        if not self.editing:
            return out
        period = ft.Dropdown(
            label="Period",
            value=self.filters.preset,
            options=[ft.DropdownOption(key=p, text=PRESET_LABELS[p]) for p in PRESETS],
            on_select=lambda e: self._filter(preset=e.control.value) if e.control.value else None,
        )
        controls: list[ft.Control] = [named(period, "filter-period", "Period")]
        if self.filters.preset == "custom":
            controls += self._custom_range()
        options = self.analytics.options()
        for key in DIMENSIONS:
            controls += self._dimension(key, options.get(key, []))
        controls.append(ft.Row([ft.OutlinedButton("Clear filters", on_click=lambda _: self._apply(filters=Filters()))]))
        controls += self._saved()
        out.append(card(*controls))
        return out

    # --- the report -------------------------------------------------------------------------------

    def _pick(self, report: Report) -> Any:
        """ "Show related incidents" for a point, if this report counts incidents."""
        if report.record_kind != "incident":
            return None

        def pick(point: Point) -> None:
            show_related(self.shell, point.ids, title=f"{point.row + ' ' if point.row else ''}{point.label}")

        return pick

    def _series(self, series: Series, report: Report) -> ft.Control:
        pick = self._pick(report)
        shown = [p for p in series.points if p.value or series.shape != "grid"]
        rows: list[ft.Control] = []
        for p in shown:
            label = f"{p.row} {p.label}" if p.row else p.label
            items: list[ft.Control] = [ft.Text(f"{label}: {_number(p.value)}", expand=True, size=13)]
            if pick and p.ids:
                items.append(ft.TextButton("Show related incidents", on_click=lambda _e, p=p: pick(p)))
            rows.append(ft.Row(items))
        return card(
            heading(series.title, size=16),
            chart(series, pick) if shown else empty("Nothing to show for these filters."),
            ft.ExpansionTile(
                title=ft.Text(f"{series.title}: as a table", size=13),
                controls=rows or [muted("Nothing to show.")],
            ),
        )

    def _table(self, report: Report, shown: int | None = None) -> ft.Control:
        """The report's table, its first `shown` rows (MAX_ROWS); "Show all" brings the rest (up to ALL_ROWS:
        the CSV has every row)."""
        shown = MAX_ROWS if shown is None else shown
        table = report.table
        if not table.rows:
            return empty("No rows for these filters.")
        related = report.record_kind == "incident"
        columns = [ft.DataColumn(label=ft.Text(column_title(c))) for c in table.columns]
        if related:
            columns.append(ft.DataColumn(label=ft.Text("Related")))
        rows = []
        for values, ids in list(zip(table.rows, table.ids, strict=True))[:shown]:
            cells = [ft.DataCell(ft.Text(table_cell(c, v))) for c, v in zip(table.columns, values, strict=True)]
            if related:
                cells.append(
                    ft.DataCell(
                        ft.TextButton(
                            "Show related incidents", on_click=lambda _e, ids=ids: show_related(self.shell, tuple(ids))
                        )
                    )
                )
            rows.append(ft.DataRow(cells=cells))
        holder = ft.Column([ft.Row([ft.DataTable(columns=columns, rows=rows)], scroll=ft.ScrollMode.AUTO)], spacing=4)
        if len(table.rows) > shown:
            holder.controls.append(muted(f"The first {shown} of {len(table.rows)} rows."))
            if shown < ALL_ROWS:

                def show_all(_e: Any) -> None:
                    holder.controls = [self._table(report, ALL_ROWS)]
                    holder.update()

                more = min(len(table.rows), ALL_ROWS)
                holder.controls.append(ft.TextButton(f"Show {more} rows", on_click=show_all))
            holder.controls.append(muted("Download the CSV for every row."))
        return holder

    async def _download(self, which: str) -> None:
        """A CSV ("table" or "rows") or the printed report ("pdf"), audited as an export, then saved."""
        report = self.report
        if report is None:
            return
        analytics = self.analytics
        downloads = self.shell.services.downloads
        kind = f"analytics_{report.key}_{which}"

        def export() -> Download:
            if which == "pdf":
                return downloads.export_document(analytics.document(report), kind)
            name = f"besmart-{report.key}-{which}-{dt.date.today().isoformat()}.csv"
            text = analytics.table_csv(report) if which == "table" else analytics.rows_csv(report)
            return downloads.export_csv(kind, name, text)

        download = self.shell.act(export)
        if download is not None:
            await self.shell.save_file(download, "Save the report" if which == "pdf" else "Save the CSV file")

    def _downloads(self) -> list[ft.Control]:
        """CSV and print, for roles that may take records away (the capability table): each is an export."""
        if not self.shell.services.downloads.allowed():
            return []

        def button(text: str, icon: ft.IconData, which: str) -> ft.Control:
            async def click(_e: Any) -> None:
                await self._download(which)

            return ft.OutlinedButton(text, icon=icon, on_click=click)

        return [
            ft.Row(
                [
                    button("Download CSV (table)", ft.Icons.DOWNLOAD_OUTLINED, "table"),
                    button("Download CSV (all rows)", ft.Icons.DOWNLOAD_OUTLINED, "rows"),
                    button("Print (PDF)", ft.Icons.PRINT_OUTLINED, "pdf"),
                    *exports_button(self.shell),
                ],
                wrap=True,
            )
        ]

    def build(self) -> ft.Control:
        if self.report_key not in REPORTS:
            raise ActionError("There is no such report.")
        self.shell.services.context.require(Capability.ANALYTICS, "see analytics")  # before "Working out…"
        if not self.shell.analytics_ready:
            return page_body(heading("Analytics"), preparing())
        report = self.report = self.analytics.report(self.report_key, self.filters, bucket=self.bucket)
        chooser = ft.Dropdown(
            label="Report",
            value=self.report_key,
            options=[ft.DropdownOption(key=k, text=t) for k, t in REPORTS.items()],
            on_select=lambda e: self._apply(report=e.control.value) if e.control.value else None,
        )
        bucket = ft.Dropdown(
            label="Over time by",
            value=self.bucket,
            options=[ft.DropdownOption(key=k, text=t) for k, t in BUCKETS.items()],
            on_select=lambda e: self._apply(bucket=e.control.value) if e.control.value else None,
            width=160,
        )
        pick = self._pick(report)
        figures = ft.ResponsiveRow(
            [
                figure_card(f, (lambda _e, f=f: show_related(self.shell, f.ids, f.label)) if pick and f.ids else None)
                for f in report.figures
            ],
            spacing=8,
            run_spacing=8,
        )

        return page_body(
            heading("Analytics"),
            named(chooser, "report-chooser", "Report"),
            *self._filter_panel(),
            heading(report.title, size=18),
            *self._downloads(),  # at the top, in reach on a phone without scrolling past every chart
            figures,
            named(bucket, "bucket-chooser", "Over time by"),
            *[self._series(s, report) for s in report.series],
            heading("Table", size=16),
            self._table(report),
        )


class AnalyticsReport(AnalyticsScreen):
    """The same screen at a report's own URL, `/analytics/<report>`."""

    NAME = "analytics_report"
    ROUTE = "/analytics/{report}"
