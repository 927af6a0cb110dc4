"""Screen URLs in a real browser: navigating changes the address, the browser's back and forward buttons show
the previous and next screens, and a reload comes back locked, then unlocks into the same screen.

One server and one client (`python main.py --web`, no OS secure store) of their own, from test_client_e2e's
fixtures; Chromium at phone size. Screens are saved under tests/artifacts/routes-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    PHONE,
    AppServer,
    aria_tree,
    click_button,
    click_tab,
    expect_synced,
    fill_textbox,
    navigate,
    open_app,
    screenshot,
    sign_in_on_a_new_device,
    textbox,
    wait_for_text,
)
from tests.e2e.test_client_e2e import (  # noqa: F401  (fixtures: a server, a mail server and a client)
    PASSPHRASE,
    PASSWORD,
    SYNC_TIMEOUT_MS,
    client,
    smtp,
    tile,
    world,
)

STEP_MS = 15_000


@pytest.fixture(scope="module")
def page(chromium, client: AppServer) -> Iterator[Page]:  # noqa: F811
    context = chromium.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    page = context.new_page()
    open_app(page, client.url)
    try:
        yield page
    finally:
        context.close()


def at(page: Page, path: str | re.Pattern[str]) -> None:
    """The browser's address ends in `path`."""
    pattern = re.compile(re.escape(path) + "$") if isinstance(path, str) else path
    expect(page).to_have_url(pattern, timeout=STEP_MS)


def on_directory(page: Page) -> None:
    expect(textbox(page, "Search by name or group")).to_be_attached(timeout=STEP_MS)


def on_profile(page: Page) -> None:
    expect(page.get_by_role("tab", name="Key Contacts")).to_be_attached(timeout=STEP_MS)
    wait_for_text(page, "Kim Test")


def on_inbox(page: Page) -> None:
    wait_for_text(page, "Notifications", exact=True)


def reload(page: Page) -> None:
    """The browser's reload, then Flutter's accessibility tree switched on again (as open_app does)."""
    page.reload()
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=30_000)
    placeholder.evaluate("el => el.click()")
    page.wait_for_selector("flt-semantics", state="attached", timeout=30_000)


def test_back_forward_and_reload_keep_to_the_screens(page: Page, world) -> None:  # noqa: F811
    _server, org, _db = world
    try:
        sign_in_on_a_new_device(page, org.email("sam"), PASSWORD, PASSPHRASE)
        wait_for_text(page, "Hello, Sam")
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)

        click_tab(page, "Directory")
        at(page, "/people")
        on_directory(page)
        tile(page, "Kim Test").click()
        at(page, re.compile(r"/people/[^/]+$"))
        on_profile(page)
        profile_url = page.url
        navigate(page, "Inbox")
        at(page, "/inbox")
        on_inbox(page)

        page.go_back()
        at(page, profile_url)
        on_profile(page)
        page.go_back()
        at(page, "/people")
        on_directory(page)
        page.go_forward()
        at(page, profile_url)
        on_profile(page)
        screenshot(page, "routes-profile-after-back-and-forward")

        # A reload locks the store (and shows no child's name), then unlocks into the same profile.
        reload(page)
        wait_for_text(page, "Unlock besmart")
        assert "Kim" not in aria_tree(page)
        fill_textbox(page, "Passphrase", PASSPHRASE)
        if page.get_by_role("textbox", name="Work email address").count():
            fill_textbox(page, "Work email address", org.email("sam"))
        click_button(page, "Unlock")
        on_profile(page)
        at(page, profile_url)
        screenshot(page, "routes-profile-after-reload")
    except Exception:
        screenshot(page, "routes-failure")
        print(aria_tree(page))
        raise
