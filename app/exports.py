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
from typing import Literal

from app.context import ActionError, Context, display_name
from app.downloads import Download, Downloads
from documents import export_file
from sync.exports import (
    ExportError,
    Held,
    ListKind,
    Names,
    list_export,
    subject_access_export,
)
from sync.permissions import Capability

Format = Literal["csv", "pdf"]
_MEDIA = {"csv": "text/csv", "pdf": "application/pdf", "zip": "application/zip"}


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

    def _me(self) -> str:
        return self.context.staff_names().get(self.context.user.id) or self.context.user.name

    def register(
        self, date_from: dt.date, date_to: dt.date, setting_id: str | None = None, fmt: Format = "pdf"
    ) -> Download:
        """The restrictive-intervention register (reg 35 fields) of the interventions that started in the period."""
        return self._list("register", date_from, date_to, setting_id, fmt)

    def exclusions(
        self, date_from: dt.date, date_to: dt.date, setting_id: str | None = None, fmt: Format = "csv"
    ) -> Download:
        """The suspensions and permanent exclusions that started in the period, in the School Census layout."""
        return self._list("exclusions", date_from, date_to, setting_id, fmt)

    def _list(
        self,
        kind: ListKind,
        date_from: dt.date,
        date_to: dt.date,
        setting_id: str | None,
        fmt: Format,
    ) -> Download:
        self.context.require(Capability.DOWNLOAD_RECORDS, "export records")
        if fmt not in ("csv", "pdf"):
            raise ActionError("Choose CSV or PDF.")
        incidents = [Held(i.id, i.profile_id, i.values) for i in self.context.store.records("incident")]
        try:
            export = list_export(
                kind,
                incidents,
                self._names(),
                date_from,
                date_to,
                setting_id,
                organisation=self.context.organisation_name(),
                facts=[("Exported by", self._me()), ("From", "The records on this device")],
            )
        except ExportError as error:
            raise ActionError(f"{str(error)[0].upper()}{str(error)[1:]}.") from None
        name = f"besmart-{export.name}-{date_from.isoformat()}-to-{date_to.isoformat()}.{fmt}"
        return self.downloads.export(export.name, name, export_file(export, fmt), _MEDIA[fmt])

    def subject_access(self, profile_id: str) -> Download:
        """Everything this device holds about one individual, as a ZIP: `subject-access.pdf` and a CSV per kind
        of record, `history.csv` and `audit.csv` (this device's own audit: the server's is fuller — the admin
        command `subject-access` answers a request from it)."""
        self.context.require(Capability.DOWNLOAD_RECORDS, "export everything about an individual")
        store = self.context.store
        if store.get(profile_id) is None:
            raise ActionError("That individual is not on this device.")
        states = [s.state for s in store.held_about(profile_id) if s.state is not None]
        audit = [a.values for a in store.records("audit_event") if a.values.get("profile_id") == profile_id]
        export = subject_access_export(
            profile_id,
            states,
            audit,
            self._names(),
            organisation=self.context.organisation_name(),
            facts=[("Exported by", self._me()), ("Held on", "This device (what it holds for the person exporting)")],
        )
        name = f"besmart-subject-access-{profile_id[-8:]}-{dt.date.today().isoformat()}.zip"
        return self.downloads.export(
            "subject_access", name, export_file(export, "zip"), _MEDIA["zip"], profile_id=profile_id
        )
