"""Locking, links and signing out, driven in-process through the real `Root` (see tests/screens/test_screens.py).

Idle lock (only a person's input postpones it), a reload while locked, links from emails, inbox items,
sign-out with an unfinished draft, the lock screen's accounts in the web client, one word for the secret.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from typing import Any

import flet as ft
import pytest

from app.config import ClientConfig
from app.notifications import Link, parse_link
from app.session import PendingSignIn, account_dir
from localdb.store import LocalStore
from screens.root import Root
from sync.hlc import Stamp
from sync.merge import apply_op
from sync.ops import Op, validate_op
from sync.protocol import Session
from tests.support.screens import (
    LEAD,
    PASSCODE,
    STAFF,
    add_account,
    open_app,
    root,
    snack,
    start_report,
    store_of,
    unlock,
)
from tests.support.ui_harness import FakeConnection, UiHarness, encode

NAMES = ("Ada", "Lovelace", "Bo Peep")
TOKENS = Session(access_token="a", refresh_token="r", expires_in=3600, device_id="dev-1", user=STAFF)


def shows_a_name(ui: UiHarness) -> bool:
    return any(name in text for text in ui.texts() for name in NAMES)


def reload(ui: UiHarness) -> bytes:
    """The browser reloads: the Flet session loses its connection, then a new one re-attaches to it.
    Returns what Flet sends the browser on reconnecting (the whole page as it is)."""
    ui._call(ui.session.disconnect(60))
    ui.settle()
    conn = FakeConnection(ui)
    conn.loop, conn.executor, conn.pubsubhub = ui.loop, ui._executor, ui.conn.pubsubhub
    ui.conn = conn
    ui._call(ui.session.connect(conn))
    ui.settle()
    return encode(ui.page)


# --------------------------------------------------------------------------- 9: idle lock


@pytest.fixture
def quick(config: ClientConfig) -> ClientConfig:
    return config.model_copy(update={"idle_lock_seconds": 0.6})


def test_background_refreshes_do_not_keep_the_device_unlocked(quick: ClientConfig, device: dict[str, str]):
    """A sync bringing changes re-renders the screen (reading the store): that is not a person."""
    with open_app(quick) as ui:
        unlock(ui)
        shell = root(ui).shell
        assert shell is not None and shows_a_name(ui)

        async def refresh() -> None:
            shell.refresh()

        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and root(ui).shell is not None:
            ui._call(refresh())  # as after a background sync with news
            ui.sleep(0.1)
        assert ui.has_text("Unlock besmart") and not shows_a_name(ui)
        assert store_of(ui).locked


def test_a_persons_typing_keeps_it_unlocked_then_idleness_locks_it(quick: ClientConfig, device: dict[str, str]):
    with open_app(quick) as ui:
        unlock(ui)
        start_report(ui)
        for i in range(6):  # 1.2 s of typing, longer than the idle time
            ui.type("What happened?", "Left the room"[: i + 3])
            ui.sleep(0.2)
        assert not store_of(ui).locked
        assert ui.find(ft.TextField, label="What happened?").value == "Left the"
        ui.sleep(1.0)
        assert ui.has_text("Unlock besmart") and ui.page.navigation_bar is None


def test_the_idle_lock_works_while_the_browser_is_away(quick: ClientConfig, device: dict[str, str]):
    """The watcher used `page.run_task`, which needs a connection: it crashed while the browser was away
    ('NoneType' object has no attribute 'loop') and never locked again."""
    with open_app(quick) as ui:
        unlock(ui)
        ui._call(ui.session.disconnect(60))
        ui.sleep(1.0)
        assert root(ui).shell is None and ui.has_text("Unlock besmart")
        watcher = root(ui)._watcher
        assert watcher is not None and not watcher.done()  # still watching
        conn = FakeConnection(ui)
        conn.loop, conn.executor, conn.pubsubhub = ui.loop, ui._executor, ui.conn.pubsubhub
        ui.conn = conn
        ui._call(ui.session.connect(conn))
        ui.settle()
        unlock(ui)
        assert ui.has_text("Hello, Sam Staff")
        ui.sleep(1.0)  # and locks again after the idle time
        assert ui.has_text("Unlock besmart") and not shows_a_name(ui)


# --------------------------------------------------------------------------- 10: reload while locked


def test_a_reload_shows_the_unlock_screen_and_sends_no_names(config: ClientConfig, device: dict[str, str]):
    with open_app(config) as ui:
        unlock(ui)
        assert shows_a_name(ui)
        sent = reload(ui)
        assert store_of(ui).locked
        assert ui.has_text("Unlock besmart") and not shows_a_name(ui)
        assert not any(name.encode() in sent for name in NAMES)
        unlock(ui)  # and it works as before
        assert ui.has_text("Hello, Sam Staff") and shows_a_name(ui)


def test_a_reconnect_after_the_store_locked_itself_shows_the_unlock_screen(
    config: ClientConfig,
    device: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
):
    async def not_looked_yet(_root: Root) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(Root, "_watch_idle", not_looked_yet)
    with open_app(config.model_copy(update={"idle_lock_seconds": 0.3})) as ui:
        unlock(ui)
        ui.sleep(0.4)  # locked by idleness, the watcher has not looked yet
        conn = FakeConnection(ui)
        conn.loop, conn.executor, conn.pubsubhub = ui.loop, ui._executor, ui.conn.pubsubhub
        ui._call(ui.session.connect(conn))  # a second tab of the same session / a quick reconnect
        ui.settle()
        assert ui.has_text("Unlock besmart") and not shows_a_name(ui)
        assert not any(name.encode() in encode(ui.page) for name in NAMES)


# --------------------------------------------------------------------------- 11: sign-out with a draft


def dialog(ui: UiHarness) -> ft.AlertDialog:
    [found] = [d for d in ui.open_dialogs() if isinstance(d, ft.AlertDialog)]
    return found


def test_sign_out_with_a_draft_names_it_and_keeping_it_changes_nothing(
    ui_with_draft: UiHarness,
    config: ClientConfig,
):
    ui = ui_with_draft
    ui.click("Sign out")
    asked = dialog(ui)
    assert asked.title.value == "Keep your unfinished report?"
    assert ui.has_text(
        "Signing out removes this account's data from this device. This was never sent to the server and would be lost:"
    )
    assert ui.has_text(
        re.compile(r"^• An unfinished incident report about Ada Lovelace, last saved \w{3} \d{1,2} \w{3} \d{4}")
    )
    ui.click("Keep it and stay signed in")
    assert not ui.open_dialogs()
    assert (account_dir(config, STAFF.email) / "besmart.db").exists()
    assert len(store_of(ui).drafts("incident")) == 1 and ui.page.navigation_bar is not None


def test_sign_out_and_delete_the_draft_then_a_calm_notice(ui_with_draft: UiHarness, config: ClientConfig):
    ui = ui_with_draft
    ui.click("Sign out")
    ui.click("Sign out and delete it")
    assert ui.has_text("Sign in to besmart")
    notice = ui.find(ft.Text, text="You have signed out. This account's data was removed from this device.")
    assert notice.color != ft.Colors.ERROR  # news, not an error
    assert not ui.find_all(ft.Text, where=lambda t: t.color == ft.Colors.ERROR and bool(t.value))
    assert not (account_dir(config, STAFF.email) / "besmart.db").exists()


@pytest.fixture
def ui_with_draft(config: ClientConfig, device: dict[str, str]):
    with open_app(config) as h:
        unlock(h)
        start_report(h)
        h.type("What happened?", "Left the room")
        h.navigate_to("Dashboard")
        yield h


# --------------------------------------------------------------------------- 13: email links, inbox


def test_parse_link():
    assert parse_link("/open/incident/abc-123") == Link("incident", "abc-123")
    assert parse_link("/open/communication/c1/?utm=x") == Link("communication", "c1")
    for not_a_link in (None, "", "/", "/open/incident/", "/open//x", "/open/incident/a/b", "/dashboard"):
        assert parse_link(not_a_link) is None


def add_notifications(config: ClientConfig, *notes: dict[str, Any]) -> None:
    """The server told Sam these things; the device pulled them."""
    store = LocalStore(account_dir(config, STAFF.email))
    store.unlock(PASSCODE)
    now = dt.datetime.now(dt.UTC)
    states = []
    for i, fields in enumerate(notes):
        op = validate_op(
            Op(
                op_id=i + 1,
                device_id="server",
                actor_id="server",
                record_id=fields.pop("id"),
                kind="notification",
                action="create",
                fields={"recipient_id": "u-staff", "created_at": (now + dt.timedelta(seconds=i)).isoformat(), **fields},
                hlc=Stamp(int(now.timestamp() * 1000) + i, 0, "server").encode(),
            ),
            from_server=True,
        )
        states.append(apply_op(None, op)[0])
    store.apply_pulled(states, cursor=store.cursor + 1)
    store.close()


def submitted(note_id: str, record_id: str) -> dict[str, Any]:
    return {
        "id": note_id,
        "kind": "incident_submitted",
        "subject": "Incident besmart-10281 was submitted",
        "record_id": record_id,
        "record_kind": "incident",
    }


def test_an_email_link_opens_its_incident_after_unlock(config: ClientConfig, device: dict[str, str]):
    with open_app(config, route=f"/open/incident/{device['besmart-10281']}") as ui:
        assert ui.has_text("Unlock besmart") and not shows_a_name(ui)
        unlock(ui, "000000")  # a wrong try keeps the link
        unlock(ui)
        assert ui.has_text("Something in the hall")
        assert ui.page.navigation_bar.selected_index == 3  # Incidents


def test_an_email_link_in_an_open_tab_opens_its_incident(ui: UiHarness, device: dict[str, str]):
    ui.go(f"/open/incident/{device['besmart-10270']}")
    assert ui.has_text("Something in the playground")


def test_a_link_to_a_record_not_on_this_device_says_so(config: ClientConfig, device: dict[str, str]):
    with open_app(config, route="/open/incident/no-such-incident") as ui:
        unlock(ui)
        assert ui.has_text("Hello, Sam Staff")  # the dashboard, and why the link did not open
        assert snack(ui).content.value == (
            "That record is not on this device yet. It appears after the next sync, if you may see it."
        )


def test_a_repeated_notification_is_one_inbox_item_that_opens_its_incident(
    config: ClientConfig,
    device: dict[str, str],
):
    incident = device["besmart-10281"]
    add_notifications(config, submitted("n1", incident), submitted("n2", incident))
    with open_app(config) as ui:
        unlock(ui)
        assert ui.has_text("Notifications (1 unread)")
        ui.navigate_to("Inbox")
        [tile] = ui.find_all(ft.ListTile, where=lambda t: t.title.value == "Incident besmart-10281 was submitted")
        ui.click(tile)
        assert ui.has_text("Something in the hall")
        assert store_of(ui).get("n1").values["read"] is True and store_of(ui).get("n2").values["read"] is True
        ui.navigate_to("Dashboard")
        assert ui.has_text("Notifications (0 unread)")


def test_a_communication_notification_opens_the_communications(config: ClientConfig, device: dict[str, str]):
    store = LocalStore(account_dir(config, STAFF.email))
    store.unlock(PASSCODE)
    [communication] = store.records("communication")
    store.close()
    add_notifications(
        config,
        {
            "id": "n3",
            "kind": "communication",
            "subject": "A new behaviour communication for someone you are key staff for",
            "record_id": communication.id,
            "record_kind": "communication",
        },
    )
    with open_app(config) as ui:
        unlock(ui)
        ui.navigate_to("Inbox")
        ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value.startswith("A new behaviour communication")))
        assert ui.has_text("Ada helped a classmate")


# --------------------------------------------------------------------------- 16: whose lock screen (web)

EMAILS = (b"sam@example.org", b"lee@example.org")


@pytest.fixture
def two_accounts(config: ClientConfig, device: dict[str, str]) -> ClientConfig:
    add_account(config, LEAD).close()  # Lee signed in on this device after Sam
    return config


def test_a_new_browser_names_no_account_until_asked(two_accounts: ClientConfig):
    with open_app(two_accounts) as ui:
        assert ui.has_text("Unlock besmart")
        assert not any(e.decode() in t for t in ui.texts() for e in EMAILS)
        assert not any(e in encode(ui.page) for e in EMAILS)  # not even hidden in what the browser got
        ui.click("Choose an account on this device")
        ui.select("Account", "sam@example.org")
        ui.type("Passcode", PASSCODE)
        ui.click("Unlock")
        assert ui.has_text("Hello, Sam Staff")


def test_typing_the_email_unlocks_that_account(two_accounts: ClientConfig):
    with open_app(two_accounts) as ui:
        ui.type("Work email address", "  Sam@Example.ORG ")  # as people type it
        ui.type("Passcode", PASSCODE)
        ui.click("Unlock")
        assert ui.has_text("Hello, Sam Staff")
        assert root(ui).session.known_accounts() == ["sam@example.org", "lee@example.org"]  # no duplicate


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("", "Type your work email address, or choose your account on this device."),
        ("zed@example.org", "This account has no data on this device: sign in with your password first."),
    ],
)
def test_an_unknown_or_missing_email_unlocks_nothing(two_accounts: ClientConfig, email: str, error: str):
    with open_app(two_accounts) as ui:
        ui.type("Work email address", email)
        ui.type("Passcode", PASSCODE)
        ui.click("Unlock")
        assert ui.has_text(error) and ui.has_text("Unlock besmart")
        assert root(ui).session.store is None and root(ui).shell is None
        assert root(ui).session.known_accounts() == ["lee@example.org", "sam@example.org"]


def test_after_a_lock_the_browser_shows_its_own_account(two_accounts: ClientConfig):
    with open_app(two_accounts) as ui:
        unlock(ui, email=LEAD.email)
        ui.click("Lock")
        assert ui.has_text("lee@example.org") and not ui.has_text("sam@example.org")
        assert not ui.find_all(ft.TextField, label="Work email address")
        ui.type("Passcode", PASSCODE)
        ui.click("Unlock")
        assert ui.has_text("Hello, Lee Lead")


def test_desktop_still_lists_the_accounts(two_accounts: ClientConfig):
    with open_app(two_accounts, web=False) as ui:
        assert ui.find(ft.Semantics, label="account").content.value == "lee@example.org"
        assert not ui.find_all(ft.TextField, label="Work email address")


# --------------------------------------------------------------------------- 23: one word for the secret


def test_passphrase_everywhere_when_the_rule_demands_one(config: ClientConfig, no_secure_keyring: None):
    """No secure key store: the rule is a passphrase, so no screen or message says "passcode"."""
    phrase = "purple otter lantern"
    with open_app(config) as ui:
        assert not any("passcode" in t.lower() for t in ui.texts())  # the sign-in screen
        session = root(ui).session
        session.pending = PendingSignIn(STAFF.email, TOKENS)

        async def to_passphrase() -> None:
            root(ui).show_passcode()

        ui._run(to_passphrase())
        assert ui.has_text("Choose a passphrase")
        assert ui.has_text(re.compile(r"The passphrase unlocks them.*at least 12 characters that is not only digits"))
        ui.type("Choose a passphrase for this device", phrase)
        ui.type("Type the passphrase again", phrase + "!")
        ui.click("Save passphrase")
        assert ui.has_text("The two passphrases are different.")
        ui.type("Type the passphrase again", "246810")
        ui.type("Choose a passphrase for this device", "246810")
        ui.click("Save passphrase")
        assert ui.has_text(
            re.compile(r"^This device has no secure key store, so a PIN is not enough: choose a passphrase")
        )
        assert not any("passcode" in t.lower() for t in ui.texts())
        ui.type("Choose a passphrase for this device", phrase)
        ui.type("Type the passphrase again", phrase)
        ui.click("Save passphrase")
        assert ui.has_text("Hello, Sam Staff")
        ui.click("Lock")
        ui.type("Passphrase", "wrong wrong wrong")
        ui.click("Unlock")
        assert ui.has_text("Wrong passphrase.")
        assert not any("passcode" in t.lower() for t in ui.texts())
        ui.type("Passphrase", phrase)
        ui.click("Unlock")
        assert ui.has_text("Hello, Sam Staff")


def test_passcode_where_the_rule_allows_one(config: ClientConfig, device: dict[str, str]):
    with open_app(config) as ui:
        unlock(ui, "000000")
        assert ui.has_text("Wrong passcode.") and ui.find(ft.TextField, label="Passcode")
        assert not any("passphrase" in t.lower() for t in ui.texts())


def test_a_refused_sign_out_keeps_the_background_sync_running(config: ClientConfig, device: dict[str, str]):
    """Changes not yet sent: signing out is refused, and the sync that would send them keeps running."""
    config = config.model_copy(update={"sync_interval_seconds": 3600})

    async def main(page: ft.Page) -> None:
        await Root(page, config).start()

    with UiHarness(main, background=("Root._watch_idle", "SyncService._loop", "Event.wait")) as ui:
        unlock(ui)
        start_report(ui)
        ui.type("What happened?", "Shouted")
        ui.click("Next Page")
        ui.click("Submit Report")
        ui.click("Sign out")
        assert snack(ui).content.value.startswith("1 change(s) have not reached the server yet.")
        sync = root(ui).session.sync
        assert sync is not None and sync._loop_task is not None and not sync._loop_task.done()


def test_a_dialog_whose_action_finds_the_store_locked_goes_to_the_unlock_screen(ui: UiHarness):
    """`Shell.ask`: the store locked itself while a dialog was open (idle): its action goes to the unlock screen,
    and the dialog, with the record's words in it, does not stay over it."""
    ui.navigate_to("Incidents")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10281"))
    ui.click("Flag")
    ui.type("Why does it need attention?", "Ada Lovelace again")
    store_of(ui).lock()
    ui.click(ui.find(ft.TextButton, text="Flag"))
    assert ui.has_text("Unlock besmart") and not shows_a_name(ui)
    assert not [d for d in ui.open_dialogs() if isinstance(d, ft.AlertDialog)]
