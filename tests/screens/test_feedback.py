""" "Report a problem with this output" in process (screens/feedback.py): under a letter draft and under a language
check's finding, the dialog asks for a note (refusing none) and saves the report offline; a lead finds the
reports in the Help Centre, open first, and resolves one with a note; staff see their own there, and cannot
resolve them."""

from __future__ import annotations

import re

import flet as ft

from app.config import ClientConfig
from app.letters import WARNING
from tests.support.screens import LEAD, add_account, open_app, seed, snack, store_of, unlock
from tests.support.ui_harness import UiHarness

REPORT = "Report a problem with this output"


def open_letter(ui: UiHarness, reference: str) -> None:
    ui.navigate_to("Incidents")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == reference))
    ui.click(ui.find(ft.OutlinedButton, text="Draft a letter"))
    assert ui.has_text(WARNING)


def reports(ui: UiHarness) -> list:
    return [op for op in store_of(ui).pending_ops() if op.kind == "output_feedback"]


def send_report(ui: UiHarness, note: str) -> None:
    ui.type("What looks wrong or worries you?", note)
    ui.click(ui.find(ft.TextButton, text="Send report"))


def test_staff_report_a_letter_draft_and_a_language_finding(ui: UiHarness, device: dict[str, str]) -> None:
    open_letter(ui, "besmart-10281")
    draft = ui.find(ft.TextField, label="The letter (edit it before you use it)").value
    ui.click(ui.find(ft.Semantics, label="report-letter").content)
    assert ui.has_text(REPORT)
    ui.click(ui.find(ft.TextButton, text="Send report"))  # no note yet
    assert ui.has_text("Say what looks wrong with this output, so a lead can look into it.")
    assert reports(ui) == []
    send_report(ui, "It says the wrong date")
    assert "Your report is saved" in snack(ui).content.value
    assert not ui.find_all(ft.TextButton, text="Send report")  # the dialog closed
    [letter] = reports(ui)
    assert letter.fields["tool"] == "letter" and letter.fields["output"] == draft
    assert letter.fields["record_id"] == device["besmart-10281"] and letter.fields["profile_id"] == device["ada"]
    assert letter.fields["note"] == "It says the wrong date"

    ui.type(ui.find(ft.TextField, label="The letter (edit it before you use it)"), "Dear Mary, Ada kicked off.")
    ui.click("Check language")
    ui.click(ui.find(ft.Semantics, label="letter-text-report-1").content)
    send_report(ui, "Kicked off is what her mum said")
    [finding] = [op for op in reports(ui) if op.fields["tool"] == "language_check"]
    assert "“kicked off”" in finding.fields["output"] and "Slang or vague wording" in finding.fields["output"]

    ui.click(ui.find(ft.IconButton, label="Help Centre"))
    assert not ui.has_text("Reports of problems with outputs") and ui.has_text("2 open reports.")
    ui.click(ui.find(ft.OutlinedButton, text="See the reports"))
    assert ui.has_text("Your reports of problems with outputs")
    assert len(ui.find_all(ft.Text, text="Open: a lead will look into it.")) == 2
    assert not ui.find_all(ft.Button, text="Resolve")  # staff do not resolve reports


def test_a_lead_resolves_a_report_from_the_help_centre(config: ClientConfig) -> None:
    store = add_account(config, LEAD)
    ids = seed(store, LEAD)
    store.close()
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        services = ui.page.data.shell.services
        older = services.feedback.report("letter", "Dear Mary, ...", "Wrong contact", about=ids["besmart-10270"])
        services.feedback.report("language_check", "“meltdown” ...", "Fine in a quotation")
        ui.click(ui.find(ft.IconButton, label="Help Centre"))
        assert ui.has_text("2 open reports.")
        ui.click(ui.find(ft.OutlinedButton, text="See the reports"))
        assert ui.has_text("Reports of problems with outputs")
        assert ui.has_text("Language check · Open") and ui.has_text("Letter draft · Open")
        assert ui.has_text(re.compile(r"^Incident besmart-10270 · Ada Lovelace · .*, Lee Lead$"))
        # the newest first: the letter is the second
        ui.click(ui.find(ft.Semantics, label="feedback-resolve-2").content)
        assert ui.has_text("Say what was done about the report before resolving it.")
        ui.type(ui.find(ft.Semantics, label="feedback-resolution-2").content, "Contact corrected")
        ui.click(ui.find(ft.Semantics, label="feedback-resolve-2").content)
        assert snack(ui).content.value == "Report resolved."
        assert ui.has_text("Letter draft · Resolved") and ui.has_text("Contact corrected")
        resolved = store_of(ui).get(older)
        assert resolved is not None and resolved.values["resolved_by"] == LEAD.id
        ui.click("Back to the Help Centre")
        assert ui.has_text("1 open report.")
