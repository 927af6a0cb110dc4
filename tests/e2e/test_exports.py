"""The Exports screen in a real browser (issue #13): a lead signs in on a new device, opens Analytics →
"Registers and subject access", saves the restrictive-intervention register (CSV) and everything the device
holds about Kim (a ZIP of a PDF and CSVs; Playwright's download event); both exports reach the server's audit
log as the lead's when the device next syncs.

The world is the one of `test_incident_download.py`: a seeded organisation on SQLite behind a real server
process; tia records an incident about Kim from her own device before the lead signs in.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from server.services.audit import list_audit
from tests.e2e.browser import (
    aria_tree,
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
    client,
    page,
)
from tests.e2e.test_incident_download import WHAT_HAPPENED, recorded, world  # noqa: F401  (fixtures)
from tests.support.server import PASSWORD


def test_a_lead_saves_the_register_and_a_subject_access_zip_and_both_are_audited(page: Page, world, recorded) -> None:
    _server, org, db = world
    try:
        sign_in_on_a_new_device(page, org.email("lena"), PASSWORD, PASSPHRASE)
        wait_for_text(page, re.compile(r"^Hello, "))
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)
        navigate(page, "Analytics")  # the phone bar lists it under "More"
        set_size(page, (1280, 1000))  # the whole Exports screen in view: Flutter scrolls, not the DOM
        click_button(page, "Registers and subject access", timeout_ms=SYNC_TIMEOUT_MS)
        with page.expect_download(timeout=SYNC_TIMEOUT_MS) as event:
            click_button(page, "Register (CSV)")
        register = event.value
        header = Path(register.path()).read_text(encoding="utf-8-sig").splitlines()[0]
        select_option(page, "subject-access-individual", "Kim Test")
        with page.expect_download(timeout=SYNC_TIMEOUT_MS) as event:
            click_button(page, "Download everything held (ZIP)")
        bundle = event.value
        assert bundle.suggested_filename.endswith(".zip") and "Kim" not in bundle.suggested_filename
        archive = zipfile.ZipFile(io.BytesIO(Path(bundle.path()).read_bytes()))
        screenshot(page, "e2e-exports")
    except Exception:
        screenshot(page, "e2e-exports-failure")
        print(aria_tree(page))
        raise
    assert header.startswith("reference,individual,date_of_birth,setting,started_at,")
    assert {"subject-access.pdf", "individual.csv", "incident.csv", "history.csv", "audit.csv"} <= set(
        archive.namelist()
    )
    [incident] = list(csv.DictReader(io.StringIO(archive.read("incident.csv").decode("utf-8-sig"))))
    assert incident["what_happened"] == WHAT_HAPPENED and incident["reference"] == recorded["reference"]
    wanted = {("register", None), ("subject_access", org.children["kim"])}
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    found: set[tuple[str, Any]] = set()
    while time.monotonic() < deadline and not wanted <= found:
        with db.read_session() as session:
            found = {
                (r["record_kind"], r["profile_id"])
                for r in list_audit(session, org.id, actor_id=org.users["lena"])
                if r["action"] == "export"
            }
        if not wanted <= found:
            time.sleep(1)
    assert wanted <= found
