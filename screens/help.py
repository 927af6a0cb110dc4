"""The Help Centre (`HelpCentre`): the organisation's contact, the ways to the besmart team, reports of problems
with outputs, and the help files. The besmart team is reached by a support ticket or a support call request
(`SupportRequestForm`: saved on the device and sent when it syncs, `app/help.py`) and first by Sophie, the help
bot, who answers from the help files on the device (`HelpBotScreen`, `app/help_bot.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.context import ActionError
from app.help import SUPPORT_SUBJECT_MAX, SupportItem
from app.help_bot import GREETING, answer
from app.vocabulary import SupportRequestKind, label
from screens.feedback import feedback_entry
from screens.ui import (
    back_title,
    card,
    error_text,
    heading,
    muted,
    named,
    page_body,
    selectable,
    show_error,
    warning,
    when,
)

if TYPE_CHECKING:
    from screens.shell import Shell

#: each request's title, what its form asks and its button
FORMS = {
    SupportRequestKind.TICKET: (
        "Open a support ticket",
        "Ask the besmart team for help with the app. They reply to your work email address.",
        "What do you need help with?",
        "Send the ticket",
    ),
    SupportRequestKind.CALL: (
        "Arrange a support call",
        "Ask the besmart team to call you: say what you would like to talk about and when suits you.",
        "What would you like to talk about?",
        "Request the call",
    ),
}
NO_RECORDS = (
    "Do not include children's names or anything about them: the besmart team does not see your records. "
    "Names and details your organisation holds are replaced by placeholders before the request leaves besmart."
)


def _titled(shell: Shell, title: str) -> ft.Control:
    """The screen's title with the way back to the Help Centre."""
    return back_title(
        title, tooltip="Back to the Help Centre", identifier="back-to-help", on_back=lambda _: shell.show("help")
    )


def support_entry(shell: Shell) -> list[ft.Control]:
    """The Help Centre's card for the besmart team: Sophie, a ticket, a call, and the person's own requests."""
    actions = ft.Row(
        [
            named(
                ft.Button("Talk to Sophie", icon=ft.Icons.CHAT_OUTLINED, on_click=lambda _: shell.show("help_bot")),
                "help-sophie",
            ),
            *[
                named(
                    ft.OutlinedButton(
                        FORMS[request][0],
                        icon=icon,
                        on_click=lambda _, r=request: shell.show("support_request", request=r.value),
                    ),
                    f"help-{request.value}",
                )
                for request, icon in (
                    (SupportRequestKind.TICKET, ft.Icons.SUPPORT_AGENT),
                    (SupportRequestKind.CALL, ft.Icons.PHONE_OUTLINED),
                )
            ],
        ],
        wrap=True,
    )
    mine = shell.services.support.mine()
    return [
        card(
            heading("The besmart team", size=16),
            muted("Ask Sophie, the help bot, first: she answers from the help files straight away, even offline."),
            actions,
            *([muted("Your support requests")] if mine else []),
            *[_request(item, n) for n, item in enumerate(mine, 1)],
        )
    ]


def _request(item: SupportItem, n: int) -> ft.Control:
    rows: list[ft.Control] = [
        ft.Text(f"{item.label}: {item.subject}", weight=ft.FontWeight.BOLD),
        muted(
            f"Asked {when(item.created_at)}"
            + (f" · phone {item.contact_phone}" if item.contact_phone else "")
            + (f" · when suits you: {item.preferred_times}" if item.preferred_times else "")
        ),
        muted(item.status),
    ]
    return named(ft.Column(rows, spacing=2), f"support-request-{n}")


class SupportRequestForm:
    """A support ticket or a support call request: subject and details (and for a call, a number and when suits
    the person). Nothing is lost to a bad entry: the form says what to put right and keeps what was typed."""

    NAME = "support_request"
    ROUTE = "/help/support/{request}"
    refresh_after_sync = False  # a sync must not wipe what is being typed

    def __init__(self, shell: Shell, request: str, details: str = "") -> None:
        self.shell = shell
        try:
            self.request = SupportRequestKind(request)
        except ValueError:
            raise ActionError("There is no such support request: open one from the Help Centre.") from None
        self.params: dict[str, Any] = {"request": self.request.value}
        _title, _intro, details_label, _button = FORMS[self.request]
        self.subject = ft.TextField(label="Subject", max_length=SUPPORT_SUBJECT_MAX)
        # `details`: what the person already asked (Sophie could not answer it); not in the URL
        self.details = ft.TextField(label=details_label, multiline=True, min_lines=4, value=details)
        self.phone = ft.TextField(
            label="Phone number" + ("" if self.request == SupportRequestKind.CALL else " (optional)"),
            keyboard_type=ft.KeyboardType.PHONE,
        )
        self.times = ft.TextField(label="When suits you (days and times)")
        self.error = error_text()

    def _send(self, _e: Any) -> None:
        try:
            self.shell.services.support.request(
                self.request,
                self.subject.value or "",
                self.details.value or "",
                contact_phone=self.phone.value or "",
                preferred_times=self.times.value or "" if self.request == SupportRequestKind.CALL else "",
            )
        except ActionError as failure:  # shown by the button; what was typed stays
            show_error(self.error, str(failure))
            self.shell.page.update()
            return
        self.shell.show("help")
        self.shell.toast(
            f"{label(SupportRequestKind, self.request)} saved: it is sent to the besmart team when this device syncs."
        )

    def build(self) -> ft.Control:
        title, intro, _details, button = FORMS[self.request]
        fields: list[ft.Control] = [named(self.subject, "support-subject"), named(self.details, "support-details")]
        fields.append(named(self.phone, "support-phone"))
        if self.request == SupportRequestKind.CALL:
            fields.append(named(self.times, "support-times"))
        return page_body(
            _titled(self.shell, title),
            muted(intro),
            warning(NO_RECORDS, "support-warning"),
            *fields,
            self.error,
            named(ft.Button(button, icon=ft.Icons.SEND, on_click=self._send), "support-send"),
        )


class HelpBotScreen:
    """Sophie: ask a question, read her answer from the help files; when she cannot help, a ticket or a call is a
    tap away. The conversation lasts as long as the screen."""

    NAME = "help_bot"
    ROUTE = "/help/sophie"
    refresh_after_sync = False  # a sync must not wipe the conversation

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.params: dict[str, Any] = {}
        self.question = self._new_question()
        self.question_slot = ft.Container(named(self.question, "sophie-question"))
        self.messages = ft.Column([self._from_sophie(GREETING, 0)], spacing=8)
        self.asked = 0

    def _from_sophie(self, text: str, n: int, *, unanswered: str = "") -> ft.Control:
        """Sophie's message; for a question she could not answer (`unanswered`), a ticket or a call that starts
        from it."""
        rows: list[ft.Control] = [ft.Text("Sophie", weight=ft.FontWeight.BOLD, size=13), selectable(text)]
        if unanswered:
            rows.append(
                ft.Row(
                    [
                        ft.TextButton(
                            "Open a support ticket",
                            on_click=lambda _: self._open(SupportRequestKind.TICKET, unanswered),
                        ),
                        ft.TextButton(
                            "Arrange a support call",
                            on_click=lambda _: self._open(SupportRequestKind.CALL, unanswered),
                        ),
                    ],
                    wrap=True,
                )
            )
        return named(card(*rows), f"sophie-{n}")

    def _new_question(self) -> ft.TextField:
        return ft.TextField(label="Ask Sophie", on_submit=self._ask, autofocus=True)

    def _open(self, request: SupportRequestKind, question: str) -> None:
        self.shell.show("support_request", request=request.value, details=question)

    def _ask(self, _e: Any) -> None:
        question = (self.question.value or "").strip()
        if not question:
            return
        self.asked += 1
        reply = answer(question)
        self.messages.controls += [
            named(ft.Container(ft.Text(question), padding=8, alignment=ft.Alignment.CENTER_RIGHT), f"you-{self.asked}"),
            self._from_sophie(reply.text, self.asked, unanswered="" if reply.pages else question),
        ]
        # A fresh field: setting the old one's value to "" sends nothing when the app was never told what was
        # typed (Flet diffs against what it last sent), and the browser kept the question.
        self.question = self._new_question()
        self.question_slot.content = named(self.question, "sophie-question")
        self.shell.page.update()

    def build(self) -> ft.Control:
        return page_body(
            _titled(self.shell, "Talk to Sophie"),
            muted(
                "Sophie is the besmart help bot. She answers from the help files on this device: nothing you type "
                "leaves it."
            ),
            self.messages,
            self.question_slot,
            named(ft.Button("Ask", icon=ft.Icons.SEND, on_click=self._ask), "sophie-ask"),
        )


class HelpCentre:
    """The Help Centre, from the question mark at the top of every screen: the organisation's contact, the besmart
    team (Sophie, a ticket, a call, and the person's own requests), reports of problems with outputs, and the help
    files."""

    NAME = "help"
    ROUTE = "/help"
    refresh_after_sync = True

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.params: dict[str, Any] = {}

    def build(self) -> ft.Control:
        help_centre = self.shell.services.help
        contact = help_centre.contact()
        contact_lines = [ft.Text(contact.organisation or "Your organisation")]
        if contact.email:
            contact_lines.append(selectable(f"Email: {contact.email}"))
        if contact.phone:
            contact_lines.append(selectable(f"Phone: {contact.phone}"))
        if len(contact_lines) == 1:
            contact_lines.append(muted("Ask your besmart lead or safeguarding lead for help."))
        return page_body(
            heading("Help Centre"),
            card(heading("Contact", size=16), *contact_lines),
            *support_entry(self.shell),
            *feedback_entry(self.shell),
            heading("Help files", size=18),
            *[
                ft.ExpansionTile(title=ft.Text(page.title), controls=[ft.Container(ft.Text(page.body), padding=12)])
                for page in help_centre.pages()
            ],
        )
