"""The Smart Plan Builder in a real browser (issue #10): a lead submits an incident with its learning, takes
"What next?" → Smart Plan, accepts two suggestions drawn from it (a trigger, a reasonable adjustment), publishes
the plan and downloads its PDF (Playwright's download event); its text, read with pypdf, holds the individual's
name, the accepted words and OFFICIAL-SENSITIVE on every page. The incident PDF's own download is
tests/e2e/test_incident_download.py.

Headless Chromium (Flet web client) against `python -m server serve` on SQLite, seeded with `seed_org`. The
builder is saved at phone and desktop size: tests/artifacts/e2e-plan-builder-*.png.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from tests.e2e.browser import (
    aria_tree,
    by_id,
    click_button,
    click_tab,
    expect_synced,
    fill_textbox,
    screenshot,
    sign_in_on_a_new_device,
    wait_for_text,
)
from tests.e2e.test_client_e2e import (  # noqa: F401  (client, page: fixtures)
    PASSPHRASE,
    SYNC_TIMEOUT_MS,
    client,
    page,
    pick_individual,
    shoot,
)
from tests.e2e.test_incident_download import world  # noqa: F401  (a seeded organisation on SQLite, its server)
from tests.support.server import PASSWORD

TRIGGER = "Loud corridors at changeover"
ADJUSTMENT = "A quiet start to lessons"


def step(page: Page, title: str) -> None:
    """Next, until the builder shows the step `title`."""
    click_button(page, "Next")
    wait_for_text(page, re.compile(rf"step \d+ of \d+: {re.escape(title)}"))


def group(page: Page, text: str) -> Locator:
    """A card: one group in the accessibility tree, named by its texts."""
    return page.get_by_role("group", name=re.compile(re.escape(text)))


def accept(page: Page, text: str, item: str) -> None:
    """Accept the suggestion `text`: it is added to `item`. (A card is one group, named by its texts.)"""
    card = group(page, text)
    expect(card).to_be_attached()
    card.get_by_role("button", name="Accept", exact=True).click()
    wait_for_text(page, f"Added to “{item}”")
    expect(card).to_have_count(0)  # taken up: no longer offered


def test_submit_an_incident_then_build_publish_and_download_the_plan(page: Page, world) -> None:
    server, org, _db = world
    try:
        sign_in_on_a_new_device(page, org.email("lena"), PASSWORD, PASSPHRASE)
        wait_for_text(page, re.compile(r"^Hello, "))
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)

        click_tab(page, "Record")
        wait_for_text(page, "Record & Plan")
        pick_individual(page, "Kim Test")
        click_button(page, "Incident Report")
        wait_for_text(page, re.compile(r"^Page 1 of 2: Incident"))
        fill_textbox(page, "What happened?", "Pushed a chair over in the corridor")
        click_button(page, "Next Page")
        wait_for_text(page, re.compile(r"^Page 2 of 2: Post-incident learning"))
        fill_textbox(page, "Likely triggers for the incident", TRIGGER)
        fill_textbox(page, "What reasonable adjustments could be made to support the individual?", ADJUSTMENT)
        click_button(page, "Submit Report")
        expect(by_id(page, "what-next")).to_be_attached(timeout=SYNC_TIMEOUT_MS)
        shoot(page, "plan-builder-what-next")

        click_button(page, "Smart Plan")
        wait_for_text(page, "Smart Plan Builder — Kim Test")
        shoot(page, "plan-builder-details")
        step(page, "Reflection")
        wait_for_text(page, f"What triggers are evident? Most frequent triggers: {TRIGGER} (1)")
        shoot(page, "plan-builder-reflection")
        step(page, "About me")
        step(page, "Understanding my behaviour")
        expect(group(page, TRIGGER)).to_be_attached()
        shoot(page, "plan-builder-suggestion")
        accept(page, TRIGGER, "Triggers")
        step(page, "Proactive (green)")
        accept(page, ADJUSTMENT, "Reasonable adjustments")
        shoot(page, "plan-builder-accepted")
        for title in ("When anxiety rises (amber)", "Crisis (red)", "After an incident", "Targets"):
            step(page, title)
        step(page, "Contributors and agreement")
        shoot(page, "plan-builder-agreement")
        step(page, "Publish")
        click_button(page, "Publish")
        wait_for_text(page, "Version 1 is published: it is the active Smart Plan.")
        shoot(page, "plan-builder-published")

        with page.expect_download(timeout=SYNC_TIMEOUT_MS) as event:
            click_button(page, "Download PDF")
        data = Path(event.value.path()).read_bytes()
    except Exception:
        screenshot(page, "plan-builder-failure")
        print(aria_tree(page))
        print(server.log()[-3000:])
        raise
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    whole = "\n".join(texts)
    assert "Kim Test" in texts[0]
    assert TRIGGER in whole and ADJUSTMENT in whole
    assert all("OFFICIAL-SENSITIVE" in t for t in texts)
