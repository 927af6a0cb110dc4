"""Proves the e2e harness on tests/e2e/sample_app.py: one app server and one browser per session."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    DESKTOP,
    PHONE,
    AppServer,
    block_external_requests,
    by_id,
    click_button,
    click_id,
    click_tab,
    console_errors,
    fill_textbox,
    is_blank_png,
    open_app,
    sample_app_cmd,
    screenshot,
    select_option,
    wait_for_text,
)
from tests.e2e.sample_app import BANNER


@pytest.fixture(scope="session")
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
