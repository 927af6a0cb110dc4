"""The client's top level: sign in, choose a passcode, unlock, lock, sign out — then the signed-in shell.

One `Root` per browser session (web) or window (desktop); each has its own `ClientSession`.

The URL outlives a lock: locking (by hand, after the idle time, or because the browser reloaded) leaves the
browser at the screen's URL, and unlocking shows that screen again. Signing out goes back to "/".
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import flet as ft

from app.config import ClientConfig
from app.context import ActionError
from app.notifications import Link, parse_link
from app.session import ClientSession, SignInError, UnfinishedReport, UnfinishedWorkError
from screens.ui import ask, error_text, heading, muted, named, show_error, when

if TYPE_CHECKING:
    from screens.shell import Shell

logger = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 15
#: Client events that are not a person's input: they never postpone the idle lock.
NOT_INPUT = frozenset(
    {
        "connect",
        "disconnect",
        "close",
        "resize",
        "dismiss",  # a snack bar that timed out
        "app_lifecycle_state_change",
        "platform_brightness_change",
        "media_change",
        "window_event",
        "error",
    }
)


class Root:
    def __init__(self, page: ft.Page, config: ClientConfig) -> None:
        self.page = page
        self.config = config
        self.session = ClientSession(config)
        self.shell: Shell | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: the URL the browser is at: the screen to show once the store is unlocked
        self.route = page.route or "/"
        #: the record an email link asked for, opened once the store is unlocked
        self.link: Link | None = parse_link(self.route)
        #: email links opened in this session: going back to one (browser history) does not open it again
        self._links_opened: set[str] = set()
        #: the account unlocked in this browser session or window (the web lock screen names no other)
        self.mine: str | None = None
        self._watcher: Any = None
        page.data = self  # keep a reference: Flet drops objects nothing points to

    async def start(self) -> None:
        self.page.title = "besmart"
        self.page.theme_mode = ft.ThemeMode.LIGHT
        self.page.theme = ft.Theme(color_scheme_seed=ft.Colors.TEAL)
        self.page.on_disconnect = self._disconnected
        self.page.on_connect = self._connected
        self.page.on_close = self._closed
        self.page.on_route_change = self._route_changed
        self._note_input()
        if self.session.known_accounts():
            self.show_unlock()
        else:
            self.show_sign_in()
        self._watcher = self.page.run_task(self._watch_idle)

    def _note_input(self) -> None:
        """Every event the client sends goes through the Flet session's `dispatch_event`: those a person
        causes (taps, typing, navigating) start the idle time again. Nothing else does — not a background
        sync, not a screen refreshing itself (see LocalStore.touch)."""
        flet_session = self.page.session
        dispatch = flet_session.dispatch_event

        async def dispatch_noting_input(control_id: int, event_name: str, event_data: Any) -> None:
            if event_name not in NOT_INPUT:
                self.session.touch()  # before the handler: a tap after the idle time finds the store locked
            await dispatch(control_id, event_name, event_data)

        # Flet has no hook for "every event": its method is wrapped in place, which mypy refuses by design.
        flet_session.dispatch_event = dispatch_noting_input  # type: ignore[method-assign]

    def _route_changed(self, e: ft.RouteChangeEvent) -> None:
        """The browser went to another URL: a screen's (back and forward buttons, the address bar) or an email
        link opened in a tab that already runs besmart."""
        self.route = e.route
        unlocked = self.shell is not None and self.session.state == "unlocked"
        link = parse_link(e.route)
        if link is None:
            if unlocked and self.shell is not None:
                self.shell.follow(e.route)
            return  # else shown after unlocking (or signing in)
        if e.route in self._links_opened:
            return  # back to a link already opened: its record is on the screen, or was left on purpose
        if unlocked:
            self.spawn(lambda: self._open_link(link))
        else:
            self.link = link  # opened after unlocking (or signing in)

    async def _open_link(self, link: Link) -> None:
        shell = self.shell
        if shell is None:
            return
        self._links_opened.add(f"/open/{link.kind}/{link.record_id}")
        try:
            shell.services.notifications.destination(link.kind, link.record_id)
        except ActionError:
            await shell.sync.sync_now()  # a new device, or the email came before this device's last sync
            if self.shell is not shell:
                return
        shell.open_record(link.kind, link.record_id)
        self.page.update()

    def _disconnected(self, _e: Any) -> None:
        """The browser went away (tab closed, reloaded, phone asleep): lock, and put the unlock screen in
        place now, because on reconnecting Flet sends the page as it is — it must hold no names."""
        if self.shell is not None:
            self.lock()
        else:
            self.session.lock()

    def _connected(self, _e: Any) -> None:
        if self.shell is not None and self.session.state != "unlocked":
            self.lock()

    async def _closed(self, _e: Any) -> None:
        """The Flet session expired: stop watching and let go of the keys and connections."""
        if self._watcher is not None:
            self._watcher.cancel()
        self._leave_shell()
        self.session.lock()
        await self.session.aclose()

    def spawn(self, job: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run a coroutine in the background. Not `page.run_task`: that needs a live connection, and
        locking must work while the browser is away (it crashed the idle watcher)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.page.run_task(job)
            return
        task = loop.create_task(job())
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    def _frame(self, *controls: ft.Control) -> None:
        """An auth screen: no app bar or navigation, a narrow centred column."""
        self.page.appbar = None
        self.page.navigation_bar = None
        self.page.controls = [
            ft.Container(
                ft.Column(list(controls), spacing=14, width=380, scroll=ft.ScrollMode.AUTO),
                alignment=ft.Alignment.TOP_CENTER,
                padding=20,
                expand=True,
            )
        ]
        self.page.update()

    # --- sign in --------------------------------------------------------------------------------

    def show_sign_in(self, message: str | None = None, *, notice: str | None = None) -> None:
        """`message` is an error (shown in red); `notice` is news that is not an error, e.g. "You have signed out"."""
        email = ft.TextField(label="Work email address", keyboard_type=ft.KeyboardType.EMAIL, autofocus=True)
        password = ft.TextField(label="besmart password", password=True, can_reveal_password=True)
        error = error_text()
        show_error(error, message)
        news = ft.Container(
            ft.Row(
                [ft.Icon(ft.Icons.CHECK_CIRCLE_OUTLINE, color=ft.Colors.PRIMARY), ft.Text(notice or "", expand=True)]
            ),
            bgcolor=ft.Colors.SECONDARY_CONTAINER,
            border_radius=8,
            padding=10,
            visible=bool(notice),
        )
        busy = ft.ProgressRing(visible=False, width=20, height=20)

        async def next_step(_e: Any) -> None:
            busy.visible = True
            show_error(error, None)
            self.page.update()
            try:
                await self.session.sign_in(email.value or "", password.value or "")
            except SignInError as failure:
                show_error(error, str(failure))  # what was typed stays in the fields
                busy.visible = False
                self.page.update()
                return
            if self.session.state == "needs_passcode":
                self.show_passcode()
                return
            self.mine = self.session.user.email if self.session.user else None
            self.enter()

        password.on_submit = next_step
        buttons: list[ft.Control] = [ft.Button("Next", on_click=next_step), busy]
        if self.session.known_accounts():
            buttons.append(ft.TextButton("Unlock an account on this device", on_click=lambda _: self.show_unlock()))
        self._frame(
            news,
            heading("Sign in to besmart", size=24),
            muted("Use your work email address and besmart password."),
            email,
            password,
            error,
            ft.Row(buttons),
        )

    def show_passcode(self) -> None:
        word = self.session.secret_word()  # one word on every screen: the rule decides which
        first = ft.TextField(label=f"Choose a {word} for this device", password=True, can_reveal_password=True)
        again = ft.TextField(label=f"Type the {word} again", password=True, can_reveal_password=True)
        error = error_text()

        def save(_e: Any) -> None:
            try:
                self.session.create_passcode(first.value or "", again.value or "")
            except SignInError as failure:
                show_error(error, str(failure))
                self.page.update()
                return
            self.mine = self.session.user.email if self.session.user else None
            self.enter()

        again.on_submit = save
        self._frame(
            heading(f"Choose a {word}", size=24),
            muted(
                f"Your records are encrypted on this device. The {word} unlocks them, also without a connection. "
                + self.session.secret_rule()
            ),
            first,
            again,
            error,
            ft.Button(f"Save {word}", on_click=save),
        )

    def show_unlock(self, message: str | None = None) -> None:
        accounts = self.session.known_accounts()
        if not accounts:
            self.show_sign_in(message)
            return
        # Every browser is the same "device" to the web client, so a stranger's browser must not be shown
        # who uses this one: no account until the person types theirs or asks for the list. The account
        # already unlocked in this browser session is theirs, so a re-lock shows it.
        mine = self.mine if self.mine in accounts else None
        hidden = bool(self.page.web) and mine is None
        chosen = mine or (None if hidden else accounts[0])
        word = self.session.secret_word(chosen)
        email = ft.TextField(
            label="Work email address", keyboard_type=ft.KeyboardType.EMAIL, autofocus=True, visible=hidden
        )
        options = [ft.DropdownOption(key=a, text=a) for a in accounts]
        # Hidden controls still reach the browser: the list is not even sent until asked for.
        account = ft.Dropdown(label="Account", value=chosen, options=[] if hidden else options)
        listed = named(account, "account", "Account")
        listed.visible = not hidden and len(accounts) > 1 and mine is None
        single = muted(chosen or "")
        single.visible = bool(chosen) and not listed.visible
        passcode = ft.TextField(label=word.capitalize(), password=True, can_reveal_password=True, autofocus=not hidden)
        error = error_text()
        show_error(error, message)

        def choose(_e: Any) -> None:
            listed.visible, email.visible, single.visible, choose_button.visible = True, False, False, False
            account.options, account.value = options, None
            self.page.update()

        choose_button = ft.TextButton(
            "Choose an account on this device" if hidden else "Not you? Choose an account on this device",
            on_click=choose,
            visible=bool(self.page.web) and len(accounts) > (0 if hidden else 1),
        )

        def who() -> str:
            if listed.visible:
                return account.value or ""
            if email.visible:
                typed = (email.value or "").strip()
                return next((a for a in accounts if a.casefold() == typed.casefold()), typed)
            return chosen or ""

        async def unlock(_e: Any) -> None:
            person = who()
            if not person:
                show_error(error, "Type your work email address, or choose your account on this device.")
                self.page.update()
                return
            if unlock_button.disabled:
                return  # already unlocking (Enter pressed, then the button)
            unlock_button.disabled = True
            self.page.update()
            # The key derivation (scrypt, 0.1-0.5 s) runs in a thread and lets go of the GIL: meanwhile this
            # thread loads what the unlocked app shows first, instead of before the unlock screen. The HTTP
            # client (the sync starts on unlock) is built in another thread: reading its CA bundle lets go of
            # the GIL too, so it overlaps with both.
            # (run_in_executor starts the thread now; a task made of to_thread would start it after _load_shell.)
            loop = asyncio.get_running_loop()
            opening = loop.run_in_executor(None, functools.partial(self.session.unlock, person, passcode.value or ""))
            networking = loop.run_in_executor(None, self.session.load_network)
            self._load_shell()
            try:
                await opening
            except SignInError as failure:
                unlock_button.disabled = False
                show_error(error, str(failure))
                self.page.update()
                return
            except BaseException:
                unlock_button.disabled = False  # whatever went wrong, the person can try again
                raise
            await networking  # before the shell starts the sync, which uses the connection pool
            self.mine = person
            self.enter()

        passcode.on_submit = unlock
        unlock_button = ft.Button("Unlock", on_click=unlock)
        self._frame(
            heading("Unlock besmart", size=24),
            email,
            listed,
            single,
            choose_button,
            passcode,
            muted("After you unlock, besmart opens the record from your link.") if self.link else ft.Container(),
            error,
            ft.Row(
                [
                    unlock_button,
                    ft.TextButton("Sign in with another account", on_click=lambda _: self.show_sign_in()),
                ],
                wrap=True,
            ),
        )

    # --- signed in ------------------------------------------------------------------------------

    def _load_shell(self) -> None:
        """Import the signed-in shell, the screen it opens first and the clicker's: none of it is needed
        before, and loading it all up front was a third of a start-up."""
        from screens import registry

        importlib.import_module("screens.shell")
        found = registry.screen_at(self.route) if self.route else None
        # The screen at the URL (or home), and Record & Plan with its clicker: what a teacher opens next.
        for name in (found[0] if found else registry.HOME, "record"):
            registry.SCREENS[name]  # imports the screen's module

    def enter(self) -> None:
        from screens.shell import Shell

        self.shell = Shell(self, self.session)
        self.page.controls = [self.shell.build()]
        self.shell.start(self.route)
        if self.link is not None:
            link, self.link = self.link, None
            self.spawn(lambda: self._open_link(link))

    def _leave_shell(self) -> None:
        if self.shell is not None:
            self.route = self.shell.route  # unlocking shows this screen again
            self.shell.detach()
        self.shell = None

    def lock(self) -> None:
        self.session.lock()
        if self.session.sync is not None:
            self.spawn(self.session.sync.stop)
        self._leave_shell()
        self.show_unlock()

    async def sign_out(self, *, discard_drafts: bool = False) -> None:
        try:
            await self.session.sign_out(discard_drafts=discard_drafts)
        except UnfinishedWorkError as unfinished:
            self._ask_before_losing(unfinished.reports)
            return
        except SignInError as failure:
            if self.shell is not None:
                # Still signed in: the background sync that sign_out stopped runs again.
                if self.config.sync_interval_seconds > 0 and self.session.sync is not None:
                    self.session.sync.start(self.config.sync_interval_seconds)
                self.shell.toast(str(failure), error=True)
            return
        self._leave_shell()
        self.mine = None
        self._forget_route()
        self.show_sign_in(notice="You have signed out. This account's data was removed from this device.")

    def _ask_before_losing(self, reports: list[UnfinishedReport]) -> None:
        """Name what signing out would delete, and make keeping it the easy choice."""
        lines = [ft.Text(f"• {r.describe()}, last saved {when(r.saved_at)}") for r in reports]
        ask(
            self.page,
            "Keep your unfinished report?" if len(reports) == 1 else "Keep your unfinished reports?",
            ft.Column(
                [
                    ft.Text(
                        "Signing out removes this account's data from this device. This was never sent to the "
                        "server and would be lost:"
                    ),
                    *lines,
                    muted("To keep it, stay signed in, open it from Record and submit it (or save it for later)."),
                ],
                tight=True,
                spacing=8,
            ),
            "Sign out and delete it",
            lambda: self.spawn(lambda: self.sign_out(discard_drafts=True)),
            cancel="Keep it and stay signed in",
        )
        self.page.update()

    def wiped(self) -> None:
        self._leave_shell()
        self.session.forget_wiped_store()
        self.mine = None
        self._forget_route()
        self.show_sign_in("This device was reported lost or its access was revoked, so besmart erased its data.")

    def _forget_route(self) -> None:
        """The account's screens are gone from this device: the next one to sign in starts at "/"."""
        if self.route != "/":
            self.route = "/"
            self.spawn(lambda: self.page.push_route("/"))

    async def _watch_idle(self) -> None:
        """Show the unlock screen once the store has locked itself after the idle time.

        Looks every IDLE_CHECK_SECONDS, more often for a short idle time (so it is testable)."""
        interval = max(0.05, min(IDLE_CHECK_SECONDS, self.config.idle_lock_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                if self.shell is not None and self.session.state != "unlocked":
                    self.lock()
            except Exception:  # one failed look must not end the watching; no details: they may name a child
                logger.warning("The idle lock check failed; it runs again shortly.")
