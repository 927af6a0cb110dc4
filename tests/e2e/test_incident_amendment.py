"""Amending a submitted incident in a real browser (issue #13): a lead opens an incident, edits what happened
and submits; the app asks why, the amendment is saved with its reason and synced, and the incident's History
(read from the server's op log) shows it with the value it replaced. Screenshots of the reason dialog and the
history.

The organisation, server and incident are test_incident_download's (tia records the incident from a device of
her own, so the server numbers it, before the lead signs in on a new device in the Flet web client).
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import re

from playwright.sync_api import Page

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
    client,
    page,
)
from tests.e2e.test_incident_download import (  # noqa: F401  (world, recorded: fixtures)
    WHAT_HAPPENED,
    recorded,
    world,
)
from tests.support.server import PASSWORD, Device

FIRST = WHAT_HAPPENED
AMENDED = f"{WHAT_HAPPENED} Then sat on the bench outside until the duty teacher came."
REASON = "Added what happened next, after the debrief"


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
        click_button(page, "Save changes")
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
