"""Proves the e2e harness on tests/e2e/sample_app.py (one app server and one browser per module), and that a
failed browser test leaves what runs after it a fresh module (tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    DESKTOP,
    PHONE,
    AppServer,
    app_was_sent,
    block_external_requests,
    by_id,
    click_button,
    click_id,
    click_tab,
    console_errors,
    fill_textbox,
    frames_sent,
    is_blank_png,
    open_app,
    sample_app_cmd,
    screenshot,
    select_option,
    textbox,
    wait_for_text,
)
from tests.e2e.sample_app import BANNER


@pytest.fixture(scope="module")
def sample_server(start_flet_app) -> AppServer:
    return start_flet_app(sample_app_cmd)


@pytest.fixture
def app(browser_page, sample_server):
    return open_app(browser_page, sample_server.url)


def test_loads_offline(browser_page, sample_server):
    errors = console_errors(browser_page)
    with block_external_requests(browser_page) as blocked:
        open_app(browser_page, sample_server.url)
        wait_for_text(browser_page, BANNER)
    # Only the known, harmless rive_native.js CDN fetch may be attempted (and it was blocked).
    assert all("rive" in url for url in blocked), blocked
    assert errors == [], errors


def test_type_and_click(app):
    click_button(app, "Sign in")
    wait_for_text(app, "Email and password are required")
    fill_textbox(app, "Email", "ada@example.org")
    fill_textbox(app, "Password", "correct horse")
    click_button(app, "Sign in")
    wait_for_text(app, "Signed in as ada@example.org")
    # Retyping replaces the old value (fill_textbox clears first). Note: the ARIA <input> does not
    # carry the field's value, so check through the app, not with to_have_value().
    fill_textbox(app, "Email", "bob@example.org")
    click_button(app, "Sign in")
    expect(by_id(app, "status")).to_have_text("Signed in as bob@example.org")
    # Key by key, as a person types (fill_textbox inserts the text as one input).
    field = textbox(app, "Email")
    field.click()
    field.press("ControlOrMeta+a")
    field.press_sequentially("cy@example.org")
    click_button(app, "Sign in")
    expect(by_id(app, "status")).to_have_text("Signed in as cy@example.org")


def test_fill_textbox_returns_once_the_app_has_the_text(app):
    """What fill_textbox waits for is the app's copy of the field, seen in the frames the page sent it."""
    before = frames_sent(app)
    fill_textbox(app, "Email", "dee@example.org")
    assert app_was_sent(app, "dee@example.org", since=before, timeout_ms=0)
    assert not app_was_sent(app, "never typed", since=0, timeout_ms=200)
    # Without clear, the text is added at the end of what the field holds.
    fill_textbox(app, "Email", ".uk", clear=False)
    click_button(app, "Sign in")
    wait_for_text(app, "Email and password are required")
    fill_textbox(app, "Password", "pw")
    click_button(app, "Sign in")
    expect(by_id(app, "status")).to_have_text("Signed in as dee@example.org.uk")


def test_counter_and_navigation(app):
    for _ in range(3):
        click_button(app, "Tap")
    wait_for_text(app, "Taps: 3")
    click_tab(app, "Settings")
    wait_for_text(app, "Section: Settings")


def test_async_handler(app):
    click_button(app, "Load")
    wait_for_text(app, "Loaded", exact=True)


def test_semantics_identifier_is_a_stable_selector(app):
    expect(by_id(app, "banner")).to_have_text(BANNER)
    fill_textbox(app, "Email", "x@y.z")
    fill_textbox(app, "Password", "pw")
    click_button(app, "Sign in")
    expect(by_id(app, "status")).to_have_text("Signed in as x@y.z")


def test_nameless_controls_by_identifier(app):
    select_option(app, "role", "Admin")
    expect(by_id(app, "status")).to_have_text("Role: admin")
    click_id(app, "help")
    expect(by_id(app, "status")).to_have_text("Help shown")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_screenshots_not_blank(app, size):
    wait_for_text(app, BANNER)
    path = screenshot(app, "sample", size)
    assert path.exists()
    assert path.name == f"sample-{size[0]}x{size[1]}.png"
    assert not is_blank_png(path), f"{path} is a single colour"


def test_a_failed_test_leaves_the_next_one_a_fresh_module(pytester: pytest.Pytester) -> None:
    """After a failure, the rerun and the module's later tests get new module fixtures; the old are torn down.

    Runs its own pytest session with the e2e hook: `app` stands for a module's server and signed-in browser.
    """
    pytester.makeconftest(
        """
        from tests.e2e.conftest import pytest_runtest_makereport  # noqa: F401  (the hook under test)

        def pytest_configure(config):
            config.addinivalue_line("markers", "e2e: browser test")
        """
    )
    pytester.makepyfile(
        """
        import pytest

        EVENTS = []

        @pytest.fixture(scope="module")
        def app():
            n = sum(1 for e in EVENTS if e.startswith("up")) + 1
            EVENTS.append(f"up {n}")
            yield n
            EVENTS.append(f"down {n}")

        @pytest.mark.e2e
        def test_passes(app):
            assert app == 1

        @pytest.mark.e2e
        @pytest.mark.flaky(reruns=1)
        def test_fails_once(app):
            assert app == 2, "the first attempt shares the module's first app, the rerun gets a new one"

        @pytest.mark.e2e
        def test_after(app):
            assert app == 2

        def test_the_module_went_down_once_per_app():
            assert EVENTS == ["up 1", "down 1", "up 2"]
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.parseoutcomes() == {"passed": 4, "rerun": 1}


def test_a_module_that_is_one_story_keeps_its_fixtures_for_the_rerun(pytester: pytest.Pytester) -> None:
    """`ONE_STORY = True`: each test starts where the one before left off, so a rerun keeps the module's state."""
    pytester.makeconftest(
        """
        from tests.e2e.conftest import pytest_runtest_makereport  # noqa: F401  (the hook under test)

        def pytest_configure(config):
            config.addinivalue_line("markers", "e2e: browser test")
        """
    )
    pytester.makepyfile(
        """
        import pytest

        ONE_STORY = True
        UPS = []

        @pytest.fixture(scope="module")
        def story():
            UPS.append(1)
            return {"chapter": 0}

        @pytest.mark.e2e
        def test_chapter_one(story):
            story["chapter"] = 1

        @pytest.mark.e2e
        @pytest.mark.flaky(reruns=1)
        def test_chapter_two(story):
            story["chapter"] += 1
            assert story["chapter"] == 3, "the first attempt fails; the rerun goes on from where it left off"

        def test_one_module_set_up_once():
            assert UPS == [1]
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.parseoutcomes() == {"passed": 3, "rerun": 1}
