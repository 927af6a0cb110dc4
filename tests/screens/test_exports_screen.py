"""The Exports screen (screens/exports.py), in-process through the real `Root`: a lead reaches it from
Analytics, saves the register and a subject access ZIP, each audited on the device before the file is handed
over; a day that is not one is refused in plain words, nothing saved and nothing audited. Staff never see it.

The device holds `tests/support/screens.seed` (Ada and Bo; Ada's incidents and a communication)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import flet as ft
import pytest

from app.config import ClientConfig
from tests.support.screens import LEAD, add_account, open_app, seed, store_of, unlock
from tests.support.ui_harness import UiHarness


@pytest.fixture
def lead(config: ClientConfig) -> Iterator[UiHarness]:
    """The app, unlocked by Lee (a lead), on the Exports screen."""
    store = add_account(config, LEAD)
    seed(store, LEAD)
    store.close()
    with open_app(config) as h:
        unlock(h, email=LEAD.email)
        h.navigate_to("Analytics")
        h.click("Registers and subject access")
        h.settle()
        yield h


def saved(ui: UiHarness) -> list[dict]:
    return [args for name, args in ui.invoked if name == "save_file"]


def audits(ui: UiHarness, before: set[int]) -> list[tuple[str, str]]:
    ops = [op for op in store_of(ui).pending_ops() if op.op_id not in before and op.kind == "audit_event"]
    return [(op.fields["action"], op.fields["record_kind"]) for op in ops]


def test_a_lead_saves_the_register_and_a_subject_access_zip(lead: UiHarness):
    before = {op.op_id for op in store_of(lead).pending_ops()}
    lead.type("From (dd/mm/yyyy)", "01/01/2020")
    lead.click("Register (CSV)")
    lead.click("Exclusions (PDF)")
    [register, census] = saved(lead)
    assert bytes(register["src_bytes"]).decode("utf-8-sig").startswith("reference,individual,date_of_birth,")
    assert census["file_name"].startswith("besmart-exclusions-2020-01-01-to-") and census["file_name"].endswith(".pdf")
    individual = lead.find(ft.Dropdown, label="Individual")
    [(ada_id, _name)] = [(o.key, o.text) for o in individual.options if o.text == "Ada Lovelace"]
    lead.select("Individual", ada_id)
    lead.click("Download everything held (ZIP)")
    archive = zipfile.ZipFile(io.BytesIO(bytes(saved(lead)[-1]["src_bytes"])))
    assert "Ada helped a classmate" in archive.read("communication.csv").decode("utf-8-sig")
    assert audits(lead, before) == [("export", "register"), ("export", "exclusions"), ("export", "subject_access")]


def test_a_day_that_is_not_one_is_refused_and_nothing_is_audited(lead: UiHarness):
    before = {op.op_id for op in store_of(lead).pending_ops()}
    lead.type("To (dd/mm/yyyy)", "31/02/2026")
    lead.click("Register (PDF)")
    lead.click("Download everything held (ZIP)")  # no individual chosen
    assert lead.has_text("Choose the individual the request is about.")  # the last message shown
    assert saved(lead) == [] and audits(lead, before) == []


def test_staff_have_no_exports(ui: UiHarness):
    ui.go("/exports")  # typed into the address bar: refused in words, back to the dashboard
    assert ui.has_text("Hello, Sam Staff") and not ui.has_text("Registers and subject access")
