"""Amending a submitted incident in a real browser (issue #13): a lead opens an incident, edits what happened
and submits; the app asks why, the amendment is saved with its reason and synced, and the incident's History
(read from the server's op log) shows it with the value it replaced. Screenshots of the reason dialog and the
history.

A seeded organisation on SQLite, served by a real server process; tia records the incident from a device of
her own (so the server numbers it) before the lead signs in on a new device in the Flet web client.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from server.db import Database
from tests.e2e.browser import (
    aria_tree,
    click_button,
    click_tab,
    expect_synced,
    fill_textbox,
    screenshot,
    sign_in_on_a_new_device,
    textbox,
    wait_for_text,
)
from tests.e2e.test_client_e2e import (  # noqa: F401  (client, page: fixtures)
    PASSPHRASE,
    SYNC_TIMEOUT_MS,
    ServerProcess,
    client,
    page,
    settings_for,
)
from tests.support.server import PASSWORD, Device, Org, seed_org

FIRST = "Left the dining hall."
AMENDED = "Left the dining hall and kicked the door."
REASON = "Added what happened next, after the debrief"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Org, Database]]:
    directory = tmp_path_factory.mktemp("e2e-amendment-server")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    org = seed_org(db, settings_for(url))
    server = ServerProcess(url, directory).start()
    yield server, org, db
    server.stop()
    db.dispose()


@pytest.fixture(scope="module")
def recorded(world) -> dict[str, Any]:
    server, org, _db = world
    tia = Device(server.url, org.email("tia"))
    op = tia.incident(org.children["kim"], what_happened=FIRST, location="Dining hall")
    [result] = tia.push([op]).results
    assert result.status == "applied" and result.reference, result
    tia.close()
    return {"record_id": op["record_id"], "reference": result.reference}


def test_a_lead_amends_an_incident_with_a_reason_and_sees_it_in_the_history(page: Page, world, recorded) -> None:
    server, org, _db = world
    try:
        sign_in_on_a_new_device(page, org.email("lena"), PASSWORD, PASSPHRASE)
        wait_for_text(page, re.compile(r"^Hello, "))
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)
        click_tab(page, "Incidents")
        fill_textbox(page, "Search incidents", recorded["reference"], exact=False)
        textbox(page, "Search incidents", exact=False).press("Enter")
        wait_for_text(page, FIRST, timeout_ms=SYNC_TIMEOUT_MS)
        click_button(page, "Edit")
        fill_textbox(page, "What happened?", AMENDED)
        click_button(page, "Next Page")
        click_button(page, "Submit Report")
        wait_for_text(page, "Reason for the amendment", timeout_ms=SYNC_TIMEOUT_MS)
        fill_textbox(page, "Why are you changing it?", REASON)
        screenshot(page, "amendment-reason")
        click_button(page, "Save amendment")
        wait_for_text(page, AMENDED, timeout_ms=SYNC_TIMEOUT_MS)
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)
        click_button(page, "History")
        wait_for_text(page, f"Reason: {REASON}", timeout_ms=SYNC_TIMEOUT_MS)
        wait_for_text(page, f"What happened? was: {FIRST}; now: {AMENDED}")
        screenshot(page, "incident-history")
    except Exception:
        screenshot(page, "e2e-amendment-failure")
        print(aria_tree(page))
        raise
    # the server holds the amendment with its reason, in the lead's name
    lena = Device(server.url, org.email("lena"))
    entries = lena.get(f"/records/{recorded['record_id']}/history").json()["entries"]
    [amendment] = [e for e in entries if e["amendment"]]
    assert (amendment["reason"], amendment["actor_id"]) == (REASON, org.users["lena"])
    lena.close()
