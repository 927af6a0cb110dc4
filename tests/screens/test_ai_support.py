"""AI Support on the screens (screens/ai_support.py), in process: opened from an incident and a profile with the
guide's warning and suggestions with their evidence, a suggestion added to a Smart Plan (not one for the whole
service), the whole service for leads (staff are offered their individuals); and the language check once before
submit (an incident, a communication): unseen flags shown once, "Review" keeps the form, the next Submit goes
through."""

from __future__ import annotations

import re

import flet as ft

from app.assistant import OFFLINE
from app.config import ClientConfig
from app.context import Context
from app.plans import Plans
from app.suggestions import WARNING
from tests.support.screens import LEAD, add_account, open_app, seed, snack, start_report, store_of, unlock
from tests.support.ui_harness import UiHarness


def open_incident(ui: UiHarness, reference: str) -> None:
    ui.navigate_to("Incidents")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == reference))


def test_staff_open_ai_support_from_an_incident_with_the_follow_ups_and_letters(ui: UiHarness, device: dict[str, str]):
    open_incident(ui, "besmart-10281")
    ui.click(ui.find(ft.OutlinedButton, text="AI Support"))
    assert ui.has_text("AI Support — besmart-10281 — Ada Lovelace") and ui.has_text(WARNING)
    assert ui.has_text("Parents or carers informed?") and ui.has_text("A lead's sign-off")
    assert ui.has_text("Days since the incident: 2")
    # Staff cannot record that the child was spoken to: it says what they can do, and who records it.
    assert ui.has_text(re.compile(r"^No view of the child's is recorded yet\. .*a lead confirms it when signing off"))
    assert ui.page.route == f"/ai-support/{device['besmart-10281']}"
    assert not ui.find_all(ft.OutlinedButton, text="Add to Smart Plan")  # Ada has no plan yet
    ui.type("Text to check (paste or type)", "She had a meltdown.")
    ui.click("Check language")
    assert ui.has_text("Slang or vague wording")
    ui.click(ui.find(ft.OutlinedButton, text="Draft a letter"))
    assert ui.has_text("Draft a letter")
    ui.go(f"/ai-support/{device['ada']}")  # the URL of the individual's AI Support
    assert ui.has_text("AI Support — Ada Lovelace") and ui.has_text("Suggestions for this individual")


def test_staff_are_offered_their_individuals_instead_of_the_whole_service(ui: UiHarness, device: dict[str, str]):
    assert not [
        d for bar in ui.find_all(ft.NavigationBar) for d in bar.destinations if d.label == "AI Support"
    ]  # not in a staff member's navigation
    ui.go("/ai-support/service")
    assert ui.has_text("Suggestions for the whole service are for leads. Choose one of your individuals:")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
    assert ui.has_text("AI Support — Ada Lovelace")


def test_a_lead_sees_the_whole_service_and_adds_a_suggestion_to_a_plan(config: ClientConfig):
    store = add_account(config, LEAD)
    ids = seed(store, LEAD)
    plan = Plans(Context(store, LEAD)).start(ids["ada"])
    store.close()
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        ui.navigate_to("AI Support")
        assert ui.has_text("AI Support — The whole service") and ui.has_text("Suggestions for the whole service")
        assert ui.has_text("Overdue follow-ups") and ui.has_text("Incidents with a follow-up overdue: 2")
        assert ui.find_all(ft.TextButton, text=re.compile(r"^besmart-10270, \d+ \w+ \d{4}$"))
        # About Ada's incidents alone, but about the whole service: not offered for her plan.
        assert not ui.find_all(ft.Semantics, label=re.compile("^ai-add-to-plan-"))
        assert not ui.has_text("Add to a Smart Plan…") and not ui.find_all(ft.OutlinedButton, text="Add to Smart Plan")
        open_incident(ui, "besmart-10281")
        ui.click(ui.find(ft.OutlinedButton, text="AI Support"))
        assert ui.has_text("Parents or carers informed?")
        button = ui.find(ft.Semantics, label="ai-add-to-plan-1").content
        ui.click(button)
        assert snack(ui).content.value == (
            "Added to Ada Lovelace: Smart Plan (version 1, draft) as a contribution, with its evidence."
        )
        assert button.disabled and button.content == "Added to the Smart Plan"  # not twice
        [contribution] = store_of(ui).records("plan_contribution")
        assert contribution.values["plan_id"] == plan
        assert contribution.values["text"].startswith("Parents or carers informed?\nNobody has recorded")
        assert "Evidence (AI Support, from the record): Days since the incident: 2" in contribution.values["text"]


def test_the_incident_form_checks_the_language_once_before_submit(ui: UiHarness, device: dict[str, str]):
    start_report(ui)
    ui.type("Where did it happen?", "Hall")
    ui.type("What happened?", "He kicked off and was restrained.")
    ui.click("Next Page")
    ui.click("Submit Report")
    dialog = ui.open_dialogs()[-1]
    assert isinstance(dialog, ft.AlertDialog) and dialog.title.value == "Check the language before you submit?"
    assert ui.find_all(ft.Semantics, label="submit-check-flag-1") and ui.find_all(
        ft.Semantics, label="submit-check-flag-2"
    )
    ui.click("Review")
    assert store_of(ui).drafts("incident") and not ui.open_dialogs()
    ui.click("Submit Report")  # never twice: it goes through
    assert snack(ui).content.value == "Report submitted. Key people will be notified when it syncs."
    assert snack(ui).action == "AI Support"


def test_flags_already_seen_under_check_language_are_not_shown_again(ui: UiHarness, device: dict[str, str]):
    start_report(ui)
    ui.type("What happened?", "He kicked off.")
    ui.click(ui.find(ft.Semantics, label="what-happened-check").content)
    ui.click("Next Page")
    ui.click("Submit Report")
    assert snack(ui).content.value == "Report submitted. Key people will be notified when it syncs."


def test_a_communication_is_checked_once_before_it_is_saved(ui: UiHarness, device: dict[str, str]):
    ui.go(f"/people/{device['ada']}/communications")
    ui.set_value(ui.find(ft.RadioGroup), "negative")
    ui.type(ui.find(ft.TextField, label="Message — clear, factual and child-centred"), "Ada was defiant in maths.")
    ui.click(ui.find(ft.Button, text="Save"))
    assert ui.has_text("Check the language before you submit?")
    ui.click("Submit anyway")
    assert snack(ui).content.value == "Communication saved. Key staff will be notified."
    assert [c for c in store_of(ui).records("communication") if "defiant" in c.values["message"]]


def test_the_language_model_asked_with_no_server_says_so_in_words(ui: UiHarness, device: dict[str, str]):
    ui.go(f"/ai-support/{device['ada']}")
    ui.click(ui.find(ft.OutlinedButton, text="Summarise recent record"))
    ui.settle()
    assert ui.has_text(OFFLINE)  # this device's server is not there: everything else on the screen still works
    assert ui.has_text("Suggestions for this individual") and not ui.find_all(ft.Semantics, label="ai-summary")


def test_improving_a_letter_with_no_server_keeps_the_draft_and_says_why(ui: UiHarness, device: dict[str, str]):
    open_incident(ui, "besmart-10281")
    ui.click(ui.find(ft.OutlinedButton, text="AI Support"))
    ui.click(ui.find(ft.OutlinedButton, text="Draft a letter"))
    letter = ui.find(ft.TextField, label="The letter (edit it before you use it)")
    before = letter.value
    ui.click(ui.find(ft.OutlinedButton, text="Improve with the language model"))
    ui.settle()
    assert ui.has_text(OFFLINE) and letter.value == before


def test_a_response_is_checked_once_before_it_is_sent(ui: UiHarness, device: dict[str, str]):
    ui.go(f"/people/{device['ada']}/communications")
    [box] = ui.find_all(ft.TextField, label="Respond")
    ui.type(box, "She was attention-seeking again.")
    ui.click(ui.find_all(ft.IconButton, label="Send response")[0])
    assert ui.has_text("Check the language before you submit?")
    ui.click("Review")  # back to the box, nothing sent
    assert not [r for t in store_of(ui).communications(device["ada"]) for r in t.responses]
    ui.click(ui.find_all(ft.IconButton, label="Send response")[0])  # never twice: it is sent
    assert snack(ui).content.value == "Response saved"
    [thread] = store_of(ui).communications(device["ada"])
    assert [r.values["message"] for r in thread.responses] == ["She was attention-seeking again."]
