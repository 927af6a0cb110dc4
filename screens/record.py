"""Record (choose the individual, then Behaviour Clicker, Behaviour Communications, Incident Report or an
incident involving Physical Intervention; continue a draft), the Behaviour Clicker, and Behaviour
Communications."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from screens.feedback import language_report
from screens.language_check import check_before_submit, language_check
from screens.people import threads_view
from screens.ui import (
    VALENCE_LABELS,
    back_title,
    card,
    empty,
    error_text,
    heading,
    muted,
    name_dropdown,
    named,
    page_body,
    show_error,
)

if TYPE_CHECKING:
    from app.incidents import IncidentDraft
    from app.recording import Tap as ClickerTap
    from screens.shell import Shell


def individual_picker(shell: Shell, value: str | None, on_pick: Any) -> ft.Control:
    """The individual to record for: typed to narrow the names (`screens.ui.name_dropdown`)."""
    people = shell.services.directory.people()
    return name_dropdown("Individual", [(p.id, p.name) for p in people], value, on_pick, identifier="individual")


def draft_tile(
    shell: Shell, draft: IncidentDraft, names: dict[str, str], *, opening: Callable[[], Any] | None = None
) -> ft.ListTile:
    """An unfinished report (Record & Plan's list, the dashboard's): whose, the page it is at and how it begins;
    a tap opens it where it was left (after `opening()`: a dialog listing it closes, say)."""
    whose = names.get(draft.profile_id, "Unknown")

    def opened(_e: Any) -> None:
        if opening is not None:
            opening()
        shell.show("incident_form", draft_id=draft.id)

    return ft.ListTile(
        leading=ft.Icon(ft.Icons.EDIT_NOTE),
        title=ft.Text(f"{'Editing' if draft.record_id else 'Incident report'} — {whose}"),
        subtitle=ft.Text(f"{draft.pages[draft.page][0]} · {(draft.values.get('what_happened') or '')[:60]}"),
        on_click=opened,
    )


class Record:
    NAME = "record"
    ROUTE = "/record"

    def __init__(self, shell: Shell, profile_id: str | None = None) -> None:
        self.shell = shell
        self._shown: tuple[dict[str, str], list[IncidentDraft]] | None = None
        recent = shell.recent_individual
        if profile_id is None and recent is not None and recent in shell.services.context.individual_names():
            profile_id = recent  # the tab, opened again: the individual chosen last time (if still reachable)
        self.params = {"profile_id": profile_id}
        self.profile_id = profile_id
        shell.recent_individual = profile_id or shell.recent_individual

    @property
    def refresh_after_sync(self) -> bool:
        """Only when a sync changed whom the picker offers or which reports are unfinished: rendering the screen
        again closes the individual picker under the user's finger, and a sync that changes neither comes a
        few seconds after most taps (a profile viewed is audited, then pushed)."""
        return self._shown != self._listed()

    def _listed(self) -> tuple[dict[str, str], list[IncidentDraft]]:
        """Whom the picker offers (id -> name) and the unfinished reports listed."""
        services = self.shell.services
        return services.context.individual_names(), services.incidents.drafts()

    def _go(self, screen: str, **params: Any) -> None:
        if not self.profile_id:
            self.shell.toast("Choose the individual first.", error=True)
            return
        self.shell.show(screen, profile_id=self.profile_id, **params)

    def _start_incident(self, physical: bool) -> None:
        profile_id = self.profile_id  # narrowed here, read later by the lambda
        if not profile_id:
            self.shell.toast("Choose the individual first.", error=True)
            return
        draft = self.shell.act(lambda: self.shell.services.incidents.start(profile_id, physical_intervention=physical))
        if draft is not None:
            self.shell.show("incident_form", draft_id=draft.id)

    def build(self) -> ft.Control:
        def picked(value: str | None) -> None:
            self.profile_id = value
            self.params["profile_id"] = value
            self.shell.recent_individual = value

        names, drafts = self._shown = self._listed()
        big = ft.ButtonStyle(padding=ft.Padding.all(18))
        return page_body(
            heading("Record & Plan"),  # the user guide's name for this section
            individual_picker(self.shell, self.profile_id, picked),
            muted("Record behaviour"),
            ft.Row(
                [
                    ft.Button(
                        "Behaviour Clicker", icon=ft.Icons.TOUCH_APP, style=big, on_click=lambda _: self._go("clicker")
                    ),
                    ft.Button(
                        "Behaviour Communications",
                        icon=ft.Icons.CHAT_OUTLINED,
                        style=big,
                        on_click=lambda _: self._go("communications"),
                    ),
                ],
                wrap=True,
            ),
            muted("Record an incident"),
            ft.Row(
                [
                    ft.Button(
                        "Incident Report",
                        icon=ft.Icons.REPORT_OUTLINED,
                        style=big,
                        on_click=lambda _: self._start_incident(False),
                    ),
                    ft.Button(
                        "Record incident involving Physical Intervention",
                        icon=ft.Icons.PAN_TOOL_OUTLINED,
                        style=big,
                        on_click=lambda _: self._start_incident(True),
                    ),
                ],
                wrap=True,
            ),
            *(
                [heading("Unfinished reports", size=16)] + [draft_tile(self.shell, d, names) for d in drafts]
                if drafts
                else []
            ),
        )


class Clicker:
    """The Behaviour Clicker: a tile per behaviour, each showing today's count; a tap logs the behaviour and the
    line above the tiles confirms it ("Logged On task at 14:02") with Undo beside it.

    Built for taps in quick succession on a phone (bench/ui_latency.py, bench/RESULTS.md): a tap sends only
    what changed (the tile's count and label, the confirmation line) and starts no animation but the tile's
    own ripple. The confirmation is a line on the screen, not a snack bar: a snack bar slides in on every tap
    and out when the next replaces it, frames the browser draws while the person is tapping."""

    NAME = "clicker"
    ROUTE = "/people/{profile_id}/clicker"
    refresh_after_sync = False  # re-rendering mid-tap could drop a tap; counts are updated in place

    def __init__(self, shell: Shell, profile_id: str) -> None:
        self.shell = shell
        self.params = {"profile_id": profile_id}
        self.profile_id = profile_id
        self.grid = ft.ResponsiveRow(spacing=10, run_spacing=10)
        #: behaviour type id -> (its "Today: n" text, its Semantics), updated in place after a tap
        self.counts: dict[str, tuple[ft.Text, ft.Semantics]] = {}
        #: what the last tap logged (or undid), and Undo for it; empty until the first tap
        self.logged = ft.Text("", size=14, weight=ft.FontWeight.W_500, expand=True)
        self.undo_button = ft.TextButton("Undo", visible=False, on_click=self._undo)
        #: the tap Undo takes back
        self._last: ClickerTap | None = None
        # A fixed height: the tiles below never move when the line fills or Undo appears (a moving target
        # under a finger tapping again).
        line = named(
            ft.Row([self.logged, self.undo_button], vertical_alignment=ft.CrossAxisAlignment.CENTER), "tap-logged"
        )
        # Not "clicker-…": that names the tiles. Read out by a screen reader, as a snack bar's message is.
        line.live_region = True
        self.confirmation = ft.Container(line, height=40)

    def _fill(self) -> None:
        """Build the tiles once. Taps only change the counts: a tile replaced while the user is tapping would
        swallow the next tap (the client's event names a control that no longer exists).

        A tile is a coloured Container, not an ft.Button: a Button sends its whole ButtonStyle again each time
        it is updated (Flet rebuilds the style in `before_update`), every tile's on every tap."""
        buttons = self.shell.services.clicker.buttons(self.profile_id)
        self.counts = {}
        controls: list[ft.Control] = []
        for b in buttons:
            today = ft.Text(f"Today: {b.today}", size=14, color=ft.Colors.WHITE)
            tile = ft.Semantics(
                content=ft.Container(
                    content=ft.Column(
                        [
                            ft.Text(
                                b.label,
                                size=18,
                                weight=ft.FontWeight.BOLD,
                                color=ft.Colors.WHITE,
                                text_align=ft.TextAlign.CENTER,
                                max_lines=2,
                                overflow=ft.TextOverflow.ELLIPSIS,
                            ),
                            today,
                        ],
                        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                        alignment=ft.MainAxisAlignment.CENTER,
                        spacing=4,
                        tight=True,
                    ),
                    bgcolor=b.colour,
                    border_radius=12,
                    padding=ft.Padding.symmetric(horizontal=8, vertical=10),
                    alignment=ft.Alignment.CENTER,
                    height=96,
                    ink=True,  # the tap's ripple: the person sees the tap land
                    on_click=lambda _, bid=b.behaviour_type_id: self.tap(bid),
                ),
                label=f"{b.label}, today {b.today}",
                identifier=f"clicker-{b.label}",
                button=True,
            )
            self.counts[b.behaviour_type_id] = (today, tile)
            controls.append(ft.Container(tile, col={"xs": 6, "md": 4, "lg": 3}))
        self.grid.controls = controls or [empty("Your organisation has no behaviours in its clicker catalogue yet.")]

    def _refresh_counts(self) -> list[ft.Control]:
        """Show the stored counts; returns the tiles that changed."""
        changed: list[ft.Control] = []
        for b in self.shell.services.clicker.buttons(self.profile_id):
            if b.behaviour_type_id in self.counts:
                today, tile = self.counts[b.behaviour_type_id]
                value = f"Today: {b.today}"
                if today.value != value:
                    today.value = value
                    tile.label = f"{b.label}, today {b.today}"
                    changed.append(tile)
        return changed

    def _confirm(self, message: str, last: ClickerTap | None) -> None:
        """Say what the last tap did, update the counts, and send only what changed (the tile's count and name,
        and the confirmation line: not the grid, not the page)."""
        self._last = last
        self.logged.value = message
        self.undo_button.visible = last is not None
        self.shell.page.update(*self._refresh_counts(), self.confirmation)

    def tap(self, behaviour_type_id: str) -> None:
        tap = self.shell.act(lambda: self.shell.services.clicker.tap(self.profile_id, behaviour_type_id))
        if tap is None:
            return  # act said why, in a snack bar
        self.shell.dismiss_toast()  # an earlier failure's message would contradict this tap
        self._confirm(f"Logged {tap.label} at {tap.at.astimezone():%H:%M}", tap)

    def _undo(self, _e: Any) -> None:
        tap = self._last
        if tap is None:
            return

        def take_back() -> bool:
            self.shell.services.clicker.undo(tap.record_id)
            return True

        if self.shell.act(take_back):
            self._confirm(f"Removed {tap.label}", None)

    def build(self) -> ft.Control:
        name = self.shell.services.context.individual_names().get(self.profile_id, "")
        self._fill()
        return page_body(
            back_title(
                f"Behaviour Clicker — {name}",
                tooltip="Back to Record & Plan",
                identifier="back-to-record",
                on_back=lambda _: self.shell.show("record", profile_id=self.profile_id),
            ),
            muted("Tap a behaviour to log it with the date and time. Undo straight away if it was the wrong one."),
            self.confirmation,
            self.grid,
        )


class CommunicationsScreen:
    NAME = "communications"
    ROUTE = "/people/{profile_id}/communications"
    refresh_after_sync = False  # "Sync now" must not wipe a message being typed

    def __init__(self, shell: Shell, profile_id: str) -> None:
        self.shell = shell
        self.params = {"profile_id": profile_id}
        self.profile_id = profile_id

    def build(self) -> ft.Control:
        services = self.shell.services
        name = services.context.individual_names().get(self.profile_id, "")
        error = error_text()

        unsent = self.shell.act(lambda: services.communications.unsent(self.profile_id)) or {}

        def keep(_e: Any = None) -> None:
            """What is typed is kept on the device as it is typed: leaving the screen loses nothing."""
            self.shell.act(
                lambda: services.communications.keep_unsent(
                    self.profile_id, valence=valence.value or "", message=message.value or ""
                )
            )

        def chosen(_e: Any) -> None:
            keep()
            if error.visible:  # "Choose Positive, Negative or N/A." is answered: take it away
                show_error(error, None)
                error.update()

        valence = ft.RadioGroup(
            # Not a wrapping Row: in one, every Radio takes a line of its own. The three fit in 360 px.
            content=ft.Row([ft.Radio(value=v, label=label) for v, label in VALENCE_LABELS.items()], spacing=0),
            value=unsent.get("valence") or None,
            on_change=chosen,
        )
        author = muted(f"From: {services.communications.author_name()} (you)")
        message = ft.TextField(
            label="Message — clear, factual and child-centred",
            multiline=True,
            min_lines=3,
            value=unsent.get("message", ""),
            on_change=keep,
        )
        form = f"communication:{self.profile_id}"  # the gentle language check once before it is saved

        def save(_e: Any) -> None:
            if not valence.value:
                show_error(error, "Choose Positive, Negative or N/A.")
                self.shell.page.update()
                return
            if check_before_submit(self.shell, form, {"message": message.value or ""}, {"message": "Message"}, save_):
                return
            sent = self.shell.act(
                lambda: services.communications.send(self.profile_id, valence.value or "", message.value or ""),
                done="Communication saved. Key staff will be notified.",
            )
            if sent:
                services.language_review.forget(form)
                self.shell.show("communications", profile_id=self.profile_id)

        def save_() -> None:
            save(None)

        return page_body(
            back_title(
                f"Behaviour Communications — {name}",
                tooltip="Back to Record & Plan",
                identifier="back-to-record",
                on_back=lambda _: self.shell.show("record", profile_id=self.profile_id),
            ),
            card(
                valence,
                author,
                named(message, "message"),
                language_check(
                    message,
                    identifier="message",
                    on_replaced=lambda _text: keep(),
                    report=language_report(self.shell, self.profile_id),
                    on_checked=lambda flags: services.language_review.saw(form, "message", flags),
                ),
                error,
                ft.Button("Save", icon=ft.Icons.SAVE, on_click=save),
            ),
            heading("Communications", size=16),
            *threads_view(self.shell, self.profile_id),
        )
