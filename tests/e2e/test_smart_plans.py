"""Smart Plans in a real browser (issue #10): the demo lead signs in on a new device (Flet web client in headless
Chromium) and syncs the demo organisation from a real server process on SQLite; opens Smart Plans from the
phone's "More", narrows the list to overdue reviews and back, opens an active plan and downloads its PDF
(Playwright's download event), read with pypdf; the view and the download reach the server's audit log.

The list and the plan are saved as tests/artifacts/e2e-smart-plans-*.png at phone and desktop size.
"""

# The client/page fixtures are reused from test_client_e2e, the demo world from test_analytics.
# ruff: noqa: F811

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from server.demo import DEMO_PASSWORD
from tests.e2e.browser import (
    DESKTOP,
    PHONE,
    aria_tree,
    by_id,
    click_button,
    expect_synced,
    is_blank_png,
    navigate,
    screenshot,
    select_option,
    set_size,
    sign_in_on_a_new_device,
    wait_for_text,
)
from tests.e2e.test_analytics import LEAD_EMAIL, world  # noqa: F401  (world: the demo organisation)
from tests.e2e.test_client_e2e import (  # noqa: F401  (client, page: fixtures)
    PASSPHRASE,
    SYNC_TIMEOUT_MS,
    client,
    page,
)
from tests.support.server import audited


#: a plan in the list: a button named "<individual> — <title> <version · status · ...>"
def shoot(page: Page, name: str) -> None:
    """tests/artifacts/e2e-NAME-WxH.png at phone and desktop size, each once the shell has laid itself out for
    that width (the rail on a desktop, the bar on a phone), then back to phone."""
    page.mouse.move(1, 1)  # no hover tooltip in the picture
    for size in (DESKTOP, PHONE):
        set_size(page, size)
        expect(by_id(page, "navigation-rail")).to_have_count(1 if size == DESKTOP else 0)
        page.wait_for_timeout(300)  # the repaint after the relayout
        assert not is_blank_png(screenshot(page, f"e2e-{name}"))


ACTIVE_PLAN = re.compile(r"^(.+?) — [\s\S]*Version \d+ · Active")


def test_a_lead_opens_a_smart_plan_and_downloads_its_pdf(page: Page, world) -> None:
    try:
        sign_in_on_a_new_device(page, LEAD_EMAIL, DEMO_PASSWORD, PASSPHRASE)
        wait_for_text(page, re.compile(r"^Hello, "))
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS * 3)
        navigate(page, "Smart Plans")  # under the phone bar's "More"
        expect(page).to_have_url(re.compile(r"/plans$"), timeout=SYNC_TIMEOUT_MS)
        plans = page.get_by_role("button", name=ACTIVE_PLAN)
        expect(plans.first).to_be_attached(timeout=SYNC_TIMEOUT_MS)
        shoot(page, "smart-plans-list")

        select_option(page, "plans-review-filter", "Overdue")
        wait_for_text(page, re.compile(r"^\d+ plans? match(es)?$"))
        expect(page.get_by_role("button", name=re.compile(r"review overdue")).first).to_be_attached()
        select_option(page, "plans-review-filter", "Any review date")
        wait_for_text(page, re.compile(r"^\d+ plans?$"))  # the whole list again

        plan = plans.first
        found = ACTIVE_PLAN.match(plan.get_attribute("aria-label") or plan.text_content() or "")
        assert found, plan.text_content()
        individual = found[1]
        plan.click()
        expect(page).to_have_url(re.compile(r"/plans/[^/]+$"), timeout=SYNC_TIMEOUT_MS)
        plan_id = page.url.rsplit("/", 1)[1]
        wait_for_text(page, f"{individual} · Full plan · Version ")
        # A card reads as one group named by its headings and labels: the plan's sections are there.
        expect(page.get_by_role("group", name=re.compile(r"^Plan details Plan type"))).to_be_attached()
        expect(page.get_by_role("group", name=re.compile(r"^Crisis \(red\) "))).to_be_attached()
        shoot(page, "smart-plans-view")

        with page.expect_download(timeout=SYNC_TIMEOUT_MS) as event:
            click_button(page, "Download PDF")
        download = event.value
        assert re.fullmatch(r"smart-plan-v\d+-.{8}\.pdf", download.suggested_filename), download.suggested_filename
        data = Path(download.path()).read_bytes()
    except Exception:
        screenshot(page, "e2e-smart-plans-failure")
        print(aria_tree(page))
        raise
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    assert individual in texts[0] and "Active" in texts[0]
    assert all("OFFICIAL-SENSITIVE" in t for t in texts)
    # The device audited the view and the download itself (the plan was read from its own store): both reach
    # the server's audit log, as the lead's, when the device next syncs.
    _server, demo, db = world
    [view] = audited(db, demo.org_id, plan_id, "view", timeout=SYNC_TIMEOUT_MS / 1000)
    [download_row] = audited(db, demo.org_id, plan_id, "download", timeout=SYNC_TIMEOUT_MS / 1000)
    assert (view["record_kind"], download_row["record_kind"]) == ("smart_plan", "smart_plan")
    assert download_row["actor_id"] == view["actor_id"] and download_row["device_id"] == view["device_id"]
