"""Downloading an incident in a real browser (issue #10, Documents): a lead opens an incident, presses
Download and the browser saves a PDF (Playwright's download event) whose text, read with pypdf, holds the
reference, the individual's name and OFFICIAL-SENSITIVE on every page; the download reaches the server's
audit log as the lead's, from this browser's device, when the device next syncs.

A seeded organisation on SQLite, served by a real server process; tia records the incident from a device of
her own (so the server numbers it) before the lead signs in on a new device in the Flet web client.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader

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
from tests.support.server import PASSWORD, Device, Org, audited, seed_org

WHAT_HAPPENED = "Left the dining hall and kicked the door."


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Org, Database]]:
    directory = tmp_path_factory.mktemp("e2e-download-server")
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
    """An incident about Kim, recorded and numbered before the lead's device exists."""
    server, org, _db = world
    tia = Device(server.url, org.email("tia"))
    op = tia.incident(org.children["kim"], what_happened=WHAT_HAPPENED, location="Dining hall")
    [result] = tia.push([op]).results
    assert result.status == "applied" and result.reference, result
    tia.close()
    return {"record_id": op["record_id"], "reference": result.reference}


def test_a_lead_downloads_an_incident_as_a_pdf_and_it_is_audited(page: Page, world, recorded) -> None:
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
        with page.expect_download(timeout=SYNC_TIMEOUT_MS) as event:
            click_button(page, "Download")
        download = event.value
        assert download.suggested_filename == f"{reference}.pdf"
        data = Path(download.path()).read_bytes()
    except Exception:
        screenshot(page, "e2e-download-failure")
        print(aria_tree(page))
        raise
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    assert reference in texts[0] and "Kim Test" in texts[0] and WHAT_HAPPENED in "\n".join(texts)
    assert all("OFFICIAL-SENSITIVE" in t for t in texts)
    # The device audited the download and syncs it: the server's audit log names the lead and the record.
    rows = audited(db, org.id, recorded["record_id"], "download", timeout=SYNC_TIMEOUT_MS / 1000)
    [row] = rows
    assert (row["actor_id"], row["record_kind"], row["profile_id"]) == (
        org.users["lena"],
        "incident",
        org.children["kim"],
    )
