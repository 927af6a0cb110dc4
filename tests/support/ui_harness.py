"""Fast, in-process screen tests: a real flet `Session` + `Page` around a fake client connection.

No browser and no Flutter: the screen's Python code runs exactly as in `ft.run` (same Session, same
event dispatch, same auto-update after handlers), but the messages to the client are only recorded.
This is the approach of Flet's own unit tests (sdk/python/packages/flet/tests) and relies on
Flet internals (`flet.messaging.session.Session`, `Connection`): it is verified on flet==1.0.5
(pinned in pyproject.toml). What the client would normally do is simulated here:
    typing      -> session.apply_patch(id, {"value": text}) + "change" event (as the Flutter client does)
    click       -> "click" event;   nav bar / tabs -> patch selected_index + "change" event
    page.push_route/navigate -> invoke_method answered, page.route patched, "route_change" event
    other invoke_method calls (services like SharedPreferences, clipboard) -> answered with None,
    or with what you register in `ui.method_results[name]` (a value or a callable(args)).
Handler exceptions (which Flet reports to the client as a "session crashed" message) are raised
as AssertionError, so a broken handler fails the test. So are (strict=True, the default) property
changes a handler made but Flet never sent to the client (see `unsent()`).
Endless app tasks (watchers, polling loops) must be named in `background=` or settle() times out.

Usage:
    from tests.support.ui_harness import UiHarness

    def test_sign_in():
        with UiHarness(screens.login.build) as ui:      # any `fn(page)`, sync or async
            ui.type("Email", "ada@example.org")
            ui.click("Sign in")
            assert ui.has_text("Signed in as ada@example.org")
            ui.find(ft.TextField, label="Email").value   # controls are the real objects
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import flet as ft
import msgpack
from flet.controls.base_control import BaseControl
from flet.controls.context import _context_page
from flet.messaging.connection import Connection
from flet.messaging.protocol import Message, MessageAction, configure_encode_object_for_msgpack
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

C = TypeVar("C", bound=BaseControl)
Matcher = str | re.Pattern[str] | None

_WALK_PRIVATE_FIELDS = {"_overlay", "_dialogs"}


_ENCODER = configure_encode_object_for_msgpack(BaseControl)


def encode(obj: Any) -> bytes:
    return msgpack.packb(obj, default=_ENCODER)


class FakeConnection(Connection):
    """Records every message Flet would send to the client; answers invoke_method calls."""

    def __init__(self, harness: UiHarness):
        super().__init__()
        self.harness = harness
        self.messages: list[Message] = []
        self.page_name = ""
        self.page_url = "http://127.0.0.1/"

    def send_message(self, message: Message) -> None:
        # Encode exactly as the real web transport does: the encoder snapshots what the client has
        # seen, and Flet's next diff (and so which controls get mounted/indexed) depends on it.
        encode([message.action, message.body])
        self.messages.append(message)
        if message.action == MessageAction.INVOKE_METHOD:
            # Answer on the next loop turn, as a real client would.
            self.loop.call_soon_threadsafe(self.harness._answer_invoke, message.body)

    def get_upload_url(self, file_name: str, expires: int) -> str:
        return f"http://127.0.0.1/upload/{file_name}?expires={expires}"


class UiHarness:
    """A headless Flet page. `UiHarness(main)` runs `main(page)` on it straight away."""

    def __init__(
        self,
        main: Callable[[ft.Page], Any] | None = None,
        *,
        route: str = "/",
        width: float = 360,
        height: float = 640,
        platform: str = "android",
        web: bool = True,
        background: tuple[str, ...] = (),
        strict: bool = True,
    ):
        # The app's event loop runs in its own thread, as in ft.run: this keeps the harness usable
        # next to anything else that owns the main thread's loop (e.g. Playwright's sync API).
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="ui-harness-loop", daemon=True)
        self._thread.start()
        self._executor = ThreadPoolExecutor(max_workers=2)
        self.conn = FakeConnection(self)
        self.conn.loop = self.loop
        self.conn.executor = self._executor
        self.conn.pubsubhub = PubSubHub(self.loop, self._executor)
        # Values (or callables taking the args dict) returned for invoke_method calls, by method name.
        self.method_results: dict[str, Any] = {}
        self.invoked: list[tuple[str, Any]] = []  # (method name, args) of every invoke_method call
        # Long-lived tasks settle() does not wait for, by (a part of) their coroutine's __qualname__,
        # e.g. ("Root._watch_idle", "SyncService._loop"): an app's endless watchers and polling loops.
        self.background = background
        # After every action, fail if a mounted control has changes the client was never sent (see unsent()).
        self.strict = strict
        self._crash_seen = 0

        async def _create() -> Session:
            s = Session(self.conn)
            _context_page.set(s.page)
            s.apply_page_patch({"route": route, "width": width, "height": height, "platform": platform, "web": web})
            encode(s.get_page_patch())  # mounts and "sends" the initial tree, as on register_client
            s.start_updates_scheduler()
            return s

        self.session: Session = self._call(_create())
        if main is not None:
            self.run(main)

    # ------------------------------------------------------------------ lifecycle

    @property
    def page(self) -> ft.Page:
        return self.session.page

    def run(self, main: Callable[[ft.Page], Any]) -> None:
        """Run an app/screen entry point `main(page)` (sync, async or generator) like ft.run does."""

        async def _main() -> None:
            _context_page.set(self.page)
            if inspect.iscoroutinefunction(main):
                await main(self.page)
            elif inspect.isasyncgenfunction(main):
                async for _ in main(self.page):
                    await self.session.after_event(self.page)
            elif inspect.isgeneratorfunction(main):
                for _ in main(self.page):
                    await self.session.after_event(self.page)
            else:
                main(self.page)
            await self.session.after_event(self.page)

        self._run(_main())

    def close(self) -> None:
        if self.loop.is_closed():
            return

        async def _close() -> None:
            self.session.close()  # cancels the scheduler, dispatches page "close"

        async def _cancel_all() -> None:
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self._call(_close())
        with contextlib.suppress(Exception):
            self.settle(timeout=1.0, raise_on_timeout=False)
        with contextlib.suppress(Exception):
            self._call(_cancel_all(), timeout=2.0)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=2.0)
        self.loop.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> UiHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the app's loop and wait for its result (exceptions propagate)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def _run(self, coro: Any, timeout: float = 10.0) -> Any:
        result = self._call(coro, timeout)
        self.settle()
        self._raise_crashes()
        if self.strict:
            self.assert_all_sent()
        return result

    def unsent(self) -> list[tuple[BaseControl, list[str]]]:
        """Mounted controls whose changed properties were never sent to the client.

        The classic Flet 1.0 bug: a handler mutates controls, then calls `.update()` on something else
        (`page.show_dialog` updates the dialogs!), which turns the auto-update after the handler off,
        so the user never sees the mutation although the Python objects (and a naive test) have it.
        Covers property assignments (including reassigned lists), not in-place list mutation.
        """
        index = self.session._Session__index  # type: ignore[attr-defined]
        found = []
        for c in self.controls(include_hidden=True):
            if index.get(c._i) is not c:
                continue  # not on the client yet: its first patch carries everything
            fields = [*(getattr(c, "_dirty", None) or {}), *(getattr(c, "__changes", None) or {})]
            fields = [f for f in fields if not f.startswith("_") and f != "data"]
            if fields:
                found.append((c, fields))
        return found

    def assert_all_sent(self) -> None:
        stale = self.unsent()
        if stale:
            raise AssertionError(
                "changes never sent to the client (a handler called .update() on something else, which skips"
                " the auto-update; call page.update() at its end):\n"
                + "\n".join(
                    f"  {type(c).__name__}#{c._i} {fields} {display_texts(c) + names(c)}" for c, fields in stale
                )
            )

    def settle(self, timeout: float = 5.0, *, raise_on_timeout: bool = True) -> None:
        """Let background tasks (page.run_task, navigate, scheduled updates) run until idle."""

        async def _idle() -> None:
            me = asyncio.current_task()
            deadline = self.loop.time() + timeout
            while True:
                for _ in range(5):
                    await asyncio.sleep(0)
                busy = [
                    t
                    for t in asyncio.all_tasks()
                    if t is not me and not t.done() and not _is_background(t, self.background)
                ]
                if not busy:
                    return
                if self.loop.time() > deadline:
                    if raise_on_timeout:
                        raise TimeoutError(f"UI tasks still running after {timeout}s: {busy}")
                    return
                await asyncio.wait(busy, timeout=0.05)

        self._call(_idle(), timeout + 5.0)

    def sleep(self, seconds: float) -> None:
        """Advance the app's event loop by real time (for handlers that await asyncio.sleep)."""
        self._call(asyncio.sleep(seconds), seconds + 5.0)
        self.settle()
        self._raise_crashes()

    def _raise_crashes(self) -> None:
        crashes = [m for m in self.conn.messages if m.action == MessageAction.SESSION_CRASHED]
        new, self._crash_seen = crashes[self._crash_seen :], len(crashes)
        if new:
            raise AssertionError("Flet handler raised:\n" + "\n".join(str(m.body) for m in new))

    def _answer_invoke(self, body: Any) -> None:
        name, args = body.name, body.args
        self.invoked.append((name, args))
        result: Any = None
        if name in self.method_results:
            r = self.method_results[name]
            result = r(args) if callable(r) else r
        self.session.handle_invoke_method_results(body.control_id, body.call_id, result, None)
        if name == "push_route" and body.control_id == self.page._i:
            self.loop.create_task(self._client_route_change(args["route"]))

    async def _client_route_change(self, route: str) -> None:
        self.session.apply_page_patch({"route": route})
        await self.session.dispatch_event(self.page._i, "route_change", {"route": route})

    # ------------------------------------------------------------------ finding controls

    def controls(self, *, include_hidden: bool = False) -> Iterator[BaseControl]:
        """Every control reachable from the page (views, navigation bars, dialogs, overlay)."""
        yield from _walk(self.page, include_hidden, set())

    def find_all(
        self,
        type_: type[C] | tuple[type, ...] = BaseControl,  # type: ignore[assignment]
        *,
        text: Matcher = None,
        label: Matcher = None,
        where: Callable[[Any], bool] | None = None,
        include_hidden: bool = False,
    ) -> list[C]:
        """Controls of `type_` whose display text (`text`) or label (`label`) matches.

        A str matches exactly, a compiled regex with .search(). `text` checks what the control shows
        (Text.value, a Button's text, a non-password TextField's value), `label` its name (label,
        tooltip, Semantics label/identifier, hint_text, a Button's text). Hidden controls
        (visible=False, closed dialogs) are skipped unless include_hidden=True.
        """
        found = []
        for c in self.controls(include_hidden=include_hidden):
            if not isinstance(c, type_):
                continue
            if text is not None and not any(_matches(text, t) for t in display_texts(c)):
                continue
            if label is not None and not any(_matches(label, t) for t in names(c)):
                continue
            if where is not None and not where(c):
                continue
            found.append(c)
        return found  # type: ignore[return-value]

    def find(self, type_: type[C] | tuple[type, ...] = BaseControl, **kw: Any) -> C:  # type: ignore[assignment]
        """Exactly one control (see find_all); AssertionError with a dump of the page otherwise."""
        found = self.find_all(type_, **kw)
        if len(found) != 1:
            raise AssertionError(
                f"expected 1 {getattr(type_, '__name__', type_)} matching {kw}, found {len(found)}:"
                f" {found!r}\n--- page ---\n{self.dump()}"
            )
        return found[0]

    def texts(self) -> list[str]:
        """All strings the visible page shows (Text values, button texts, field labels/values...)."""
        out: list[str] = []
        for c in self.controls():
            out.extend(t for t in display_texts(c) + names(c) if t)
        return out

    def has_text(self, text: str | re.Pattern[str]) -> bool:
        """True if a visible control shows `text` (exact str, or regex search)."""
        return any(_matches(text, t) for t in self.texts())

    def dump(self) -> str:
        lines = []
        for c in self.controls():
            bits = display_texts(c) + [f"label={n!r}" for n in names(c) if n not in display_texts(c)]
            lines.append(f"{type(c).__name__}#{c._i} {' '.join(repr(b) for b in bits)}".rstrip())
        return "\n".join(lines)

    def open_dialogs(self) -> list[BaseControl]:
        """Dialogs/snack bars/banners opened with page.show_dialog and still open."""
        return [d for d in self.page._dialogs.controls if getattr(d, "open", False)]

    # ------------------------------------------------------------------ acting

    def event(self, control: BaseControl, name: str, data: Any = None) -> None:
        """Dispatch a raw client event (`name` without on_) to a control, then let the app settle."""
        self._run(self.session.dispatch_event(control._i, name, data))

    def click(self, target: str | re.Pattern[str] | BaseControl, type_: type = BaseControl) -> None:
        """Click a control, or the one clickable control whose text/label/tooltip is `target`."""
        control = target if isinstance(target, BaseControl) else self._clickable(target, type_)
        self.event(control, "click")

    def type(self, target: str | re.Pattern[str] | BaseControl, text: str, *, submit: bool = False) -> None:
        """Set a TextField's value like the client does (patch + "change" event); optionally submit."""
        field = target if isinstance(target, BaseControl) else self.find(ft.TextField, label=target)
        self.session.apply_patch(field._i, {"value": text})
        self.event(field, "change", text)
        if submit:
            self.event(field, "submit", text)

    def submit(self, target: str | re.Pattern[str] | BaseControl) -> None:
        field = target if isinstance(target, BaseControl) else self.find(ft.TextField, label=target)
        self.event(field, "submit", field.value)

    def set_value(self, control: BaseControl, value: Any, event: str = "change") -> None:
        """Checkbox/Switch/Slider/RadioGroup/Dropdown: patch `value` and fire `event`.

        Dropdown's event is "select" in Flet 1.0 (`on_select`), the others "change".
        """
        self.session.apply_patch(control._i, {"value": value})
        self.event(control, event, value)

    def select(self, dropdown: str | re.Pattern[str] | ft.Dropdown, key: str) -> None:
        dd = dropdown if isinstance(dropdown, ft.Dropdown) else self.find(ft.Dropdown, label=dropdown)
        self.set_value(dd, key, "select")

    def select_segments(self, control: ft.SegmentedButton, *values: str) -> None:
        """SegmentedButton: patch `selected` and fire "change" (its data is the list of values)."""
        self.session.apply_patch(control._i, {"selected": list(values)})
        self.event(control, "change", list(values))

    def select_index(self, control: BaseControl, index: int) -> None:
        """NavigationBar / NavigationRail / Tabs: patch selected_index and fire "change"."""
        self.session.apply_patch(control._i, {"selected_index": index})
        self.event(control, "change", index)

    def navigate_to(self, label: str) -> None:
        """Pick the NavigationBar/NavigationRail destination labelled `label`; one a phone's bar lists under
        "More" is picked from the sheet "More" opens."""
        bars = self.find_all((ft.NavigationBar, ft.NavigationRail))
        for bar in bars:
            for i, d in enumerate(bar.destinations):
                if _matches(label, d.label if isinstance(d.label, str) else _text_of(d.label)):
                    self.select_index(bar, i)
                    return
        for bar in bars:
            more = [i for i, d in enumerate(bar.destinations) if d.label == "More"]
            if more:
                self.select_index(bar, more[0])
                self.click(self.find(ft.ListTile, where=lambda t: _matches(label, t.title.value)))
                return
        raise AssertionError(f"no navigation destination {label!r}\n{self.dump()}")

    def go(self, route: str) -> None:
        """Simulate the browser going to `route` (address bar / back button)."""
        self._run(self._client_route_change(route))

    def resize(self, width: float, height: float) -> None:
        """Simulate a window resize: patch page.width/height and fire page.on_resize."""
        self.session.apply_page_patch({"width": width, "height": height})
        self.event(self.page, "resize", {"width": width, "height": height})

    def _clickable(self, target: str | re.Pattern[str], type_: type) -> BaseControl:
        cands = [
            c
            for c in self.find_all(type_, label=target)
            if getattr(c, "on_click", None) is not None and not getattr(c, "disabled", False)
        ]
        if len(cands) != 1:
            raise AssertionError(
                f"expected 1 enabled clickable control named {target!r}, found {len(cands)}: {cands!r}"
                f"\n--- page ---\n{self.dump()}"
            )
        return cands[0]


# ---------------------------------------------------------------------- helpers


def inside(control: Any, ancestor: Any) -> bool:
    """Whether `control` is `ancestor` or one of its descendants (to find a field within one entry or dialog)."""
    node = control
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def _is_background(task: asyncio.Task, background: tuple[str, ...]) -> bool:
    """Flet's update scheduler, or a task the harness was told not to wait for."""
    name = getattr(task.get_coro(), "__qualname__", "")
    return any(part in name for part in ("updates_scheduler", *background))


def _matches(pattern: str | re.Pattern[str], value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(pattern, re.Pattern):
        return pattern.search(value) is not None
    return pattern == value


def _text_of(value: Any) -> str | None:
    """A str, or the value of an ft.Text, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, ft.Text) and isinstance(value.value, str):
        return value.value
    return None


def display_texts(c: BaseControl) -> list[str]:
    """What a control shows as text."""
    out = []
    if isinstance(c, ft.Text):
        out.append(c.value)
    if isinstance(c, ft.TextField) and c.value and not c.password:
        out.append(c.value)
    for attr in ("content", "text"):
        if isinstance(getattr(c, attr, None), str):
            out.append(getattr(c, attr))
    return [t for t in out if isinstance(t, str)]


def names(c: BaseControl) -> list[str]:
    """A control's accessible name(s): label, tooltip, Semantics label/identifier, button text."""
    out = []
    for attr in ("label", "tooltip", "identifier", "hint_text"):
        v = getattr(c, attr, None)
        t = _text_of(v)
        if t is None and v is not None and hasattr(v, "message"):
            t = v.message  # ft.Tooltip
        if t:
            out.append(t)
    content = getattr(c, "content", None)
    t = _text_of(content)
    if t:
        out.append(t)
    return out


def _walk(value: Any, include_hidden: bool, seen: set[int]) -> Iterator[BaseControl]:
    if value is None or id(value) in seen:
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item, include_hidden, seen)
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item, include_hidden, seen)
        return
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return
    seen.add(id(value))
    if isinstance(value, BaseControl):
        if not include_hidden and getattr(value, "visible", True) is False:
            return
        if isinstance(value, ft.DialogControl) and not getattr(value, "open", False) and not include_hidden:
            return
        yield value
    for f in dataclasses.fields(value):
        if f.metadata.get("skip", False) or f.name == "_parent":
            continue
        if f.name.startswith("_") and f.name not in _WALK_PRIVATE_FIELDS:
            continue
        yield from _walk(getattr(value, f.name, None), include_hidden, seen)
