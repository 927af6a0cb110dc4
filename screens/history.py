"""The "History" of an incident: a dialog listing every change — who, when, what it replaced, and the reason
of each amendment — loaded by `app.history` (the server's op log when online, this device's pending changes
always)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.history import HistoryLine, HistoryView
from screens.ui import muted, when

if TYPE_CHECKING:
    from screens.shell import Shell


def _line(line: HistoryLine) -> ft.Control:
    head = f"{line.what} by {line.who}, {when(line.at, weekday=False)}"
    if line.pending:
        head += " (waiting for sync)"
    parts: list[ft.Control] = [ft.Text(head, weight=ft.FontWeight.BOLD)]
    if line.reason:
        parts.append(ft.Text(f"Reason: {line.reason}"))
    for change in line.changes:
        # Words, not an arrow: the web renderer's font has no arrow glyph.
        parts.append(muted(f"{change.title} was: {change.before}; now: {change.after}"))
    return ft.Column(parts, spacing=2)


def history_content(view: HistoryView) -> ft.Control:
    """The history as a column, oldest first."""
    controls: list[ft.Control] = []
    if view.notice:
        controls.append(muted(view.notice))
    if not view.complete and not view.notice:
        controls.append(muted("Changes made before the history was kept are not listed."))
    controls.extend(_line(line) for line in view.lines)
    if not view.lines:
        controls.append(muted("No changes to show."))
    return ft.Column(controls, tight=True, scroll=ft.ScrollMode.AUTO, spacing=12, width=520, height=420)


def history_button(shell: Shell, record_id: str) -> ft.Control:
    """The incident screen's "History" button."""

    async def show(_e: Any) -> None:
        view = await shell.services.history.load(record_id, shell.root.session.gateway)
        shell.page.show_dialog(
            ft.AlertDialog(
                title=ft.Text("History"),
                content=history_content(view),
                actions=[ft.TextButton("Close", on_click=lambda _: shell.page.pop_dialog())],
            )
        )

    return ft.OutlinedButton("History", icon=ft.Icons.HISTORY, on_click=show)
