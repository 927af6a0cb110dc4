"""Fixtures for end-to-end UI tests (Playwright + Debian's Chromium against a Flet web app).

Fixtures:
    chromium          session  the launched Chromium Browser (skips if /usr/bin/chromium is missing,
                               fails instead when CI=true)
    start_flet_app    session  factory: start_flet_app(cmd, port=None, env=None) -> AppServer; every app
                               it starts is stopped at the end of the session
    browser_page      function a fresh Playwright Page (own context: clean storage) at phone size

Every test under tests/e2e is marked `e2e` (deselect with `-m "not e2e"`), and runs once more when it fails
(pytest-rerunfailures): under load, Flutter web now and then takes keys typed into a field that is being
drawn again, a flake of the browser's text entry rather than of the app. A test that fails twice fails; the
first failure is still reported (`R` in the progress line, "rerun" in the summary).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.e2e.browser import ARTIFACTS, CHROMIUM, PHONE, AppServer, free_port, launch_chromium, start_app

_E2E_DIR = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end UI test in a real browser (Chromium + Flet web)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.flaky(reruns=1))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    if not os.access(CHROMIUM, os.X_OK):
        msg = f"{CHROMIUM} not found: run tests/e2e/ensure_chromium.sh (apt-get install chromium)"
        if _in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    with sync_playwright() as p:
        browser = launch_chromium(p, home)
        try:
            yield browser
        finally:
            browser.close()


StartFletApp = Callable[..., AppServer]


@pytest.fixture(scope="session")
def start_flet_app() -> Iterator[StartFletApp]:
    """Factory fixture. `start_flet_app(cmd_for_port, port=None, env=None, timeout=30)`.

    `cmd_for_port` is a command list, or a callable port -> command list (handy with a free port):
        server = start_flet_app(lambda port: [sys.executable, "main.py", "--web", "--port", str(port)])
        open_app(browser_page, server.url)
    """
    servers: list[AppServer] = []

    def _start(
        cmd_for_port: Sequence[str] | Callable[[int], Sequence[str]],
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> AppServer:
        port = port or free_port()
        cmd = cmd_for_port(port) if callable(cmd_for_port) else cmd_for_port
        # Logs are overwritten run to run: tests/artifacts/app-0.log is the session's first app.
        log = ARTIFACTS / f"app-{len(servers)}.log"
        server = start_app(cmd, port, env=env, timeout=timeout, log_path=log)
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()


@pytest.fixture
def browser_page(chromium):
    """A fresh page in its own browser context (clean localStorage/cookies), phone-sized."""
    context = chromium.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
