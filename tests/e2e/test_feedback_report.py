""" "Report a problem with this output" in a real browser (issue #12, Feedback): a lead drafts the parents' letter for
an incident, reports a problem with the draft in the dialog, finds the report in the Help Centre and resolves it
with a note; the report and its resolution reach the server when the device syncs. Then, as the guide goes on,
the lead asks Sophie a question in the Help Centre and opens a support ticket, which reaches the server too.

The world is the one of `test_incident_download.py`: a seeded organisation on SQLite behind a real server
process; tia records the incident from her own device (so the server numbers it) before the lead signs in.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from server.services.organisations import live_states
from tests.e2e.browser import (
    STEP_TIMEOUT_MS,
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
from tests.e2e.test_incident_download import WHAT_HAPPENED, recorded, world  # noqa: F401  (fixtures)
from tests.support.server import PASSWORD

NOTE = "The letter does not say who was there."
RESOLUTION = "Added the staff present to the template."
TICKET = "Staff present in letters"


def in_card(page: Page, text: str) -> None:
    """Wait for `text` on the screen: a card's texts are one group, named by all of them, in the web client."""
    found = page.get_by_text(text).or_(page.get_by_role("group", name=re.compile(re.escape(text))))
    expect(found.first).to_be_attached(timeout=STEP_TIMEOUT_MS)


def test_a_lead_reports_a_letter_draft_and_resolves_the_report(page: Page, world, recorded) -> None:
    _server, org, db = world
    reference = recorded["reference"]
    try:
        sign_in_on_a_new_device(page, org.email("lena"), PASSWORD, PASSPHRASE)
        wait_for_text(page, re.compile(r"^Hello, "))
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)
        click_tab(page, "Incidents")
        fill_textbox(page, "Search incidents", reference, exact=False)
        textbox(page, "Search incidents", exact=False).press("Enter")
        wait_for_text(page, WHAT_HAPPENED)
        click_button(page, "Draft a letter")
        wait_for_text(page, re.compile(r"^This draft is information only"))
        click_button(page, "Report a problem with this output")
        fill_textbox(page, "What looks wrong or worries you?", NOTE)
        screenshot(page, "e2e-feedback-dialog")
        click_button(page, "Send report")
        wait_for_text(page, re.compile(r"^Thank you\. Your report is saved"))
        click_button(page, "Help Centre")
        in_card(page, "1 open report.")
        click_button(page, "See the reports")
        in_card(page, NOTE)
        fill_textbox(page, "What was done about it", RESOLUTION)
        click_button(page, "Resolve")
        wait_for_text(page, "Report resolved.", exact=True)
        in_card(page, RESOLUTION)
        screenshot(page, "e2e-feedback-resolved")
        click_button(page, "Back to the Help Centre")
        click_button(page, "Talk to Sophie")
        fill_textbox(page, "Ask Sophie", "How do I undo a clicker tap?")
        click_button(page, "Ask")
        in_card(page, "From the help file “Behaviour Clicker”")
        click_button(page, "Back to the Help Centre")
        click_button(page, "Open a support ticket")
        fill_textbox(page, "Subject", TICKET)
        fill_textbox(page, "What do you need help with?", "Can the letter template list the staff present?")
        click_button(page, "Send the ticket")
        in_card(page, f"Support ticket: {TICKET}")
        screenshot(page, "e2e-support-ticket")
    except Exception:
        screenshot(page, "e2e-feedback-failure")
        print(aria_tree(page))
        raise
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not found:
        with db.read_session() as session:
            found = [
                values
                for _org, state in live_states(session, "output_feedback", org.id)
                if (values := state.values()).get("status") == "resolved"
            ]
        if not found:
            time.sleep(1)
    [report] = found
    assert report["note"] == NOTE and report["resolution"] == RESOLUTION and report["tool"] == "letter"
    assert report["author_id"] == report["resolved_by"] == org.users["lena"]
    assert report["record_id"] == recorded["record_id"] and report["profile_id"] == org.children["kim"]
    assert reference in report["output"]
    tickets: list[dict[str, Any]] = []
    while time.monotonic() < deadline + 30 and not tickets:
        with db.read_session() as session:
            tickets = [state.values() for _org, state in live_states(session, "support_request", org.id)]
        if not tickets:
            time.sleep(1)
    [ticket] = tickets
    assert ticket["subject"] == TICKET and ticket["request"] == "ticket" and ticket["author_id"] == org.users["lena"]
