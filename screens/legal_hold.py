"""The legal hold of an individual, on their profile's Access section: shown to everyone who opens the
profile, set (with its reason) and lifted by leads and admins (`app.legal_hold`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from screens.ui import heading, muted

if TYPE_CHECKING:
    from screens.shell import Shell


def legal_hold_panel(shell: Shell, profile_id: str) -> list[ft.Control]:
    """The "Legal hold" heading, its state and (for leads and admins) the button that changes it."""
    hold = shell.services.legal_hold
    status = hold.status(profile_id)
    if status.on:
        shown: ft.Control = ft.Text(
            f"On: nothing of theirs may be deleted or destroyed. Reason: {status.reason}"
            + (f" (set by {status.by})" if status.by else "")
        )
    else:
        shown = muted("Off")
    controls: list[ft.Control] = [heading("Legal hold", size=16), shown]
    if not hold.allowed():
        return controls

    if status.on:
        button = ft.OutlinedButton(
            "Lift the legal hold",
            icon=ft.Icons.LOCK_OPEN_OUTLINED,
            on_click=lambda _: shell.ask(
                "Lift the legal hold?",
                ft.Text("Their records can then be deleted again."),
                "Lift",
                lambda: hold.lift(profile_id),
                done="Legal hold lifted",
                then=lambda _: shell.show_again(),
            ),
        )
    else:
        reason = ft.TextField(label="Reason for the hold", multiline=True)
        button = ft.OutlinedButton(
            "Put on legal hold",
            icon=ft.Icons.GAVEL,
            on_click=lambda _: shell.ask(
                "Put their records on legal hold",
                reason,
                "Put on hold",
                lambda: hold.set(profile_id, reason.value or ""),
                done="Legal hold set",
                then=lambda _: shell.show_again(),
            ),
        )
    return [*controls, button]
