""" "Draft a letter" from an incident, a communication or an individual: choose the letter and its register, edit
the draft (made by `app/letters.py` from the record's own data), see what the language scan finds, then
Download PDF (audited, for roles that may download) or Copy; the written report after force may also be
emailed to the parents through the server where the organisation allows it (`screens.parent_email`).

The guide's warning is shown above every draft. Choosing another letter or register makes a new draft: the
edits so far are replaced (the screen says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.letters import KIND_LABELS, Register
from screens.ai_support import improve_letter_button
from screens.feedback import feedback_link, language_report
from screens.language_check import with_language_check
from screens.parent_email import email_action
from screens.ui import back_title, card, heading, muted, named, page_body, warning

if TYPE_CHECKING:
    from screens.shell import Shell

REGISTER_LABELS = {Register.FORMAL: "Formal", Register.INFORMAL: "Informal"}


class LetterScreen:
    NAME = "letter"
    ROUTE = "/letters/{record_id}"
    refresh_after_sync = False  # a sync must not wipe a letter being edited

    def __init__(self, shell: Shell, record_id: str, kind: str = "", register: str = Register.FORMAL.value) -> None:
        self.shell = shell
        self.record_id = record_id
        self.kind = kind
        self.register = register
        self.params: dict[str, Any] = {"record_id": record_id, "kind": kind, "register": register}
        self.text = ft.TextField(label="The letter (edit it before you use it)", multiline=True, min_lines=12)
        # Kept on the screen: Flet drops a service nothing refers to.
        self.clipboard: ft.Clipboard | None = None

    def _choose(self, *, kind: str | None = None, register: str | None = None) -> None:
        self.shell.show(self.NAME, record_id=self.record_id, kind=kind or self.kind, register=register or self.register)

    def _back(self, _e: Any) -> None:
        source, profile_id = self.shell.services.letters.source(self.record_id)
        if source == "incident":
            self.shell.show("incident", record_id=self.record_id)
        elif source == "communication":
            self.shell.show("communications", profile_id=profile_id)
        else:
            self.shell.show("profile", profile_id=profile_id)

    async def _download(self, _e: Any) -> None:
        letters = self.shell.services.letters
        download = self.shell.act(
            lambda: letters.letter_pdf(letters.draft(self.record_id, self.kind, self.register), self.text.value or "")
        )
        if download is None:
            return
        await self.shell.save_file(download, "Save the letter")

    async def _copy(self, _e: Any) -> None:
        self.clipboard = ft.Clipboard()
        await self.clipboard.set(self.text.value or "")
        self.shell.toast("Copied. Check it before you use it.")

    def build(self) -> ft.Control:
        services = self.shell.services
        kinds = services.letters.kinds(self.record_id)
        if self.kind not in kinds:
            self.kind = kinds[0].value
        draft = services.letters.draft(self.record_id, self.kind, self.register)
        self.register = draft.register.value
        self.params = {"record_id": self.record_id, "kind": self.kind, "register": self.register}
        self.text.value = draft.text
        kind = ft.Dropdown(
            label="Letter",
            value=self.kind,
            options=[ft.DropdownOption(key=k.value, text=KIND_LABELS[k]) for k in kinds],
            on_select=lambda e: self._choose(kind=e.control.value),
        )
        register = ft.Dropdown(
            label="Register",
            value=self.register,
            options=[ft.DropdownOption(key=r.value, text=REGISTER_LABELS[r]) for r in Register],
            on_select=lambda e: self._choose(register=e.control.value),
        )
        actions: list[ft.Control] = []
        if services.downloads.allowed():
            actions.append(
                named(
                    ft.Button("Download PDF", icon=ft.Icons.DOWNLOAD_OUTLINED, on_click=self._download),
                    "letter-download",
                )
            )
        actions.append(named(ft.OutlinedButton("Copy", icon=ft.Icons.COPY, on_click=self._copy), "letter-copy"))
        actions.append(improve_letter_button(self.shell, self.text, services.letters.source(self.record_id)[1]))
        actions += email_action(self.shell, draft, lambda: self.text.value or "")
        flags = len(draft.flags)
        return page_body(
            back_title("Draft a letter", tooltip="Back", identifier="back-from-letter", on_back=self._back),
            warning(draft.warning, "letter-warning"),
            named(kind, "letter-kind", "Letter"),
            named(register, "letter-register", "Register"),
            muted("Choosing another letter or register starts a new draft. The app sends nothing unless you ask."),
            card(
                heading("From the record", size=14),
                *[muted(f"{fact.label}: {fact.value}") for fact in draft.facts],
            ),
            muted(
                f"The language check found {flags} thing{'' if flags == 1 else 's'} to look at in this draft."
                if flags
                else "The language check found nothing to look at in this draft."
            ),
            with_language_check(
                self.text, identifier="letter-text", report=language_report(self.shell, self.record_id)
            ),
            ft.Row(actions, wrap=True),
            feedback_link(self.shell, "letter", draft.text, self.record_id),
        )
