"""The Smart Plans screens (screens/plans.py), in process: Smart Plans in the navigation (under "More" on a
phone), the list filtered by status and review date, one plan with every section, its versions compared,
contributions added and marked used, Publish, Delete with a required reason, Download PDF (audited), the
profile's Smart Plans tab — and what staff may not do."""

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
from app.services import Services
from localdb.store import LocalStore
from sync.protocol import UserInfo
from tests.support.screens import (
    LEAD,
    STAFF,
    add_account,
    make_conflict,
    open_app,
    root,
    seed,
    server_create,
    snack,
    store_of,
    unlock,
)
from tests.support.ui_harness import UiHarness, inside


def seed_plans(store: LocalStore, ids: dict[str, str]) -> dict[str, str]:
    """Ada's plan in two versions (the first archived, the second active with its review due in three days) with
    two contributions; Bo's plan a draft; Cy has none."""
    lead = Services.of(Context(store, LEAD))
    plans = lead.plans
    first = plans.start(ids["ada"])
    plans.edit(first, {"title": "Ada's Smart Plan", "triggers": "Loud corridors", "amber_helps": "Quiet room"})
    plans.publish(first)
    second = plans.start_next_version(first)
    plans.edit(second, {"triggers": "Loud corridors\nCover lessons", "about_strengths": "Drawing horses"})
    plans.edit(second, {"review_date": (dt.date.today() + dt.timedelta(days=3)).isoformat()})
    plans.publish(second)
    staff = Services.of(Context(store, STAFF))
    staff.plans.contribute(second, "green", "Praise her drawing quietly")
    bo = plans.start(ids["bo"])
    plans.edit(bo, {"title": "Bo's plan", "early_signs": "Hums, then taps the table"})
    cy = lead.context.write("individual", "create", {"first_name": "Cy", "last_name": "Twombly", "group": "Year 9"})
    return {**ids, "first": first, "second": second, "bo_plan": bo, "cy": cy}


def device_with_plans(config: ClientConfig, user: UserInfo) -> dict[str, str]:
    store = add_account(config, user)
    ids = seed_plans(store, seed(store, user))
    store.close()
    return ids


def signed_in(config: ClientConfig, user: UserInfo) -> Iterator[UiHarness]:
    """The app unlocked by `user`, on the dashboard of a phone-sized window."""
    with open_app(config) as h:
        unlock(h, email=user.email)
        yield h


@pytest.fixture
def staff_ids(config: ClientConfig) -> dict[str, str]:
    return device_with_plans(config, STAFF)


@pytest.fixture
def staff(config: ClientConfig, staff_ids: dict[str, str]) -> Iterator[UiHarness]:
    yield from signed_in(config, STAFF)


@pytest.fixture
def lead_ids(config: ClientConfig) -> dict[str, str]:
    return device_with_plans(config, LEAD)


@pytest.fixture
def lead(config: ClientConfig, lead_ids: dict[str, str]) -> Iterator[UiHarness]:
    yield from signed_in(config, LEAD)


def the_dialog(ui: UiHarness) -> ft.AlertDialog:
    """The one dialog open (snack bars aside)."""
    [dialog] = [d for d in ui.open_dialogs() if isinstance(d, ft.AlertDialog)]
    return dialog


def says(ui: UiHarness, dialog: ft.AlertDialog, start: str) -> bool:
    """Whether the open `dialog` shows a text beginning with `start`."""
    return bool(ui.find_all(ft.Text, text=re.compile("^" + re.escape(start)), where=lambda t: inside(t, dialog)))


def tiles(ui: UiHarness) -> list[str]:
    return [t.title.value for t in ui.find_all(ft.ListTile) if t.title.value.endswith(("Plan", "plan"))]


def audits(ui: UiHarness, action: str) -> list[dict]:
    return [
        op.fields
        for op in store_of(ui).pending_ops(10_000)
        if op.kind == "audit_event" and op.fields["action"] == action
    ]


def open_plan(ui: UiHarness, title: str) -> None:
    ui.navigate_to("Smart Plans")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == title))


def test_smart_plans_is_under_more_on_a_phone_and_in_the_rail_on_a_desktop(staff: UiHarness):
    shell = root(staff).shell
    bar = [d.label for d in staff.find(ft.NavigationBar).destinations]
    assert bar == ["Dashboard", "Directory", "Record & Plan", "Incidents", "More"]
    staff.navigate_to("Smart Plans")  # from the sheet "More" opens
    assert staff.has_text("Smart Plans") and shell.route == "/plans"
    assert shell.nav.selected_index == 4  # "More" is marked while one of its destinations is shown
    staff.navigate_to("Inbox")
    assert shell.route == "/inbox"
    staff.navigate_to("Incidents")
    staff.select_index(staff.find(ft.NavigationBar), 4)  # "More", then closed without choosing
    [sheet] = [d for d in staff.open_dialogs() if isinstance(d, ft.BottomSheet)]
    staff.event(sheet, "dismiss")
    assert shell.nav.selected_index == 3 and shell.route == "/incidents"  # what is shown is marked again
    staff.resize(1280, 800)
    rail = [d.label for d in staff.find(ft.NavigationRail).destinations]
    assert rail == ["Dashboard", "Directory", "Record & Plan", "Incidents", "Inbox", "Smart Plans"]
    staff.navigate_to("Smart Plans")
    assert shell.rail.selected_index == 5


def test_a_lead_has_analytics_under_more_too(lead: UiHarness):
    [sheet_button] = [i for i, d in enumerate(lead.find(ft.NavigationBar).destinations) if d.label == "More"]
    lead.select_index(lead.find(ft.NavigationBar), sheet_button)
    listed = [
        t.title.value for t in lead.find_all(ft.ListTile) if t.title.value in ("Inbox", "Smart Plans", "Analytics")
    ]
    assert listed == ["Inbox", "Smart Plans", "Analytics"]
    lead.click(lead.find(ft.ListTile, where=lambda t: t.title.value == "Analytics"))
    assert root(lead).shell.route == "/analytics"


def test_the_list_filters_by_status_and_review_date(staff: UiHarness):
    staff.navigate_to("Smart Plans")
    assert tiles(staff) == ["Ada Lovelace — Ada's Smart Plan", "Ada Lovelace — Ada's Smart Plan", "Bo Peep — Bo's plan"]
    due = f"{(dt.date.today() + dt.timedelta(days=3)):%-d %b %Y}"
    assert staff.has_text(f"Version 2 · Active · review {due} · review due · 1 new contribution · waiting for sync")
    assert staff.has_text("Version 1 · Archived · waiting for sync")
    staff.select("Status", "draft")
    assert tiles(staff) == ["Bo Peep — Bo's plan"] and staff.has_text("1 plan matches")
    staff.select("Status", "")
    staff.select("Review", "due")
    assert tiles(staff) == ["Ada Lovelace — Ada's Smart Plan"]
    staff.select("Review", "overdue")
    assert tiles(staff) == [] and staff.has_text("No Smart Plans match these filters.")
    staff.click("Clear filters")
    assert len(tiles(staff)) == 3


def test_staff_read_a_plan_compare_versions_and_may_not_publish_or_delete(staff: UiHarness, staff_ids: dict[str, str]):
    staff.navigate_to("Smart Plans")
    staff.click(staff.find(ft.ListTile, where=lambda t: "review due" in t.subtitle.value))
    assert staff.has_text(re.compile("^" + re.escape("Ada Lovelace · Full plan · Version 2 · Active")))
    assert staff.has_text("Loud corridors\nCover lessons") and staff.has_text("Drawing horses")
    assert staff.has_text("Quiet room")  # carried over from version 1
    assert not staff.find_all(ft.OutlinedButton, text="Publish") and not staff.find_all(
        ft.OutlinedButton, text="Delete"
    )
    assert not staff.find_all(ft.OutlinedButton, text="Edit: start the next version")
    assert staff.find_all(ft.OutlinedButton, text="Download PDF")
    # Opening it was audited once; showing it again after a change or a sync is not another view.
    assert [(a["record_kind"], a["record_id"]) for a in audits(staff, "view")] == [("smart_plan", staff_ids["second"])]
    shell = root(staff).shell
    shown = shell.current
    shell.refresh()  # a sync brought changes: the plan is shown again, not viewed again
    assert shell.current is not shown and len(audits(staff, "view")) == 1
    staff.type("Contribution", "Half typed")
    shown = shell.current
    shell.refresh()  # not while a contribution is being typed
    assert shell.current is shown and staff.find(ft.TextField, label="Contribution").value == "Half typed"
    staff.type("Contribution", "")
    staff.click(staff.find(ft.FilledButton, text="Compare"))
    assert staff.has_text("Before: Loud corridors") and staff.has_text("After: Loud corridors\nCover lessons")
    assert staff.has_text("Before: —") and staff.has_text("After: Drawing horses")
    assert not staff.has_text("Before: Quiet room")  # unchanged items are not listed
    # The earlier version opens from the list of versions, read-only.
    staff.click(staff.find(ft.ListTile, where=lambda t: t.title.value == "Version 1"))
    assert staff.has_text("An earlier version, archived: it can be read but not changed.")
    assert not staff.find_all(ft.FilledButton, text="Add contribution")


def test_staff_contribute_in_their_own_words_or_on_behalf_of_a_parent(staff: UiHarness, staff_ids: dict[str, str]):
    staff.go(f"/plans/{staff_ids['second']}")
    assert staff.has_text("Praise her drawing quietly") and staff.has_text("Not used yet")
    before = len(Services.of(Context(store_of(staff), STAFF)).plans.contributions(staff_ids["second"]))
    staff.type("Contribution", "She loves horses")
    staff.click(staff.find(ft.FilledButton, text="Add contribution"))  # no section chosen: none assumed
    assert snack(staff).content.value == "Choose the section the contribution is for."
    staff.select("Section", "about_me")
    staff.select("Whose words", "parent_carer")
    staff.type("Contribution", "She loves horses and the farm visit")
    staff.click(staff.find(ft.FilledButton, text="Add contribution"))  # no name given: refused, nothing saved
    assert staff.has_text("Say whom you are recording this on behalf of.")
    plans = Services.of(Context(store_of(staff), STAFF)).plans
    assert len(plans.contributions(staff_ids["second"])) == before
    staff.type("Their name", "Mary Lovelace")
    staff.click(staff.find(ft.FilledButton, text="Add contribution"))
    assert staff.has_text(
        re.compile("^" + re.escape("Mary Lovelace, recorded by Sam Staff (on behalf of a parent or carer)"))
    )
    assert staff.has_text("She loves horses and the farm visit")
    assert not staff.find_all(ft.TextButton, text="Mark used")  # the plan lead's, not staff's
    assert len(plans.contributions(staff_ids["second"], section="about_me")) == 1


def test_the_plan_lead_marks_a_contribution_used(lead: UiHarness, lead_ids: dict[str, str]):
    lead.go(f"/plans/{lead_ids['second']}")
    assert lead.has_text("Praise her drawing quietly") and lead.has_text("Not used yet")
    lead.click(lead.find(ft.TextButton, text="Mark used"))
    assert lead.has_text("Used in the plan") and lead.find_all(ft.TextButton, text="Mark not used")
    plans = Services.of(Context(store_of(lead), LEAD)).plans
    assert plans.contributions(lead_ids["second"])[0].values["used"] is True


def test_deleting_needs_a_reason(lead: UiHarness, lead_ids: dict[str, str]):
    lead.go(f"/plans/{lead_ids['second']}")
    lead.click(lead.find(ft.OutlinedButton, text="Delete"))
    dialog = the_dialog(lead)
    lead.click(lead.find(ft.TextButton, text="Delete"))  # no reason: the dialog stays, saying why
    assert the_dialog(lead) is dialog and says(lead, dialog, "Say why the Smart Plan is being deleted.")
    field = lead.find(ft.TextField, label="Why is it being deleted?")
    plans = Services.of(Context(store_of(lead), LEAD)).plans
    assert not plans.get(lead_ids["second"]).values.get("removed")
    lead.type(field, "Recorded for the wrong pupil")
    lead.click(lead.find(ft.TextButton, text="Delete"))
    assert not dialog.open and snack(lead).content.value == "Smart Plan deleted"
    assert root(lead).shell.route == "/plans"
    removed = plans.get(lead_ids["second"]).values  # kept for leads, with the reason
    assert removed["removed"] and removed["removed_reason"] == "Recorded for the wrong pupil"
    lead.go(f"/plans/{lead_ids['second']}")
    assert lead.has_text(re.compile(r"Recorded for the wrong pupil\. Kept for leads; no one else sees it\.$"))
    assert not lead.find_all(ft.OutlinedButton, text="Delete")


def test_publishing_from_the_plan_checks_its_language_first(lead: UiHarness, lead_ids: dict[str, str]):
    ctx = Context(store_of(lead), LEAD)
    ctx.write("smart_plan", "update", {"triggers": "- Attention seeking at lunch"}, record_id=lead_ids["bo_plan"])
    lead.go(f"/plans/{lead_ids['bo_plan']}")
    lead.click(lead.find(ft.OutlinedButton, text="Publish"))
    assert lead.has_text(re.compile("^The language check found words you may want to change"))
    assert Services.of(ctx).plans.get(lead_ids["bo_plan"]).values["status"] == "draft"  # nothing published yet


def test_a_lead_publishes_a_draft_and_starts_the_next_version(lead: UiHarness, lead_ids: dict[str, str]):
    lead.go(f"/plans/{lead_ids['bo_plan']}")
    assert lead.has_text(re.compile("^" + re.escape("Bo Peep · Full plan · Version 1 · Draft")))
    lead.click(lead.find(ft.OutlinedButton, text="Publish"))
    assert lead.has_text("Publish this version?")  # asked first: it becomes the plan everyone works to
    lead.click(lead.find(ft.TextButton, text="Cancel"))
    assert lead.has_text(re.compile("^" + re.escape("Bo Peep · Full plan · Version 1 · Draft")))
    lead.click(lead.find(ft.OutlinedButton, text="Publish"))
    lead.click(lead.find(ft.TextButton, text="Publish"))
    assert lead.has_text(re.compile("^" + re.escape("Bo Peep · Full plan · Version 1 · Active")))
    lead.click(lead.find(ft.OutlinedButton, text="Edit: start the next version"))
    plans = Services.of(Context(store_of(lead), LEAD)).plans
    versions = plans.versions(lead_ids["bo_plan"])
    assert [v.values["status"] for v in versions] == ["active", "draft"]
    assert root(lead).shell.current.params["plan_id"] == versions[1].id  # the draft opens (builder or view)


def test_a_lead_downloads_the_plan_as_a_pdf_audited(lead: UiHarness, lead_ids: dict[str, str]):
    lead.go(f"/plans/{lead_ids['second']}")
    lead.click(lead.find(ft.OutlinedButton, text="Download PDF"))
    lead.settle()
    [(_, args)] = [(n, a) for n, a in lead.invoked if n == "save_file"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(args["src_bytes"])).pages)
    assert "Ada Lovelace" in text and "Cover lessons" in text and "OFFICIAL-SENSITIVE" in text
    [download] = audits(lead, "download")
    assert (download["record_kind"], download["record_id"]) == ("smart_plan", lead_ids["second"])


def plans_tab(ui: UiHarness, profile_id: str) -> None:
    """Open a profile, then its Smart Plans section (a profile builds each section when it is first shown)."""
    ui.go(f"/people/{profile_id}")
    ui.select_index(ui.find(ft.Tabs), 4)


def test_the_profile_tab_lists_the_individuals_plans_and_a_lead_starts_one(lead: UiHarness, lead_ids: dict[str, str]):
    plans_tab(lead, lead_ids["ada"])
    assert lead.has_text("Ada's Smart Plan")
    lead.click(lead.find(ft.FilledButton, text="Start a plan"))  # Ada has an active plan
    assert lead.has_text("This individual already has a Smart Plan: open it, or start its next version, instead.")
    plans_tab(lead, lead_ids["cy"])
    lead.click(lead.find(ft.FilledButton, text="Start a plan"))
    shell = root(lead).shell
    started = shell.current.params["plan_id"]
    assert shell.current.NAME in ("plan_builder", "smart_plan")
    plans = Services.of(Context(store_of(lead), LEAD)).plans
    assert plans.get(started).profile_id == lead_ids["cy"] and plans.get(started).values["status"] == "draft"


def test_staff_see_the_profile_tab_without_start(staff: UiHarness, staff_ids: dict[str, str]):
    plans_tab(staff, staff_ids["bo"])
    assert staff.has_text("Bo's plan")
    assert not staff.find_all(ft.FilledButton, text="Start a plan")


def test_a_lead_adds_a_review_and_sets_the_next_date(lead: UiHarness, lead_ids: dict[str, str]):
    lead.go(f"/plans/{lead_ids['second']}")
    lead.click(lead.find(ft.OutlinedButton, text="Add a review"))
    dialog = the_dialog(lead)
    lead.type("Next review date", "31/02/2027")
    lead.click(lead.find(ft.TextButton, text="Save"))  # a date that is not one, and nothing said: nothing saved
    assert says(lead, dialog, "Type the next review date like 8/1/2027, or leave it empty.")
    lead.type("Next review date", "8/3/2027")
    lead.click(lead.find(ft.TextButton, text="Save"))
    assert says(lead, dialog, "Say what the review changed, or that nothing needed to change.")
    assert not says(lead, dialog, "Type the next review date")  # the one problem left, not the one put right
    plans = Services.of(Context(store_of(lead), LEAD)).plans
    assert plans.get(lead_ids["second"]).values["review_log"] == []
    lead.select("Review", "after_incident")
    lead.type(lead.find(ft.TextField, label="What the review changed"), "Added a movement break before maths")
    lead.click(lead.find(ft.TextButton, text="Save"))
    assert not dialog.open
    assert lead.has_text(re.compile(r"Review after an incident, Lee Lead: Added a movement break before maths$"))
    assert lead.has_text("8 Mar 2027")
    assert plans.get(lead_ids["second"]).values["review_date"] == "2027-03-08"


def test_a_next_review_date_in_the_past_is_refused_in_the_dialog(lead: UiHarness, lead_ids: dict[str, str]):
    """The walk found 01/06/2025 saved as the next review, printed on the PDF and carried into the next version."""
    plans = Services.of(Context(store_of(lead), LEAD)).plans
    before = plans.get(lead_ids["second"]).values["review_date"]
    lead.go(f"/plans/{lead_ids['second']}")
    lead.click(lead.find(ft.OutlinedButton, text="Add a review"))
    dialog = the_dialog(lead)
    lead.type("What the review changed", "Nothing needed to change")
    lead.type("Next review date", "01/06/2025")
    lead.click(lead.find(ft.TextButton, text="Save"))
    assert the_dialog(lead) is dialog
    assert says(lead, dialog, "The next review date, 1 Jun 2025, has passed: choose today or a later date.")
    values = plans.get(lead_ids["second"]).values
    assert values["review_log"] == [] and values["review_date"] == before  # nothing saved
    later = dt.date.today() + dt.timedelta(weeks=8)
    lead.type("Next review date", f"{later.day}/{later.month}/{later.year}")  # put right where it was typed
    lead.click(lead.find(ft.TextButton, text="Save"))
    assert not dialog.open and snack(lead).content.value == "Review added"
    values = plans.get(lead_ids["second"]).values
    assert values["review_date"] == later.isoformat() and len(values["review_log"]) == 1


def test_publishing_a_plan_whose_review_date_has_passed_says_to_set_a_new_one(
    lead: UiHarness, lead_ids: dict[str, str]
):
    ctx = Context(store_of(lead), LEAD)
    ctx.write("smart_plan", "update", {"review_date": "2025-06-01"}, record_id=lead_ids["bo_plan"])  # chosen then
    lead.go(f"/plans/{lead_ids['bo_plan']}")
    lead.click(lead.find(ft.OutlinedButton, text="Publish"))
    lead.click(lead.find(ft.TextButton, text="Publish"))
    assert Services.of(ctx).plans.get(lead_ids["bo_plan"]).values["status"] == "active"  # not refused…
    assert snack(lead).content.value == (  # …but said
        "Published: this is the active version. "
        "Its next review date, 1 Jun 2025, has passed: set a new one with \u201cAdd a review\u201d."
    )
    assert lead.find_all(ft.OutlinedButton, text="Add a review")  # where to do it


def test_staff_may_not_add_a_review(staff: UiHarness, staff_ids: dict[str, str]):
    staff.go(f"/plans/{staff_ids['second']}")
    assert staff.has_text("Plan details") and not staff.find_all(ft.OutlinedButton, text="Add a review")


def test_a_conflict_on_a_draft_is_shown_and_the_lead_keeps_one(lead: UiHarness, lead_ids: dict[str, str]):
    """Two people changed the same item of a draft at once: both kept and shown; a lead keeps one."""
    store = store_of(lead)
    make_conflict(store, LEAD, lead_ids["bo_plan"], "early_signs", "Hums", "Taps the table", by="u-other")
    lead.go(f"/plans/{lead_ids['bo_plan']}")
    assert lead.has_text("Needs review: edits made at the same time")
    assert lead.has_text("Now: Taps the table") and lead.has_text("Lee Lead's: Hums")
    [keep_mine] = [
        b for b in lead.find_all(ft.TextButton, text="Keep this") if b.parent.controls[0].value == "Lee Lead's: Hums"
    ]
    lead.click(keep_mine)
    assert not lead.has_text("Needs review: edits made at the same time")
    resolved = Services.of(Context(store, LEAD)).plans.get(lead_ids["bo_plan"])
    assert resolved.values["early_signs"] == "Hums" and not resolved.conflicts


def test_staff_see_a_conflict_but_may_not_choose(staff: UiHarness, staff_ids: dict[str, str]):
    make_conflict(store_of(staff), LEAD, staff_ids["bo_plan"], "early_signs", "Hums", "Taps the table")
    staff.navigate_to("Smart Plans")
    assert staff.has_text(re.compile(r"^Version 1 · Draft · needs review: edits made at the same time"))
    staff.go(f"/plans/{staff_ids['bo_plan']}")
    assert staff.has_text("Both versions are kept until a lead, or the plan's lead, chooses one.")
    assert not staff.find_all(ft.TextButton, text="Keep this")


def test_a_lead_starts_a_plan_from_the_list(lead: UiHarness, lead_ids: dict[str, str]):
    lead.navigate_to("Smart Plans")
    lead.click(lead.find(ft.FilledButton, text="Start a plan"))
    dialog = the_dialog(lead)
    lead.click(lead.find(ft.TextButton, text="Start"))  # no one chosen: said in the dialog, nothing started
    assert the_dialog(lead) is dialog and says(lead, dialog, "Choose the individual the plan is for.")
    assert root(lead).shell.route == "/plans" and not [d for d in lead.open_dialogs() if isinstance(d, ft.SnackBar)]
    lead.select("Individual", lead_ids["cy"])  # in the same dialog
    lead.click(lead.find(ft.TextButton, text="Start"))
    assert not dialog.open and snack(lead).content.value == "Smart Plan started"
    shell = root(lead).shell
    assert shell.current.NAME in ("plan_builder", "smart_plan")
    started = Services.of(Context(store_of(lead), LEAD)).plans.get(shell.current.params["plan_id"])
    assert started.profile_id == lead_ids["cy"] and started.values["status"] == "draft"


def test_staff_do_not_start_plans(staff: UiHarness):
    staff.navigate_to("Smart Plans")
    assert staff.has_text("Bo Peep — Bo's plan") and not staff.find_all(ft.FilledButton, text="Start a plan")


def test_a_review_reminder_in_the_inbox_opens_the_plan(staff: UiHarness, staff_ids: dict[str, str]):
    reminder = {
        "recipient_id": "u-staff",
        "kind": "plan_review_due",
        "subject": "A Smart Plan review is due in a week",
        "record_id": staff_ids["second"],
        "record_kind": "smart_plan",
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    server_create(store_of(staff), "notification", "n-plan", reminder)
    staff.navigate_to("Inbox")
    staff.click(staff.find(ft.ListTile, where=lambda t: t.title.value == "A Smart Plan review is due in a week"))
    assert root(staff).shell.route == f"/plans/{staff_ids['second']}"
    assert staff.has_text(re.compile(r"^Ada Lovelace · Full plan · Version 2 · Active"))
