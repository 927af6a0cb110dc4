"""The whole client in a real browser against a real server: sign in, record offline, sync, get the email.

One story, in headless Chromium (Flet web client) against `python -m server serve` on SQLite and a real SMTP
server (aiosmtpd) on loopback:

    sign in (email + password, then a device passphrase: the client runs with keyring's fail backend, the
    no-secure-store policy, so it must be 12+ characters) → Record → the individual → Behaviour Clicker: three
    taps, "Today: 3" → the server STOPS → Record → Incident Report, both pages, Submit → "Waiting for sync"
    → the server RESTARTS (same database, same port) → Sync now → the incident's besmart-NNNNN reference
    shows, and the key staff's notification email arrives (once).

Then a tour of the other main screens. Every main screen is saved at phone (360x640) and desktop (1280x800)
size under tests/artifacts/e2e-*.png. One server, one client app and one browser page for the whole module.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Locator, Page, expect

from server.db import Database
from tests.e2e.browser import (
    DESKTOP,
    PHONE,
    AppServer,
    aria_tree,
    by_id,
    click_button,
    click_id,
    click_tab,
    expect_synced,
    fill_textbox,
    free_port,
    is_blank_png,
    navigate,
    open_app,
    screenshot,
    set_size,
    wait_for_text,
)
from tests.support.mail import Inbox, mailing_env, text_of

# The helpers that start a real server and seed an organisation (tests/support/server.py).
from tests.support.server import PASSWORD, TEST_ENV, Org, ServerProcess, seed_org, settings_for

for _name, _value in TEST_ENV.items():
    os.environ.setdefault(_name, _value)  # cheap argon2 for the accounts seed_org creates in this process

#: no secure key store on this "device": the passcode must be a passphrase of 12+ characters
PASSPHRASE = "purple otter lantern"
REFERENCE = re.compile(r"^besmart-\d{5}$")
SYNC_TIMEOUT_MS = 20_000


# --------------------------------------------------------------------------- mail server


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


# --------------------------------------------------------------------------- server, org, client


@pytest.fixture(scope="module")
def world(
    smtp: tuple[Inbox, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, Org, Database]]:
    """A seeded organisation in a SQLite database, and a real server process on it sending mail to `smtp`."""
    _inbox, smtp_port = smtp
    directory = tmp_path_factory.mktemp("e2e-server")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    org = seed_org(db, settings_for(url))
    env = mailing_env(
        smtp_port,
        BESMART_EMAIL_BACKOFF_SECONDS="0.3",
        BESMART_EMAIL_BACKOFF_MAX_SECONDS="1",
    )
    server = ServerProcess(url, directory, env).start()
    yield server, org, db
    server.stop()
    db.dispose()


@pytest.fixture(scope="module")
def client(world, start_flet_app, tmp_path_factory: pytest.TempPathFactory) -> AppServer:
    """`python main.py --web` with its own BESMART_HOME and no OS secure store."""
    server, _org, _db = world
    env = {
        "BESMART_HOME": str(tmp_path_factory.mktemp("e2e-client-home")),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "BESMART_KDF_TEST_FAST": "1",  # cheap scrypt; the passphrase policy is unchanged
    }
    return start_flet_app(
        lambda port: [sys.executable, "main.py", "--web", "--port", str(port), "--server", server.url], env=env
    )


@pytest.fixture(scope="module")
def page(chromium, client: AppServer) -> Iterator[Page]:
    """One browser page for the module, at phone size, on the client's first screen."""
    context = chromium.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    page = context.new_page()
    open_app(page, client.url)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def signed_in(page: Page, world) -> Page:
    """Sam (staff; has access to Kim) signs in on the device and chooses a passphrase."""
    _server, org, _db = world
    wait_for_text(page, "Sign in to besmart")
    shoot(page, "sign-in")
    fill_textbox(page, "Work email address", org.email("sam"))
    fill_textbox(page, "besmart password", PASSWORD)
    click_button(page, "Next")
    wait_for_text(page, "Choose a passphrase")
    shoot(page, "passcode")
    fill_textbox(page, "Choose a passphrase for this device", PASSPHRASE)
    fill_textbox(page, "Type the passphrase again", PASSPHRASE)
    click_button(page, "Save passphrase")
    wait_for_text(page, "Hello, Sam")
    # The first sync (started on unlock) brings the organisation's individuals and behaviours.
    expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)
    shoot(page, "dashboard")
    return page


# --------------------------------------------------------------------------- helpers


def shoot(page: Page, name: str) -> None:
    """Save the screen at phone and at desktop size (tests/artifacts/e2e-NAME-WxH.png), back to phone."""
    page.mouse.move(1, 1)  # no hover tooltip (e.g. of the tab just clicked) in the picture
    for size in (PHONE, DESKTOP):
        path = screenshot(page, f"e2e-{name}", size, settle_ms=300)
        assert not is_blank_png(path), f"{path} is blank"
    set_size(page, PHONE)
    page.wait_for_timeout(300)


def pick_individual(page: Page, name: str) -> None:
    """The Record screen's individual picker (an editable, filtering dropdown): open it, choose `name`."""
    click_id(page, "individual")
    click_button(page, name)


def tile(page: Page, title: str) -> Locator:
    """A ListTile: one button named by its texts together (avatar letter, title, subtitle)."""
    return page.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(title)}(\s|$)"))


def reference_shown(page: Page) -> str:
    loc = page.get_by_text(REFERENCE).first
    expect(loc).to_be_attached(timeout=SYNC_TIMEOUT_MS)
    return loc.inner_text().strip()


# --------------------------------------------------------------------------- the story


def test_record_offline_then_sync_and_notify(signed_in: Page, world, smtp) -> None:
    page = signed_in
    server, org, _db = world
    inbox, _port = smtp
    try:
        # Record → the individual → Behaviour Clicker: three taps.
        click_tab(page, "Record")
        wait_for_text(page, "Record & Plan")
        shoot(page, "record")
        pick_individual(page, "Kim Test")
        click_button(page, "Behaviour Clicker")
        wait_for_text(page, "Behaviour Clicker — Kim Test")
        tap = by_id(page, "clicker-Kind words")
        for n in range(1, 4):
            tap.click()
            expect(tap).to_contain_text(f"Today: {n}")  # wait for each tap to land: none is swallowed
        wait_for_text(page, "Today: 3")
        shoot(page, "clicker")

        # The server goes away; the incident is recorded offline.
        server.stop()
        click_tab(page, "Record")
        wait_for_text(page, "Record & Plan")
        pick_individual(page, "Kim Test")
        click_button(page, "Incident Report")
        wait_for_text(page, re.compile(r"^Page 1 of 2: Incident"))
        fill_textbox(page, "Where did it happen?", "Dining hall")
        fill_textbox(page, "What happened?", "Threw a tray after being pushed in the queue")
        shoot(page, "incident-form-1")
        click_button(page, "Next Page")
        wait_for_text(page, re.compile(r"^Page 2 of 2: Post-incident learning"))
        fill_textbox(page, "What happened from the individual's perspective", "Someone pushed in front of her")
        fill_textbox(page, "How did this make them feel?", "Angry and embarrassed")
        fill_textbox(page, "What could they do the next time they feel that way?", "Tell the duty teacher")
        fill_textbox(page, "Likely triggers for the incident", "Noise, queues")
        fill_textbox(page, "What reasonable adjustments could be made to support the individual?", "Early lunch")
        shoot(page, "incident-form-2")
        click_button(page, "Submit Report")
        wait_for_text(page, "Waiting for sync", exact=True)
        wait_for_text(page, "Threw a tray after being pushed in the queue")
        expect(by_id(page, "sync-status")).to_contain_text("waiting to sync")
        shoot(page, "incident-queued")

        # The server is back (same database, same port): Sync now.
        server.start()
        click_id(page, "sync-now")
        reference = reference_shown(page)
        expect(by_id(page, "sync-status")).to_have_text(re.compile(r"^Up to date"), timeout=SYNC_TIMEOUT_MS)
        shoot(page, "incident-detail")

        # The key staff (Tia) is told by email, once; so is the lead; never Sam, who recorded it.
        received = inbox.wait_for(org.email("tia"))
        about = [(to, m) for to, m in received if reference in (m["Subject"] or "")]
        recipients = sorted(address for to, _m in about for address in to)
        assert recipients == sorted([org.email("tia"), org.email("lena")]), received
        assert all(len(to) == 1 for to, _m in about)
        assert org.email("sam") not in {address for to, _m in received for address in to}
        for _to, message in about:  # nothing about the child in an email
            text = f"{message['Subject']}\n{text_of(message)}"
            assert "Kim" not in text and "tray" not in text

        click_tab(page, "Incidents")
        expect(tile(page, reference)).to_be_attached()
        shoot(page, "incidents")
    except Exception:
        screenshot(page, "e2e-failure")
        print(aria_tree(page))
        print(server.log()[-4000:])
        raise


def test_tour_of_the_other_screens(signed_in: Page) -> None:
    page = signed_in
    try:
        click_tab(page, "Directory")
        expect(tile(page, "Kim Test")).to_be_attached()
        shoot(page, "directory")
        tile(page, "Kim Test").click()
        click_tab(page, "Overview")
        shoot(page, "profile")

        click_tab(page, "Record")
        pick_individual(page, "Kim Test")
        click_button(page, "Behaviour Communications")
        wait_for_text(page, "Behaviour Communications — Kim Test")
        shoot(page, "communications")

        navigate(page, "Inbox")  # under the phone bar's "More"
        wait_for_text(page, "Notifications", exact=True)
        shoot(page, "inbox")

        click_id(page, "help")
        wait_for_text(page, "Help files", exact=True)
        shoot(page, "help")

        click_id(page, "lock")
        wait_for_text(page, "Unlock besmart")
        shoot(page, "unlock")
        fill_textbox(page, "Passphrase", PASSPHRASE)
        click_button(page, "Unlock")
        wait_for_text(page, "Help files", exact=True)  # back to the screen that was shown when it locked
    except Exception:
        screenshot(page, "e2e-failure")
        print(aria_tree(page))
        raise
