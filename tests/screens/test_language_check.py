"""The "Check language" action under long text fields (screens/language_check.py), in-process: the incident
form and a communication, with the real scan."""

from __future__ import annotations

import re

import flet as ft

from tests.support.screens import pick_individual, snack, start_report, store_of
from tests.support.ui_harness import UiHarness


def check(ui: UiHarness, identifier: str) -> None:
    ui.click(ui.find(ft.Semantics, label=f"{identifier}-check").content)


def findings(ui: UiHarness, identifier: str) -> list[ft.Semantics]:
    return ui.find_all(ft.Semantics, label=re.compile(rf"^{identifier}-finding-\d+$"))


def chip_in(finding: ft.Semantics, choice: str, ui: UiHarness) -> ft.Chip:
    def inside(control: ft.Control) -> bool:
        node = control
        while node is not None:
            if node is finding:
                return True
            node = node.parent
        return False

    return ui.find(ft.Chip, where=lambda c: c.label.value == choice and inside(c))


def test_incident_text_is_checked_on_demand_and_a_tap_replaces_the_phrase(ui: UiHarness):
    start_report(ui)
    ui.type("What happened?", "He kicked off and was restrained.")
    assert findings(ui, "what-happened") == []  # nothing until asked
    check(ui, "what-happened")
    first, _ = findings(ui, "what-happened")
    assert ui.has_text("Slang or vague wording") and ui.has_text("Hides restrictive practice")
    highlighted = [s.text for t in ui.find_all(ft.Text) if t.spans for s in t.spans if s.style is not None]
    assert highlighted == ["kicked off", "restrained"]

    ui.click(chip_in(first, "became very upset", ui))
    field = ui.find(ft.TextField, label="What happened?")
    assert field.value == "He became very upset and was restrained."
    [draft] = store_of(ui).drafts("incident")
    assert draft.values["values"]["what_happened"] == "He became very upset and was restrained."  # saved
    assert ui.has_text("Replaced “kicked off” with “became very upset”.")
    [left] = findings(ui, "what-happened")  # checked again: only the hold is left to name
    assert chip_in(left, "held in a [named hold] by [who] for [how long]", ui)


def test_a_stale_finding_is_not_applied_to_changed_text(ui: UiHarness):
    start_report(ui)
    ui.type("What happened?", "She had a meltdown.")
    check(ui, "what-happened")
    [finding] = findings(ui, "what-happened")
    ui.type("What happened?", "At lunch she had a meltdown.")  # edited after the check
    ui.click(chip_in(finding, "became overwhelmed", ui))
    assert ui.find(ft.TextField, label="What happened?").value == "At lunch she had a meltdown."
    assert ui.has_text("The text changed since the check, so it was checked again.")
    assert len(findings(ui, "what-happened")) == 1


def test_words_in_a_quotation_are_shown_as_quotes_without_replacements(ui: UiHarness):
    start_report(ui)
    ui.type("What happened?", 'She said "I\'m not naughty" and walked out.')
    check(ui, "what-happened")
    assert len(findings(ui, "what-happened")) == 1
    assert ui.has_text("Label — in a quotation")
    assert ui.has_text("These are someone's own words: keep them as they were said.")
    assert not ui.find_all(ft.Chip)


def test_clean_text_says_so(ui: UiHarness):
    start_report(ui)
    ui.type("What happened?", "He kicked the ball at the fence and sat on the bench.")
    check(ui, "what-happened")
    assert findings(ui, "what-happened") == [] and ui.has_text("No emotive language found.")


def write_a_communication_about_ada(ui: UiHarness, message: str) -> None:
    ui.navigate_to("Record & Plan")
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Communications")
    ui.type(re.compile("^Message"), message)


def test_a_communication_message_can_be_checked_before_saving(ui: UiHarness):
    write_a_communication_about_ada(ui, "Ada kicked off in maths.")
    check(ui, "message")
    [finding] = findings(ui, "message")
    ui.click(chip_in(finding, "became very upset", ui))
    assert ui.find(ft.TextField, label=re.compile("^Message")).value == "Ada became very upset in maths."
    ui.set_value(ui.find(ft.RadioGroup), "negative")
    ui.click("Save")
    assert ui.has_text("Ada became very upset in maths.")  # the thread shows what was saved


def test_a_suggestions_blank_must_be_filled_in_before_saving(ui: UiHarness):
    write_a_communication_about_ada(ui, "Ada was naughty in maths.")
    check(ui, "message")
    [finding] = findings(ui, "message")
    ui.click(chip_in(finding, "[describe what they did]", ui))
    blank = "Ada was [describe what they did] in maths."
    assert ui.find(ft.TextField, label=re.compile("^Message")).value == blank
    ui.set_value(ui.find(ft.RadioGroup), "negative")
    before = len(store_of(ui).records("communication"))
    ui.click("Save")
    assert snack(ui).content.value == (
        "Put what happened in place of the suggestion’s blank before saving (Message: “[describe what they did]”)."
    )
    assert len(store_of(ui).records("communication")) == before  # nothing saved, nobody notified
    ui.type(re.compile("^Message"), "Ada said no and put her head on the desk in maths.")
    ui.click("Save")
    assert len(store_of(ui).records("communication")) == before + 1
