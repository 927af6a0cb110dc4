"""The frame every signed-in screen sits in: the app bar, the sync status strip (offline banner, one status
sentence, progress bar, "Sync now"), the content area, and the navigation: a bar at the bottom, or a rail on
the left when the window is 900 px wide or more. The rail shows every destination; a phone's bar at most
five, the last of them "More" (a sheet listing the rest) when there are more.

`Shell` is also the screens' way to move around (`show`), tell the user something (`toast`), run an action
(`act`, or `ask` for one in a dialog that stays open until it succeeds), and reach the session's services. It
starts the background sync when the store is unlocked.

Each screen has a URL (`screens/registry.py`): showing a screen pushes its URL onto the browser's history, and a
URL the browser goes to (the back and forward buttons, the address bar) shows its screen (`follow`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import flet as ft

from app.context import ActionError, StorageError, StoreLockedError
from app.services import Services
from app.session import ClientSession
from app.sync_service import SyncStatus, describe
from app.vocabulary import Capability
from screens import registry
from screens.contract import FollowsWidth, Screen
from screens.ui import dialog, error_text, named, show_error

if TYPE_CHECKING:
    from app.downloads import Download
    from screens.root import Root

NAV = [
    ("dashboard", "Dashboard", ft.Icons.DASHBOARD_OUTLINED),
    ("directory", "Directory", ft.Icons.PEOPLE_OUTLINE),
    ("record", "Record & Plan", ft.Icons.ADD_CIRCLE_OUTLINE),  # the user guide's name for it
    ("incidents", "Incidents", ft.Icons.REPORT_OUTLINED),
    ("notifications", "Inbox", ft.Icons.NOTIFICATIONS_OUTLINED),
]
#: destinations only some roles have: (capability, destination), added after NAV's
GATED_NAV = [
    (Capability.VIEW_PLANS, ("smart_plans", "Smart Plans", ft.Icons.ASSIGNMENT_OUTLINED)),
    (Capability.ANALYTICS, ("analytics", "Analytics", ft.Icons.INSIGHTS_OUTLINED)),
    (Capability.ANALYTICS, ("ai_support", "AI Support", ft.Icons.AUTO_AWESOME_OUTLINED)),  # the whole service
    (Capability.COMPLIANCE, ("compliance", "Compliance", ft.Icons.GAVEL_OUTLINED)),
]
#: a phone's navigation bar shows at most this many destinations (Material's limit: more do not fit 360 px);
#: beyond it, the last one is MORE, which lists the rest
BAR_MAX = 5
MORE = ("more", "More", ft.Icons.MORE_HORIZ)

#: the screens that wait for analytics' working set, shown again once it is ready
ANALYTICS_SCREENS = ("dashboard", "analytics", "analytics_report")

MAX_CONTENT_WIDTH = 960
#: from this window width on, a navigation rail on the left replaces the bottom navigation bar
RAIL_MIN_WIDTH = 900

#: how many of its own URL pushes the shell remembers, to know them when the browser reports them back
PUSHES_REMEMBERED = 20
#: how many screens shown the shell remembers for `came_from`
TRAIL_REMEMBERED = 30

#: the navigation destination a screen belongs to, for screens that are not destinations themselves (None: none,
#: for the Help Centre and what opens from it, reached from the top bar: the rail then marks no destination)
SECTION_OF: dict[str, str | None] = {
    "help": None,
    "output_feedback": None,
    "profile": "directory",
    "clicker": "record",
    "communications": "record",
    "incident_form": "record",
    "incident": "incidents",
    "analytics_report": "analytics",
    "smart_plan": "smart_plans",
    "plan_builder": "smart_plans",
}


class Shell:
    def __init__(self, root: Root, session: ClientSession) -> None:
        self.root = root
        self.page = root.page
        self.session = session
        self.services = Services.of_session(session, on_write=self._after_write)
        assert session.sync is not None  # an unlocked session has its sync service
        self.sync = session.sync
        self.status_text = ft.Text("", size=12)
        self.progress = ft.ProgressBar(visible=False, value=None)
        self.offline = ft.Container(
            ft.Text(
                "You are offline. What you record is kept safely on this device and sent when you reconnect.",
                color=ft.Colors.ON_ERROR_CONTAINER,
                size=13,
            ),
            bgcolor=ft.Colors.ERROR_CONTAINER,
            padding=ft.Padding.symmetric(horizontal=12, vertical=6),
            visible=False,
        )
        self.sync_error = ft.Text("", color=ft.Colors.ERROR, size=12, visible=False)
        # A fixed width inside an aligning parent is a maximum: Flutter clamps it to the space there is, so the
        # margins stay equal on any screen (a width computed from page.width ignored the page's padding and
        # pushed the right edge off the screen).
        #: the navigation destinations this person's role has
        self.destinations = NAV + [item for capability, item in GATED_NAV if self.services.context.can(capability)]
        #: the phone's bar: every destination if they fit, else the first few and "More"
        fits = len(self.destinations) <= BAR_MAX
        self.bar_destinations = self.destinations if fits else [*self.destinations[: BAR_MAX - 1], MORE]
        #: the destinations listed under "More"
        self.overflow = [] if fits else self.destinations[BAR_MAX - 1 :]
        self.content = ft.Container(padding=ft.Padding.symmetric(horizontal=12, vertical=8), width=MAX_CONTENT_WIDTH)
        #: the individual last chosen on Record & Plan: chosen again when the tab is opened (this session only)
        self.recent_individual: str | None = None
        self.nav = ft.NavigationBar(
            destinations=[
                ft.NavigationBarDestination(icon=icon, label=label) for _, label, icon in self.bar_destinations
            ],
            on_change=self._bar_changed,
            # The indicator moves at once: by default Flutter animates it for hundreds of milliseconds, frames a
            # phone's browser draws while it builds and lays out the new screen (bench/ui_latency.py, RESULTS.md).
            animation_duration=ft.Duration(milliseconds=0),
        )
        self.rail = ft.NavigationRail(
            destinations=[ft.NavigationRailDestination(icon=icon, label=label) for _, label, icon in self.destinations],
            label_type=ft.NavigationRailLabelType.ALL,
            min_width=96,  # room for "Record & Plan" on one line
            on_change=self._nav_changed,
        )
        self.rail_area = ft.Row(
            [ft.Semantics(content=self.rail, identifier="navigation-rail"), ft.VerticalDivider(width=1)],
            spacing=0,
            visible=False,
        )
        self.current: Screen | None = None
        #: whether analytics' working set has been decrypted since unlock (`_warm_analytics`)
        self.analytics_ready = False
        #: the URL of what is shown (the browser's, once it has reported the pushes below)
        self.route = root.route
        #: URLs pushed whose route change the browser has not reported yet (oldest first)
        self._pushed: list[str] = []
        #: the screens shown, oldest first (name, parameters): where a back arrow returns (`came_from`)
        self._trail: list[tuple[str, dict[str, Any]]] = []
        self._shown_generation = self.sync.status.generation
        #: the account menu's first line: who is signed in, and whom their role reaches (`_say_who`)
        self.who = ft.Text()
        self.sync.subscribe(self._sync_changed)

    # --- frame ----------------------------------------------------------------------------------

    def build(self) -> ft.Control:
        user = self.session.user
        assert user is not None
        self._say_who()
        self.page.appbar = ft.AppBar(
            title=ft.Text("besmart"),
            actions=[
                named(ft.IconButton(ft.Icons.SYNC, tooltip="Sync now", on_click=self.sync_now), "sync-now"),
                named(
                    ft.IconButton(ft.Icons.HELP_OUTLINE, tooltip="Help Centre", on_click=lambda _: self.show("help")),
                    "help",
                ),
                named(
                    ft.IconButton(ft.Icons.LOCK_OUTLINE, tooltip="Lock", on_click=lambda _: self.root.lock()),
                    "lock",
                ),
                named(
                    ft.PopupMenuButton(
                        tooltip="Account",
                        items=[
                            ft.PopupMenuItem(content=self.who),
                            ft.PopupMenuItem(content=ft.Text("Change password"), on_click=self._change_password),
                            ft.PopupMenuItem(content=ft.Text("Sign out"), on_click=self._sign_out),
                        ],
                    ),
                    "account-menu",
                ),
            ],
        )
        # The rail sits against the window's edge, and the content's own padding is its margin.
        self._page_padding = self.page.padding
        self.page.padding = 0
        self.page.on_resize = self._resized
        self._resized(None, update=False)
        self._sync_changed(self.sync.status)
        self.strip = ft.Container(
            ft.Column(
                [
                    ft.Row(
                        [
                            # Expanding: the status wraps beside the button instead of pushing it onto
                            # a line of its own (a phone has few lines to spare).
                            ft.Semantics(content=self.status_text, identifier="sync-status", expand=True),
                            ft.TextButton("Sync now", on_click=self.sync_now),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                    self.progress,
                    self.sync_error,
                ],
                spacing=2,
            ),
            padding=ft.Padding.symmetric(horizontal=12),
        )
        main = ft.Column(
            [
                self.offline,
                self.strip,
                # On a wide screen the screens stay a readable column in the middle.
                ft.Container(self.content, alignment=ft.Alignment.TOP_CENTER, expand=True),
            ],
            expand=True,
            spacing=0,
        )
        return ft.Row([self.rail_area, main], expand=True, spacing=0, vertical_alignment=ft.CrossAxisAlignment.STRETCH)

    def wide(self) -> bool:
        """Whether the window is wide enough for the navigation rail (a desktop or a landscape tablet)."""
        return (self.page.width or 0) >= RAIL_MIN_WIDTH

    def _resized(self, _e: Any, *, update: bool = True) -> None:
        wide = self.wide()
        self.rail_area.visible = wide
        self.page.navigation_bar = None if wide else self.nav
        if isinstance(self.current, FollowsWidth):
            self.current.resized()  # a screen whose layout depends on the width adapts without being rebuilt
        if update:
            self.page.update()

    def start(self, route: str = "/") -> None:
        """Show the screen at `route` (the URL the browser is at: after a reload, the screen it showed), or the
        dashboard when the URL names no screen this person can open."""
        # sync_interval_seconds <= 0 turns the background sync off ("Sync now" still works): for tests.
        if self.root.config.sync_interval_seconds > 0:
            self.sync.start(self.root.config.sync_interval_seconds)
        self.route = route
        # Settled before the first screen is built: a role without analytics has nothing to wait for (a staff
        # member's /analytics would otherwise say "Working out the figures…" for good).
        warm = self.services.context.can(Capability.ANALYTICS)
        self.analytics_ready = not warm
        found = registry.screen_at(route)
        if found is None or not self._render(*found):
            self.show(registry.HOME)
        if warm:
            self.root.spawn(self._warm_analytics)

    async def _warm_analytics(self) -> None:
        """Decrypt analytics' working set in a thread after unlock, so the event loop never waits for it; the
        screens showing figures say they are being worked out until then (`analytics_ready`), and show them
        after. A lock meanwhile simply ends it (the working set is dropped with the keys)."""
        try:
            await asyncio.to_thread(self.services.analytics.working.warm)
        except StoreLockedError:
            return
        finally:
            self.analytics_ready = True  # on another failure the screens read it themselves, and say why
        if self.root.shell is self and self.current is not None and self.current.NAME in ANALYTICS_SCREENS:
            self.refresh()

    # --- navigation -----------------------------------------------------------------------------

    def _nav_changed(self, e: ft.Event[ft.NavigationRail]) -> None:
        index = e.control.selected_index
        if index is not None:
            self.show(self.destinations[index][0])

    def _bar_changed(self, e: ft.Event[ft.NavigationBar]) -> None:
        index = e.control.selected_index
        if index is None:
            return
        name = self.bar_destinations[index][0]
        if name == MORE[0]:
            self._more()
        else:
            self.show(name)

    def _more(self) -> None:
        """The destinations that do not fit a phone's bar, in a sheet; closing it leaves the screen as it was."""
        section = self._section()

        def chosen(name: str) -> None:
            self.page.pop_dialog()
            self.show(name)

        def dismissed(_e: Any) -> None:
            self._select_section(self._section())  # the bar marked "More" when tapped: back to what is shown
            self.page.update()

        self.page.show_dialog(
            ft.BottomSheet(
                content=ft.SafeArea(
                    content=ft.Column(
                        [
                            named(
                                ft.ListTile(
                                    leading=ft.Icon(icon),
                                    title=ft.Text(text),
                                    selected=key == section,
                                    on_click=lambda _e, key=key: chosen(key),
                                ),
                                f"more-{key}",
                            )
                            for key, text, icon in self.overflow
                        ],
                        tight=True,
                        spacing=0,
                    )
                ),
                on_dismiss=dismissed,
            )
        )
        self.page.update()

    def _section(self) -> str | None:
        """The destination the screen shown belongs to."""
        return SECTION_OF.get(self.current.NAME, self.current.NAME) if self.current is not None else None

    def _select_section(self, section: str | None) -> None:
        """Mark the destination a section belongs to in the rail and the bar ("More" for one listed there)."""
        keys = [key for key, _, _ in self.destinations]
        bar_keys = [key for key, _, _ in self.bar_destinations]
        if section is None:
            self.rail.selected_index = None  # a phone's bar always marks one: it keeps the last
        elif section in keys:
            self.rail.selected_index = keys.index(section)
            self.nav.selected_index = bar_keys.index(section) if section in bar_keys else len(bar_keys) - 1

    def show(self, name: str, **params: Any) -> None:
        """Render a screen by name in the content area, and put its URL in the browser's history."""
        if self._render(name, params) and self.current is not None:
            self._push(registry.route_of(name, self.current.params))

    def follow(self, route: str) -> None:
        """The browser went to `route` (back, forward, the address bar): show its screen. A route change that
        only reports one of the shell's own pushes changes nothing."""
        if route == self.route:
            self._pushed.clear()
            ft.context.disable_auto_update()  # nothing changed: no diff of the whole page after this event
            return
        if route in self._pushed:
            # The browser reporting an earlier push after a later one: the later screen stays.
            del self._pushed[: self._pushed.index(route) + 1]
            ft.context.disable_auto_update()
            return
        self._pushed.clear()
        found = registry.screen_at(route)
        self.route = route
        if found is None or not self._render(*found):
            self.show(registry.HOME)

    def _push(self, route: str) -> None:
        if route == self.route:
            return
        self.route = route
        self._pushed = [*self._pushed[-PUSHES_REMEMBERED + 1 :], route]
        self.root.spawn(lambda: self.page.push_route(route))

    def _render(self, name: str, params: dict[str, Any]) -> bool:
        """Make screen `name` with `params` and show it; False (and a message, or the unlock screen) if it cannot
        be shown."""
        self._select_section(SECTION_OF.get(name, name))
        try:
            screen = registry.SCREENS[name](self, **params)
            self.content.content = screen.build()
        except StoreLockedError:
            self.root.lock()
            return False
        except ActionError as error:
            self.toast(str(error))
            return False
        self.current = screen
        if not self._trail or self._trail[-1] != (name, screen.params):
            self._trail = [*self._trail[-TRAIL_REMEMBERED + 1 :], (name, dict(screen.params))]
        self.page.update()
        return True

    def came_from(self, passing: Collection[str]) -> tuple[str, dict[str, Any]] | None:
        """The screen shown before the current one (its name and parameters), passing over the screens named in
        `passing` (the current screen's own: an incident's letter, say); None if there was none. While a screen
        is being built, the current one is the screen before it."""
        for name, params in reversed(self._trail):
            if name not in passing:
                return name, params
        return None

    def open_record(self, kind: str, record_id: str) -> None:
        """Show the record a notification or an email link points at, or say in plain words why not."""
        target = self.act(lambda: self.services.notifications.destination(kind, record_id))
        if target is not None:
            self.show(target.screen, **target.params)

    def act(self, action: Callable[[], Any], *, done: str | None = None) -> Any:
        """Run a user action: show its plain-words error instead of failing; a locked store goes to unlock."""
        try:
            result = action()
        except StoreLockedError:
            self.root.lock()
            return None
        except ActionError as error:
            self.toast(str(error), error=True)
            return None
        except StorageError as error:
            # A full or read-only disk: the store's own plain words (nothing was saved, nothing lost).
            self.toast(str(error), error=True)
            return None
        if done:
            self.toast(done)
        return result

    def ask(
        self,
        title: str,
        content: ft.Control,
        action: str,
        attempt: Callable[[], Any],
        *,
        done: str | None = None,
        then: Callable[[Any], Any] | None = None,
        cancel: str = "Cancel",
    ) -> None:
        """A dialog whose action can fail: `attempt()` runs like `act`, except that an ActionError (what the person
        must put right, in the service's plain words) is shown in the dialog, under `content`, and the dialog stays
        open with what they typed. Once `attempt` succeeds the dialog closes, `done` is shown, and `then(result)`
        runs (showing another screen, say). `attempt` only does the work: it toasts and navigates nothing."""
        problem = error_text()

        def close() -> None:
            # This dialog, not the topmost one: a toast shown while it was open would be closed instead.
            box.open = False
            box.update()

        def confirmed(_e: Any) -> None:
            try:
                result = attempt()
            except StoreLockedError:
                close()  # nothing of the record stays on screen over the unlock screen
                self.root.lock()
                return
            except ActionError as error:
                show_error(problem, str(error))
                box.update()
                return
            except StorageError as error:
                close()
                self.toast(str(error), error=True)
                return
            close()
            if done:
                self.toast(done)
            if then is not None:
                then(result)

        body = ft.Column([content, problem], tight=True, scroll=ft.ScrollMode.AUTO)
        box = dialog(title, body, action, confirmed, cancel=cancel, on_cancel=lambda _: close())
        self.page.show_dialog(box)

    _snack: ft.SnackBar | None = None
    #: the sync status strip, once `build` has made it
    strip: ft.Container | None = None
    _page_padding: ft.PaddingValue | None = None
    #: kept while a save is under way: Flet drops a service nothing refers to
    _picker: ft.FilePicker | None = None

    async def save_file(self, download: Download, title: str) -> None:
        """Hand a file (built and audited by app.downloads) to the person: a browser download in the web client,
        a save dialog on the desktop. The one way every screen delivers a file."""
        self._picker = ft.FilePicker()
        await self._picker.save_file(dialog_title=title, file_name=download.file_name, src_bytes=download.data)

    def toast(
        self,
        message: str,
        *,
        error: bool = False,
        action: str | None = None,
        on_action: Callable[..., Any] | None = None,
        flush: bool = True,
    ) -> None:
        """Show `message` in a snack bar. `flush=False`: the handler has sent its own changes already (so the
        whole page need not be diffed again, e.g. after every clicker tap)."""
        if self._snack is not None and self._snack.open:
            self._snack.open = False  # replace it: queued behind it, this one would show seconds late
        self._snack = ft.SnackBar(
            ft.Text(message),
            action=action,
            on_action=on_action,
            bgcolor=ft.Colors.ERROR if error else None,
            duration=ft.Duration(seconds=6 if action else 4),
            # Flutter keeps a snack bar with an action until it is tapped unless told otherwise: it would cover
            # the bottom of every screen after it, and the unlock screen.
            persist=False,
        )
        self.page.show_dialog(self._snack)
        # show_dialog updates only the dialogs, which turns off the auto-update after the handler: send
        # whatever else the handler changed before the toast, too.
        if flush:
            self.page.update()

    def dismiss_toast(self) -> None:
        """Take away the snack bar shown, if any (a message the screen has just made out of date)."""
        if self._snack is not None and self._snack.open:
            self._snack.open = False
            with contextlib.suppress(AssertionError, RuntimeError):  # already gone from the page
                self._snack.update()

    # --- sync -----------------------------------------------------------------------------------

    def _after_write(self) -> None:
        self.sync.changed()  # the count now; a push a few seconds later

    def detach(self) -> None:
        """Stop following the sync status (on lock or sign-out: the SyncService outlives this shell), and take
        away its message: nothing of the signed-in screens stays on the unlock screen."""
        self.sync.unsubscribe(self._sync_changed)
        self.dismiss_toast()
        if self.page.on_resize == self._resized:
            self.page.on_resize = None  # else a resize would put this shell's navigation bar on the unlock screen
            self.page.padding = self._page_padding

    def _say_who(self) -> None:
        """The account menu's first line: "Daniel Mensah (Lead · Brightwater Academy)"."""
        user = self.session.user
        if user is not None:
            self.who.value = f"{user.name} ({self.services.context.role_label()})"

    def _sync_changed(self, status: SyncStatus) -> None:
        if status.generation != self._shown_generation:
            self._shown_generation = status.generation
            self._say_who()  # the first sync brings the user's own staff record: whom their role reaches
            self.refresh()  # a sync brought changes: show them (forms excepted)
        self.status_text.value = describe(status)
        self.progress.visible = status.syncing
        self.progress.value = status.progress
        self.offline.visible = status.online is False
        self.sync_error.value = status.error or ""
        # Offline, the banner already says it (the engine's message adds only jargon): keep a phone's few
        # lines for the screen itself.
        self.sync_error.visible = bool(status.error) and not status.syncing and status.online is not False
        if status.wiped:
            self.root.wiped()
            return
        if status.needs_sign_in:
            self.sync_error.value = "Your session has ended: sign out and in again to sync. Nothing is lost."
            self.sync_error.visible = True
        # Only the banner and the strip: the whole page would mean diffing the screen too, and this runs on every
        # write (a clicker tap) and every step of a sync.
        with contextlib.suppress(AssertionError, RuntimeError):  # the page may have been closed, or not built yet
            if self.strip is not None:
                self.page.update(self.offline, self.strip)

    async def sync_now(self, _e: Any = None) -> None:
        await self.sync.sync_now()

    def refresh(self) -> None:
        """Render the current screen again with fresh data, unless it is a form being filled in."""
        if self.current is not None and self.current.refresh_after_sync:
            self.show_again()

    def show_again(self) -> None:
        """Render the current screen again from its parameters, with fresh data."""
        if self.current is not None:
            self.show(self.current.NAME, **self.current.params)

    def _change_password(self, _e: Any) -> None:
        from screens.account import open_change_password  # its module is imported when first needed

        open_change_password(self)

    async def _sign_out(self, _e: Any) -> None:
        await self.root.sign_out()
