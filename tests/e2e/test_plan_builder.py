"""The Smart Plan Builder in a real browser (issue #10): a lead submits an incident with its learning, takes
"What next?" → Smart Plan, accepts two suggestions drawn from it (a trigger, a reasonable adjustment), publishes
the plan and downloads its PDF (Playwright's download event); its text, read with pypdf, holds the individual's
name, the accepted words and OFFICIAL-SENSITIVE on every page. The incident PDF's own download is
tests/e2e/test_incident_download.py.

Headless Chromium (Flet web client) against `python -m server serve` on SQLite, seeded with `seed_org`. The
builder is saved at phone and desktop size: tests/artifacts/plan-builder-*.png.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from server.db import Database
from tests.e2e.browser import (
    DESKTOP,
    PHONE,
    aria_tree,
    by_id,
    click_button,
    click_tab,
    expect_synced,
    fill_textbox,
    is_blank_png,
    screenshot,
    set_size,
    sign_in_on_a_new_device,
    wait_for_text,
)
from tests.e2e.test_client_e2e import (  # noqa: F401  (client, page: fixtures)
    PASSPHRASE,
    SYNC_TIMEOUT_MS,
    ServerProcess,
    client,
    page,
    pick_individual,
    settings_for,
)
from tests.support.server import PASSWORD, Org, seed_org

TRIGGER = "Loud corridors at changeover"
ADJUSTMENT = "A quiet start to lessons"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Org, Database]]:
    directory = tmp_path_factory.mktemp("e2e-plan-builder-server")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    org = seed_org(db, settings_for(url))
    server = ServerProcess(url, directory).start()
    yield server, org, db
    server.stop()
    db.dispose()


def shoot(page: Page, name: str) -> None:
    """The builder at phone and desktop size (tests/artifacts/plan-builder-NAME-WxH.png), then back to phone."""
    page.mouse.move(1, 1)
    for size in (PHONE, DESKTOP):
        path = screenshot(page, f"plan-builder-{name}", size, settle_ms=300)
        assert not is_blank_png(path), f"{path} is blank"
    set_size(page, PHONE)
    page.wait_for_timeout(300)


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
    wait_for_text(page, f"Added to {item}")
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
        shoot(page, "what-next")

        click_button(page, "Smart Plan")
        wait_for_text(page, "Smart Plan Builder — Kim Test")
        step(page, "Understanding my behaviour")
        expect(group(page, TRIGGER)).to_be_attached()
        shoot(page, "suggestion")
        accept(page, TRIGGER, "Triggers")
        step(page, "Proactive (green)")
        accept(page, ADJUSTMENT, "Reasonable adjustments")
        shoot(page, "accepted")
        for title in ("When anxiety rises (amber)", "Crisis (red)", "After an incident", "Reflection"):
            step(page, title)
        wait_for_text(page, f"What triggers are evident? Most frequent triggers: {TRIGGER} (1)")
        shoot(page, "reflection")
        step(page, "Publish")
        click_button(page, "Publish")
        wait_for_text(page, "Version 1 is published: it is the active Smart Plan.")
        shoot(page, "published")

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
