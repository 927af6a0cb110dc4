"""The Exports screen, for roles that may download records: the restrictive-intervention register and the
census list of suspensions and exclusions for a period (and a setting) as PDF or CSV, and a subject access
bundle (a ZIP) of everything this device holds about one individual. Each file is made and audited by
`app.exports`; the screen only collects the choices and hands the file over (`Shell.save_file`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import flet as ft

from app.context import ActionError
from app.downloads import Download
from screens.ui import card, heading, muted, name_dropdown, named, page_body, parse_day

if TYPE_CHECKING:
    from collections.abc import Callable

    from screens.shell import Shell

ALL_SETTINGS = "all"


def _school_year_start(today: dt.date) -> dt.date:
    return dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def exports_button(shell: Shell) -> list[ft.Control]:
    """A button to the Exports screen, for a role that may download records (none for others)."""
    if not shell.services.exports.allowed():
        return []
    return [
        ft.OutlinedButton(
            "Registers and subject access", icon=ft.Icons.FOLDER_ZIP_OUTLINED, on_click=lambda _: shell.show("exports")
        )
    ]


class ExportsScreen:
    NAME = "exports"
    ROUTE = "/exports"
    refresh_after_sync = False  # the period being typed must survive a sync

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.params: dict[str, Any] = {}
        today = dt.date.today()
        self.start = ft.TextField(label="From (dd/mm/yyyy)", value=_school_year_start(today).strftime("%d/%m/%Y"))
        self.end = ft.TextField(label="To (dd/mm/yyyy)", value=today.strftime("%d/%m/%Y"))
        self.setting = ft.Dropdown(label="Setting", value=ALL_SETTINGS)
        picker = name_dropdown("Individual", [], None, identifier="subject-access-individual")
        assert isinstance(picker.content, ft.Dropdown)
        self.picker, self.individual = picker, picker.content

    def _period(self) -> tuple[dt.date, dt.date, str | None]:
        first, last = parse_day(self.start.value or ""), parse_day(self.end.value or "")
        if first is None or last is None:
            raise ActionError("Type both days as dd/mm/yyyy, for example 01/09/2026.")
        setting = self.setting.value if self.setting.value not in (None, "", ALL_SETTINGS) else None
        return first, last, setting

    async def _save(self, make: Callable[[], Download], title: str) -> None:
        download = self.shell.act(make)
        if download is not None:
            await self.shell.save_file(download, title)

    def _list_buttons(self, what: str, label: str) -> ft.Row:
        exports = self.shell.services.exports

        def make(fmt: str) -> Callable[[], Download]:
            def run() -> Download:
                first, last, setting = self._period()
                export = exports.register if what == "register" else exports.exclusions
                return export(first, last, setting, "pdf" if fmt == "pdf" else "csv")

            return run

        async def pdf(_e: Any) -> None:
            await self._save(make("pdf"), f"Save the {label}")

        async def csv(_e: Any) -> None:
            await self._save(make("csv"), f"Save the {label}")

        return ft.Row(
            [
                ft.OutlinedButton(f"{label.capitalize()} (PDF)", icon=ft.Icons.PICTURE_AS_PDF_OUTLINED, on_click=pdf),
                ft.OutlinedButton(f"{label.capitalize()} (CSV)", icon=ft.Icons.TABLE_CHART_OUTLINED, on_click=csv),
            ],
            wrap=True,
        )

    async def _subject_access(self, _e: Any) -> None:
        exports = self.shell.services.exports

        def make() -> Download:
            if not self.individual.value:
                raise ActionError("Choose the individual the request is about.")
            return exports.subject_access(self.individual.value)

        await self._save(make, "Save everything held about the individual")

    def build(self) -> ft.Control:
        exports = self.shell.services.exports
        if not exports.allowed():
            raise ActionError("Your role does not allow exporting records.")
        self.setting.options = [ft.DropdownOption(key=ALL_SETTINGS, text="All settings")] + [
            ft.DropdownOption(key=key, text=name) for key, name in exports.settings()
        ]
        self.individual.options = [ft.DropdownOption(key=key, text=name) for key, name in exports.individuals()]
        return page_body(
            heading("Registers and subject access"),
            muted("Every export is recorded in the audit log, with your name, before the file is handed over."),
            card(
                heading("Registers for inspectors and the census", size=16),
                ft.Row([named(self.start, "export-from", "From"), named(self.end, "export-to", "To")], wrap=True),
                named(self.setting, "export-setting", "Setting"),
                muted(
                    "The restrictive-intervention register lists every recorded use of force, restraint or seclusion "
                    "that started in the period, with the regulation 35 fields."
                ),
                self._list_buttons("register", "register"),
                muted(
                    "Suspensions and permanent exclusions that started in the period, in the School Census layout: "
                    "category, start date, sessions and reason codes."
                ),
                self._list_buttons("exclusions", "exclusions"),
            ),
            card(
                heading("Subject access", size=16),
                muted(
                    "Everything this device holds about one individual: every record with its history, plans, "
                    "communications, clicker taps and this device's audit, as a ZIP of a PDF and CSV files. The "
                    "admin's subject-access command answers from the server's full records."
                ),
                self.picker,
                ft.OutlinedButton(
                    "Download everything held (ZIP)", icon=ft.Icons.FOLDER_ZIP_OUTLINED, on_click=self._subject_access
                ),
            ),
        )
