"""Directory and Profile: choose an individual; their overview, incidents, communications, clicker history
(Clickers), Smart Plans, details, key contacts and access permissions, as tabs under a compact header."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.context import Stored
from app.directory import PersonSummary, Profile
from app.vocabulary import uk_day
from screens.dashboard import incident_tile
from screens.language_check import check_before_submit
from screens.legal_hold import legal_hold_panel
from screens.plans import profile_plans
from screens.ui import (
    VALENCE_COLOURS,
    VALENCE_LABELS,
    back_title,
    card,
    empty,
    heading,
    labelled,
    muted,
    named,
    page_body,
    selectable,
    when,
)

if TYPE_CHECKING:
    from screens.shell import Shell


class Directory:
    NAME = "directory"
    ROUTE = "/people"

    def __init__(self, shell: Shell, search: str = "") -> None:
        self.shell = shell
        self.params = {"search": search}
        self.search = search
        self.results = ft.Column(spacing=0)
        #: the individuals the list shows
        self._shown: list[PersonSummary] = []

    @property
    def refresh_after_sync(self) -> bool:
        """Only when a sync changed whom the list shows: rendering it again under the user's finger drops the tap
        on a name, and most syncs change nothing here (a profile viewed is audited, then pushed)."""
        return self._shown != self.shell.services.directory.people(self.params["search"])

    def _fill(self, search: str) -> None:
        self.params["search"] = search
        people = self._shown = self.shell.services.directory.people(search)
        self.results.controls = [
            ft.ListTile(
                leading=ft.CircleAvatar(content=ft.Text(p.name[:1])),
                title=ft.Text(p.name),
                subtitle=ft.Text(" · ".join([p.group, *p.flags]).strip(" ·")),
                on_click=lambda _, pid=p.id: self.shell.show("profile", profile_id=pid),
            )
            for p in people
        ] or [empty("No individuals found.")]

    def build(self) -> ft.Control:
        self._fill(self.search)

        def changed(e: ft.Event[ft.TextField]) -> None:
            self.shell.act(lambda: self._fill(e.control.value or ""))  # act: the store may have locked itself

        return page_body(
            heading("Directory"),
            ft.TextField(
                label="Search by name or group", prefix_icon=ft.Icons.SEARCH, value=self.search, on_change=changed
            ),
            self.results,
        )


def _plan_link(shell: Shell, communication: Stored) -> list[ft.Control]:
    """ "Add to Smart Plan" under a communication (for its author or a lead), or that it has been added."""
    if communication.values.get("added_to_plan"):
        return [muted("Added to the Smart Plan: the plan builder suggests what it says.")]
    if not shell.services.communications.can_add_to_plan(communication):
        return []

    def add(_e: Any) -> None:
        if shell.act(
            lambda: shell.services.communications.add_to_plan(communication.id),
            done="Added: the Smart Plan Builder will suggest it for the plan.",
        ):
            shell.show_again()

    return [
        named(
            ft.TextButton("Add to Smart Plan", icon=ft.Icons.PLAYLIST_ADD, on_click=add),
            f"add-to-plan-{communication.id}",
        )
    ]


def threads_view(shell: Shell, profile_id: str, profile: Profile | None = None) -> list[ft.Control]:
    """Communications with their responses, and a box to respond to each."""
    threads = profile.communications if profile else shell.services.communications.threads(profile_id)
    staff = shell.services.context.staff_names()
    cards: list[ft.Control] = []
    for thread in threads:
        values = thread.communication.values
        answer = ft.TextField(label="Respond", multiline=True, min_lines=1, dense=True, expand=True)

        def respond(_e: Any, cid: str = thread.communication.id, box: ft.TextField = answer) -> None:
            texts, labels = {"response": box.value or ""}, {"response": "Your response"}
            if check_before_submit(shell, f"response:{cid}", texts, labels, lambda: respond(None, cid, box)):
                return  # the gentle language check, once
            if shell.act(lambda: shell.services.communications.respond(cid, box.value or ""), done="Response saved"):
                shell.services.language_review.forget(f"response:{cid}")
                shell.show_again()

        cards.append(
            card(
                ft.Row(
                    [
                        ft.Container(
                            ft.Text(
                                VALENCE_LABELS.get(values.get("valence", ""), "N/A"), color=ft.Colors.WHITE, size=12
                            ),
                            bgcolor=VALENCE_COLOURS.get(values.get("valence", ""), ft.Colors.GREY),
                            padding=ft.Padding.symmetric(horizontal=8, vertical=2),
                            border_radius=8,
                        ),
                        muted(
                            f"{staff.get(values.get('author_id', ''), 'Unknown')} · {when(values.get('created_at'))}"
                        ),
                    ],
                    wrap=True,
                ),
                selectable(values.get("message", "")),
                *[
                    ft.Container(
                        ft.Column(
                            [
                                muted(
                                    f"{staff.get(r.values.get('author_id', ''), 'Unknown')} · "
                                    f"{when(r.values.get('created_at'))}"
                                ),
                                ft.Text(r.values.get("message", "")),
                            ],
                            spacing=2,
                        ),
                        padding=ft.Padding.only(left=16),
                    )
                    for r in thread.responses
                ],
                ft.Row(
                    [
                        answer,
                        named(
                            ft.IconButton(ft.Icons.SEND, tooltip="Send response", on_click=respond),
                            f"send-response-{thread.communication.id}",
                        ),
                    ]
                ),
                *_plan_link(shell, thread.communication),
                *(
                    [
                        ft.TextButton(
                            "Draft a good-news letter",
                            icon=ft.Icons.MAIL_OUTLINE,
                            on_click=lambda _e, cid=thread.communication.id: shell.show(
                                "letter", record_id=cid, kind="good_news"
                            ),
                        )
                    ]
                    if values.get("valence") == "positive"
                    else []
                ),
            )
        )
    return cards or [empty("No communications yet.")]


#: below this window width the profile's actions are icons, so the name, the actions and the section tabs take
#: two lines of a phone's screen rather than five
COMPACT_HEADER_BELOW = 720


class ProfileScreen:
    NAME = "profile"
    ROUTE = "/people/{profile_id}"
    refresh_after_sync = False  # "Sync now" must not wipe a response being typed

    def __init__(self, shell: Shell, profile_id: str, tab: int = 0, audited: bool = False) -> None:
        self.shell = shell
        #: `audited`: opening the profile was audited (`Directory.profile`); showing it again is not a new view
        self.params = {"profile_id": profile_id, "tab": tab, "audited": audited}
        self.profile_id = profile_id
        self.tab = tab

    def _actions(self) -> tuple[ft.Row, ft.Row]:
        """What to record for this individual: labelled buttons, and the same as icons for a phone's header."""
        actions = [
            ("Clicker", "Behaviour Clicker", ft.Icons.TOUCH_APP, "clicker"),
            ("Communication", "Behaviour Communications", ft.Icons.CHAT_OUTLINED, "communications"),
            ("Incident Report", "Incident Report", ft.Icons.REPORT_OUTLINED, "record"),
            ("AI Support", "AI Support", ft.Icons.AUTO_AWESOME_OUTLINED, "ai_support"),
        ]

        def go(screen: str) -> Callable[[Any], None]:
            return lambda _: self.shell.show(screen, profile_id=self.profile_id)

        labelled_row = ft.Row(
            [
                (ft.Button if screen == "clicker" else ft.OutlinedButton)(label, icon=icon, on_click=go(screen))
                for label, _, icon, screen in actions
            ],
            spacing=8,
        )
        icon_row = ft.Row(
            [
                named(ft.IconButton(icon, tooltip=tooltip, on_click=go(screen)), f"profile-{screen}")
                for _, tooltip, icon, screen in actions
            ],
            spacing=0,
        )
        return labelled_row, icon_row

    def resized(self) -> None:
        """On a phone the actions are icons beside the name, so the header stays one line."""
        compact = (self.shell.page.width or 0) < COMPACT_HEADER_BELOW
        self.labelled_actions.visible = not compact
        self.icon_actions.visible = compact

    def build(self) -> ft.Control:
        profile = self.shell.services.directory.profile(self.profile_id, audit=not self.params["audited"])
        self.params["audited"] = True
        values = profile.individual.values
        self.labelled_actions, self.icon_actions = self._actions()
        self.resized()
        # The section names are the user guide's ("Viewing an individual's profile"). Each section is built when
        # it is first shown: opening a profile sends one section, not eight (most of a profile's controls are in
        # sections a person never opens), and the store is read only for what is shown.
        tabs: list[tuple[str, Callable[[], list[ft.Control]]]] = [
            ("Overview", lambda: self._overview(profile)),
            (
                "Incidents",
                lambda: [incident_tile(self.shell, i) for i in profile.incidents] or [empty("No incidents.")],
            ),
            ("Communications", lambda: threads_view(self.shell, self.profile_id, profile)),
            ("Clickers", lambda: self._clicker(profile)),
            ("Smart Plans", lambda: profile_plans(self.shell, self.profile_id)),
            ("Details", lambda: self._details(values)),
            ("Key Contacts", lambda: self._key_contacts(profile)),
            ("Access", lambda: self._access(profile)),
        ]
        self.sections = [ft.Column([], scroll=ft.ScrollMode.AUTO, spacing=8) for _ in tabs]
        self.builders = [build for _, build in tabs]
        self._fill(self.tab)
        self.tabs = ft.Tabs(
            length=len(tabs),
            selected_index=self.tab,
            expand=True,
            on_change=lambda e: self._select(e.control.selected_index, update=False),
            content=ft.Column(
                [
                    ft.Row(
                        [
                            # Scrolls sideways: on a phone only some names fit. The last one shown is cut off,
                            # which says there is more, and the menu beside it lists every section.
                            ft.TabBar(
                                tabs=[ft.Tab(label=name) for name, _ in tabs],
                                scrollable=True,
                                tab_alignment=ft.TabAlignment.START,
                                label_padding=ft.Padding.symmetric(horizontal=12),
                                expand=True,
                            ),
                            named(
                                ft.PopupMenuButton(
                                    icon=ft.Icons.EXPAND_MORE,
                                    tooltip="All sections",
                                    items=[
                                        ft.PopupMenuItem(content=ft.Text(name), on_click=lambda _, i=i: self._select(i))
                                        for i, (name, _) in enumerate(tabs)
                                    ],
                                ),
                                "profile-sections",
                            ),
                        ],
                        spacing=0,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                    ft.TabBarView(expand=True, controls=list[ft.Control](self.sections)),
                ],
                spacing=0,
                expand=True,
            ),
        )
        title = back_title(
            profile.name,
            tooltip="Back to directory",
            identifier="back-to-directory",
            on_back=lambda _: self.shell.show("directory"),
        )
        title.controls += [self.labelled_actions, self.icon_actions]
        return ft.Column([title, self.tabs], spacing=4, expand=True)

    def _fill(self, index: int) -> None:
        """Build section `index` if it has not been built yet."""
        if not self.sections[index].controls:
            self.sections[index].controls = self.builders[index]()

    def _select(self, index: int, *, update: bool = True) -> None:
        """Show a section: a tab was tapped (the Tabs already show it; its contents follow when the handler
        returns) or picked from the menu."""
        self.tab = index
        self.params["tab"] = index
        self._fill(index)
        if update:
            self.tabs.selected_index = index
            self.tabs.update()

    def _details(self, values: dict[str, Any]) -> list[ft.Control]:
        return [
            labelled("First name", values.get("first_name")),
            labelled("Last name", values.get("last_name")),
            labelled("Preferred name", values.get("preferred_name")),
            labelled("Date of birth", uk_day(values.get("date_of_birth"))),
            labelled("Group", values.get("group")),
            labelled("SEND", values.get("send")),
            labelled("EHC plan", values.get("ehc_plan")),
            labelled("Looked after", values.get("looked_after")),
            labelled("Details", values.get("details")),
        ]

    def _key_contacts(self, profile: Profile) -> list[ft.Control]:
        return [
            card(
                ft.Text(c.values.get("name", ""), weight=ft.FontWeight.BOLD),
                muted(c.values.get("relationship", "")),
                *([selectable(f"Phone: {c.values['phone']}")] if c.values.get("phone") else []),
                *([selectable(f"Email: {c.values['email']}")] if c.values.get("email") else []),
                *([muted("Has parental responsibility")] if c.values.get("parental_responsibility") else []),
            )
            for c in profile.key_contacts
        ] or [empty("No key contacts recorded.")]

    def _access(self, profile: Profile) -> list[ft.Control]:
        return [
            heading("Key staff", size=16),
            *([ft.Text(n) for n in profile.key_staff] or [muted("None")]),
            heading("Staff with access", size=16),
            *([ft.Text(n) for n in profile.access] or [muted("Leads and admins only")]),
            *legal_hold_panel(self.shell, self.profile_id),
        ]

    def _overview(self, profile: Profile) -> list[ft.Control]:
        return [
            heading("Recent incidents (30 days)", size=16),
            *([incident_tile(self.shell, i) for i in profile.recent_incidents] or [empty("None in the last 30 days.")]),
            heading("Clicker, last 30 days", size=16),
            ft.Text(f"{len(profile.clicker_history)} behaviours logged"),
        ]

    def _clicker(self, profile: Profile) -> list[ft.Control]:
        rows: list[ft.Control] = [
            ft.ListTile(
                title=ft.Text(profile.behaviour_labels.get(e.values.get("behaviour_type_id", ""), "Behaviour")),
                subtitle=ft.Text(when(e.values.get("occurred_at"))),
                dense=True,
            )
            for e in profile.clicker_history
        ]
        return rows or [empty("No clicker logs in the last 30 days.")]
