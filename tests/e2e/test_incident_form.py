"""The incident form in a real browser at phone size (360x640): people present are picked by typing, the date
and time with the pickers or typed the UK way, then the report is submitted and synced.

Headless Chromium (Flet web client) against `python -m server serve` on SQLite, with an organisation of a few
staff and children. Screenshots: tests/artifacts/incident-form-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from server.db import Database
from tests.e2e.browser import (
    PHONE,
    aria_tree,
    button,
    chip,
    click_button,
    click_id,
    click_tab,
    expect_synced,
    fill_textbox,
    is_blank_png,
    open_app,
    screenshot,
    sign_in_on_a_new_device,
    textbox,
    wait_for_text,
)

# The story's own module: its client fixture (`python main.py --web` on the `world` defined here) and helpers.
from tests.e2e.test_client_e2e import PASSPHRASE, SYNC_TIMEOUT_MS, client, pick_individual  # noqa: F401

# The helpers that start a real server and seed an organisation (tests/support/server.py).
from tests.support.server import PASSWORD, Org, ServerProcess, seed_org, settings_for

#: more people than the form can list as checkboxes on one screen
EXTRA_STAFF = ("priya", "tom", "uma", "vic", "wes", "xena")
EXTRA_CHILDREN = ("jo", "lou", "mo", "ned")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Org, Database]]:
    """A seeded organisation (seed_org plus more staff and children Sam can see) and a real server on it."""
    directory = tmp_path_factory.mktemp("incident-form-server")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    org = seed_org(db, settings_for(url))
    for name in EXTRA_STAFF:
        org.add_user(name)
    for name in EXTRA_CHILDREN:
        org.add_child(name, access=["sam"])
    server = ServerProcess(url, directory).start()
    yield server, org, db
    server.stop()
    db.dispose()


@pytest.fixture(scope="module")
def page(chromium, client) -> Iterator[Page]:  # noqa: F811
    context = chromium.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    page = context.new_page()
    open_app(page, client.url)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def signed_in(page: Page, world) -> Page:
    """Sam (staff) signs in and chooses a passphrase; the first sync brings the organisation's people."""
    _server, org, _db = world
    sign_in_on_a_new_device(page, org.email("sam"), PASSWORD, PASSPHRASE)
    wait_for_text(page, "Hello, Sam")
    expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)
    return page


def shoot(page: Page, name: str) -> None:
    page.mouse.move(1, 1)
    path = screenshot(page, f"incident-form-{name}", settle_ms=300)
    assert not is_blank_png(path), f"{path} is blank"


def type_until_offered(page: Page, field: str, text: str, name: str) -> None:
    """Type part of a name until its match is offered. Right after the clock's OK the form is drawn again from
    the saved draft; keys typed in that moment reach the browser's field but not the new one behind it, so the
    matches come with the next keys a person types: here, the same text typed once more."""
    fill_textbox(page, re.compile(field), text, exact=False)
    try:
        expect(button(page, name)).to_be_attached(timeout=5_000)
    except AssertionError:
        fill_textbox(page, re.compile(field), text, exact=False)
        expect(button(page, name)).to_be_attached()


def test_pick_people_by_typing_and_the_date_with_the_picker(signed_in: Page, world) -> None:
    page = signed_in
    server, _org, _db = world
    typed = dt.date.today() - dt.timedelta(days=3)
    # the calendar opens on the month of the date typed: pick another day of that month
    day = typed - dt.timedelta(days=1) if typed.day > 1 else typed + dt.timedelta(days=1)
    shown = f"{day.day} {day:%b %Y}"  # the UK way: 27 Nov 2026
    try:
        click_tab(page, "Record")
        wait_for_text(page, "Record & Plan")
        pick_individual(page, "Kim Test")
        click_button(page, "Incident Report")
        wait_for_text(page, re.compile(r"^Page 1 of 2: Incident"))
        now = dt.datetime.now()
        assert re.fullmatch(rf"{now.day} {now:%b %Y}, \d\d:\d\d", when_shows(page) or "")  # now, the UK way
        # The whole first page (13 people on this device) fits on the phone's screen: nobody is listed.
        box = button(page, "Next Page").bounding_box()
        print(f"page 1: Next Page ends {box['y'] + box['height']:.0f} px down a {PHONE[1]} px screen")
        shoot(page, "page-1")

        # Typed the UK way; nonsense gets a plain message.
        fill_textbox(page, re.compile("^When did it happen"), "banana", exact=False)
        wait_for_text(page, "Type the date and time like 1/12/2026 09:15, or use the calendar and clock buttons.")
        shoot(page, "typed-nonsense")
        fill_textbox(
            page, re.compile("^When did it happen"), f"{typed.day}/{typed.month}/{typed.year} 9:15", exact=False
        )
        wait_for_no_text_error(page)
        assert when_shows(page) == f"{typed.day}/{typed.month}/{typed.year} 9:15"

        # The calendar: another day (the time typed is kept) ...
        click_id(page, "occurred-at-date")
        wait_for_text(page, "Cancel", exact=True)
        shoot(page, "date-picker")
        click_button(page, re.compile(rf"^{day.day}, .*{day.year}"))
        click_button(page, "OK")
        assert when_shows(page) == f"{shown}, 09:15"
        # ... then the clock, typing the time in its text mode.
        click_id(page, "occurred-at-time")
        click_button(page, "Switch to text input mode")
        shoot(page, "time-picker")
        hour = page.get_by_role("textbox").nth(-2)
        minute = page.get_by_role("textbox").nth(-1)
        hour.click()
        hour.press("ControlOrMeta+a")
        hour.press_sequentially("14")
        minute.click()
        minute.press("ControlOrMeta+a")
        minute.press_sequentially("05")
        click_button(page, "OK")
        assert when_shows(page) == f"{shown}, 14:05"

        # Staff present and another individual: type part of a name, tap the match; each becomes a chip.
        type_until_offered(page, "^Staff present", "ti", "Tia")
        expect(button(page, "Sam")).to_have_count(0)  # Sam is recording: not offered
        click_button(page, "Tia")
        fill_textbox(page, re.compile("^Staff present"), "pri", exact=False)
        click_button(page, "Priya")
        fill_textbox(page, re.compile("^Staff present"), "tom", exact=False)
        expect(button(page, "Tom")).to_be_attached()  # the matches are the server's answer to the typing
        page.keyboard.press("Enter")  # the first match, from the keyboard
        expect(chip(page, "Tom")).to_be_attached()
        expect(textbox(page, re.compile("^Staff present"), exact=False)).to_have_value("")  # ready for the next
        click_button(page, "Remove Priya")  # the chip's cross
        expect(chip(page, "Priya")).to_have_count(0)
        fill_textbox(page, re.compile("^Other individuals"), "jo", exact=False)
        shoot(page, "typing-a-name")
        click_button(page, "Jo Test")
        fill_textbox(page, "What happened?", "Threw a tray after being pushed in the queue")
        shoot(page, "people-chosen")

        click_button(page, "Next Page")
        wait_for_text(page, re.compile(r"^Page 2 of 2: Post-incident learning"))
        click_button(page, "Submit Report")
        wait_for_text(page, "Threw a tray after being pushed in the queue")
        wait_for_text(page, f"{day:%a} {shown}, 14:05")
        wait_for_text(page, "Tia, Tom")
        wait_for_text(page, "Jo Test")
        shoot(page, "submitted")
    except Exception:
        screenshot(page, "incident-form-failure")
        print(aria_tree(page))
        print(server.log()[-3000:])
        raise


def when_shows(page: Page) -> str | None:
    """The text in "When did it happen?" (a Flutter text field shows its value to the browser once focused)."""
    box = textbox(page, re.compile("^When did it happen"), exact=False)
    box.click()
    page.wait_for_timeout(200)
    return box.input_value()


def wait_for_no_text_error(page: Page) -> None:
    expect(page.get_by_text(re.compile("^Type the date and time like"))).to_have_count(0)
