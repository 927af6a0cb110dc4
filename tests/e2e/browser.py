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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

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
    """Load a Flet web app and switch on Flutter's accessibility tree so role/name locators work."""
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


def fill_textbox(
    page: Page,
    label: str | re.Pattern[str],
    text: str,
    *,
    clear: bool = True,
    exact: bool = True,
    timeout_ms: int = STEP_TIMEOUT_MS,
) -> None:
    """Type into the TextField labelled `label`, key by key (Flutter ignores Playwright's fill()).

    With `clear`, a field that does not show the text typed after a few seconds is typed into once more: on a
    loaded machine Flutter web now and then moves the focus into the field after the first keys have gone (the
    click scrolled the form). Typing again is harmless (the field is cleared first); some fields (a passphrase,
    one the browser fills in itself) never show their value, so the second time is not checked."""
    box = textbox(page, label, exact=exact)

    def type_once() -> None:
        box.click(timeout=timeout_ms)
        if clear:
            box.press("ControlOrMeta+a")
            box.press("Delete")
        box.press_sequentially(text, timeout=timeout_ms)

    type_once()
    if not clear or box.get_attribute("type") == "password":
        return
    try:
        expect(box).to_have_value(text, timeout=3_000)
    except AssertionError:
        type_once()


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
    if size is not None:
        set_size(page, size)
        page.wait_for_timeout(settle_ms)  # let Flutter relayout and repaint after the resize
    vp = page.viewport_size or {"width": 0, "height": 0}
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
