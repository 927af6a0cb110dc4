"""The Smart Plan Builder screen (screens/plan_builder.py), in process: opened from "What next?" straight after an
incident is submitted, its sections one step at a time with the record's suggestions beside them (accept, edit
then accept, dismiss — nothing added unasked), items kept as typed and written when left, the reflection figures,
and Publish for a lead or Save draft for a plan lead who may not publish."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import flet as ft
import pytest
from pypdf import PdfReader

from app.config import ClientConfig
from app.context import Context
from app.plans import Plans
from tests.support.screens import (
    LEAD,
    STAFF,
    add_account,
    open_app,
    root,
    seed,
    server_update,
    snack,
    start_report,
    store_of,
    unlock,
)
from tests.support.ui_harness import UiHarness, inside

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def lead_device(config: ClientConfig) -> dict[str, str]:
    """Lee (lead) has used this device before; Ada has an incident whose learning the builder offers."""
    store = add_account(config, LEAD)
    ids = seed(store, LEAD)
    ctx = Context(store, LEAD)
    ids["learning"] = ctx.write(
        "incident",
        "create",
        {
            "status": "submitted",
            "recorded_by": "u-lead",
            "recorded_at": NOW.isoformat(),
            "occurred_at": (NOW - dt.timedelta(days=5)).isoformat(),
            "location": "Science lab",
            "what_happened": "Threw goggles",
            "pild_triggers": "Being told off in front of the class",
            "pild_adjustments": "Warn her before cover lessons",
            "physical_intervention": True,
            "pi_plan_followed": False,
            "pi_deescalation": [
                {"technique": "Offering a choice", "effectiveness": "effective"},
                {"technique": "Raised voice", "effectiveness": "not_effective"},
            ],
        },
        profile_id=ids["ada"],
    )
    [shouting] = [t.id for t in store.behaviour_types() if t.values["label"] == "Shouting out"]
    for days in (1, 2, 40):
        ctx.write(
            "clicker_event",
            "create",
            {
                "behaviour_type_id": shouting,
                "staff_id": "u-lead",
                "occurred_at": (NOW - dt.timedelta(days=days)).isoformat(),
                "device_id": "dev-u-lead",
            },
            profile_id=ids["ada"],
        )
    store.close()
    return ids


@pytest.fixture
def lead_ui(config: ClientConfig, lead_device: dict[str, str]) -> Iterator[UiHarness]:
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        yield ui


def draft(plan_lead: str) -> dict[str, object]:
    """A new plan's fields as a lead's device starts it (`Plans.start`), naming its plan lead."""
    return {
        "status": "draft",
        "version": 1,
        "plan_lead": plan_lead,
        "created_by": "u-lead",
        "created_at": NOW.isoformat(),
    }


def open_builder(ui: UiHarness, profile_id: str) -> str:
    """A lead starts the individual's plan and opens it in the builder; its id."""
    plan_id = plans(ui).start(profile_id)
    ui.go(f"/plans/{plan_id}/build")
    return plan_id


def plans(ui: UiHarness) -> Plans:
    shell = root(ui).shell
    assert shell is not None
    return shell.services.plans


def the_plan(ui: UiHarness, profile_id: str) -> dict:
    [plan] = [p for p in store_of(ui).records("smart_plan", profile_id)]
    return plan.values


def go_to_step(ui: UiHarness, title: str) -> None:
    dropdown = ui.find(ft.Dropdown, label="Section")
    [option] = [o for o in dropdown.options if o.text == title]
    ui.select(dropdown, option.key)
    assert ui.has_text(re.compile(rf"step \d+ of \d+: {re.escape(title)}"))


def suggestion(ui: UiHarness, text: str) -> ft.Card:
    [found] = [c for c in ui.find_all(ft.Card) if any(t.value == text for t in _texts(c))]
    return found


def _texts(control: ft.Control) -> list[ft.Text]:
    content = control.content.content  # Card -> Container -> Column
    return [c for c in content.controls if isinstance(c, ft.Text)]


def press(ui: UiHarness, card: ft.Card, button: str) -> None:
    row = card.content.content.controls[-1]
    [found] = [b for b in row.controls if b.content == button]
    ui.click(found)


def test_after_submitting_an_incident_what_next_opens_the_builder_on_a_new_draft(
    lead_ui: UiHarness, lead_device: dict[str, str]
):
    ui = lead_ui
    start_report(ui)
    ui.type("What happened?", "Pushed a chair over in the corridor")
    ui.click("Next Page")
    ui.type("Likely triggers for the incident", "Noisy corridor at changeover")
    ui.click("Submit Report")
    assert ui.has_text("Pushed a chair over in the corridor")
    assert ui.find(ft.Semantics, label="what-next") and ui.has_text("What next?")
    assert ui.find_all(ft.OutlinedButton, text="AI Support")  # the other next step the guide names
    [submitted] = [i.id for i in store_of(ui).incidents() if i.values.get("what_happened", "").startswith("Pushed")]
    ui.click(ui.find(ft.Button, text="Smart Plan"))

    assert ui.has_text("Smart Plan Builder — Ada Lovelace")
    assert ui.has_text(re.compile(r"^Version 1 · step 1 of 11: Plan details"))
    values = the_plan(ui, lead_device["ada"])
    assert (values["status"], values["plan_lead"], values["linked_incident_ids"]) == ("draft", "u-lead", [submitted])
    # The incident's learning is offered in its section, with where it came from; nothing is in the plan yet.
    go_to_step(ui, "Understanding my behaviour")
    card = suggestion(ui, "Noisy corridor at changeover")
    assert any(re.fullmatch(r"For “Triggers” · from Incident, \d+ \w{3} \d{4}", t.value) for t in _texts(card))
    suggestion(ui, "Being told off in front of the class")  # and the earlier incident's
    assert values["triggers"] == ""
    # The panel is for right after submitting: the incident opened again has none.
    ui.go(f"/incidents/{submitted}")
    assert ui.has_text("Pushed a chair over in the corridor") and not ui.has_text("What next?")


def test_accept_edit_and_dismiss_change_the_draft_as_shown(lead_ui: UiHarness, lead_device: dict[str, str]):
    ui = lead_ui
    ada = lead_device["ada"]
    open_builder(ui, ada)
    go_to_step(ui, "Understanding my behaviour")
    press(ui, suggestion(ui, "Being told off in front of the class"), "Accept")
    assert ui.find(ft.TextField, label="Triggers").value == "- Being told off in front of the class"
    assert the_plan(ui, ada)["triggers"] == "- Being told off in front of the class"
    assert the_plan(ui, ada)["linked_incident_ids"] == [lead_device["learning"]]
    assert not [c for c in ui.find_all(ft.Card) if "Being told off" in str([t.value for t in _texts(c)])]

    go_to_step(ui, "Proactive (green)")
    press(ui, suggestion(ui, "Warn her before cover lessons"), "Edit")
    [dialog] = [d for d in ui.open_dialogs() if isinstance(d, ft.AlertDialog)]
    ui.type(ui.find(ft.TextField, label="Suggestion"), "Warn her the day before a cover lesson")
    ui.click(ui.find(ft.TextButton, text="Accept edited"))
    assert not dialog.open
    assert the_plan(ui, ada)["reasonable_adjustments"] == "- Warn her the day before a cover lesson"
    assert ui.find(ft.TextField, label="Reasonable adjustments").value == "- Warn her the day before a cover lesson"

    go_to_step(ui, "When anxiety rises (amber)")
    press(ui, suggestion(ui, "Raised voice"), "Dismiss")
    assert snack(ui).content.value == "Suggestion dismissed"
    assert the_plan(ui, ada)["amber_avoid"] == ""  # dismissing adds nothing
    assert not ui.find_all(ft.Card, where=lambda c: any(t.value == "Raised voice" for t in _texts(c)))
    suggestion(ui, "Offering a choice")  # still offered

    # An empty edit is refused in plain words in the dialog, which stays open, and nothing changes…
    press(ui, suggestion(ui, "Offering a choice"), "Edit")
    [dialog] = [d for d in ui.open_dialogs() if isinstance(d, ft.AlertDialog)]
    ui.type(ui.find(ft.TextField, label="Suggestion"), "  ")
    ui.click(ui.find(ft.TextButton, text="Accept edited"))
    assert dialog.open
    assert ui.find_all(
        ft.Text, text="The suggestion is empty: edit it or dismiss it.", where=lambda t: inside(t, dialog)
    )
    assert the_plan(ui, ada)["amber_helps"] == ""
    # …until words are given there.
    ui.type(ui.find(ft.TextField, label="Suggestion"), "Offer her a choice of two tasks")
    ui.click(ui.find(ft.TextButton, text="Accept edited"))
    assert not dialog.open and snack(ui).content.value == "Added to “What helps”"
    assert the_plan(ui, ada)["amber_helps"] == "- Offer her a choice of two tasks"


def test_items_are_kept_as_typed_and_written_to_the_plan_when_left(lead_ui: UiHarness, lead_device: dict[str, str]):
    ui = lead_ui
    ada = lead_device["ada"]
    plan_id = open_builder(ui, ada)
    go_to_step(ui, "About me")
    before = store_of(ui).pending_count()
    strengths = ui.find(ft.TextField, label="My strengths and interests")
    for text in ("Dra", "Drawing", "Drawing and football"):
        ui.type(strengths, text)
    assert store_of(ui).pending_count() == before  # kept on the device, not one change a key
    assert the_plan(ui, ada)["about_strengths"] == ""
    # Leaving the app mid-sentence loses nothing: the builder opens with the words typed.
    ui.navigate_to("Dashboard")
    ui.go(f"/plans/{plan_id}/build")
    go_to_step(ui, "About me")
    assert ui.find(ft.TextField, label="My strengths and interests").value == "Drawing and football"
    views = [a.values for a in store_of(ui).records("audit_event") if a.values["action"] == "view"]
    assert [(v["record_kind"], v["record_id"]) for v in views] == [("smart_plan", plan_id)] * 2  # once per opening
    ui.event(ui.find(ft.TextField, label="My strengths and interests"), "blur")
    assert the_plan(ui, ada)["about_strengths"] == "Drawing and football"
    assert store_of(ui).pending_count() == before + 2  # one change for the item, and the audited second opening
    ui.type(ui.find(ft.TextField, label="What matters to me"), "My dog, Biscuit")
    ui.click("Next")  # leaving the section writes it, too
    assert ui.has_text(re.compile(r"step 4 of 11: Understanding my behaviour"))
    assert the_plan(ui, ada)["about_what_matters"] == "My dog, Biscuit"
    ui.click("Previous")
    assert ui.find(ft.TextField, label="What matters to me").value == "My dog, Biscuit"


def back_arrow(ui: UiHarness) -> ft.IconButton:
    return ui.find(ft.Semantics, label="plan-builder-back").content


def test_the_back_arrow_writes_what_was_typed_and_returns_to_the_profile(
    lead_ui: UiHarness, lead_device: dict[str, str]
):
    ui = lead_ui
    ada = lead_device["ada"]
    ui.go(f"/people/{ada}")
    open_builder(ui, ada)
    go_to_step(ui, "About me")
    assert back_arrow(ui).tooltip == "Back to the profile (what you typed is kept in the draft)"
    ui.type(ui.find(ft.TextField, label="My strengths and interests"), "Drawing")
    ui.click(back_arrow(ui))
    assert ui.page.route == f"/people/{ada}"
    assert the_plan(ui, ada)["about_strengths"] == "Drawing"


def test_the_back_arrow_names_smart_plans_when_opened_from_there_and_no_draft_once_published(
    lead_ui: UiHarness, lead_device: dict[str, str]
):
    ui = lead_ui
    ada = lead_device["ada"]
    ui.navigate_to("Smart Plans")
    ui.click("Start a plan")
    ui.select(ui.find(ft.Dropdown, label="Individual"), ada)
    ui.click(ui.find(ft.TextButton, text="Start"))
    assert ui.has_text("Smart Plan Builder — Ada Lovelace")
    assert back_arrow(ui).tooltip == "Back to Smart Plans (what you typed is kept in the draft)"
    go_to_step(ui, "About me")  # its own steps are passed over
    ui.type(ui.find(ft.TextField, label="My strengths and interests"), "Drawing")
    assert back_arrow(ui).tooltip == "Back to Smart Plans (what you typed is kept in the draft)"
    go_to_step(ui, "Publish")
    ui.click(ui.find(ft.Button, text="Publish"))
    assert the_plan(ui, ada)["status"] == "active"
    assert back_arrow(ui).tooltip == "Back to Smart Plans"  # published: there is no draft any more
    ui.click(back_arrow(ui))
    assert ui.page.route == "/plans"


def test_the_same_words_are_one_suggestion_naming_no_other_individual(lead_ui: UiHarness, lead_device: dict[str, str]):
    """Ada's view, recorded twice, names Bo Peep: one card, "another young person", with both incidents behind
    it; accepted, that is what the plan says."""
    ui = lead_ui
    ada = lead_device["ada"]
    ctx = Context(store_of(ui), LEAD)
    for days in (3, 1):
        ctx.write(
            "incident",
            "create",
            {
                "status": "submitted",
                "recorded_by": "u-lead",
                "recorded_at": NOW.isoformat(),
                "occurred_at": (NOW - dt.timedelta(days=days)).isoformat(),
                "pild_perspective": "Bo Peep was laughing at me.",
            },
            profile_id=ada,
        )
    open_builder(ui, ada)
    go_to_step(ui, "About me")
    assert not ui.has_text(re.compile("Bo Peep"))
    card = suggestion(ui, "Another young person was laughing at me.")
    [source] = [t.value for t in _texts(card) if t.value.startswith("For ")]
    assert re.fullmatch(
        r"For “In my own words” · recorded 2 times: Incident, \d+ \w{3} \d{4}; Incident, \d+ \w{3} \d{4}", source
    )
    press(ui, card, "Accept")
    assert snack(ui).content.value == "Added to “In my own words”"
    assert the_plan(ui, ada)["pupil_voice"] == "- Another young person was laughing at me."


def test_the_ehcp_link_starts_from_the_profile(lead_ui: UiHarness, lead_device: dict[str, str]):
    """Ada's profile says she has an EHC plan: her new plan's EHCP link says so, in the builder and in the plan."""
    ui = lead_ui
    ada = lead_device["ada"]
    Context(store_of(ui), LEAD).write("individual", "update", {"ehc_plan": True}, record_id=ada)
    open_builder(ui, ada)
    assert ui.find(ft.Dropdown, label="EHCP").value == "yes"
    assert ui.find(ft.Dropdown, label="PEP").value == "unknown"  # nothing on the profile answers it
    assert the_plan(ui, ada)["link_ehcp"] is True


def test_the_reflection_step_shows_the_figures_beside_the_four_questions(
    lead_ui: UiHarness, lead_device: dict[str, str]
):
    ui = lead_ui
    open_builder(ui, lead_device["ada"])
    go_to_step(ui, "Reflection")
    for question in (
        "What behaviours are we seeing?",
        "What triggers are evident?",
        "What strategies have worked before?",
        "Are we responding consistently?",
    ):
        assert ui.has_text(question)
    # Seeded: incidents 2, 5 and 20 days ago; taps 1 and 2 days ago, and one 40 days ago.
    assert ui.has_text("Incidents: 3 in the last 4 weeks, 0 in the 4 weeks before")
    assert ui.has_text("Shouting out: 2 in the last 4 weeks, 1 in the 4 weeks before")
    assert ui.has_text("Most frequent triggers: Being told off in front of the class (1)")
    assert ui.has_text(re.compile(r"^Places: .*Science lab \(1\)"))
    assert ui.has_text("Offering a choice: effective 1, partly 0, not effective 0")
    assert ui.has_text("Incidents where the Smart Plan was not followed:")
    assert ui.has_text(re.compile(r"^Not yet numbered, \d+ \w{3} \d{4}$"))


def test_a_lead_publishes_then_downloads_the_plan(lead_ui: UiHarness, lead_device: dict[str, str]):
    ui = lead_ui
    ada = lead_device["ada"]
    plan_id = open_builder(ui, ada)
    go_to_step(ui, "About me")
    ui.type(ui.find(ft.TextField, label="My strengths and interests"), "Drawing")
    go_to_step(ui, "Publish")
    assert ui.has_text(
        re.compile(r"^1 of \d+ items of the plan's sections written\.")
    )  # what was typed was written on leaving
    ui.click(ui.find(ft.Button, text="Publish"))
    assert the_plan(ui, ada)["status"] == "active"
    assert ui.has_text("Version 1 is published: it is the active Smart Plan.")
    assert not ui.find_all(ft.Button, text="Publish") and not ui.find_all(ft.Button, text="Next")
    before = {op.op_id for op in store_of(ui).pending_ops()}
    ui.click(ui.find(ft.Button, text="Download PDF"))
    ui.settle()
    [args] = [a for n, a in ui.invoked if n == "save_file"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(args["src_bytes"])).pages)
    assert "Ada Lovelace" in text and "Drawing" in text and "OFFICIAL-SENSITIVE" in text
    [audit] = [op for op in store_of(ui).pending_ops() if op.op_id not in before]
    assert (audit.fields["action"], audit.fields["record_id"]) == ("download", plan_id)


def test_a_review_date_that_has_passed_is_said_and_publishing_says_to_set_a_new_one(
    lead_ui: UiHarness, lead_device: dict[str, str]
):
    """A draft's review date chosen weeks ago (or carried from the version before) may have passed: the details say
    so, the calendar opens on a day that can be chosen, and publishing says to set a new one."""
    ui = lead_ui
    ada = lead_device["ada"]
    plan_id = plans(ui).start(ada)
    fields = {"review_date": "2025-06-01", "about_strengths": "Drawing"}
    Context(store_of(ui), LEAD).write("smart_plan", "update", fields, record_id=plan_id)
    ui.go(f"/plans/{plan_id}/build")
    assert ui.has_text("Next review date: 1 Jun 2025 (passed: choose a new one)")
    ui.click(ui.find(ft.OutlinedButton, text="Choose"))
    [picker] = [d for d in ui.open_dialogs() if isinstance(d, ft.DatePicker)]
    # Flutter's calendar refuses to open on a day before its first one.
    assert picker.first_date.date() == dt.date.today() <= picker.value.date()
    ui.event(picker, "dismiss")  # closed without choosing
    go_to_step(ui, "Publish")
    ui.click(ui.find(ft.Button, text="Publish"))
    assert the_plan(ui, ada)["status"] == "active"
    assert snack(ui).content.value.endswith(
        "Its next review date, 1 Jun 2025, has passed: set a new one with \u201cAdd a review\u201d."
    )


def test_a_plan_lead_who_may_not_publish_saves_the_draft(config: ClientConfig):
    """Sam (staff) leads Ada's draft: he builds it, but a lead publishes it."""
    store = add_account(config, STAFF)
    ids = seed(store, STAFF)
    plan_id = Context(store, LEAD).write(  # a lead started it, naming Sam its plan lead
        "smart_plan",
        "create",
        {
            "status": "draft",
            "version": 1,
            "plan_lead": "u-staff",
            "created_by": "u-lead",
            "created_at": NOW.isoformat(),
        },
        profile_id=ids["ada"],
    )
    store.close()
    with open_app(config) as ui:
        unlock(ui)
        ui.go(f"/plans/{plan_id}/build")
        assert ui.has_text("Smart Plan Builder — Ada Lovelace")
        go_to_step(ui, "About me")
        ui.type(ui.find(ft.TextField, label="What matters to me"), "Her cat")
        go_to_step(ui, "Publish")
        assert not ui.find_all(ft.Button, text="Publish")
        assert ui.has_text("Your role does not publish Smart Plans: save the draft, and a lead publishes it.")
        ui.click(ui.find(ft.Button, text="Save draft"))
        assert snack(ui).content.value == "Draft saved. A lead publishes it."
        values = the_plan(ui, ids["ada"])
        assert (values["status"], values["about_what_matters"]) == ("draft", "Her cat")


def test_staff_who_do_not_lead_the_plan_cannot_open_the_builder(ui: UiHarness, device: dict[str, str]):
    start_report(ui)
    ui.type("What happened?", "Kicked a bin")
    ui.click("Next Page")
    ui.click("Submit Report")
    assert ui.has_text("Kicked a bin")
    assert not ui.find_all(ft.Button, text="Smart Plan")  # no plan to see, none to build
    assert ui.has_text("What next?") and ui.find_all(ft.OutlinedButton, text="AI Support")  # AI Support is theirs
    assert not ui.has_text(re.compile("Smart Plan"))  # and the card offers only what its button does
    # Nor may they open it by its address: it says why, and nothing is shown.
    plan_id = Context(store_of(ui), LEAD).write(
        "smart_plan",
        "create",
        draft("u-lead"),
        profile_id=device["ada"],
    )
    ui.go(f"/plans/{plan_id}/build")
    assert snack(ui).content.value == "Only a lead or the plan's lead may build this Smart Plan."
    assert not ui.has_text(re.compile("^Smart Plan Builder"))


def test_details_targets_and_contributors_are_written_to_the_draft(lead_ui: UiHarness, lead_device: dict[str, str]):
    ui = lead_ui
    ada = lead_device["ada"]
    open_builder(ui, ada)
    ui.type(ui.find(ft.TextField, label="Title"), "Ada's plan for Year 7")
    ui.select(ui.find(ft.Dropdown, label="Plan type"), "interim")  # a choice is written at once, with the title
    assert (the_plan(ui, ada)["plan_type"], the_plan(ui, ada)["title"]) == ("interim", "Ada's plan for Year 7")
    ui.select(ui.find(ft.Dropdown, label="EHCP"), "yes")
    ui.type(ui.find(ft.TextField, label="EHCP note"), "Annual review in March")
    ui.select(ui.find(ft.Dropdown, label="PEP"), "no")
    ui.click(ui.find(ft.OutlinedButton, text="Choose"))
    [picker] = [d for d in ui.open_dialogs() if isinstance(d, ft.DatePicker)]
    review = dt.date.today() + dt.timedelta(weeks=6)
    ui.set_value(picker, dt.datetime.combine(review, dt.time()).astimezone(dt.UTC))  # as the client sends it
    assert ui.has_text(f"Next review date: {review.day} {review:%b %Y}")
    values = the_plan(ui, ada)
    assert (values["link_ehcp"], values["link_ehcp_note"], values["link_pep"], values["link_risk_assessment"]) == (
        True,
        "Annual review in March",
        False,
        None,
    )
    assert values["review_date"] == review.isoformat()

    go_to_step(ui, "Targets")
    ui.click("Add a target")
    ui.click("Add a target")  # left empty: not a target, so not kept
    [target, _empty] = ui.find_all(ft.TextField, label="Target")
    ui.type(target, "Stays in lessons after a correction")
    ui.type(ui.find_all(ft.TextField, label="How progress will be measured")[0], "Behaviour Clicker: walk-outs a week")
    go_to_step(ui, "Contributors and agreement")
    assert the_plan(ui, ada)["targets"] == [
        {"target": "Stays in lessons after a correction", "measured_by": "Behaviour Clicker: walk-outs a week"}
    ]
    ui.click("Add a contributor")
    ui.type(ui.find(ft.TextField, label="Name"), "Mary Lovelace")
    ui.select(ui.find(ft.Dropdown, label="Contributes as"), "parent")
    ui.select(ui.find(ft.Dropdown, label="The parent or carer agrees with the plan"), "yes")
    [contributor] = the_plan(ui, ada)["contributors"]
    assert (contributor["name"], contributor["role"], contributor["date"]) == (
        "Mary Lovelace",
        "parent",
        dt.date.today().isoformat(),
    )
    assert the_plan(ui, ada)["parent_agrees"] is True and the_plan(ui, ada)["individual_agrees"] is None
    go_to_step(ui, "Targets")
    assert ui.find(ft.TextField, label="Target").value == "Stays in lessons after a correction"


def test_items_changed_by_two_people_at_once_are_pointed_out(lead_ui: UiHarness, lead_device: dict[str, str]):
    ui = lead_ui
    plan_id = plans(ui).start(lead_device["ada"])
    plans(ui).edit(plan_id, {"triggers": "- Loud corridors"})
    store = store_of(ui)
    store.acknowledge(op.op_id for op in store.pending_ops(10_000))
    server_update(store, plan_id, {"triggers": "- Cover lessons"}, seen=False)  # a colleague, offline, meanwhile
    ui.go(f"/plans/{plan_id}/build")
    assert ui.has_text("Changed by two people at once, both versions kept: Triggers. Choose one on the plan.")
    ui.click("Open the plan")  # where the versions are shown side by side, to keep one
    assert ui.page.route == f"/plans/{plan_id}"


def test_an_archived_version_is_not_opened_in_the_builder(lead_ui: UiHarness, lead_device: dict[str, str]):
    ui = lead_ui
    first = plans(ui).start(lead_device["ada"])
    plans(ui).edit(first, {"about_strengths": "Loves drawing"})
    plans(ui).publish(first)
    plans(ui).publish(plans(ui).start_next_version(first))  # the first is archived, read-only
    ui.go(f"/plans/{first}/build")
    assert snack(ui).content.value == "This version of the Smart Plan is archived: it can be read but not changed."
    assert not ui.has_text(re.compile("^Smart Plan Builder"))


def test_publishing_checks_the_language_once_first(lead_ui: UiHarness, lead_device: dict[str, str]):
    """What the language check finds in the plan, not seen under its items, is shown once before publishing."""
    ui = lead_ui
    ada = lead_device["ada"]
    open_builder(ui, ada)
    go_to_step(ui, "Understanding my behaviour")
    ui.type(ui.find(ft.TextField, label="Behaviours of concern"), "Ada is manipulative when she has a meltdown.")
    go_to_step(ui, "Publish")
    ui.click(ui.find(ft.Button, text="Publish"))
    assert ui.has_text("Check the language before you submit?")
    assert the_plan(ui, ada)["status"] == "draft"  # nothing published while the writer decides
    ui.click("Submit anyway")
    assert the_plan(ui, ada)["status"] == "active"
