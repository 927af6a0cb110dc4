"""The Compliance screen in a real browser (issue #13): a lead opens Compliance, sees an incident's overdue
statutory clock (a children's home: reg 35's 48 hours to speak to the staff and sign the record), opens the
incident, signs it off, and the clock turns done — on the incident and off the Compliance list, where the
5-day clock to speak to the child stays due. Screenshots at phone (360×640) and desktop (1280×800) size.

The world of `test_incident_download.py` (a seeded organisation on SQLite behind a real server process); Kim
lives at a children's home, and tia records the incident (three days ago) from a device of her own before the
lead signs in.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from server.services import organisations as orgs
from tests.e2e.browser import (
    aria_tree,
    click_button,
    expect_synced,
    navigate,
    screenshot,
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
from tests.e2e.test_incident_download import world  # noqa: F401  (a fixture: the module's own server)
from tests.support.server import PASSWORD, Device

WHAT_HAPPENED = "Held in the lounge after throwing a chair."


@pytest.fixture(scope="module")
def restraint(world) -> dict[str, Any]:
    """Kim lives at a children's home; a physical intervention with her three days ago, recorded at once: its
    sign-off (48 hours) is overdue."""
    server, org, db = world
    with db.session() as s:
        home = orgs.create_setting(s, org.id, "Harbour View", "childrens_home")
        orgs.update_individual(s, org.children["kim"], setting_id=home)
    tia = Device(server.url, org.email("tia"))
    happened = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    op = tia.incident(
        org.children["kim"],
        occurred_at=happened.isoformat(),
        recorded_at=(happened + dt.timedelta(hours=1)).isoformat(),
        what_happened=WHAT_HAPPENED,
        physical_intervention=True,
    )
    [result] = tia.push([op]).results
    assert result.status == "applied" and result.reference, result
    tia.close()
    return {"record_id": op["record_id"], "reference": result.reference}


def test_a_lead_signs_off_an_overdue_incident_from_the_compliance_screen(page: Page, world, restraint) -> None:
    _server, org, _db = world
    reference = restraint["reference"]
    try:
        sign_in_on_a_new_device(page, org.email("lena"), PASSWORD, PASSPHRASE)
        wait_for_text(page, re.compile(r"^Hello, "))
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)
        navigate(page, "Compliance")  # the phone bar lists it under "More"
        wait_for_text(page, "1 overdue · 1 due")
        overdue = page.get_by_role("button", name=re.compile(r"Staff spoken to and record signed — Overdue by 1 day$"))
        expect(overdue).to_have_accessible_name(re.compile(f"^{reference} · Kim Test"))
        screenshot(page, "e2e-compliance")
        screenshot(page, "e2e-compliance", "desktop")
        set_size(page, "phone")
        overdue.click()
        wait_for_text(page, WHAT_HAPPENED)
        wait_for_text(page, "Statutory deadlines")
        wait_for_text(page, re.compile(r"Staff spoken to and record signed\s+Overdue by 1 day"))
        click_button(page, "Sign off")
        wait_for_text(page, "Sign off as accurate")
        page.get_by_role("checkbox", name="I have spoken to the staff involved").click()
        page.get_by_role("button", name="Sign off", exact=True).last.click()
        wait_for_text(page, re.compile(r"Staff spoken to and record signed\s+Done \(late\)"))
        screenshot(page, "e2e-compliance-signed-off")
        screenshot(page, "e2e-compliance-signed-off", "desktop")
        set_size(page, "phone")
        navigate(page, "Compliance")  # the phone bar lists it under "More"
        wait_for_text(page, "0 overdue · 1 due")
        expect(page.get_by_role("button", name=re.compile(r"Kim Test Child spoken to — Due in"))).to_have_count(1)
        expect(page.get_by_role("button", name=re.compile(r"— Overdue"))).to_have_count(0)
    except Exception:
        screenshot(page, "e2e-compliance-failure")
        print(aria_tree(page))
        raise
