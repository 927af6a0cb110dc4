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


def selectable(text: str, **kwargs: Any) -> ft.Text:
    """A Text the user can select and copy, that assistive technology can still read.

    In the web client a plain `Text(selectable=True)` is an empty, disabled textbox in the accessibility
    tree (a screen reader hears nothing; checked in Chromium): its `semantics_label` restores the text."""
    return ft.Text(text, selectable=True, semantics_label=text, **kwargs)


def labelled(label: str, value: Any) -> ft.Column:
    shown = value if isinstance(value, str) else ("Yes" if value is True else "No" if value is False else value)
    return ft.Column([muted(label), selectable(str(shown) if shown not in (None, "") else "—")], spacing=2)


def named(control: ft.Control, identifier: str, label: str | None = None) -> ft.Semantics:
    """Wrap a control so tests and assistive technology can find it: `identifier` is a stable selector
    (`[flt-semantics-identifier=...]` in the web client); the wrapper takes over `expand`.

    Flutter leaves some controls nameless in the accessibility tree (checked in the web client):
    - IconButton / PopupMenuButton: the tooltip alone is no name; wrapped with `button=True` the wrapper is a
      button named by the tooltip (giving a `label` as well would read it twice).
    - Dropdown: a nameless button; the wrapper's `label` names it.

    Always pass `content=` to ft.Semantics: its first positional parameter is `tooltip`."""
    if isinstance(control, (ft.IconButton, ft.PopupMenuButton)):
        wrapper = ft.Semantics(content=control, identifier=identifier, button=True, expand=control.expand)
    else:
        wrapper = ft.Semantics(content=control, identifier=identifier, label=label, expand=control.expand)
    control.expand = None
    return wrapper


def labelled_toggle(
    label: str, value: bool, on_change: Callable[[bool], None] | None = None, *, switch: bool = False
) -> ft.MergeSemantics:
    """A checkbox (or switch) whose label wraps on a narrow screen.

    Their own `label` is laid out with unbounded width, so a long one runs off a phone's screen. Here the text
    sits next to the box in an expanding container; MergeSemantics makes the pair one checkbox/switch named by
    the text for assistive technology, and tapping the text toggles it, as with the built-in label.
    The Checkbox/Switch is `.content.controls[0]`."""
    toggle_cls = ft.Switch if switch else ft.Checkbox
    box = toggle_cls(value=value, on_change=lambda e: on_change(bool(e.control.value)) if on_change else None)

    def tapped(_e: Any) -> None:
        box.value = not box.value
        if on_change:
            on_change(bool(box.value))

    return ft.MergeSemantics(
        content=ft.Row(
            [box, ft.Container(ft.Text(label), expand=True, on_click=tapped)],
            spacing=4,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
    )


def back_title(title: str, *, tooltip: str, identifier: str, on_back: Callable[..., Any]) -> ft.Row:
    """A back arrow and the screen's title. The title wraps beside the arrow: in a plain or wrapping Row a long
    name runs off a phone's screen or drops onto a line of its own."""
    return ft.Row(
        [
            named(ft.IconButton(ft.Icons.ARROW_BACK, tooltip=tooltip, on_click=on_back), identifier),
            ft.Text(title, size=20, weight=ft.FontWeight.BOLD, expand=True),
        ],
        spacing=4,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )


#: the share of the width (of 12 columns) an input takes at each breakpoint of the window's width: all of a
#: phone's, most of a tablet's, two thirds of a desktop column (about 600 px) so a line stays readable
FIELD_COLUMNS: dict[str, int] = {"xs": 12, "md": 10, "lg": 8}


def _is_input(control: ft.Control) -> bool:
    inner = control.content if isinstance(control, ft.Semantics) else control
    return isinstance(inner, (ft.TextField, ft.Dropdown)) and inner.width is None


def fit_width(control: ft.Control) -> ft.Control:
    """An input (TextField, Dropdown, or one wrapped by `named`) as wide as its column allows, up to
    FIELD_COLUMNS of it. Left alone in a Column, Flet gives a TextField 300 px and a Dropdown the width of its
    longest option, whatever the screen. Other controls are returned unchanged."""
    if not _is_input(control):
        return control
    inner = control.content if isinstance(control, ft.Semantics) else control
    if isinstance(inner, ft.Dropdown):
        inner.expand = True  # a Dropdown fills the width it is given only when expanding
        if inner is not control:
            control.expand = True
    return ft.ResponsiveRow([ft.Container(control, col=FIELD_COLUMNS)], spacing=0, run_spacing=0)


def card(*controls: ft.Control, on_click: Callable[..., Any] | None = None) -> ft.Card:
    """A card; its inputs fill it (see `fit_width`)."""
    column = ft.Column([fit_width(c) for c in controls], spacing=6)
    return ft.Card(content=ft.Container(column, padding=12, on_click=on_click))


def page_body(*controls: ft.Control) -> ft.Column:
    """A scrolling column that stays readable on a wide screen; its inputs fill it (see `fit_width`)."""
    return ft.Column([fit_width(c) for c in controls], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def ask(
    page: ft.Page,
    title: str,
    content: ft.Control,
    action: str,
    on_confirm: Callable[[], Any],
    *,
    cancel: str = "Cancel",
) -> None:
    """A dialog with a cancel button and one action; the action closes the dialog, then runs."""

    def confirmed(_e: Any) -> None:
        page.pop_dialog()
        on_confirm()

    page.show_dialog(
        ft.AlertDialog(
            title=ft.Text(title),
            content=content,
            actions=[
                ft.TextButton(cancel, on_click=lambda _: page.pop_dialog()),
                ft.TextButton(action, on_click=confirmed),
            ],
        )
    )
