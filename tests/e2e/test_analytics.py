"""Analytics in a real browser (issue #11): the demo lead signs in on a new device (Flet web client in headless
Chromium) and syncs the demo organisation from a real server process on SQLite; then opens Analytics, switches
through every report, applies a filter, downloads the CSVs and prints the report as a PDF (Playwright's download
events, their contents read back; each an export in the server's audit log once the device has synced), and opens
the incidents behind a figure.

Each report is saved under tests/artifacts/e2e-analytics-<report>-*.png at phone and desktop size, the printed
report as tests/artifacts/e2e-analytics-global-report.pdf.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from app.analytics import REPORTS
from server.db import Database
from server.demo import DEMO_PASSWORD, DemoResult, seed_demo
from server.services.audit import list_audit
from tests.e2e.browser import (
    ARTIFACTS,
    DESKTOP,
    aria_tree,
    by_id,
    click_button,
    expect_synced,
    navigate,
    screenshot,
    select_option,
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
    settings_for,
    shoot,
)

LEAD_EMAIL = "lead@brightwater.example"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, DemoResult, Database]]:
    """The demo organisation (60 days at a fifth of its size) in SQLite, served by a real server process."""
    directory = tmp_path_factory.mktemp("e2e-analytics-server")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    demo = seed_demo(db, settings_for(url), scale=0.2, days=60)
    server = ServerProcess(url, directory).start()
    yield server, demo, db
    server.stop()
    db.dispose()


def spoken(locator: Any) -> str:
    """What a screen reader hears for a node (Flutter puts a Semantics label in aria-label or in the text)."""
    return str(locator.first.evaluate("e => e.getAttribute('aria-label') || e.textContent || ''"))


def figure(page: Page, label: str) -> Any:
    """A headline figure (a button named "<label>: <value>[, <change>]")."""
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(label)}: \d")).first


def download(page: Page, button: str) -> tuple[str, bytes]:
    """Press a download button; the file the browser saved (Playwright's download event): its name and bytes."""
    with page.expect_download(timeout=SYNC_TIMEOUT_MS) as event:
        click_button(page, button)
    return event.value.suggested_filename, Path(event.value.path()).read_bytes()


def exports_audited(db: Database, org_id: str, kinds: set[str]) -> set[str]:
    """The analytics exports of `kinds` in the server's audit log, once the device has synced them."""
    deadline = time.monotonic() + SYNC_TIMEOUT_MS * 3 / 1000
    found: set[str] = set()
    while time.monotonic() < deadline and found != kinds:
        with db.read_session() as session:
            found = {r["record_kind"] for r in list_audit(session, org_id) if r["action"] == "export"} & kinds
        if found != kinds:
            time.sleep(1)
    return found


def test_analytics_reports_filter_and_related_incidents(page: Page, world) -> None:
    _server, demo, db = world
    try:
        sign_in_on_a_new_device(page, LEAD_EMAIL, DEMO_PASSWORD, PASSPHRASE)
        wait_for_text(page, re.compile(r"^Hello, "))
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS * 3)
        wait_for_text(page, "At a glance")
        expect(figure(page, "Incidents")).to_be_attached()
        navigate(page, "Analytics")  # under the phone bar's "More" (the desktop's rail has buttons)
        set_size(page, DESKTOP)
        wait_for_text(page, "Global Incident Report", exact=True)
        # Global last: choosing the report already shown changes nothing (nor the URL).
        for key, title in sorted(REPORTS.items(), key=lambda item: item[0] == "global"):
            select_option(page, "report-chooser", title)
            wait_for_text(page, title, exact=True)
            expect(page).to_have_url(re.compile(rf"/analytics/{key}$"))
            shoot(page, f"analytics-{key}")
            set_size(page, DESKTOP)

        # A filter (on the Global Incident Report): the busiest location; the incidents figure narrows to it.
        before = spoken(figure(page, "Incidents"))
        # "By location. Hall: 12; Playground: 9; ..." (the chart's words for a screen reader), busiest first
        busiest = spoken(by_id(page, "chart-by_location")).split(". ", 1)[1].split(":", 1)[0]
        click_button(page, "Show or create filters")
        select_option(page, "filter-locations", busiest)
        wait_for_text(page, re.compile(rf"Locations: {re.escape(busiest)}$"))  # the summary names the place
        click_button(page, "Hide filters")  # the figures come back into view (Flutter scrolls, not the DOM)
        expect(figure(page, "Incidents")).not_to_have_accessible_name(before)
        shoot(page, "analytics-filtered")
        set_size(page, DESKTOP)
        incidents = int(spoken(figure(page, "Incidents")).split(": ", 1)[1].split(",")[0])

        # The CSVs and the printed report, as the browser saves them.
        name, table = download(page, "Download CSV (table)")
        assert re.fullmatch(r"besmart-global-table-\d{4}-\d\d-\d\d\.csv", name)
        header, *by_individual = list(csv.reader(io.StringIO(table.decode("utf-8-sig"))))
        assert header == ["individual", "group", "incidents", "physical_interventions", "injuries"]
        assert sum(int(row[2]) for row in by_individual) == incidents
        _name, rows = download(page, "Download CSV (all rows)")
        counted = list(csv.DictReader(io.StringIO(rows.decode("utf-8-sig"))))
        assert len(counted) == incidents and {r["location"] for r in counted} == {busiest}
        name, pdf = download(page, "Print (PDF)")
        assert re.fullmatch(r"besmart-global-report-\d{4}-\d\d-\d\d\.pdf", name)
        (ARTIFACTS / "e2e-analytics-global-report.pdf").write_bytes(pdf)  # beside the screenshots, to look at
        texts = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
        text = " ".join(" ".join(texts).split())
        assert "Global Incident Report" in text and f"Locations: {busiest}" in text
        assert f"{incidents} Incidents" in text and f"Records counted {incidents} incidents" in text
        assert all(t.count("OFFICIAL-SENSITIVE") >= 2 for t in texts)
        assert all(s in text for s in ("By location", "Day of week × hour of day", "By individual"))

        # Show related incidents: the figure's incidents, each opening the incident.
        figure(page, "Incidents").click()
        related = page.get_by_role("button", name=re.compile(r"^besmart-\d+")).first
        expect(related).to_be_attached()
        shoot(page, "analytics-related")
        set_size(page, DESKTOP)
        related.click()
        expect(page).to_have_url(re.compile(r"/incidents/[^/]+$"))
        wait_for_text(page, busiest)
    except Exception:
        screenshot(page, "e2e-analytics-failure")
        print(aria_tree(page))
        raise
    # Each file was audited on the device before it was handed over, and the device's sync took it to the server.
    kinds = {"analytics_global_table", "analytics_global_rows", "analytics_global_pdf"}
    assert exports_audited(db, demo.org_id, kinds) == kinds
