""" "Email to parents" on the written report's letter screen: shown only where the organisation allows it, to a
user who may record, while the device is online. It confirms who the letter goes to (the contacts with
parental responsibility and an email this device knows), then the server emails the letter as edited and
marks the report sent; otherwise "Written report sent" on the incident's deadlines panel stays the way.
What may be sent and how: `app.parent_email`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.letters import LetterDraft
from app.parent_email import ParentEmailUnavailable
from screens.ui import ask, muted, named

if TYPE_CHECKING:
    from screens.shell import Shell


def email_action(shell: Shell, draft: LetterDraft, text: Callable[[], str]) -> list[ft.Control]:
    """The "Email to parents" button for this draft (none when it may not be emailed from here now); `text`
    gives the letter as the person has edited it."""
    service = shell.services.parent_email
    if not service.offered(draft) or shell.sync.status.online is not True:
        return []

    async def send() -> None:
        try:
            count = await service.send(draft, text())
        except ParentEmailUnavailable as error:
            shell.toast(str(error), error=True)
            return
        shell.toast(f"Emailed to {count} parent{'' if count == 1 else 's'}: the report is marked sent")
        shell.show("incident", record_id=draft.record_id)

    def confirm(_e: Any) -> None:
        found = service.recipients(draft.profile_id)
        to = (
            [muted(f"{r.name} ({r.relationship}) — {r.email}") for r in found]
            if found
            else [muted("No contact with parental responsibility has an email address on this device.")]
        )
        content = ft.Column(
            [
                muted("The letter as you edited it goes as a PDF to:"),
                *to,
                muted(
                    "The email itself says only that a letter is attached. The report is then marked sent by "
                    "email, with your name and the time."
                ),
            ],
            tight=True,
        )
        ask(shell.page, "Email to parents", content, "Send", lambda: shell.root.spawn(send))

    return [named(ft.Button("Email to parents", icon=ft.Icons.FORWARD_TO_INBOX, on_click=confirm), "letter-email")]
