"""The account menu's "Change password": the current password and the new one twice, sent to the server (it needs
a connection; `app.session.ClientSession.change_password`). A refusal is shown in the dialog, which keeps what
was typed; once changed, the account's other devices ask for the new password."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.session import SignInError
from screens.ui import error_text, named, show_error

if TYPE_CHECKING:
    from screens.shell import Shell


def open_change_password(shell: Shell) -> None:
    """Show the dialog."""
    fields = [
        ft.TextField(label=label, password=True, can_reveal_password=True, autofocus=n == 0)
        for n, label in enumerate(("Current password", "New password (8 characters or more)", "New password again"))
    ]
    error = error_text()

    async def change(_e: Any) -> None:
        current, new, confirm = (field.value or "" for field in fields)
        try:
            await shell.session.change_password(current, new, confirm)
        except SignInError as refused:
            show_error(error, str(refused))
            shell.page.update()
            return
        shell.page.pop_dialog()
        shell.toast("Password changed. Your other devices will ask for the new one.")

    shell.page.show_dialog(
        ft.AlertDialog(
            title=ft.Text("Change password"),
            content=ft.Column([*fields, error], tight=True, spacing=8),
            actions=[
                ft.TextButton("Cancel", on_click=lambda _: shell.page.pop_dialog()),
                named(ft.TextButton("Change password", on_click=change), "change-password"),
            ],
        )
    )
