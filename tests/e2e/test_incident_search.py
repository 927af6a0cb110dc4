"""Finding incidents in a real browser, on demo-like data (issue #8 items 12, 15 and 22).

A real server process on SQLite holds the demo organisation (`server.demo.seed_demo`, a smaller and shorter
history than `python -m server demo`, with its drafts by the demo teacher and carer); the demo lead signs in
on a new device (Flet web client in headless Chromium) and syncs it all. Then, as the lead:

- nobody else's draft is listed ("Waiting for sync" nowhere; the Draft status filter finds only drafts the
  lead was named in), as counted from the server's own records;
- a reference typed into the search box and Enter opens that incident: one step, not 43 flicks;
- Flagged narrows the list to exactly the flagged incidents;
- a physical intervention shows each technique with why it was used and who used it, and "Reported to" in
  words.

Screens are saved under tests/artifacts/e2e-search-*.png at phone and desktop size.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.db import Database
from server.demo import DEMO_PASSWORD, seed_demo
from server.models import Record, UserAccount
from sync.merge import RecordState
from tests.e2e.browser import (
    PHONE,
    aria_tree,
    click_button,
    click_tab,
    expect_synced,
    fill_textbox,
    is_blank_png,
    screenshot,
    set_size,
    sign_in_on_a_new_device,
    textbox,
    wait_for_text,
)
from tests.e2e.test_client_e2e import (  # noqa: F401  (client, page: fixtures)
    PASSPHRASE,
    SYNC_TIMEOUT_MS,
    ServerProcess,
    by_id,
    client,
    page,
    settings_for,
    shoot,
)

LEAD_EMAIL = "lead@brightwater.example"
TALL = (1280, 4000)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, Any], Database]]:
    """The demo organisation (120 days at a third of its size) in SQLite, served by a real server process;
    with what the lead should see, read from the server's own records."""
    directory = tmp_path_factory.mktemp("e2e-search-server")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    seed_demo(db, settings_for(url), scale=0.3, days=120)
    with db.read_session() as session:
        lead = session.execute(select(UserAccount.__table__.c.id).where(UserAccount.__table__.c.email == LEAD_EMAIL))
        lead_id = lead.scalar_one()
        rows = session.execute(
            select(Record.__table__.c.state).where(Record.__table__.c.kind == "incident", ~Record.__table__.c.deleted)
        )
        incidents = [RecordState.model_validate_json(row.state).values() for row in rows]
    server = ServerProcess(url, directory).start()
    yield server, {"lead_id": lead_id, "incidents": incidents}, db
    server.stop()
    db.dispose()


@pytest.fixture(scope="module")
def lead(page: Page, world) -> Page:
    """The demo lead signs in on a new device and syncs the organisation."""
    sign_in_on_a_new_device(page, LEAD_EMAIL, DEMO_PASSWORD, PASSPHRASE)
    wait_for_text(page, re.compile(r"^Hello, "))
    expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS * 3)
    return page


def failing(page: Page) -> None:
    screenshot(page, "e2e-search-failure")
    print(aria_tree(page))


def open_filters(page: Page) -> None:
    page.get_by_role("button", name=re.compile(r"^Filters")).click()


def search_for(page: Page, text: str) -> None:
    """Type into the search box and press Enter (its name takes in the hint once focused: not exact)."""
    fill_textbox(page, "Search incidents", text, exact=False)
    textbox(page, "Search incidents", exact=False).press("Enter")


def count_shown(page: Page, count: int, *, matching: bool) -> None:
    noun = "incident" if count == 1 else "incidents"
    verb = (" matches" if count == 1 else " match") if matching else ""
    wait_for_text(page, f"{count} {noun}{verb}", exact=True, timeout_ms=SYNC_TIMEOUT_MS)


def test_nobody_elses_draft_is_listed(lead: Page, world) -> None:
    page = lead
    _server, facts, _db = world
    me = facts["lead_id"]
    drafts = [i for i in facts["incidents"] if i.get("status") == "draft"]
    others = [d for d in drafts if d["recorded_by"] != me and me not in d.get("staff_present", [])]
    assert others, "the demo seeds drafts by the teacher and the carer"
    try:
        # The dashboard's last 7 days hold the demo's drafts: before, each showed as "Waiting for sync".
        expect(page.get_by_text("Waiting for sync")).to_have_count(0)
        click_tab(page, "Incidents")
        count_shown(page, len(facts["incidents"]) - len(others), matching=False)
        expect(page.get_by_text("Waiting for sync")).to_have_count(0)
        shoot(page, "search-incidents")
        open_filters(page)
        by_id(page, "incident-status-filter").click()
        click_button(page, "Draft")
        count_shown(page, len(drafts) - len(others), matching=True)
        shoot(page, "search-drafts-filter")
        click_button(page, "Clear filters")
    except Exception:
        failing(page)
        raise


def test_a_reference_typed_in_full_opens_the_incident(lead: Page, world) -> None:
    page = lead
    _server, facts, _db = world
    numbered = sorted((i for i in facts["incidents"] if i.get("reference")), key=lambda i: i["occurred_at"])
    wanted = numbered[len(numbered) // 3]  # far down the list: many flicks away before
    reference = wanted["reference"]
    try:
        click_tab(page, "Incidents")
        search_for(page, reference)
        wait_for_text(page, reference, exact=True)
        expect(page.get_by_role("button", name="Back to incidents")).to_be_attached()
        wait_for_text(page, wanted["what_happened"][:40])
        shoot(page, "search-opened-by-reference")
    except Exception:
        failing(page)
        raise


def test_flagged_filter(lead: Page, world) -> None:
    page = lead
    _server, facts, _db = world
    flagged = [i for i in facts["incidents"] if i.get("flagged") and i.get("status") != "draft"]
    assert flagged
    try:
        click_tab(page, "Incidents")
        open_filters(page)
        page.get_by_role("checkbox", name="Flagged").click()
        count_shown(page, len(flagged), matching=True)
        shoot(page, "search-flagged")
        newest = max(flagged, key=lambda i: i["occurred_at"])
        page.get_by_role("button", name=re.compile(re.escape(newest["reference"]))).first.click()
        wait_for_text(page, newest["flag_reason"][:40])
    except Exception:
        failing(page)
        raise


def test_physical_intervention_details_in_words(lead: Page, world) -> None:
    page = lead
    _server, facts, _db = world
    used = [
        i
        for i in facts["incidents"]
        if i.get("pi_techniques") and i.get("pi_report_route") and any(t.get("reason") for t in i["pi_techniques"])
    ]
    assert used, "the demo records physical interventions"
    wanted = max(used, key=lambda i: i["occurred_at"])
    technique = next(t for t in wanted["pi_techniques"] if t.get("reason"))
    try:
        click_tab(page, "Incidents")
        search_for(page, wanted["reference"])
        wait_for_text(page, wanted["reference"], exact=True)
        route = {"parents": "Parents", "local_authority": "Local authority"}[wanted["pi_report_route"]]
        set_size(page, TALL)  # the whole report on one screen: Flutter leaves off-screen text out of the tree
        # A card is one group: its labels make its name, its values its text.
        card = page.get_by_role("group", name=re.compile(r"^Physical intervention "))
        techniques = r" Physical techniques .*How effective Used by Why it was used Injuries"
        expect(card).to_have_accessible_name(re.compile(techniques + r".* Reported to"))
        expect(card).to_contain_text(technique["reason"][:40])
        expect(card).to_contain_text(route)
        expect(page.get_by_text("local_authority", exact=True)).to_have_count(0)
        assert not is_blank_png(screenshot(page, "e2e-search-physical-intervention", TALL))
        set_size(page, PHONE)
    except Exception:
        failing(page)
        raise
