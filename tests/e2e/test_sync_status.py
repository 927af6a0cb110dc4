"""The sync status line in a real browser against a real server: one sentence from one state.

Headless Chromium (Flet web client) against `python -m server serve` on SQLite: signed in and up to date →
two taps are "waiting to sync", then pushed a few seconds later without "Sync now" → the server STOPS and the
status says "Offline since HH:MM" without any sync being tried → a tap and its undo cancel out, a second tap
waits → the server RESTARTS and the status returns to "Up to date" by itself; the server has exactly the
taps that were not undone. Screenshots at phone and desktop size: tests/artifacts/e2e-sync-status-*.png.
"""

# ruff: noqa: F811  (module fixtures imported from test_client_e2e.py are test arguments here)

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.models import Record
from tests.e2e.browser import by_id, click_button, click_tab, wait_for_text
from tests.e2e.test_client_e2e import (  # noqa: F401  (client, page, signed_in, smtp and world are fixtures)
    client,
    page,
    pick_individual,
    shoot,
    signed_in,
    smtp,
    world,
)

UP_TO_DATE = re.compile(r"^Up to date \(synced just now\)$")
OFFLINE = r"Offline since \d\d:\d\d"
#: the reachability probe runs every 15 s, the debounced push 3 s after the last change
NOTICED_MS = 30_000


def clicker_events_on_server(db, profile_id: str) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        rows = s.exec(select(Record.id).where(Record.kind == "clicker_event", Record.profile_id == profile_id)).all()
    return len(rows)


def test_the_status_says_one_thing_online_waiting_offline_and_back(signed_in: Page, world) -> None:
    page = signed_in
    server, org, db = world
    status = by_id(page, "sync-status")
    expect(status).to_have_text(UP_TO_DATE, timeout=NOTICED_MS)
    shoot(page, "sync-status-up-to-date")

    click_tab(page, "Record")
    wait_for_text(page, "Record & Plan")
    pick_individual(page, "Kim Test")
    click_button(page, "Behaviour Clicker")
    wait_for_text(page, "Behaviour Clicker — Kim Test")
    tap = by_id(page, "clicker-Kind words")
    tap.click()
    expect(tap).to_contain_text("Today: 1")
    expect(status).to_have_text("1 change waiting to sync")
    shoot(page, "sync-status-waiting")
    # Nobody presses "Sync now": the change goes a few seconds later.
    expect(status).to_have_text(UP_TO_DATE, timeout=NOTICED_MS)
    assert clicker_events_on_server(db, org.children["kim"]) == 1

    # The server goes away: noticed by the reachability check, no sync needed.
    server.stop()
    try:
        expect(status).to_have_text(re.compile(f"^{OFFLINE}$"), timeout=NOTICED_MS)
        wait_for_text(page, re.compile("^You are offline"))
        shoot(page, "sync-status-offline")
        # A tap and its undo cancel out; a second tap waits.
        tap.click()
        expect(status).to_have_text(re.compile(f"^{OFFLINE}, 1 change waiting to sync$"))
        click_button(page, "Undo")
        expect(status).to_have_text(re.compile(f"^{OFFLINE}$"))
        tap.click()
        expect(tap).to_contain_text("Today: 2")
        expect(status).to_have_text(re.compile(f"^{OFFLINE}, 1 change waiting to sync$"))
        shoot(page, "sync-status-offline-waiting")
    finally:
        server.start()

    # Back: noticed and sent without "Sync now".
    expect(status).to_have_text(UP_TO_DATE, timeout=NOTICED_MS)
    expect(page.get_by_text(re.compile("^You are offline"))).to_have_count(0)
    shoot(page, "sync-status-back")
    assert clicker_events_on_server(db, org.children["kim"]) == 2
