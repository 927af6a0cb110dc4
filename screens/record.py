"""Record (choose the individual, then Behaviour Clicker, Behaviour Communications, Incident Report or an
incident involving Physical Intervention; continue a draft), the Behaviour Clicker, and Behaviour
Communications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from screens.feedback import language_report
from screens.language_check import check_before_submit, language_check
from screens.people import threads_view
from screens.ui import VALENCE_LABELS, back_title, card, empty, error_text, heading, muted, named, page_body, show_error

if TYPE_CHECKING:
    from screens.shell import Shell


def individual_picker(shell: Shell, value: str | None, on_pick: Any) -> ft.Control:
    people = shell.services.directory.people()
    dropdown = ft.Dropdown(
        label="Individual",
        value=value,
        options=[ft.DropdownOption(key=p.id, text=p.name) for p in people],
        enable_filter=True,
        editable=True,
        on_select=lambda e: on_pick(e.control.value),
        expand=True,
    )
    return named(dropdown, "individual", "Individual")


class Record:
    NAME = "record"
    ROUTE = "/record"
    refresh_after_sync = True

    def __init__(self, shell: Shell, profile_id: str | None = None) -> None:
        self.shell = shell
        self.params = {"profile_id": profile_id}
        self.profile_id = profile_id

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

        drafts = self.shell.services.incidents.drafts()
        names = self.shell.services.context.individual_names()
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
                [heading("Unfinished reports", size=16)]
                + [
                    ft.ListTile(
                        leading=ft.Icon(ft.Icons.EDIT_NOTE),
                        title=ft.Text(
                            f"{'Editing' if d.record_id else 'Incident report'} — {names.get(d.profile_id, 'Unknown')}"
                        ),
                        subtitle=ft.Text(f"{d.pages[d.page][0]} · {(d.values.get('what_happened') or '')[:60]}"),
                        on_click=lambda _, did=d.id: self.shell.show("incident_form", draft_id=did),
                    )
                    for d in drafts
                ]
                if drafts
                else []
            ),
        )


class Clicker:
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

    def _fill(self) -> None:
        """Build the buttons once. Taps only change the counts: a button replaced while the user is
        tapping would swallow the next tap (the client's event names a control that no longer exists)."""
        buttons = self.shell.services.clicker.buttons(self.profile_id)
        self.counts = {}
        controls: list[ft.Control] = []
        for b in buttons:
            today = ft.Text(f"Today: {b.today}", size=14)
            button = ft.Semantics(
                content=ft.Button(
                    content=ft.Column(
                        [
                            ft.Text(
                                b.label,
                                size=18,
                                weight=ft.FontWeight.BOLD,
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
                    style=ft.ButtonStyle(
                        bgcolor=b.colour,
                        color=ft.Colors.WHITE,
                        padding=ft.Padding.symmetric(horizontal=8, vertical=10),
                        shape=ft.RoundedRectangleBorder(radius=12),
                    ),
                    height=96,
                    on_click=lambda _, bid=b.behaviour_type_id: self.tap(bid),
                ),
                label=f"{b.label}, today {b.today}",
                identifier=f"clicker-{b.label}",
            )
            self.counts[b.behaviour_type_id] = (today, button)
            controls.append(ft.Container(button, col={"xs": 6, "md": 4, "lg": 3}))
        self.grid.controls = controls or [empty("Your organisation has no behaviours in its clicker catalogue yet.")]

    def _refresh_counts(self) -> None:
        for b in self.shell.services.clicker.buttons(self.profile_id):
            if b.behaviour_type_id in self.counts:
                today, button = self.counts[b.behaviour_type_id]
                today.value = f"Today: {b.today}"
                button.label = f"{b.label}, today {b.today}"

    def tap(self, behaviour_type_id: str) -> None:
        tap = self.shell.act(lambda: self.shell.services.clicker.tap(self.profile_id, behaviour_type_id))
        if tap is None:
            return
        self._refresh_counts()
        # The new count goes out on its own, before the toast: the person is looking at the count, and the
        # toast's slide-in animation would otherwise share its first frames with it.
        self.grid.update()

        def undo(_e: Any) -> None:
            def take_back() -> bool:
                self.shell.services.clicker.undo(tap.record_id)
                return True

            if self.shell.act(take_back):
                self._refresh_counts()
                self.shell.toast(f"Removed {tap.label}")

        self.shell.toast(
            f"Logged {tap.label} at {tap.at.astimezone():%H:%M}", action="Undo", on_action=undo, flush=False
        )

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
        valence = ft.RadioGroup(
            # Not a wrapping Row: in one, every Radio takes a line of its own. The three fit in 360 px.
            content=ft.Row([ft.Radio(value=v, label=label) for v, label in VALENCE_LABELS.items()], spacing=0),
        )
        author = muted(f"From: {services.communications.author_name()} (you)")
        message = ft.TextField(label="Message — clear, factual and child-centred", multiline=True, min_lines=3)
        error = error_text()
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
                    report=language_report(self.shell, self.profile_id),
                    on_checked=lambda flags: services.language_review.saw(form, "message", flags),
                ),
                error,
                ft.Button("Save", icon=ft.Icons.SAVE, on_click=save),
            ),
            heading("Communications", size=16),
            *threads_view(self.shell, self.profile_id),
        )
