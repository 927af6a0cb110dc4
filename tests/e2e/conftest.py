"""Fixtures for end-to-end UI tests (Playwright + Debian's Chromium against a Flet web app).

Fixtures:
    chromium          module   the launched Chromium Browser (skips if /usr/bin/chromium is missing,
                               fails instead when CI=true). Per module: Playwright's sync API keeps an event
                               loop running in the test's thread while it is open, and the tests run after
                               the browser tests in the same worker call asyncio.run()
    start_flet_app    module   factory: start_flet_app(cmd, port=None, env=None) -> AppServer; every app
                               it starts is stopped at the end of the module (an app left running syncs
                               in the background and slows the modules after it)
    browser_page      function a fresh Playwright Page (own context: clean storage) at phone size

Every test under tests/e2e is marked `e2e` (deselect with `-m "not e2e"`), and runs once more when it fails
(pytest-rerunfailures): under load, Flutter web now and then takes keys typed into a field that is being
drawn again, a flake of the browser's text entry rather than of the app. A test that fails twice fails; the
first failure is still reported (`R` in the progress line; its traceback under "rerun test summary info",
pyproject.toml's `--rerun-show-tracebacks`).

A failed browser test leaves its module's server, app and browser in a state no test expects (a device half
signed in, taps already counted), and pytest-rerunfailures keeps module fixtures across a rerun. So a failure
tears the module's fixtures down at once (`pytest_runtest_makereport` below): the rerun, and any test after it
in the module, starts from a fresh server, app and browser, as the module's first test did. Checked by
tests/e2e/test_harness.py::test_a_failed_test_leaves_the_next_one_a_fresh_module. A module whose tests are
one story, each starting where the one before left off (`ONE_STORY = True`: tests/e2e/test_lock_and_links.py),
keeps its fixtures: a fresh start would be at its first chapter, not at the one that failed.
"""

from __future__ import annotations

import os
from collections import Counter
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    if report.failed and item.get_closest_marker("e2e") and not getattr(item.module, "ONE_STORY", False):
        for error in _tear_down_module_fixtures(item):
            report.sections.append(("tearing the module down after the failure", repr(error)))
    return report


def _tear_down_module_fixtures(item: pytest.Item) -> list[BaseException]:
    """Finish every module-scoped fixture `item` uses, now; the next test to ask for one sets it up afresh.

    A fixture's finish runs the finish of the fixtures that depend on it first (pytest registers those as its
    finalizers), and does nothing when it has already finished, so module teardown later finds nothing left.
    Returns the errors their teardowns raised (the test has failed already; they go in its report).
    """
    errors: list[BaseException] = []
    request = item._request  # type: ignore[attr-defined]  # pytest's own request for this item's fixtures
    for fixturedefs in item._fixtureinfo.name2fixturedefs.values():  # type: ignore[attr-defined]
        fixturedef = fixturedefs[-1]  # the definition in effect for this item (closest override)
        if fixturedef.scope == "module":
            try:
                fixturedef.finish(request)
            except Exception as error:  # reported with the failure: a hook must not raise
                errors.append(error)
    return errors


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
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
_apps_started: Counter[str] = Counter()  # per module, in this worker: numbers each app's log


@pytest.fixture(scope="module")
def start_flet_app(request: pytest.FixtureRequest) -> Iterator[StartFletApp]:
    """Factory fixture. `start_flet_app(cmd_for_port, port=None, env=None, timeout=30)`.

    `cmd_for_port` is a command list, or a callable port -> command list (handy with a free port):
        server = start_flet_app(lambda port: [sys.executable, "main.py", "--web", "--port", str(port)])
        open_app(browser_page, server.url)
    """
    servers: list[AppServer] = []
    module = request.module.__name__.rpartition(".")[2]

    def _start(
        cmd_for_port: Sequence[str] | Callable[[int], Sequence[str]],
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> AppServer:
        port = port or free_port()
        cmd = cmd_for_port(port) if callable(cmd_for_port) else cmd_for_port
        # Logs are overwritten run to run: tests/artifacts/app-test_routes-0.log is test_routes's first app,
        # -1 its second (or the first app after a failure started the module afresh).
        log = ARTIFACTS / f"app-{module}-{_apps_started[module]}.log"
        _apps_started[module] += 1
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
