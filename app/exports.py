"""Statutory exports on the device, for roles that may download records (`Capability.DOWNLOAD_RECORDS`):
the restrictive-intervention register and the census list of suspensions and exclusions for a period (and a
setting), as CSV or PDF, and a subject access bundle for one individual — everything this device holds about
them (every record, deleted ones too, with its history, and this device's audit of their records) as a ZIP
of a PDF and CSVs. Offline, from the store.

The rows are `sync.exports`' (the server's admin commands make the same from its database); the files are
`documents`'. Each export is audited through `Downloads.export` before it is handed over.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from app.context import ActionError, Context, display_name
from app.downloads import Download, Downloads
from documents import bundle, render_pdf, sheet_csv, sheets_document
from sync.exports import (
    ExportError,
    Held,
    Names,
    Sheet,
    census_codes,
    exclusions,
    register,
    register_overview,
    register_summary,
    subject_access,
    subject_summary,
)
from sync.permissions import Capability

Format = Literal["csv", "pdf"]
_MEDIA = {"csv": "text/csv", "pdf": "application/pdf"}
ZIP = "application/zip"


class Exports:
    def __init__(self, context: Context, downloads: Downloads) -> None:
        self.context = context
        self.downloads = downloads

    def allowed(self) -> bool:
        return self.context.can(Capability.DOWNLOAD_RECORDS)

    def settings(self) -> list[tuple[str, str]]:
        """(id, name) of the settings on this device, by name (the register's setting filter)."""
        found = [(s.id, str(s.values.get("name", ""))) for s in self.context.store.records("setting")]
        return sorted(found, key=lambda item: item[1].casefold())

    def individuals(self) -> list[tuple[str, str]]:
        """(id, name) of the individuals on this device, by name (whom a subject access bundle is about)."""
        found = [(p.id, display_name(p)) for p in self.context.store.individuals()]
        return sorted(found, key=lambda item: item[1].casefold())

    def _names(self) -> Names:
        store = self.context.store
        return Names(
            staff=self.context.staff_names(),
            individuals={p.id: p.values for p in store.individuals()},
            settings={s.id: s.values for s in store.records("setting")},
        )

    def _incidents(self) -> list[Held]:
        return [Held(i.id, i.profile_id, i.values) for i in self.context.store.records("incident")]

    def _facts(self, date_from: dt.date, date_to: dt.date, setting_id: str | None, names: Names) -> list[Any]:
        organisation = self.context.store.records("organisation")
        return [
            ("Organisation", organisation[0].values.get("name", "") if organisation else ""),
            ("Setting", names.setting(setting_id) if setting_id else "All settings on this device"),
            ("Period", f"{date_from:%d/%m/%Y} to {date_to:%d/%m/%Y} (inclusive)"),
            ("Exported by", self.context.staff_names().get(self.context.user.id) or self.context.user.name),
        ]

    def register(
        self, date_from: dt.date, date_to: dt.date, setting_id: str | None = None, fmt: Format = "pdf"
    ) -> Download:
        """The restrictive-intervention register (reg 35 fields) of the interventions that started in the period."""
        self.context.require(Capability.DOWNLOAD_RECORDS, "export the register")
        names = self._names()
        sheet = _checked(lambda: register(self._incidents(), names, date_from, date_to, setting_id))
        facts = self._facts(date_from, date_to, setting_id, names) + register_summary(sheet)
        shown = [register_overview(sheet), sheet]
        return self._export(sheet, shown, facts, "Restrictive-intervention register", date_from, date_to, fmt)

    def exclusions(
        self, date_from: dt.date, date_to: dt.date, setting_id: str | None = None, fmt: Format = "csv"
    ) -> Download:
        """The suspensions and permanent exclusions that started in the period, in the School Census layout."""
        self.context.require(Capability.DOWNLOAD_RECORDS, "export the exclusions")
        names = self._names()
        sheet = _checked(lambda: exclusions(self._incidents(), names, date_from, date_to, setting_id))
        facts = self._facts(date_from, date_to, setting_id, names)
        facts.append(("Suspensions and exclusions", str(len(sheet.rows))))
        shown = [sheet, census_codes()]
        return self._export(sheet, shown, facts, "Suspensions and permanent exclusions", date_from, date_to, fmt)

    def _export(
        self,
        sheet: Sheet,
        shown: list[Sheet],
        facts: list[Any],
        title: str,
        date_from: dt.date,
        date_to: dt.date,
        fmt: Format,
    ) -> Download:
        if fmt not in _MEDIA:
            raise ActionError("Choose CSV or PDF.")
        name = f"besmart-{sheet.name}-{date_from.isoformat()}-to-{date_to.isoformat()}.{fmt}"
        if fmt == "csv":
            data = sheet_csv(sheet).encode("utf-8")
        else:
            data = render_pdf(sheets_document(title, shown, facts=facts, file_name=name))
        return self.downloads.export(sheet.name, name, data, _MEDIA[fmt])

    def subject_access(self, profile_id: str) -> Download:
        """Everything this device holds about one individual, as a ZIP: `subject-access.pdf` and a CSV per kind
        of record, `history.csv` and `audit.csv` (this device's own audit: the server's is fuller — the admin
        command `subject-access` answers a request from it)."""
        self.context.require(Capability.DOWNLOAD_RECORDS, "export everything about an individual")
        store = self.context.store
        if store.get(profile_id) is None:
            raise ActionError("That individual is not on this device.")
        names = self._names()
        states = [s.state for s in store.held_about(profile_id) if s.state is not None]
        audit = [a.values for a in store.records("audit_event") if a.values.get("profile_id") == profile_id]
        sheets = subject_access(profile_id, states, audit, names)
        organisation = store.records("organisation")
        facts = [
            ("Organisation", organisation[0].values.get("name", "") if organisation else ""),
            *subject_summary(profile_id, sheets, names),
            ("Held on", "This device (what it holds for the person exporting)"),
        ]
        document = sheets_document(
            "Subject access: everything held",
            sheets,
            subtitle=names.individual(profile_id),
            facts=facts,
            file_name="subject-access.pdf",
        )
        name = f"besmart-subject-access-{profile_id[-8:]}-{dt.date.today().isoformat()}.zip"
        return self.downloads.export("subject_access", name, bundle(document, sheets), ZIP, profile_id=profile_id)


def _checked(make: Any) -> Sheet:
    try:
        sheet: Sheet = make()
    except ExportError as error:
        raise ActionError(f"{str(error)[0].upper()}{str(error)[1:]}.") from None
    return sheet
