"""Small building blocks shared by the screens: headings, labelled fields, empty states, formatting.

Everything here only renders; it never touches storage, crypto or the network.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

import flet as ft

from app.vocabulary import local_moment, parse_day, uk_moment
from app.vocabulary import uk_when as when  # the screens' name for the one way a moment is written

VALENCE_LABELS = {"positive": "Positive", "negative": "Negative", "n/a": "N/A"}
VALENCE_COLOURS = {"positive": ft.Colors.GREEN_700, "negative": ft.Colors.RED_700, "n/a": ft.Colors.BLUE_GREY_600}


def heading(text: str, *, size: int = 20) -> ft.Text:
    return ft.Text(text, size=size, weight=ft.FontWeight.BOLD)


def muted(text: str) -> ft.Text:
    return ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT, size=13)


def empty(text: str) -> ft.Container:
    return ft.Container(muted(text), padding=16, alignment=ft.Alignment.CENTER)


def warning(text: str, identifier: str) -> ft.Control:
    """A warning that goes with an output (the guide's, above a letter draft or an AI Support output)."""
    return named(
        ft.Container(
            ft.Text(text, size=13),
            padding=8,
            border=ft.Border.all(1, ft.Colors.AMBER_700),
            border_radius=8,
            bgcolor=ft.Colors.AMBER_50,
        ),
        identifier,
    )


def error_text() -> ft.Text:
    """A place for an error message in plain words; empty until needed."""
    return ft.Text("", color=ft.Colors.ERROR, visible=False)


def show_error(target: ft.Text, message: str | None) -> None:
    target.value = message or ""
    target.visible = bool(message)


def fields_in_error(*roots: ft.Control) -> list[str]:
    """The labels of the text fields under `roots` that show an error: a value typed but refused (a date that
    cannot be read, an end before its start) was not saved, and leaving the page would lose it unseen."""
    found: list[str] = []
    stack = list(roots)
    while stack:
        control = stack.pop()
        if isinstance(control, ft.TextField) and control.error:
            found.append(str(control.label or "a field"))
        for child in (getattr(control, "controls", None), getattr(control, "content", None)):
            if isinstance(child, list):
                stack.extend(c for c in child if isinstance(c, ft.Control))
            elif isinstance(child, ft.Control):
                stack.append(child)
    return found


def local_input(value: str | None) -> str:
    """An ISO moment as editable local text, '1 Dec 2026, 09:15' (parse_local_input reads it back)."""
    return when(value, weekday=False)


MOMENT_EXAMPLE = "1/12/2026 09:15"
#: the pickers' language: day before month ("Tue, 1 Dec"), Monday first
UK = ft.Locale("en", "GB")
_TIME = re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")


def parse_moment(text: str, *, today: dt.date | None = None) -> dt.datetime | None:
    """Typed UK date and time → a naive local datetime; None if it is not one.

    Day first, as people in the UK write it: '1/12/2026 09:15', '01/12/2026 9:15', '1-12-26 2:30pm',
    '1 Dec 2026, 09:15', 'Tue 1 December 2026 09:15', 'today 14:00', 'yesterday 9.15' (and '2026-12-01 09:15').
    A date with no time is not enough: an incident needs its time."""
    cleaned = re.sub(r"\s+", " ", text.strip().lower().replace(",", " ").replace(" at ", " ")).strip()
    cleaned = re.sub(r"(\d) (am|pm)$", r"\1\2", cleaned)
    date_text, _, time_text = cleaned.rpartition(" ")
    time_match = _TIME.match(time_text)
    if not date_text or not time_match or (time_match["m"] is None and time_match["ampm"] is None):
        return None
    hour, minute = int(time_match["h"]), int(time_match["m"] or 0)
    if time_match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if time_match["ampm"] == "pm" else 0)
    day = parse_day(date_text, today=today)
    try:
        return None if day is None else dt.datetime.combine(day, dt.time(hour, minute))
    except ValueError:  # 25:00
        return None


def parse_local_input(text: str) -> str | None:
    """Typed UK local date and time (see parse_moment) → ISO UTC; None if it does not parse."""
    moment = parse_moment(text)
    return None if moment is None else moment.astimezone().astimezone(dt.UTC).isoformat()


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


def conflicts_panel(
    conflicts: list[Any],
    values: dict[str, Any],
    *,
    title_of: Callable[[str], str],
    shown: Callable[[str, Any], str],
    names: dict[str, str],
    on_keep: Callable[[str, Any], Any] | None,
    who_decides: str,
) -> ft.Container:
    """Items two people changed at the same time, both kept by the sync: each with its value now and the other
    person's, and "Keep this" beside each for whoever may choose (`on_keep(field, value)`; None: not this user,
    and the panel says `who_decides`)."""
    rows: list[ft.Control] = [
        heading("Needs review: edits made at the same time", size=16),
        muted(
            "Both versions are kept. Choose the one to keep."
            if on_keep
            else f"Both versions are kept until {who_decides} chooses one."
        ),
    ]

    def choice(text: str, field: str, value: Any) -> ft.Control:
        if on_keep is None:
            return ft.Text(text)
        return ft.Row(
            [ft.Text(text, expand=True), ft.TextButton("Keep this", on_click=lambda _: on_keep(field, value))]
        )

    for conflict in conflicts:
        now = values.get(conflict.field)
        rows += [
            ft.Text(title_of(conflict.field), weight=ft.FontWeight.BOLD),
            choice(f"Now: {shown(conflict.field, now)}", conflict.field, now),
            choice(
                f"{names.get(conflict.actor_id, 'Someone')}'s: {shown(conflict.field, conflict.value)}",
                conflict.field,
                conflict.value,
            ),
        ]
    return ft.Container(ft.Column(rows, spacing=6), bgcolor=ft.Colors.AMBER_50, padding=12, border_radius=8)


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
FIELD_COLUMNS: dict[str | ft.ResponsiveRowBreakpoint, int | float] = {"xs": 12, "md": 10, "lg": 8}


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
    """A dialog with a cancel button and one action; the action closes the dialog, then runs. For an action that
    cannot fail: one that can (with an ActionError the person must put right) is `Shell.ask`'s, which keeps the
    dialog open and says what is wrong in it."""

    def confirmed(_e: Any) -> None:
        page.pop_dialog()
        on_confirm()

    page.show_dialog(dialog(title, content, action, confirmed, cancel=cancel, on_cancel=lambda _: page.pop_dialog()))


def dialog(
    title: str,
    content: ft.Control,
    action: str,
    on_action: Callable[[Any], Any],
    *,
    cancel: str,
    on_cancel: Callable[[Any], Any],
) -> ft.AlertDialog:
    """The dialog `ask` and `Shell.ask` show: a title, the content, a cancel button and one action."""
    return ft.AlertDialog(
        title=ft.Text(title),
        content=content,
        actions=[ft.TextButton(cancel, on_click=on_cancel), ft.TextButton(action, on_click=on_action)],
    )


def picked_date(value: Any) -> dt.date | None:
    """The day a DatePicker reports. The client sends midnight of the chosen day, possibly converted to UTC
    from the browser's own time zone (23:00 the day before in British Summer Time): the nearest midnight in
    UTC is the chosen day for any time zone within 12 hours of UTC."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC) + dt.timedelta(hours=12)
        return value.date()
    return value if isinstance(value, dt.date) else None


def _picked_time(value: Any) -> dt.time | None:
    """The time a TimePicker reports: a time, or 'HH:MM' text."""
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        found = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", value.strip())
        if found and int(found[1]) < 24 and int(found[2]) < 60:
            return dt.time(int(found[1]), int(found[2]))
    return None


def date_time_field(
    label: str,
    value: str | None,
    on_change: Callable[[str | None], str | None],
    *,
    identifier: str,
    latest: dt.date | None = None,
    required: bool = True,
) -> ft.Row:
    """A date and time: typed the UK way ('1/12/2026 09:15', '1 Dec 2026, 09:15') or chosen with the date and
    time pickers (which start at now); shown as '1 Dec 2026, 09:15'. `value` is an ISO moment or None (empty).

    `on_change(iso_utc)` is called with each valid moment (None when an optional one is cleared) and returns an
    error message to show by the field, or None. Nonsense is never passed on: the field says how to type it.
    The text field is `<identifier>`, the buttons `<identifier>-date` and `<identifier>-time`."""
    shown = local_moment(value).replace(tzinfo=None, second=0, microsecond=0) if value else None
    state = {"moment": shown or dt.datetime.now().replace(second=0, microsecond=0)}
    problem = f"Type the date and time like {MOMENT_EXAMPLE}, or use the calendar and clock buttons."
    field = ft.TextField(
        label=label, value=uk_moment(shown) if shown else "", hint_text=f"e.g. {MOMENT_EXAMPLE}", expand=True
    )

    def accept(moment: dt.datetime) -> None:
        state["moment"] = moment
        field.error = on_change(moment.astimezone().astimezone(dt.UTC).isoformat())

    def typed(_e: Any) -> None:
        text = (field.value or "").strip()
        moment = parse_moment(text)
        if moment is not None:
            accept(moment)
        elif text:
            field.error = problem
        elif required:
            field.error = "Give the date and time."
        else:
            field.error = on_change(None)

    def tidy(_e: Any) -> None:
        """Leaving the field shows how the typed text was read: '1/12/26 9.15' becomes '1 Dec 2026, 09:15'."""
        if not field.error and parse_moment(field.value or "") is not None:
            field.value = uk_moment(state["moment"])

    def date_picked(e: Any) -> None:
        day = picked_date(e.control.value if e.control.value is not None else e.data)
        if day is not None:
            accept(dt.datetime.combine(day, state["moment"].time()))
            field.value = uk_moment(state["moment"])
            box.update()

    def time_picked(e: Any) -> None:
        moment_time = _picked_time(e.control.value if e.control.value is not None else e.data)
        if moment_time is not None:
            accept(dt.datetime.combine(state["moment"].date(), moment_time))
            field.value = uk_moment(state["moment"])
            box.update()

    def choose_date(e: Any) -> None:
        last = latest or dt.date.today() + dt.timedelta(days=366)
        e.page.show_dialog(
            ft.DatePicker(
                value=dt.datetime.combine(min(state["moment"].date(), last), dt.time()),
                first_date=dt.datetime(2000, 1, 1),
                last_date=dt.datetime.combine(last, dt.time()),
                help_text=label,
                locale=UK,
                on_change=date_picked,
            )
        )

    def choose_time(e: Any) -> None:
        e.page.show_dialog(
            ft.TimePicker(
                value=state["moment"].time(),
                hour_format=ft.TimePickerHourFormat.H24,
                help_text=label,
                locale=UK,
                on_change=time_picked,
            )
        )

    field.on_change = typed
    field.on_blur = tidy
    box = ft.Row(
        [
            named(field, identifier, None),
            named(
                ft.IconButton(ft.Icons.CALENDAR_MONTH, tooltip="Choose the date", on_click=choose_date),
                f"{identifier}-date",
            ),
            named(
                ft.IconButton(ft.Icons.SCHEDULE, tooltip="Choose the time", on_click=choose_time), f"{identifier}-time"
            ),
        ],
        spacing=0,
        vertical_alignment=ft.CrossAxisAlignment.START,
    )
    return box


def people_picker(
    label: str,
    people: dict[str, str],
    chosen: list[str],
    on_change: Callable[[list[str]], Any],
    *,
    identifier: str,
    most: int = 6,
) -> ft.Column:
    """Choose people by typing: a search field, the few names matching what is typed (tap one, or press Enter
    for the first), and the people chosen as chips with a remove button. A page of 100 checkboxes is about a
    dozen phone screens; this is one line until used.

    `people` maps id -> name; `on_change` gets the chosen ids after every change. The search field is
    `<identifier>` and each match's tile `<identifier>-match`."""
    chosen = list(chosen)

    def new_search(*, focused: bool = False) -> ft.TextField:
        """A fresh, empty search field. A pick replaces the field instead of setting its value to "": the
        browser's text could stay on screen when Flet had not yet heard the last keys typed (seen in Chromium:
        "tom" left in the field after Enter picked Tom)."""
        return ft.TextField(
            label=label,
            hint_text="Type a name",
            prefix_icon=ft.Icons.SEARCH,
            autofocus=focused,
            on_change=lambda _e: render(),
            on_submit=lambda e: submitted(e),
        )

    search = new_search()
    chips = ft.Row(wrap=True, spacing=6, run_spacing=6)
    matches = ft.Column(spacing=0)
    shown: list[str] = []  # the ids of the matches on screen, in order

    def render() -> None:
        chips.controls = [
            ft.Chip(
                label=ft.Text(people.get(pid, "Someone no longer on this device")),
                delete_icon_tooltip=f"Remove {people.get(pid, 'this person')}",
                on_delete=lambda _e, p=pid: remove(p),
                # Without a click handler Flutter marks the chip, and its remove button, disabled in the
                # browser's accessibility tree (checked in Chromium): keyboard and screen-reader users could
                # not remove anyone. Tapping the name itself does nothing.
                on_click=lambda _e: None,
            )
            for pid in chosen
        ]
        chips.visible = bool(chosen)
        query = (search.value or "").strip()
        words = query.casefold().split()
        found = [
            (pid, name)
            for pid, name in sorted(people.items(), key=lambda p: p[1].casefold())
            if pid not in chosen and words and all(w in name.casefold() for w in words)
        ]
        shown[:] = [pid for pid, _name in found[:most]]
        matches.controls = [
            named(
                ft.ListTile(
                    leading=ft.Icon(ft.Icons.PERSON_ADD_ALT),
                    title=ft.Text(name),
                    dense=True,
                    on_click=lambda _e, p=pid: add(p),
                ),
                f"{identifier}-match",
            )
            for pid, name in found[:most]
        ]
        if words and not found:
            matches.controls.append(muted(f"No one matching \u201c{query}\u201d."))
        elif len(found) > most:
            matches.controls.append(muted(f"{len(found) - most} more: keep typing to narrow it down."))

    def changed() -> None:
        render()
        on_change(list(chosen))
        box.update()  # on_change may have updated something else (a toast), which skips the auto-update

    def add(pid: str, *, from_keyboard: bool = False) -> None:
        nonlocal search
        if pid not in chosen:
            chosen.append(pid)
        search = new_search(focused=from_keyboard)  # the keyboard user types the next name straight away
        box.controls[0] = named(search, identifier)
        changed()

    def remove(pid: str) -> None:
        if pid in chosen:
            chosen.remove(pid)
        changed()

    def submitted(_e: Any) -> None:
        """Enter picks the first match, so a keyboard user never has to leave the field."""
        if shown:
            add(shown[0], from_keyboard=True)

    render()
    box = ft.Column([named(search, identifier), chips, matches], spacing=6)
    return box


def entry_list(
    title: str,
    entries: list[dict[str, Any]],
    make: Callable[[], dict[str, Any]],
    editor: Callable[[dict[str, Any], Callable[[], None]], list[ft.Control]],
    on_change: Callable[[list[dict[str, Any]]], Any],
    *,
    identifier: str,
    add: str = "Add",
) -> ft.Column:
    """A list of structured entries (an incident's techniques, a plan's targets): edit, add, remove.

    `make()` gives a new entry; `editor(entry, store)` its inputs, which change the entry (a dict) in place and
    call `store()`; `on_change` gets a copy of every entry after each change. Entry n is `<identifier>-n`."""
    items: list[dict[str, Any]] = [dict(i) for i in entries]
    column = ft.Column(spacing=8)

    def store() -> None:
        on_change([dict(i) for i in items])

    def changed() -> None:
        store()
        render()
        column.page.update()  # on_change may have updated something else (a toast), which skips the auto-update

    def render() -> None:
        column.controls = [muted(title)]
        for index, item in enumerate(items):

            def remove(_e: Any, i: int = index) -> None:
                items.pop(i)
                changed()

            column.controls.append(
                named(
                    ft.Container(
                        ft.Column([*editor(item, store), ft.TextButton("Remove", on_click=remove)], spacing=6),
                        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                        border_radius=8,
                        padding=10,
                    ),
                    f"{identifier}-{index + 1}",
                )
            )

        def added(_e: Any) -> None:
            items.append(make())
            changed()

        column.controls.append(ft.OutlinedButton(add, icon=ft.Icons.ADD, on_click=added))

    render()
    return column


#: the height of a menu of names: five and a half rows (the half row shows there are more to scroll to), so on a
#: phone the field it opens from stays in view above it and what is typed can be seen narrowing the list
NAME_MENU_HEIGHT = 264


def name_dropdown(
    label: str,
    names: Iterable[tuple[str, str]],
    value: str | None,
    on_pick: Callable[[str | None], Any] | None = None,
    *,
    identifier: str,
) -> ft.Semantics:
    """Choose one person of many (an individual for Record & Plan, for a new Smart Plan): a field to type a name
    into, with a menu of the names that match below it. `names` are (id, name) pairs; `on_pick(id)` is called
    when one is chosen. The Dropdown is the wrapper's `.content`, its value the id chosen.

    In Flet 1.0 the filtering happens in the client as the person types (`editable` lets the field take the
    keys, `enable_filter` narrows the menu to the names containing them, any case; `enable_search` highlights
    the first, which Enter picks; Escape closes the menu). Without a `menu_height` Flutter makes the menu as
    tall as the screen allows, and with 75 names it covered the page, the field included."""
    dropdown = ft.Dropdown(
        label=label,
        value=value,
        options=[ft.DropdownOption(key=key, text=text) for key, text in names],
        editable=True,
        enable_filter=True,
        enable_search=True,
        menu_height=NAME_MENU_HEIGHT,
        hint_text="Type a name",
        on_select=(lambda e: on_pick(e.control.value)) if on_pick else None,
        expand=True,
    )
    return named(dropdown, identifier, label)
