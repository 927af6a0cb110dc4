"""Drafting a letter in a real browser (issue #12, Letters): a lead opens an incident, presses "Draft a letter",
sees the guide's warning and the draft to parents, adds a line, presses Download PDF and the browser saves a PDF
(Playwright's download event) holding the edited text, the warning and OFFICIAL-SENSITIVE; the download reaches
the server's audit log as the lead's when the device next syncs.

The world is the one of `test_incident_download.py`: a seeded organisation on SQLite behind a real server
process; tia records the incident from her own device (so the server numbers it) before the lead signs in.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page
from pypdf import PdfReader

from server.services.audit import list_audit
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
from tests.e2e.test_incident_download import WHAT_HAPPENED, recorded, world  # noqa: F401  (fixtures)
from tests.support.server import PASSWORD

ADDED = "We would like to meet you on Friday."


def test_a_lead_drafts_the_parents_letter_and_downloads_it(page: Page, world, recorded) -> None:
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
        fill_textbox(page, re.compile(r"^The letter"), "\n" + ADDED, clear=False, exact=False)
        with page.expect_download(timeout=SYNC_TIMEOUT_MS) as event:
            click_button(page, "Download PDF")
        download = event.value
        assert download.suggested_filename.endswith(".pdf") and "Kim" not in download.suggested_filename
        data = Path(download.path()).read_bytes()
        screenshot(page, "e2e-letter-drafted")
    except Exception:
        screenshot(page, "e2e-letter-failure")
        print(aria_tree(page))
        raise
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    text = "\n".join(texts)
    assert reference in text and "Kim" in text and WHAT_HAPPENED in text
    # What was typed is in the PDF: its words (the PDF's lines may break the sentence).
    assert ADDED in text or all(word in text for word in ADDED.split())
    assert "information only" in text
    assert all("OFFICIAL-SENSITIVE" in t for t in texts)
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not rows:
        with db.read_session() as session:
            rows = [
                r
                for r in list_audit(session, org.id, record_id=recorded["record_id"])
                if r["action"] == "download" and r["record_kind"] == "letter_incident"
            ]
        if not rows:
            time.sleep(1)
    [row] = rows
    assert (row["actor_id"], row["profile_id"]) == (org.users["lena"], org.children["kim"])
