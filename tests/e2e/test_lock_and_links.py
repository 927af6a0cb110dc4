"""Locking, reloads, email links and signing out, in a real browser against a real server and mail server.

One client (`python main.py --web`, no OS secure store, a 10 s idle lock, a background sync every 2 s) and one
server (`python -m server serve` on SQLite, `BESMART_PUBLIC_URL` = the client, mail to aiosmtpd), in order:

1. Sam starts an incident report and signs out: besmart names the unfinished report and keeps it; he submits it.
2. The email to Tia (key staff) links to the incident. A fresh browser opens it: the lock screen names no
   account on this device; Tia signs in and the incident opens.
3. Tia reloads the page: the unlock screen, and no child's name anywhere on it; unlocking shows the incident again.
4. Sam's page, left alone while the background sync keeps running, locks itself after the idle time; unlocked,
   it locks itself again after the idle time, timed from the unlock.

Screens are saved under tests/artifacts/lock-*.png.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from server.db import Database
from tests.e2e.browser import (
    PHONE,
    AppServer,
    aria_tree,
    click_button,
    click_id,
    click_tab,
    expect_synced,
    fill_textbox,
    free_port,
    open_app,
    screenshot,
    sign_in_on_a_new_device,
    wait_for_text,
)
from tests.e2e.test_client_e2e import (
    PASSPHRASE,
    PASSWORD,
    SYNC_TIMEOUT_MS,
    Inbox,
    pick_individual,
    smtp,  # noqa: F401  (a fixture)
)

# The helpers that start a real server and seed an organisation (tests/support/server.py).
from tests.support.mail import Received, mailing_env, text_of
from tests.support.server import Org, ServerProcess, seed_org, settings_for

#: the tests are one story, in order: a failed one is rerun where the story stands (tests/e2e/conftest.py)
ONE_STORY = True
IDLE_S = 10
CLIENT_PORT = free_port()
CLIENT_URL = f"http://127.0.0.1:{CLIENT_PORT}"
LINK = re.compile(r"http://\S+/open/incident/[A-Za-z0-9_-]+")
#: what the child in the seeded organisation is called: never on a locked screen
CHILD = re.compile("Kim")


@pytest.fixture(scope="module")
def world(smtp: tuple[Inbox, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Org]]:  # noqa: F811
    _inbox, smtp_port = smtp
    directory = tmp_path_factory.mktemp("lock-server")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    org = seed_org(db, settings_for(url))
    env = mailing_env(
        smtp_port,
        BESMART_PUBLIC_URL=CLIENT_URL,  # email links open the web client
    )
    server = ServerProcess(url, directory, env).start()
    yield server, org
    server.stop()
    db.dispose()


@pytest.fixture(scope="module")
def client(world, start_flet_app, tmp_path_factory: pytest.TempPathFactory) -> AppServer:
    server, _org = world
    env = {
        "BESMART_HOME": str(tmp_path_factory.mktemp("lock-client-home")),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "BESMART_KDF_TEST_FAST": "1",
        "BESMART_IDLE_LOCK_S": str(IDLE_S),
        "BESMART_SYNC_INTERVAL_S": "2",  # syncing all the time: it must not keep the device unlocked
    }
    return start_flet_app(
        lambda port: [sys.executable, "main.py", "--web", "--port", str(port), "--server", server.url],
        port=CLIENT_PORT,
        env=env,
    )


def new_page(chromium, url: str) -> Page:
    context = chromium.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    page = context.new_page()
    open_app(page, url)
    return page


@pytest.fixture(scope="module")
def sam(chromium, client: AppServer) -> Iterator[Page]:
    page = new_page(chromium, client.url)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def state() -> dict[str, str]:
    """What one step leaves for the next (the email link)."""
    return {}


def shoot(page: Page, name: str) -> None:
    page.mouse.move(1, 1)
    screenshot(page, f"lock-{name}", settle_ms=300)


def sign_in(page: Page, email: str) -> None:
    sign_in_on_a_new_device(page, email, PASSWORD, PASSPHRASE)


def reload(page: Page) -> None:
    """The browser's reload, then Flutter's accessibility tree switched on again (as open_app does)."""
    page.reload()
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=30_000)
    placeholder.evaluate("el => el.click()")
    page.wait_for_selector("flt-semantics", state="attached", timeout=30_000)


def names_a_child(page: Page) -> bool:
    return bool(CHILD.search(aria_tree(page)))


def links_to(address: str, received: Received) -> list[str]:
    """The links to an incident in the emails sent to `address`."""
    return [link for to, message in received if address in to for link in LINK.findall(text_of(message))]


def debug(page: Page, world) -> None:
    screenshot(page, "lock-failure")
    print(aria_tree(page))
    print(world[0].log()[-3000:])


# --------------------------------------------------------------------------- the story


def test_sign_out_with_a_draft_names_it_and_keeps_it(sam: Page, world, state: dict[str, str]) -> None:
    _server, org = world
    page = sam
    try:
        sign_in(page, org.email("sam"))
        wait_for_text(page, "Hello, Sam")
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)
        click_tab(page, "Record")
        pick_individual(page, "Kim Test")
        click_button(page, "Incident Report")
        wait_for_text(page, re.compile(r"^Page 1 of 2: Incident"))
        fill_textbox(page, "Where did it happen?", "Corridor")
        fill_textbox(page, "What happened?", "Ran out of the lesson")
        click_tab(page, "Dashboard")
        click_id(page, "account-menu")
        page.get_by_role("menuitem", name="Sign out").or_(page.get_by_role("button", name="Sign out")).first.click()
        wait_for_text(page, "Keep your unfinished report?")
        wait_for_text(page, re.compile(r"An unfinished incident report about Kim Test, last saved"))
        shoot(page, "sign-out-draft")
        click_button(page, "Keep it and stay signed in")
        wait_for_text(page, "Hello, Sam")

        # Kept: finish and submit it, online.
        click_tab(page, "Record")
        page.get_by_role("button", name=re.compile("Incident report — Kim Test")).click()
        click_button(page, "Next Page")
        wait_for_text(page, re.compile(r"^Page 2 of 2"))
        click_button(page, "Submit Report")
        expect(page.get_by_text(re.compile(r"^besmart-\d{5}$")).first).to_be_attached(timeout=SYNC_TIMEOUT_MS)
    except Exception:
        debug(page, world)
        raise


def test_an_email_link_opens_the_incident_in_a_fresh_browser(
    chromium,
    client: AppServer,
    world,
    smtp: tuple[Inbox, int],  # noqa: F811
    state: dict[str, str],
) -> None:
    _server, org = world
    inbox, _port = smtp
    received = inbox.wait_until(lambda got: bool(links_to(org.email("tia"), got)), timeout=20)
    links = links_to(org.email("tia"), received)
    assert len(links) == 1, [(to, message["Subject"], text_of(message)) for to, message in received]
    [link] = links
    assert link.startswith(CLIENT_URL + "/open/incident/")
    page = new_page(chromium, link)
    state["tia"] = "open"
    try:
        # This browser is not Sam's: the lock screen does not say whose data is on the device.
        wait_for_text(page, "Unlock besmart")
        wait_for_text(page, "After you unlock, besmart opens the record from your link.")
        assert org.email("sam") not in aria_tree(page) and not names_a_child(page)
        shoot(page, "fresh-browser-unlock")
        click_button(page, "Sign in with another account")
        sign_in(page, org.email("tia"))
        wait_for_text(page, "Ran out of the lesson", timeout_ms=SYNC_TIMEOUT_MS)  # the incident itself
        shoot(page, "link-opened")

        # 3. A reload comes back locked, with no child's name on the screen.
        reload(page)
        wait_for_text(page, "Unlock besmart")
        assert not names_a_child(page)
        shoot(page, "reload-locked")
        fill_textbox(page, "Passphrase", PASSPHRASE)
        if page.get_by_role("textbox", name="Work email address").count():
            fill_textbox(page, "Work email address", org.email("tia"))
        click_button(page, "Unlock")
        wait_for_text(page, "Ran out of the lesson")  # unlocked into the screen the reload left: the incident
    except Exception:
        debug(page, world)
        raise
    finally:
        page.context.close()


def test_an_untouched_page_locks_itself_although_it_keeps_syncing(sam: Page, world) -> None:
    page = sam
    try:
        # Untouched since the first test, the page locks (if it has not already, while the other browser ran);
        # unlocking starts the idle time afresh, and that is what is timed.
        wait_for_text(page, "Unlock besmart", timeout_ms=(IDLE_S + 20) * 1000)
        fill_textbox(page, "Passphrase", PASSPHRASE)
        started = time.monotonic()  # before the tap that starts the idle time: the wait is never undercounted
        click_button(page, "Unlock")
        wait_for_text(page, "Ran out of the lesson")  # the incident he submitted: unlocking returns to it
        wait_for_text(page, "Unlock besmart", timeout_ms=(IDLE_S + 20) * 1000)
        waited = time.monotonic() - started
        assert IDLE_S - 1 <= waited <= IDLE_S + 20, waited
        assert not names_a_child(page)
        shoot(page, "idle-locked")
        print(f"idle lock after {waited:.1f} s untouched (setting {IDLE_S} s)")
    except Exception:
        debug(page, world)
        raise
