"""The "Draft a letter" screen (screens/letters.py), in process: opened from an incident's detail, addressed to the
key contact with parental responsibility, switched to another letter and register, the language check on the
draft, Copy, and a lead's Download PDF (the edited text, audited on the device)."""

from __future__ import annotations

import io
import re

import flet as ft
from pypdf import PdfReader

from app.config import ClientConfig
from app.letters import WARNING
from tests.support.screens import LEAD, add_account, open_app, seed, store_of, unlock
from tests.support.ui_harness import UiHarness


def open_letter(ui: UiHarness, reference: str) -> None:
    ui.navigate_to("Incidents")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == reference))
    ui.click(ui.find(ft.OutlinedButton, text="Draft a letter"))
    assert ui.has_text("Draft a letter") and ui.has_text(WARNING)


def letter(ui: UiHarness) -> ft.TextField:
    return ui.find(ft.TextField, label="The letter (edit it before you use it)")


def test_staff_draft_a_parents_letter_from_an_incident_and_copy_it(ui: UiHarness, device: dict[str, str]):
    open_letter(ui, "besmart-10281")
    text = letter(ui).value
    assert text.startswith("Dear Mary Lovelace,")
    assert "Something in the hall" in text and "besmart-10281" in text and "Sam Staff" in text
    assert not ui.find_all(ft.Button, text="Download PDF")  # staff may not download records
    ui.select("Register", "informal")
    assert "Best wishes" in letter(ui).value
    ui.type(letter(ui), "Dear Mary, Ada kicked off in the hall.")
    ui.click("Check language")
    assert len(ui.find_all(ft.Semantics, label=re.compile(r"^letter-text-finding-\d+$"))) == 1
    assert ui.has_text("Slang or vague wording")
    ui.click(ui.find(ft.OutlinedButton, text="Copy"))
    assert ("set", {"data": "Dear Mary, Ada kicked off in the hall."}) in ui.invoked


def test_a_lead_downloads_the_edited_letter_as_a_pdf_audited(config: ClientConfig):
    store = add_account(config, LEAD)
    ids = seed(store, LEAD)
    store.close()
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        open_letter(ui, "besmart-10270")
        ui.type(letter(ui), letter(ui).value + "\nWe look forward to seeing you on Friday.")
        before = {op.op_id for op in store_of(ui).pending_ops()}
        ui.click(ui.find(ft.Button, text="Download PDF"))
        ui.settle()
        [(_, args)] = [(n, a) for n, a in ui.invoked if n == "save_file"]
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(args["src_bytes"])).pages)
        assert "We look forward to seeing you on Friday." in text and "OFFICIAL-SENSITIVE" in text
        assert "information only" in text
        [audit] = [op for op in store_of(ui).pending_ops() if op.op_id not in before]
        assert audit.fields["action"] == "download" and audit.fields["record_id"] == ids["besmart-10270"]


def test_good_news_is_drafted_from_a_positive_communication(ui: UiHarness, device: dict[str, str]):
    ui.go(f"/people/{device['ada']}/communications")
    ui.click(ui.find(ft.TextButton, text="Draft a good-news letter"))
    assert ui.has_text(WARNING)
    text = letter(ui).value
    assert text.startswith("Dear Mary Lovelace,") and "Ada helped a classmate" in text
    ui.click("Back")
    assert ui.has_text("Behaviour Communications — Ada Lovelace")
