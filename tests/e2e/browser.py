"""Helpers for end-to-end UI tests: a Flet web app in a subprocess, driven by Debian's Chromium.

Flet 1.0 draws everything on a canvas; the DOM only carries Flutter's accessibility (ARIA) tree,
and only after it is switched on. `open_app` does that, after which Playwright's role/name
locators work: buttons by their text, text fields by their label, texts by their value.

Typical use (fixtures in tests/e2e/conftest.py):

    def test_sign_in(app_page):
        click_button(app_page, "Sign in")
        fill_textbox(app_page, "Email", "ada@example.org")
        wait_for_text(app_page, "Signed in as ada@example.org")
        screenshot(app_page, "signed_in", PHONE)
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, WebSocket, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"

PHONE = (360, 640)
DESKTOP = (1280, 800)
SIZES = {"phone": PHONE, "desktop": DESKTOP}

# Generous first-load timeout: CanvasKit (~7 MB wasm) is compiled on every fresh page.
LOAD_TIMEOUT_MS = 30_000
STEP_TIMEOUT_MS = 10_000


# --------------------------------------------------------------------------- app server


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    """A Flet web app running in a subprocess. Use `start_app(...)` to make one."""

    cmd: list[str]
    port: int
    host: str = "127.0.0.1"
    log_path: Path | None = None
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def log(self) -> str:
        """The app's combined stdout/stderr so far (handy in assertion messages)."""
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return ""

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the app, then kill it if it has not exited within `timeout` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=timeout)

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_app(
    cmd: Sequence[str],
    port: int,
    *,
    host: str = "127.0.0.1",
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    log_path: str | os.PathLike[str] | None = None,
) -> AppServer:
    """Start `cmd` (a Flet web app listening on host:port) and wait until it serves HTTP.

    `cmd` is a full command line, e.g.
        [sys.executable, "main.py", "--web", "--port", str(port), "--server", server_url]
    `env` is merged over os.environ. Output goes to `log_path` (default: tests/artifacts/app-PORT.log).
    Raises RuntimeError (with the app's log) if the process exits or the port never answers.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = Path(log_path) if log_path else ARTIFACTS / f"app-{port}.log"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd or REPO_ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = AppServer(cmd=list(cmd), port=port, host=host, log_path=log, proc=proc)
    deadline = time.monotonic() + timeout
    url = server.url
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with code {proc.returncode}: {cmd}\n{server.log()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status < 500:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"app did not answer on {url} within {timeout}s: {cmd}\n{server.log()}")
        time.sleep(0.1)


def sample_app_cmd(port: int, renderer: str = "canvaskit") -> list[str]:
    """Command line of the harness's own sample app."""
    script = Path(__file__).with_name("sample_app.py")
    return [sys.executable, str(script), "--port", str(port), "--renderer", renderer]


# --------------------------------------------------------------------------- browser


def launch_chromium(playwright, home: str | os.PathLike[str]):
    """Launch Debian's Chromium headless with a throwaway HOME (keeps its profile out of ~)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        env={**os.environ, "HOME": str(home)},
    )


def open_app(page: Page, url: str, *, timeout_ms: int = LOAD_TIMEOUT_MS) -> Page:
    """Load a Flet web app and switch on Flutter's accessibility tree so role/name locators work; from here on
    the frames the page sends the app are kept, so `fill_textbox` can tell when the app has what was typed."""
    _keep_frames_sent(page)
    page.goto(url)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=timeout_ms)
    # A real click is intercepted by the glass pane; the DOM click is what Flutter listens for.
    placeholder.evaluate("el => el.click()")
    page.wait_for_selector("flt-semantics", state="attached", timeout=timeout_ms)
    return page


def by_id(page: Page, identifier: str) -> Locator:
    """Locator for a control wrapped in `ft.Semantics(identifier=identifier, ...)`."""
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def button(page: Page, name: str | re.Pattern[str], *, exact: bool = True) -> Locator:
    return page.get_by_role("button", name=name, exact=exact)


def chip(page: Page, name: str) -> Locator:
    """A Chip (a chosen person, a neutral alternative): Chromium exposes one as a checkbox named after it, or as
    its text."""
    return page.get_by_role("checkbox", name=name, exact=True).or_(page.get_by_text(name, exact=True)).first


def click_id(page: Page, identifier: str, *, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Click the control wrapped in `ft.Semantics(identifier=...)`.

    Needed for controls with no accessible name: IconButton (its tooltip is NOT its name),
    Dropdown (a nameless role=button), images, containers with on_click.
    """
    by_id(page, identifier).click(timeout=timeout_ms)


def select_option(page: Page, dropdown_identifier: str, option_text: str, *, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Open a Dropdown wrapped in `ft.Semantics(identifier=...)` and pick an option by its text.

    The open menu's options are role=button named by their text (not role=option/menuitem).
    """
    click_id(page, dropdown_identifier, timeout_ms=timeout_ms)
    click_button(page, option_text, timeout_ms=timeout_ms)


def aria_tree(page: Page) -> str:
    """Flutter's accessibility tree as YAML: print it to see what roles/names a screen exposes."""
    return page.locator("flt-semantics-host").aria_snapshot()


def textbox(page: Page, label: str | re.Pattern[str], *, exact: bool = True) -> Locator:
    return page.get_by_role("textbox", name=label, exact=exact)


def click_button(
    page: Page, name: str | re.Pattern[str], *, exact: bool = True, timeout_ms: int = STEP_TIMEOUT_MS
) -> None:
    """Click the button whose accessible name is `name` (a Button's text, an IconButton's tooltip)."""
    button(page, name, exact=exact).click(timeout=timeout_ms)


def click_tab(page: Page, name: str | re.Pattern[str], *, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Click a NavigationBar destination / TabBar Tab by its label (both are role=tab).

    Their labels are aria-labels, so get_by_text()/wait_for_text() do NOT find them.
    """
    page.get_by_role("tab", name=name).click(timeout=timeout_ms)


def navigate(page: Page, name: str, *, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Go to the navigation destination `name` on a phone: a tab of the bottom bar, or one the bar lists under
    "More" (screens/shell.py), picked from the sheet it opens (its items are named `more-<screen>`)."""
    tab = page.get_by_role("tab", name=name, exact=True)
    more = page.get_by_role("tab", name="More", exact=True)
    expect(tab.or_(more).first).to_be_attached(timeout=timeout_ms)
    if tab.count():
        tab.click(timeout=timeout_ms)
        return
    more.click(timeout=timeout_ms)
    page.get_by_role("button", name=name, exact=True).click(timeout=timeout_ms)


#: how many times `fill_textbox` types a text that did not go in
ATTEMPTS = 3


def fill_textbox(
    page: Page,
    label: str | re.Pattern[str],
    text: str,
    *,
    clear: bool = True,
    exact: bool = True,
    timeout_ms: int = STEP_TIMEOUT_MS,
) -> None:
    """Type into the TextField labelled `label` (Flutter ignores Playwright's fill()) and return once the app has
    been sent the field's new value, so a tap that follows reaches the app after the text, as when a person
    types, looks, then taps. With `clear` the field's text is replaced; without, `text` is added at its end.

    The text arrives as one input, as pasted or dictated text does (`keyboard.insert_text`; typing key by key
    took ~60 ms a character, a quarter of these tests' time — tests/e2e/test_harness.py still types key by key).
    On a loaded machine Flutter web now and then takes up the focused field only after the text went in, and
    then puts back the value it knows, so nothing reaches the app (seen on a long letter, where the click
    scrolls the form). The field's text is checked then: when the text is not in it, it is typed again (up to
    `ATTEMPTS` times in all); when it is, the app is only waited for, so nothing is typed twice. Raises
    AssertionError when the app never gets the text."""
    box = textbox(page, label, exact=exact)

    def type_once() -> int:
        box.click(timeout=timeout_ms)
        if clear:
            box.press("ControlOrMeta+a")
            box.press("Delete")
        else:
            box.press("ControlOrMeta+End")
        sent_before = frames_sent(page)
        box.page.keyboard.insert_text(text)
        return sent_before

    since = type_once()
    for attempt in range(1, ATTEMPTS + 1):
        if app_was_sent(page, text, since=since, timeout_ms=3_000 if attempt < ATTEMPTS else timeout_ms):
            return
        if attempt < ATTEMPTS and text not in box.input_value(timeout=timeout_ms):
            since = type_once()
    raise AssertionError(
        f"the app was never sent the text typed into the field {label!r} ({ATTEMPTS} tries); the field holds "
        f"{box.input_value(timeout=timeout_ms)[-200:]!r}"
    )


# --------------------------------------------------------------------------- what the page sends the app

# Flet's web client sends each change of a field's value to the app over its websocket, in order with taps
# (flet_web's receive loop applies a value before it dispatches a later event), so a value seen in a frame sent
# is a value the app will have when it handles the next tap. A field's value travels as UTF-8 inside a MsgPack
# frame, so the typed text is found in the frame's bytes.
_frames_sent: weakref.WeakKeyDictionary[Page, list[bytes]] = weakref.WeakKeyDictionary()


def _keep_frames_sent(page: Page) -> None:
    if page in _frames_sent:
        return
    frames: list[bytes] = []
    _frames_sent[page] = frames

    def on_frame_sent(payload: str | bytes) -> None:
        frames.append(payload if isinstance(payload, bytes) else payload.encode())

    def on_websocket(socket: WebSocket) -> None:
        socket.on("framesent", on_frame_sent)

    page.on("websocket", on_websocket)


def frames_sent(page: Page) -> int:
    """How many frames the page has sent the app so far (pages opened with `open_app`)."""
    return len(_frames_sent.get(page, ()))


def app_was_sent(page: Page, text: str, *, since: int, timeout_ms: int) -> bool:
    """Whether, within `timeout_ms`, a frame sent after the first `since` carries `text`."""
    if page not in _frames_sent:
        raise RuntimeError("open the page with open_app() to see what it sends the app")
    frames, needle = _frames_sent[page], text.encode()
    deadline = time.monotonic() + timeout_ms / 1000
    while not any(needle in frame for frame in frames[since:]):
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(50)  # lets Playwright deliver the frames' events
    return True


def wait_for_text(
    page: Page, text: str | re.Pattern[str], *, exact: bool = False, timeout_ms: int = STEP_TIMEOUT_MS
) -> Locator:
    """Wait until some node's accessible text matches `text`; returns its locator."""
    loc = page.get_by_text(text, exact=exact).first
    expect(loc).to_be_attached(timeout=timeout_ms)
    return loc


def wait_for_no_text(
    page: Page, text: str | re.Pattern[str], *, exact: bool = False, timeout_ms: int = STEP_TIMEOUT_MS
) -> None:
    expect(page.get_by_text(text, exact=exact)).to_have_count(0, timeout=timeout_ms)


def set_size(page: Page, size: tuple[int, int] | str) -> None:
    """Resize the viewport; `size` is (width, height) or "phone" / "desktop"."""
    width, height = SIZES[size] if isinstance(size, str) else size
    page.set_viewport_size({"width": width, "height": height})


def screenshot(
    page: Page,
    name: str,
    size: tuple[int, int] | str | None = None,
    *,
    settle_ms: int = 500,
) -> Path:
    """Save tests/artifacts/<name>-<W>x<H>.png at `size` (phone 360x640, desktop 1280x800)."""
    vp = page.viewport_size or {"width": 0, "height": 0}
    if size is not None and (vp["width"], vp["height"]) != (SIZES[size] if isinstance(size, str) else size):
        set_size(page, size)
        page.wait_for_timeout(settle_ms)  # let Flutter relayout and repaint after the resize
        vp = page.viewport_size or vp
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = ARTIFACTS / f"{safe}-{vp['width']}x{vp['height']}.png"
    page.screenshot(path=str(path))
    return path


def is_blank_png(path: str | os.PathLike[str]) -> bool:
    """True if the image is a single colour (what a failed Flutter paint looks like)."""
    from PIL import Image

    with Image.open(path) as img:
        extrema = img.convert("RGB").getextrema()
    return all(lo == hi for lo, hi in extrema)


def console_errors(page: Page) -> list[str]:
    """Start collecting console errors; returns the (live) list. Ignores the known rive CDN miss."""
    errors: list[str] = []

    def on_console(msg) -> None:
        where = (msg.location or {}).get("url", "")
        if msg.type == "error" and "rive" not in f"{msg.text} {where}".lower():
            errors.append(f"{msg.text} ({where})" if where else msg.text)

    page.on("console", on_console)
    return errors


@contextlib.contextmanager
def block_external_requests(page: Page):
    """Fail any request that leaves 127.0.0.1/localhost: proves the app loads fully offline.

    Yields the list of blocked URLs.
    """
    blocked: list[str] = []

    def handler(route) -> None:
        url = route.request.url
        if re.match(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/", url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", handler)
    try:
        yield blocked
    finally:
        page.unroute("**/*", handler)


# --- the besmart client's own steps, shared by the end-to-end tests -------------------------------------

#: the sync status strip once the device is up to date with the server
SYNCED_STATUS = re.compile(r"^Up to date \(synced just now\)$")


def expect_synced(page: Page, *, timeout_ms: int = 60_000) -> None:
    """Wait until the sync status strip says the device is up to date."""
    expect(by_id(page, "sync-status")).to_have_text(SYNCED_STATUS, timeout=timeout_ms)


def sign_in_on_a_new_device(page: Page, email: str, password: str, passphrase: str) -> None:
    """Sign in on a device that holds no data of this account yet and choose its passphrase (the test
    machines have no OS key store, so the device asks for a passphrase, not a passcode)."""
    wait_for_text(page, "Sign in to besmart")
    fill_textbox(page, "Work email address", email)
    fill_textbox(page, "besmart password", password)
    click_button(page, "Next")
    wait_for_text(page, "Choose a passphrase")
    fill_textbox(page, "Choose a passphrase for this device", passphrase)
    fill_textbox(page, "Type the passphrase again", passphrase)
    click_button(page, "Save passphrase")
