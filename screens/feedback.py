""" "Report a problem with this output": the link every tool's output carries (`feedback_link`), its dialog for the
person's note, and the list of reports (`FeedbackScreen`, from the Help Centre) where leads resolve them with a
note and their authors see the answer. Saving works offline; the report syncs like any record (`app/feedback.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.feedback import FeedbackItem
from screens.ui import (
    back_title,
    card,
    empty,
    error_text,
    heading,
    muted,
    named,
    page_body,
    selectable,
    show_error,
    when,
)

if TYPE_CHECKING:
    from screens.shell import Shell

REPORT = "Report a problem with this output"
TITLE = "Reports of problems with outputs"
MINE = "Your reports of problems with outputs"


def feedback_link(
    shell: Shell, tool: str, output: str, about: str | None = None, *, identifier: str | None = None
) -> ft.Control:
    """The "Report a problem with this output" link to put under an output of `tool` (e.g. "letter"); `about`:
    the id of the record the output was made from. Tapping it asks what looks wrong and saves the report."""

    def open_dialog(_e: Any) -> None:
        note = ft.TextField(label="What looks wrong or worries you?", multiline=True, min_lines=3, autofocus=True)
        error = error_text()

        def send(_e: Any) -> None:
            if not (note.value or "").strip():
                show_error(error, "Say what looks wrong with this output, so a lead can look into it.")
                shell.page.update()
                return
            saved = shell.act(lambda: shell.services.feedback.report(tool, output, note.value or "", about=about))
            if saved is None:
                return  # the reason is shown; the note stays in the dialog
            dialog.open = False
            dialog.update()
            shell.toast("Thank you. Your report is saved and will reach your leads when this device syncs.")

        def cancel(_e: Any) -> None:
            dialog.open = False
            dialog.update()

        dialog = ft.AlertDialog(
            title=ft.Text(REPORT),
            content=ft.Column(
                [
                    muted(
                        "Your note and this output go to your organisation's leads, who will look into it. "
                        "The output stays on this device until it syncs, encrypted like every record."
                    ),
                    named(note, "feedback-note"),
                    error,
                ],
                tight=True,
                spacing=8,
            ),
            actions=[
                ft.TextButton("Cancel", on_click=cancel),
                named(ft.TextButton("Send report", on_click=send), "feedback-send"),
            ],
        )
        shell.page.show_dialog(dialog)

    return named(
        ft.TextButton(REPORT, icon=ft.Icons.OUTLINED_FLAG, on_click=open_dialog),
        identifier or f"report-{tool.replace('_', '-')}",
    )


def language_report(shell: Shell, about: str | None = None) -> Callable[[str, str], ft.Control]:
    """The link under each finding of a language check (`screens.language_check`'s `report`)."""
    return lambda output, identifier: feedback_link(shell, "language_check", output, about, identifier=identifier)


def feedback_entry(shell: Shell) -> list[ft.Control]:
    """The way to the reports (the Help Centre shows it): for those who resolve them, and for anyone who has
    made one (to see the answer); nothing for others."""
    feedback = shell.services.feedback
    reviewing = feedback.may_review()
    if not reviewing and not feedback.items():
        return []
    count = feedback.open_count()
    return [
        card(
            heading(TITLE if reviewing else MINE, size=16),
            muted(f"{count} open report{'' if count == 1 else 's'}." if count else "No open reports."),
            named(
                ft.OutlinedButton("See the reports", on_click=lambda _: shell.show(FeedbackScreen.NAME)),
                "open-feedback",
            ),
        )
    ]


class FeedbackScreen:
    """Leads and administrators: every report on this device, open first; resolve one with a note. Anyone
    else: their own reports, and the answers to them."""

    NAME = "output_feedback"
    ROUTE = "/feedback"
    refresh_after_sync = False  # a resolution being typed must not be wiped by a sync

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.params: dict[str, Any] = {}

    def _resolve(self, item: FeedbackItem, text: ft.TextField, error: ft.Text) -> None:
        if not (text.value or "").strip():
            show_error(error, "Say what was done about the report before resolving it.")
            self.shell.page.update()
            return

        def resolve() -> bool:
            self.shell.services.feedback.resolve(item.id, text.value or "")
            return True

        if self.shell.act(resolve, done="Report resolved."):
            self.shell.show_again()

    def _item(self, item: FeedbackItem, n: int) -> ft.Control:
        rows: list[ft.Control] = [
            ft.Text(f"{item.tool} · {item.status_label}", weight=ft.FontWeight.BOLD),
            muted(" · ".join(p for p in (item.about, f"{when(item.created_at)}, {item.author}") if p)),
            ft.Text("Their note", size=13, weight=ft.FontWeight.W_500),
            selectable(item.note),
            ft.ExpansionTile(
                title=ft.Text("The output they reported"),
                controls=[ft.Container(selectable(item.output), padding=8)],
            ),
        ]
        if item.pending:
            rows.append(muted("Waiting for sync."))
        if item.open and self.shell.services.feedback.may_review():
            text = ft.TextField(label="What was done about it", multiline=True, min_lines=2)
            error = error_text()
            rows += [
                named(text, f"feedback-resolution-{n}"),
                error,
                named(
                    ft.Button("Resolve", icon=ft.Icons.CHECK, on_click=lambda _: self._resolve(item, text, error)),
                    f"feedback-resolve-{n}",
                ),
            ]
        elif item.open:
            rows.append(muted("Open: a lead will look into it."))
        else:
            rows.append(muted(f"Resolved by {item.resolved_by or 'a lead'}, {when(item.resolved_at)}"))
            rows.append(selectable(item.resolution))
        return named(card(*rows), f"feedback-item-{n}")

    def build(self) -> ft.Control:
        feedback = self.shell.services.feedback
        items = feedback.items()
        reviewing = feedback.may_review()
        return page_body(
            back_title(
                TITLE if reviewing else MINE,
                tooltip="Back to the Help Centre",
                identifier="back-to-help",
                on_back=lambda _: self.shell.show("help"),
            ),
            muted(
                "What staff reported about a letter draft, a language check or another tool's output. Check the "
                "output, act on it, then resolve the report saying what was done."
                if reviewing
                else "What you reported, and what a lead did about it."
            ),
            *([self._item(item, n) for n, item in enumerate(items, 1)] or [empty("No reports yet.")]),
        )
