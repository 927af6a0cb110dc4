"""Small building blocks shared by the screens: headings, labelled fields, empty states, formatting.

Everything here only renders; it never touches storage, crypto or the network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import flet as ft

VALENCE_LABELS = {"positive": "Positive", "negative": "Negative", "n/a": "N/A"}
VALENCE_COLOURS = {"positive": ft.Colors.GREEN_700, "negative": ft.Colors.RED_700, "n/a": ft.Colors.BLUE_GREY_600}


def heading(text: str, *, size: int = 20) -> ft.Text:
    return ft.Text(text, size=size, weight=ft.FontWeight.BOLD)


def muted(text: str) -> ft.Text:
    return ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT, size=13)


def empty(text: str) -> ft.Container:
    return ft.Container(muted(text), padding=16, alignment=ft.Alignment.CENTER)


def error_text() -> ft.Text:
    """A place for an error message in plain words; empty until needed."""
    return ft.Text("", color=ft.Colors.ERROR, visible=False)


def show_error(target: ft.Text, message: str | None) -> None:
    target.value = message or ""
    target.visible = bool(message)


def when(value: str | None) -> str:
    """An ISO moment as the user's local 'Mon 23 Nov 2026, 10:15'."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return value
    return moment.strftime("%a %d %b %Y, %H:%M")


def local_input(value: str | None) -> str:
    """An ISO moment as an editable 'YYYY-MM-DD HH:MM' in local time."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def parse_local_input(text: str) -> str | None:
    """'YYYY-MM-DD HH:MM' in local time → ISO UTC; None if it does not parse."""
    try:
        moment = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").astimezone()
    except ValueError:
        return None
    return moment.astimezone(dt.UTC).isoformat()


def labelled(label: str, value: Any) -> ft.Column:
    shown = value if isinstance(value, str) else ("Yes" if value is True else "No" if value is False else value)
    return ft.Column(
        [muted(label), ft.Text(str(shown) if shown not in (None, "") else "—", selectable=True)], spacing=2
    )


def card(*controls: ft.Control, on_click: Callable[..., Any] | None = None) -> ft.Card:
    return ft.Card(content=ft.Container(ft.Column(list(controls), spacing=6), padding=12, on_click=on_click))


def page_body(*controls: ft.Control) -> ft.Column:
    """A scrolling column that stays readable on a wide screen."""
    return ft.Column(list(controls), spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
