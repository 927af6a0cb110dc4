"""The client's screens, driven in-process through the real `Root` with `tests/support/ui_harness.py`.

No server and no browser: each test gets its own BESMART_HOME with an account already on the device
(created the way `app/session.py` does after an online sign-in) and records seeded through `Context.write`.
The server URL is unreachable, so "Sync now" fails fast and the screens show the offline state.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import flet as ft
import pytest

from app.config import ClientConfig
from app.session import account_dir
from localdb.store import LocalStore
from screens.root import Root
from screens.ui import FIELD_COLUMNS, card, fit_width, named, parse_moment, people_picker, uk_moment, when
from tests.support.screens import (
    BACKGROUND,
    LEAD,
    PASSCODE,
    STAFF,
    add_account,
    chips,
    make_conflict,
    open_app,
    pick_individual,
    pick_person,
    root,
    seed,
    server_create,
    snack,
    start_report,
    status,
    store_of,
    toggle,
    unlock,
)
from tests.support.ui_harness import UiHarness, inside, names

# --------------------------------------------------------------------------- unlock, lock, sign-in


def test_unlock_with_the_passcode(config: ClientConfig, device: dict[str, str]):
    with open_app(config, web=False) as ui:  # desktop: the device's accounts are listed
        assert ui.has_text("Unlock besmart") and ui.has_text("sam@example.org")
        unlock(ui, "000000")
        assert ui.has_text("Wrong passcode.")
        assert ui.has_text("Unlock besmart") and ui.page.navigation_bar is None
        unlock(ui)
        assert ui.has_text("Hello, Sam Staff")
        assert ui.page.navigation_bar.selected_index == 0


def test_lock_returns_to_the_unlock_screen(ui: UiHarness):
    root(ui).shell.toast("Report submitted.", action="AI Support", on_action=lambda _e: None)
    ui.click("Lock")
    assert ui.has_text("Unlock besmart")
    assert not [d for d in ui.open_dialogs() if isinstance(d, ft.SnackBar) and d.open]  # its message went too
    assert store_of(ui).locked
    assert ui.page.appbar is None and ui.page.navigation_bar is None
    unlock(ui)
    assert ui.has_text("Hello, Sam Staff")


def test_sign_in_with_an_unreachable_server_keeps_what_was_typed(config: ClientConfig, memory_keyring: Any):
    with open_app(config) as ui:
        assert ui.has_text("Sign in to besmart")
        ui.type("Work email address", "ada@example.org")
        ui.type("besmart password", "correct horse")
        ui.click("Next")
        assert ui.has_text(re.compile(r"^Cannot reach the besmart server at http://127\.0\.0\.1:9\. Check your"))
        assert ui.find(ft.TextField, label="Work email address").value == "ada@example.org"
        assert ui.find(ft.TextField, label="besmart password").value == "correct horse"
        assert not ui.find_all(ft.ProgressRing)  # not left spinning


def test_sign_in_with_a_control_character_in_the_email_says_so(config: ClientConfig, memory_keyring: Any):
    """A pasted NUL used to escape as an unhandled validation error (the server answers 422 to it)."""
    with open_app(config) as ui:
        ui.type("Work email address", "ada@exam\x00ple.org")
        ui.type("besmart password", "correct horse")
        ui.click("Next")
        assert ui.has_text("That is not a work email address and password besmart can check.")
        assert ui.find(ft.TextField, label="besmart password").value == "correct horse"


# --------------------------------------------------------------------------- dashboard and sync status


def test_dashboard_incidents_for_7_30_and_all_days(ui: UiHarness):
    assert ui.has_text("besmart-10281")
    assert not ui.has_text("besmart-10270") and not ui.has_text("besmart-10001")
    ui.select_segments(ui.find(ft.SegmentedButton), "30")
    assert ui.has_text("besmart-10281") and ui.has_text("besmart-10270") and not ui.has_text("besmart-10001")
    ui.select_segments(ui.find(ft.SegmentedButton), "all")
    assert all(ui.has_text(r) for r in ("besmart-10281", "besmart-10270", "besmart-10001"))
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10001"))
    assert ui.has_text("Something in the library")


def test_an_incident_goes_back_to_where_it_was_opened_past_its_own_screens(ui: UiHarness):
    """Opened from the dashboard, the incident's back arrow returns there, also after its letter was drafted
    and closed; opened after recording a report (from no list), it returns to Incidents."""
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10281"))
    ui.click(ui.find(ft.OutlinedButton, text="Draft a letter"))
    ui.click(ui.find(ft.Semantics, label="back-from-letter").content)
    assert ui.has_text("Something in the hall")
    ui.click("Back to the dashboard")
    assert root(ui).shell.current.NAME == "dashboard"
    start_report(ui)
    ui.type("What happened?", "Threw a chair")
    ui.click("Next Page")
    ui.click("Submit Report")
    ui.click("Back to incidents")
    assert root(ui).shell.current.NAME == "incidents"


def test_status_strip_shows_offline_and_pending(ui: UiHarness):
    """One sentence from one state: never "Synced just now · 2 waiting to sync"."""
    assert status(ui) == "Not synced yet"
    assert not ui.has_text(re.compile("You are offline"))
    ui.click(ui.find(ft.TextButton, text="Sync now"))
    since = dt.datetime.now().strftime("%H:%M")
    assert status(ui) == f"Offline since {since}"
    assert ui.has_text(re.compile("^You are offline"))
    assert not ui.has_text(re.compile("ConnectError"))  # the banner says it in plain words
    # A local write shows up as waiting to sync; undoing a tap that was never sent leaves nothing to send.
    ui.navigate_to("Record & Plan")
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Clicker")
    ui.click(ui.find(ft.Semantics, label="clicker-On task").content)
    assert status(ui) == f"Offline since {since}, 1 change waiting to sync"
    ui.click(ui.find(ft.Semantics, label="clicker-On task").content)
    assert status(ui) == f"Offline since {since}, 2 changes waiting to sync"
    ui.click("Undo")
    assert status(ui) == f"Offline since {since}, 1 change waiting to sync"
    assert store_of(ui).pending_count() == 1


def test_background_sync_notices_it_is_offline(config: ClientConfig, device: dict[str, str]):
    """With the background loop on, the first /health probe fails at once and the banner shows."""
    config = config.model_copy(update={"sync_interval_seconds": 60})

    # The loop waits (asyncio.wait_for on an Event) between probes: it is background work too.
    async def main(page: ft.Page) -> None:
        await Root(page, config).start()

    with UiHarness(main, background=(*BACKGROUND, "SyncService._loop", "Event.wait")) as ui:
        unlock(ui)
        for _ in range(50):
            if ui.has_text(re.compile("^You are offline")):
                break
            ui.sleep(0.02)
        assert status(ui).startswith("Offline")
        ui.click("Lock")  # stops the loop
        assert ui.has_text("Unlock besmart")


# --------------------------------------------------------------------------- directory and profile


def test_directory_search_and_profile_tabs(ui: UiHarness):
    ui.navigate_to("Directory")
    assert ui.has_text("Ada Lovelace") and ui.has_text("Bo Peep")
    ui.type("Search by name or group", "year 7")
    assert ui.has_text("Ada Lovelace") and not ui.has_text("Bo Peep")
    ui.type("Search by name or group", "zzz")
    assert ui.has_text("No individuals found.")
    ui.type("Search by name or group", "ada")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))

    tab_names = [t.label for t in ui.find(ft.TabBar).tabs]
    assert tab_names == [
        "Overview",
        "Incidents",
        "Communications",
        "Clickers",
        "Smart Plans",
        "Details",
        "Key Contacts",
        "Access",
    ]
    bodies = dict(zip(tab_names, ui.find(ft.TabBarView).controls, strict=True))
    tabs = ui.find(ft.Tabs)

    def shows(tab: str, text: str | re.Pattern[str]) -> bool:
        """Whether section `tab` shows `text` once opened (each section is built when it is first shown)."""
        if tabs.selected_index != tab_names.index(tab):
            ui.select_index(tabs, tab_names.index(tab))
        return any(ui.find_all(ft.Text, text=text, where=lambda c: inside(c, bodies[tab])))

    # Opening the profile builds only the section shown.
    assert not any(ui.find_all(ft.Text, text="Mary Lovelace"))

    assert shows("Overview", "besmart-10281") and shows("Overview", "besmart-10270")
    assert not shows("Overview", "besmart-10001")  # older than 30 days
    assert all(shows("Incidents", r) for r in ("besmart-10281", "besmart-10270", "besmart-10001"))
    assert shows("Communications", "Ada helped a classmate")
    assert shows("Clickers", "No clicker logs in the last 30 days.")
    assert shows("Smart Plans", "No Smart Plans yet.")
    assert shows("Details", "Year 7") and shows("Details", "Lovelace")
    assert shows("Key Contacts", "Mary Lovelace") and shows("Key Contacts", "Phone: 01234 567890")
    assert shows("Access", "Lee Lead") and shows("Access", "Ola Other")
    ui.select_index(tabs, 4)
    assert tabs.selected_index == 4
    ui.click(ui.find(ft.Semantics, label="back-to-directory").content)
    assert ui.has_text("Directory")


def test_profile_sections_menu_and_compact_header(ui: UiHarness):
    ui.navigate_to("Directory")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
    tabs = ui.find(ft.Tabs)
    # The menu beside the tab bar reaches every section, the last one too.
    menu = ui.find(ft.PopupMenuButton, label="All sections")
    assert [item.content.value for item in menu.items] == [t.label for t in ui.find(ft.TabBar).tabs]
    ui.click(ui.find(ft.PopupMenuItem, label="Access"))
    assert tabs.selected_index == 7 and root(ui).shell.current.params["tab"] == 7
    # On a phone the actions are icons beside the name; from a tablet's width on, labelled buttons.
    assert ui.find(ft.IconButton, label="Behaviour Clicker") and not ui.find_all(ft.Button, text="Clicker")
    ui.resize(768, 1024)
    assert ui.find(ft.Button, text="Clicker") and not ui.find_all(ft.IconButton, label="Behaviour Clicker")
    ui.click(ui.find(ft.Button, text="Clicker"))
    assert ui.has_text("Behaviour Clicker — Ada Lovelace")


def test_inputs_in_a_card_fill_it_and_other_controls_are_left_alone():
    field = ft.TextField(label="Message")
    picker = named(ft.Dropdown(label="Your name", options=[]), "your-name", "Your name")
    button, sized = ft.Button("Save"), ft.TextField(label="Code", width=120)
    [wrapped_field, wrapped_picker, kept_button, kept_sized] = card(
        field, picker, button, sized
    ).content.content.controls
    for wrapped, control in ((wrapped_field, field), (wrapped_picker, picker)):
        assert isinstance(wrapped, ft.ResponsiveRow)
        [cell] = wrapped.controls
        assert cell.content is control and cell.col == FIELD_COLUMNS
    assert picker.content.expand and picker.expand  # a Dropdown fills its cell only when expanding
    assert kept_button is button and kept_sized is sized  # a button keeps its size; so does a width given
    assert fit_width(button) is button


def test_navigation_rail_on_a_wide_window_bar_below(ui: UiHarness):
    shell = root(ui).shell
    assert ui.page.navigation_bar is shell.nav and not ui.find_all(ft.NavigationRail)
    ui.resize(1280, 800)
    assert ui.page.navigation_bar is None and ui.find(ft.NavigationRail) is shell.rail
    ui.navigate_to("Incidents")
    assert shell.rail.selected_index == shell.nav.selected_index == 3
    ui.click(ui.find(ft.IconButton, where=lambda b: b.tooltip == "Help Centre"))  # the top bar: no destination
    assert shell.rail.selected_index is None
    ui.navigate_to("Incidents")
    ui.resize(899, 800)
    assert ui.page.navigation_bar is shell.nav and not ui.find_all(ft.NavigationRail)
    assert shell.nav.selected_index == 3
    # Locked, the shell no longer follows the window: no navigation on the unlock screen at any width.
    ui.click("Lock")
    for width in (1280, 360):
        ui.resize(width, 800)
        assert ui.page.navigation_bar is None and not ui.find_all(ft.NavigationRail)
    assert ui.has_text("Unlock besmart")


def fill_in_the_force_used(ui: UiHarness, *, add: bool = True) -> None:
    """On the physical intervention page: a physical technique (added, or the one added), when it started and
    ended (yesterday) and why it was necessary — what a new report cannot be submitted without."""
    if add:
        ui.click(ui.find_all(ft.OutlinedButton, text="Add")[1])  # a physical technique
    entry = ui.find(ft.Semantics, label="pi-techniques-1")
    ui.type(ui.find(ft.TextField, label="Technique", where=lambda c: inside(c, entry)), "Guiding hand")
    ui.select(ui.find(ft.Dropdown, label="Effectiveness", where=lambda c: inside(c, entry)), "effective")
    yesterday = dt.date.today() - dt.timedelta(days=1)
    ui.type("Physical intervention started", f"{yesterday:%d/%m/%Y} 10:15")
    ui.type("Physical intervention ended", f"{yesterday:%d/%m/%Y} 10:20")
    ui.type("Why was physical intervention necessary?", "To stop him running into the road")


# --------------------------------------------------------------------------- record: clicker, communications


def test_clicker_counts_taps_and_undo_removes_one(ui: UiHarness, device: dict[str, str]):
    ui.navigate_to("Record & Plan")
    ui.click("Behaviour Clicker")  # no individual yet
    assert ui.has_text("Choose the individual first.")
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Clicker")
    assert ui.has_text("Behaviour Clicker — Ada Lovelace")
    on_task = ui.find(ft.Semantics, label="clicker-On task")
    for _ in range(3):
        ui.click(on_task.content)
    assert ui.find(ft.Text, text="Today: 3", where=lambda t: inside(t, on_task))
    assert len(store_of(ui).records("clicker_event", device["ada"])) == 3
    # The line above the tiles says what was logged, with Undo beside it; no snack bar slides in on each tap.
    logged = ui.find(ft.Semantics, label="tap-logged")
    assert ui.find(ft.Text, text=re.compile(r"^Logged On task at \d\d:\d\d$"), where=lambda t: inside(t, logged))
    assert not [d for d in ui.open_dialogs() if isinstance(d, ft.SnackBar)]
    ui.click(ui.find(ft.TextButton, text="Undo", where=lambda b: inside(b, logged)))
    assert ui.find(ft.Text, text="Today: 2", where=lambda t: inside(t, on_task))
    assert on_task.label == "On task, today 2"  # the tile's name for assistive technology follows the count
    assert len(store_of(ui).records("clicker_event", device["ada"])) == 2
    assert ui.find(ft.Text, text="Removed On task", where=lambda t: inside(t, logged))
    assert not ui.find_all(ft.TextButton, text="Undo")  # one undo per tap: the same tap cannot be taken back twice


def test_communication_is_saved_into_the_thread_and_answered(ui: UiHarness, device: dict[str, str]):
    ui.navigate_to("Record & Plan")
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Communications")
    # The author is the signed-in person, shown and never chosen (no "Your name" list of all staff).
    assert not ui.find_all(ft.Dropdown, label="Your name") and not ui.find_all(ft.Dropdown, label="your-name")
    assert ui.has_text("From: Sam Staff (you)")
    message = "Ada found the fire drill hard and left the line"
    ui.type(re.compile("^Message"), message)
    ui.click("Save")
    assert ui.has_text("Choose Positive, Negative or N/A.")
    ui.set_value(ui.find(ft.RadioGroup), "negative")
    assert not ui.has_text("Choose Positive, Negative or N/A.")  # answered: the error goes at once, not on Save
    ui.click("Save")
    assert snack(ui).content.value == "Communication saved. Key staff will be notified."
    assert ui.has_text(message) and ui.find(ft.TextField, label=re.compile("^Message")).value == ""
    [mine] = [t for t in store_of(ui).communications(device["ada"]) if t.communication.values["message"] == message]
    assert mine.communication.values["valence"] == "negative" and mine.communication.values["author_id"] == "u-staff"
    # Respond to it: the box under that message.
    boxes = ui.find_all(ft.TextField, label="Respond")
    assert len(boxes) == 2  # one per communication, newest first
    ui.type(boxes[0], "Thanks, I'll talk to her at lunch")
    ui.click(ui.find_all(ft.IconButton, label="Send response")[0])
    assert ui.has_text("Thanks, I'll talk to her at lunch")
    [mine] = [t for t in store_of(ui).communications(device["ada"]) if t.communication.values["message"] == message]
    assert [r.values["message"] for r in mine.responses] == ["Thanks, I'll talk to her at lunch"]


def test_a_communication_being_typed_survives_leaving_the_screen(ui: UiHarness, device: dict[str, str]):
    ui.navigate_to("Record & Plan")
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Communications")
    ui.set_value(ui.find(ft.RadioGroup), "positive")
    ui.type(re.compile("^Message"), "Ada read to the class")
    ui.click(ui.find(ft.Semantics, label="back-to-record").content)  # away, without saving
    ui.click("Behaviour Communications")
    assert ui.find(ft.TextField, label=re.compile("^Message")).value == "Ada read to the class"  # kept, encrypted
    assert ui.find(ft.RadioGroup).value == "positive"
    ui.click("Save")
    ui.click(ui.find(ft.Semantics, label="back-to-record").content)
    ui.click("Behaviour Communications")
    assert ui.find(ft.TextField, label=re.compile("^Message")).value == ""  # saved: nothing kept any more


# --------------------------------------------------------------------------- incident report


def test_incident_report_two_pages_then_submit(ui: UiHarness, device: dict[str, str]):
    start_report(ui)
    assert ui.has_text("Incident Report — Ada Lovelace")
    assert ui.has_text(re.compile(r"^Page 1 of 2: Incident"))
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d", ui.find(ft.TextField, label="When did it happen?").value)
    # The form's inputs fill the width like every other screen's (Flet alone gives a TextField 300 px).
    what = ui.find(ft.TextField, label="What happened?")
    assert any(isinstance(r, ft.ResponsiveRow) and r.controls[0].content is what for r in ui.find_all(ft.ResponsiveRow))
    ui.type("Where did it happen?", "Dining hall")
    ui.type("What happened?", "Threw a tray after being pushed in the queue")
    ui.type("What happened beforehand?", "Loud, crowded lunch queue")
    pick_person(ui, "Staff present", "lee", "Lee Lead")
    pick_person(ui, "Other individuals", "bo", "Bo Peep")
    assert not ui.find_all(ft.TextField, label="Who was injured?")
    ui.click(ui.find(ft.Container, where=lambda c: getattr(c.content, "value", None) == "Did an injury occur?"))
    assert toggle(ui, "Did an injury occur?").value is True  # tapping the label toggles, too
    ui.type("Who was injured?", "Ada")
    ui.type("What were the injuries?", "Grazed knuckles")
    ui.type("What treatment was given?", "Cleaned and plastered")
    ui.click("Next Page")
    assert ui.has_text(re.compile(r"^Page 2 of 2: Post-incident learning"))
    ui.type("What happened from the individual's perspective", "Someone pushed in front of her")
    ui.type("How did this make them feel?", "Angry and embarrassed")
    ui.type("What could they do the next time they feel that way?", "Tell the duty teacher")
    ui.type("Likely triggers for the incident", "Noise, queues")
    ui.type("What reasonable adjustments could be made to support the individual?", "Early lunch pass")
    ui.click("Submit Report")

    submitted = snack(ui)
    assert submitted.content.value == "Report submitted. Key people will be notified when it syncs."
    assert submitted.action == "AI Support" and submitted.persist is False  # it goes away by itself, button or not
    assert ui.has_text("Waiting for sync")
    assert ui.has_text("Threw a tray after being pushed in the queue") and ui.has_text("Lee Lead")
    assert ui.has_text("Grazed knuckles") and ui.has_text("Early lunch pass")
    [incident] = [i for i in store_of(ui).incidents() if i.values.get("location") == "Dining hall"]
    assert incident.values["staff_present"] == ["u-lead"] and incident.values["other_individuals"] == [device["bo"]]
    assert incident.values["injury"] is True and incident.pending
    assert store_of(ui).drafts("incident") == []
    ui.navigate_to("Dashboard")
    assert ui.find(ft.ListTile, where=lambda t: t.title.value == "Waiting for sync")


def test_people_present_are_picked_by_typing_not_from_pages_of_checkboxes(ui: UiHarness, device: dict[str, str]):
    start_report(ui)
    # Page 1 is the form, not a list of everyone: no checkbox per staff member or pupil.
    assert not ui.find_all(ft.Checkbox) and not ui.has_text("Lee Lead") and not ui.has_text("Bo Peep")
    ui.type("Staff present", "le")  # as you type: only the matching names
    assert [t.title.value for t in ui.find_all(ft.ListTile)] == ["Lee Lead"]
    ui.type("Staff present", "s")  # Sam is the one recording: never offered
    assert [t.title.value for t in ui.find_all(ft.ListTile)] == []
    assert ui.has_text("No one matching \u201cs\u201d.")
    ui.type("Staff present", "O")
    assert [t.title.value for t in ui.find_all(ft.ListTile)] == ["Ola Other"]
    ui.submit("Staff present")  # Enter picks the first match
    pick_person(ui, "Staff present", "LEAD", "Lee Lead")
    assert chips(ui) == ["Ola Other", "Lee Lead"] and ui.find(ft.TextField, label="Staff present").value == ""
    [draft] = store_of(ui).drafts("incident")
    assert draft.values["values"]["staff_present"] == ["u-other", "u-lead"]
    ui.type("Staff present", "e")  # the chosen are not offered again
    assert [t.title.value for t in ui.find_all(ft.ListTile)] == []
    ui.type("Staff present", "")
    ui.event(ui.find(ft.Chip, where=lambda c: c.label.value == "Ola Other"), "delete")
    assert chips(ui) == ["Lee Lead"]
    ui.type("Other individuals", "a")  # Ada is the one the report is about: not an "other individual"
    assert [t.title.value for t in ui.find_all(ft.ListTile)] == []
    pick_person(ui, "Other individuals", "peep", "Bo Peep")
    [draft] = store_of(ui).drafts("incident")
    assert draft.values["values"]["staff_present"] == ["u-lead"]
    assert draft.values["values"]["other_individuals"] == [device["bo"]]
    ui.click("Next Page")
    ui.click("Previous Page")  # the chips come back from the draft
    assert chips(ui) == ["Lee Lead", "Bo Peep"]


def test_when_it_happened_is_shown_and_typed_the_uk_way(ui: UiHarness):
    start_report(ui)
    when_field = ui.find(ft.TextField, label="When did it happen?")
    now = dt.datetime.now()
    assert when_field.value in {f"{m.day} {m:%b %Y, %H:%M}" for m in (now - dt.timedelta(minutes=1), now)}

    def saved() -> str:
        [draft] = store_of(ui).drafts("incident")
        return draft.values["values"]["occurred_at"]

    def local(iso: str) -> dt.datetime:
        return dt.datetime.fromisoformat(iso).astimezone().replace(tzinfo=None)

    day = (now - dt.timedelta(days=3)).date()
    ui.type(when_field, f"{day.day}/{day.month}/{day.year} 9:15")
    assert when_field.error is None and local(saved()) == dt.datetime.combine(day, dt.time(9, 15))
    ui.event(when_field, "blur")  # how it was read, the UK way
    assert when_field.value == f"{day.day} {day:%b %Y}, 09:15"
    ui.type(when_field, f"{day.day:02}/{day.month:02}/{day.year} 14:05")
    assert local(saved()) == dt.datetime.combine(day, dt.time(14, 5))
    before = saved()
    for nonsense in ("banana", "31/02/2026 10:00", f"{day.day}/{day.month}/{day.year}"):
        ui.type(when_field, nonsense)
        assert when_field.error == "Type the date and time like 1/12/2026 09:15, or use the calendar and clock buttons."
        assert saved() == before
    ui.type(when_field, "1/1/2099 10:00")
    assert when_field.error == "When it happened can't be in the future." and saved() == before
    ui.type(when_field, "")
    assert when_field.error == "Give the date and time." and saved() == before

    # The calendar, then the clock: each changes its part and keeps the other.
    ui.type(when_field, f"{day.day}/{day.month}/{day.year} 14:05")
    ui.click(
        ui.find(
            ft.IconButton,
            label="Choose the date",
            where=lambda b: inside(b, ui.find(ft.Semantics, label="occurred-at-date")),
        )
    )
    [picker] = [d for d in ui.open_dialogs() if isinstance(d, ft.DatePicker)]
    earlier = day - dt.timedelta(days=1)
    ui.set_value(picker, dt.datetime.combine(earlier, dt.time()).astimezone(dt.UTC))  # as the client sends it
    assert local(saved()) == dt.datetime.combine(earlier, dt.time(14, 5))
    assert when_field.value == f"{earlier.day} {earlier:%b %Y}, 14:05" and when_field.error is None
    ui.click(
        ui.find(
            ft.IconButton,
            label="Choose the time",
            where=lambda b: inside(b, ui.find(ft.Semantics, label="occurred-at-time")),
        )
    )
    [clock] = [d for d in ui.open_dialogs() if isinstance(d, ft.TimePicker)]
    assert clock.value == dt.time(14, 5) and clock.hour_format == ft.TimePickerHourFormat.H24
    ui.set_value(clock, dt.time(8, 30))
    assert local(saved()) == dt.datetime.combine(earlier, dt.time(8, 30))
    assert when_field.value == f"{earlier.day} {earlier:%b %Y}, 08:30"


def test_submit_without_what_happened_keeps_the_draft(ui: UiHarness):
    start_report(ui)
    ui.type("Where did it happen?", "Corridor")
    ui.click("Next Page")
    ui.click("Submit Report")
    assert snack(ui).content.value == "Say what happened before submitting the report."
    assert ui.has_text(re.compile(r"^Page 1 of 2"))  # taken to where it is said
    [draft] = store_of(ui).drafts("incident")
    assert draft.values["values"]["location"] == "Corridor"
    assert ui.find(ft.TextField, label="Where did it happen?").value == "Corridor"


def test_a_refused_time_keeps_the_writer_on_its_page(ui: UiHarness):
    """An end before the start is refused by the field and not saved: leaving the page, or submitting, would
    lose it unseen (the report went in with no end time) — the page stays and says which field to put right."""
    start_report(ui, "Record incident involving Physical Intervention")
    ui.type("What happened?", "Ran towards the road")
    ui.click("Next Page")
    yesterday = dt.date.today() - dt.timedelta(days=1)
    ui.type("Physical intervention started", f"{yesterday:%d/%m/%Y} 11:20")
    ui.type("Physical intervention ended", f"{yesterday:%d/%m/%Y} 11:05")
    ended = ui.find(ft.TextField, label="Physical intervention ended")
    assert ended.error == "The physical intervention ends before it starts: check when it started and ended."
    for leaving in ("Next Page", "Previous Page"):
        ui.click(leaving)
        assert ui.has_text(re.compile(r"^Page 2 of 3: Physical intervention"))
        assert ui.has_text("Put right the field marked in red first: Physical intervention ended.")
    ui.type("Physical intervention ended", f"{yesterday:%d/%m/%Y} 11:35")
    ui.click("Next Page")
    assert ui.has_text(re.compile(r"^Page 3 of 3: Post-incident learning"))
    [draft] = root(ui).shell.services.incidents.drafts()
    assert draft.values["pi_ended_at"] > draft.values["pi_started_at"]


def test_physical_intervention_report_has_three_pages(ui: UiHarness):
    start_report(ui, "Record incident involving Physical Intervention")
    assert ui.has_text("Incident involving Physical Intervention — Ada Lovelace")
    assert ui.has_text(re.compile(r"^Page 1 of 3: Incident"))
    ui.type("What happened?", "Ran towards the road")
    ui.click("Next Page")
    assert ui.has_text(re.compile(r"^Page 2 of 3: Physical intervention"))
    ui.type("Low level behaviours displayed", "Pacing")
    ui.type("How did staff respond?", "Calm voice, space")
    ui.click(ui.find_all(ft.OutlinedButton, text="Add")[0])  # a de-escalation technique
    entry = ui.find(ft.Semantics, label="pi-deescalation-1")
    ui.type(ui.find(ft.TextField, label="Technique", where=lambda c: inside(c, entry)), "Offered a choice")
    ui.select(ui.find(ft.Dropdown, label="Effectiveness", where=lambda c: inside(c, entry)), "effective")
    fill_in_the_force_used(ui)
    ui.select("Reported to", "parents")
    ui.click("Next Page")
    assert ui.has_text(re.compile(r"^Page 3 of 3: Post-incident learning"))
    ui.set_value(toggle(ui, "Discriminatory, prejudiced or other behaviour displayed"), True)
    ui.set_value(toggle(ui, "Racist"), True)
    ui.click("Submit Report")
    assert ui.has_text("Waiting for sync") and ui.has_text("Physical intervention")
    assert ui.has_text("Offered a choice: Effective") and ui.has_text("Racist")
    [incident] = [i for i in store_of(ui).incidents() if i.values.get("what_happened") == "Ran towards the road"]
    assert incident.values["physical_intervention"] is True and incident.values["pi_report_route"] == "parents"


def test_leaving_the_form_and_coming_back_resumes_the_draft(ui: UiHarness):
    start_report(ui)
    ui.type("What happened?", "Kicked the door")
    ui.click("Next Page")
    ui.type("How did this make them feel?", "Frustrated")
    ui.navigate_to("Dashboard")
    assert ui.has_text("1 unfinished incident report")
    ui.click("Continue")  # the one draft: straight to where it was left
    assert ui.has_text(re.compile(r"^Page 2 of 2"))
    ui.navigate_to("Record & Plan")
    tile = ui.find(ft.ListTile, where=lambda t: t.title.value == "Incident report — Ada Lovelace")
    assert tile.subtitle.value == "Post-incident learning · Kicked the door"
    ui.click(tile)
    assert ui.has_text(re.compile(r"^Page 2 of 2"))
    assert ui.find(ft.TextField, label="How did this make them feel?").value == "Frustrated"


def test_a_draft_survives_lock_and_a_new_window(config: ClientConfig, device: dict[str, str]):
    with open_app(config) as ui:
        unlock(ui)
        start_report(ui, "Record incident involving Physical Intervention")
        ui.type("What happened?", "Climbed the fence")
        ui.click("Next Page")
        ui.type("High level behaviours displayed", "Climbing")
        ui.click("Lock")
        assert ui.has_text("Unlock besmart")
    with open_app(config) as ui:  # the app restarted on the same data directory
        unlock(ui)
        ui.navigate_to("Record & Plan")
        ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Incident report — Ada Lovelace"))
        assert ui.has_text(re.compile(r"^Page 2 of 3: Physical intervention"))
        assert ui.find(ft.TextField, label="High level behaviours displayed").value == "Climbing"
        ui.click("Previous Page")
        assert ui.find(ft.TextField, label="What happened?").value == "Climbed the fence"


def test_discarding_a_draft(ui: UiHarness):
    start_report(ui)
    ui.type("What happened?", "Nothing much")
    ui.click("Discard")
    ui.click("Keep it")
    assert store_of(ui).drafts("incident")
    ui.click("Discard")
    ui.click(ui.find(ft.TextButton, text="Discard", where=lambda c: inside(c, ui.open_dialogs()[-1])))
    assert store_of(ui).drafts("incident") == [] and ui.has_text("Record & Plan")


def test_record_and_plan_keeps_the_individual_chosen_last(ui: UiHarness, device: dict[str, str]):
    ui.navigate_to("Record & Plan")
    assert ui.find(ft.Dropdown, label="Individual").value is None  # nobody chosen yet
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Communications")
    ui.navigate_to("Dashboard")
    ui.navigate_to("Record & Plan")
    assert ui.find(ft.Dropdown, label="Individual").value == device["ada"]
    ui.click("Behaviour Clicker")  # straight on: no "Choose the individual first."
    assert ui.has_text("Behaviour Clicker — Ada Lovelace")


def test_record_and_plan_is_rendered_again_after_a_sync_only_when_whom_it_offers_changed(ui: UiHarness):
    ui.navigate_to("Record & Plan")
    picker = ui.find(ft.Dropdown, label="Individual")
    shell = root(ui).shell
    shell.refresh()  # a sync that brought nothing this screen lists (a profile view's audit, pushed)
    assert ui.find(ft.Dropdown, label="Individual") is picker  # a picker open under the user's finger stays open
    server_create(store_of(ui), "individual", "p-new", {"first_name": "Cy", "last_name": "Newton"}, profile_id="p-new")
    shell.refresh()  # someone was assigned to this user
    assert "Cy Newton" in [o.text for o in ui.find(ft.Dropdown, label="Individual").options]


def test_the_directory_is_rendered_again_after_a_sync_only_when_whom_it_lists_changed(ui: UiHarness):
    ui.navigate_to("Directory")
    ada = ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace")
    shell = root(ui).shell
    shell.refresh()  # a sync that brought nothing the list shows (a profile view's audit, pushed)
    assert ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace") is ada  # a tap on it still lands
    server_create(store_of(ui), "individual", "p-new", {"first_name": "Cy", "last_name": "Newton"}, profile_id="p-new")
    shell.refresh()  # someone was assigned to this user
    assert ui.find(ft.ListTile, where=lambda t: t.title.value == "Cy Newton")


def test_my_communication_can_be_added_to_the_smart_plan(ui: UiHarness, device: dict[str, str]):
    ui.navigate_to("Record & Plan")
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Communications")
    ui.type(re.compile("^Message"), "Ada used the timer and settled")
    ui.set_value(ui.find(ft.RadioGroup), "positive")
    ui.click("Save")
    threads = store_of(ui).communications(device["ada"])
    [mine] = [t.communication for t in threads if t.communication.values["message"] == "Ada used the timer and settled"]
    addable = [t for t in threads if t.communication.values["author_id"] == "u-staff"]
    assert len(ui.find_all(ft.TextButton, text="Add to Smart Plan")) == len(addable) < len(threads)  # Sam's own
    ui.click(ui.find(ft.Semantics, label=f"add-to-plan-{mine.id}").content)
    assert ui.has_text("Added to the Smart Plan: the plan builder suggests what it says.")
    assert store_of(ui).get(mine.id).values["added_to_plan"] is True


# --------------------------------------------------------------------------- managing an incident


def open_incident(ui: UiHarness, label: str) -> None:
    ui.navigate_to("Incidents")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == label))
    assert ui.find(ft.Text, text=label, where=lambda t: t.size == 20)


def test_parents_informed_and_flag(ui: UiHarness, device: dict[str, str]):
    open_incident(ui, "besmart-10281")
    assert ui.has_text("Not yet")
    ui.click("Parents informed")
    ui.select(ui.find(ft.Dropdown, label="How were they informed?"), "in_person")
    ui.click("Confirm")
    assert ui.has_text(re.compile(r"^Yes: In person, "))
    values = store_of(ui).get(device["besmart-10281"]).values
    assert values["parents_informed"] is True and values["parents_informed_by"] == "u-staff"

    ui.click("Flag")
    ui.type("Why does it need attention?", "Third incident this week")
    ui.click(ui.find(ft.TextButton, text="Flag"))
    assert ui.has_text("Third incident this week") and ui.has_text("Remove flag")
    assert store_of(ui).get(device["besmart-10281"]).values["flagged"] is True
    ui.click("Remove flag")
    assert store_of(ui).get(device["besmart-10281"]).values["flagged"] is False
    assert status(ui).endswith("3 changes waiting to sync")


def views(ui: UiHarness) -> list[tuple[str, str]]:
    """The views this device has audited and not yet sent: (record kind, record id)."""
    return [
        (op.fields["record_kind"], op.fields["record_id"])
        for op in store_of(ui).pending_ops(10_000)
        if op.kind == "audit_event" and op.fields["action"] == "view"
    ]


def test_opening_a_profile_or_an_incident_is_audited_once_and_is_not_a_change(ui: UiHarness, device: dict[str, str]):
    """Read from the device's own copy, perhaps offline, so the device audits the view (it reaches the server's
    audit log with the next sync: tests/server/test_server_download_audit.py). Showing the record again after
    an action is not a new view; the audit is not one of "N changes waiting to sync"."""
    ui.navigate_to("Directory")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
    assert views(ui) == [("individual", device["ada"])]
    open_incident(ui, "besmart-10281")
    ui.click("Flag")
    ui.type("Why does it need attention?", "Third incident this week")
    ui.click(ui.find(ft.TextButton, text="Flag"))
    assert ui.has_text("Remove flag")  # shown again after the change
    assert views(ui) == [("individual", device["ada"]), ("incident", device["besmart-10281"])]
    assert [op.fields["actor_id"] for op in store_of(ui).pending_ops(10_000) if op.kind == "audit_event"] == [
        STAFF.id,
        STAFF.id,
    ]
    assert status(ui).endswith("1 change waiting to sync")  # the flag, not the two views
    open_incident(ui, "besmart-10281")  # opened again: a new view
    assert views(ui)[-1] == ("incident", device["besmart-10281"])
    assert len(views(ui)) == 3


def test_sign_out_waits_for_the_audit_of_what_was_opened(ui: UiHarness, config: ClientConfig, device: dict[str, str]):
    """Offline, only views to send: signing out would delete the device's copy and the audit log would never
    hear of them, so it is refused (nothing deleted) with a reason that is not "changes"."""
    open_incident(ui, "besmart-10281")
    assert not status(ui).endswith("waiting to sync")
    ui.click("Sign out")
    message = snack(ui).content.value
    assert message.startswith("The record of what you opened or downloaded on this device has not reached the server")
    assert "change" not in message
    assert (account_dir(config, STAFF.email) / "besmart.db").exists()
    assert views(ui) == [("incident", device["besmart-10281"])]


def the_dialog(ui: UiHarness) -> ft.AlertDialog:
    """The one dialog open (snack bars aside)."""
    [dialog] = [d for d in ui.open_dialogs() if isinstance(d, ft.AlertDialog)]
    return dialog


def says(ui: UiHarness, dialog: ft.AlertDialog, start: str) -> bool:
    """Whether the open `dialog` shows a text beginning with `start`."""
    return bool(ui.find_all(ft.Text, text=re.compile("^" + re.escape(start)), where=lambda t: inside(t, dialog)))


def test_flagging_needs_no_reason(ui: UiHarness, device: dict[str, str]):
    """A reason for a flag is optional (app.incidents: the report says "Flagged: Yes" without one): an empty one
    flags the incident and closes the dialog."""
    open_incident(ui, "besmart-10281")
    ui.click("Flag")
    dialog = the_dialog(ui)
    ui.click(ui.find(ft.TextButton, text="Flag"))
    assert not dialog.open and ui.has_text("Remove flag")
    values = store_of(ui).get(device["besmart-10281"]).values
    assert values["flagged"] is True and values["flag_reason"] == ""


def test_staff_cannot_delete_or_sign_off(ui: UiHarness):
    open_incident(ui, "besmart-10281")
    assert not ui.find_all(ft.OutlinedButton, text="Delete")
    assert not ui.find_all(ft.OutlinedButton, text="Sign off")
    assert not ui.find_all(ft.OutlinedButton, text="Edit")  # recorded by someone else
    assert not ui.find_all(ft.OutlinedButton, text="Download")  # a lead's (download_records)


def test_a_lead_can_sign_off_and_delete(config: ClientConfig):
    store = add_account(config, LEAD)
    ids = seed(store, LEAD)
    store.close()
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        open_incident(ui, "besmart-10270")
        assert ui.find_all(ft.OutlinedButton, text="Edit")
        assert ui.find_all(ft.OutlinedButton, text="Download")  # tests/e2e/test_incident_download.py presses it
        ui.click("Sign off")
        ui.set_value(toggle(ui, "The child has been spoken to about it"), True)
        ui.click(ui.find(ft.TextButton, text="Sign off"))  # not said the staff were spoken to: refused, in the dialog
        assert ui.has_text(re.compile(r"^Speak to the staff involved before signing off"))
        assert store_of(ui).get(ids["besmart-10270"]).values["status"] == "submitted"
        ui.set_value(toggle(ui, "I have spoken to the staff involved"), True)
        ui.click(ui.find(ft.TextButton, text="Sign off"))
        assert ui.has_text("Signed off by") and not ui.find_all(ft.OutlinedButton, text="Sign off")
        ui.click("Delete")
        dialog = the_dialog(ui)
        ui.type("Reason for deleting it", "  ")
        ui.click(ui.find(ft.TextButton, text="Delete"))  # without a reason: refused, nothing deleted
        # The dialog stays open, saying what is missing, with nothing typed lost: not a message behind it.
        assert the_dialog(ui) is dialog and says(ui, dialog, "Give the reason this incident is deleted")
        assert not [d for d in ui.open_dialogs() if isinstance(d, ft.SnackBar) and d.content.value != "Signed off"]
        assert not store_of(ui).get(ids["besmart-10270"]).values.get("removed")
        ui.type("Reason for deleting it", "Recorded twice")
        ui.click(ui.find(ft.TextButton, text="Delete"))
        assert not dialog.open and snack(ui).content.value == "Incident deleted"
        # kept for leads (and the audit), marked deleted with its reason; never in a staff member's list
        [deleted] = ui.find_all(ft.ListTile, where=lambda t: t.title.value == "besmart-10270")
        [kept] = ui.find_all(ft.ListTile, where=lambda t: t.title.value == "besmart-10281")
        badges = [[getattr(c, "value", None) for c in tile.trailing.controls] for tile in (deleted, kept)]
        assert "Deleted" in badges[0] and "Deleted" not in badges[1]  # said in the list
        open_incident(ui, "besmart-10270")
        assert ui.has_text("Deleted: Recorded twice") and not ui.find_all(ft.OutlinedButton, text="Delete")


def submit_then_edit(ui: UiHarness, what_happened: str) -> None:
    """Submit a report about Ada saying `what_happened`, and open it for editing."""
    start_report(ui)
    ui.type("What happened?", what_happened)
    ui.click("Next Page")
    ui.click("Submit Report")
    ui.click("Edit")


def test_saving_an_edit_that_changes_nothing_says_so_and_notifies_no_one(ui: UiHarness):
    submit_then_edit(ui, "Knocked over a chair")
    ui.click("Next Page")
    ui.click("Save changes")  # nothing changed: no amendment, no reason asked, nobody told
    assert not ui.has_text("Reason for the amendment")
    assert snack(ui).content.value == "Changes saved."


def test_editing_my_own_incident(ui: UiHarness):
    submit_then_edit(ui, "Tore up a worksheet")
    assert ui.has_text(re.compile(r"^Edit incident — Ada Lovelace"))
    ui.type("What happened?", "Tore up a worksheet, then apologised")
    ui.click("Next Page")
    ui.click("Save changes")  # submitted already: the edit is an amendment, saved with its reason
    ui.click(ui.find(ft.TextButton, text="Save amendment"))  # no reason yet: the dialog stays and says so
    assert ui.has_text("Say why you are changing the report: the reason is kept with the change.")
    ui.type("Why are you changing it?", "Added that he apologised")
    ui.click(ui.find(ft.TextButton, text="Save amendment"))
    assert ui.has_text("Tore up a worksheet, then apologised")
    ui.click("History")  # offline in the harness: this device's pending changes, and why the rest is missing
    assert ui.has_text(re.compile(r"^Amended by .* \(waiting for sync\)$"))
    assert ui.has_text("Reason: Added that he apologised")
    assert ui.has_text("What happened? was: Tore up a worksheet; now: Tore up a worksheet, then apologised")


def test_discarding_an_edit_keeps_the_incident_and_says_so(ui: UiHarness):
    submit_then_edit(ui, "Tore up a worksheet")
    ui.type("What happened?", "Something else")
    ui.click("Discard")
    dialog = ui.open_dialogs()[-1]
    assert ui.find(ft.Text, text="Discard these changes?", where=lambda c: inside(c, dialog))
    assert ui.has_text("The incident stays as it was; only your edit is deleted.")
    ui.click(ui.find(ft.TextButton, text="Discard", where=lambda c: inside(c, dialog)))
    assert store_of(ui).drafts("incident") == []
    assert ui.has_text("Tore up a worksheet") and ui.find_all(ft.OutlinedButton, text="Edit")  # back on it


def test_a_conflict_is_shown_and_resolved_on_the_incident(ui: UiHarness, device: dict[str, str]):
    store = store_of(ui)
    make_conflict(store, STAFF, device["besmart-10281"], "location", "Dining hall", "Main hall")  # someone else's
    make_conflict(store, STAFF, device["besmart-10270"], "location", "Field", "Top field")  # Sam's own

    open_incident(ui, "besmart-10281")
    assert ui.has_text("Needs review: edits made at the same time")
    assert ui.has_text("Now: Main hall") and ui.has_text("Sam Staff's: Dining hall")
    assert not ui.find_all(ft.TextButton, text="Keep this")  # Sam may not edit it: no buttons that would fail
    assert ui.has_text(re.compile("^Both versions are kept until a lead"))

    open_incident(ui, "besmart-10270")
    assert ui.has_text("Now: Top field") and ui.has_text("Sam Staff's: Field")
    [keep_mine] = [
        b
        for b in ui.find_all(ft.TextButton, text="Keep this")
        if inside(b, ui.find(ft.Text, text="Sam Staff's: Field").parent)
    ]
    ui.click(keep_mine)
    assert snack(ui).content.value == "Conflict resolved"
    assert not ui.has_text("Needs review: edits made at the same time")
    resolved = store.get(device["besmart-10270"])
    assert resolved.values["location"] == "Field" and not resolved.conflicts


# --------------------------------------------------------------------------- inbox, help, accounts


def test_inbox_opens_the_incident_and_marks_it_read(config: ClientConfig, device: dict[str, str]):
    store = LocalStore(account_dir(config, STAFF.email))
    store.unlock(PASSCODE)
    notification = {
        "recipient_id": "u-staff",
        "kind": "incident_submitted",
        "subject": "Incident besmart-10281 submitted",
        "record_id": device["besmart-10281"],
        "record_kind": "incident",
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    server_create(store, "notification", "n1", notification)
    store.close()
    with open_app(config) as ui:
        unlock(ui)
        assert ui.has_text("Notifications (1 unread)")
        ui.navigate_to("Inbox")
        ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Incident besmart-10281 submitted"))
        assert ui.has_text("Something in the hall")
        assert store_of(ui).get("n1").values["read"] is True


def test_help_centre(ui: UiHarness):
    ui.click("Help Centre", ft.OutlinedButton)
    assert ui.has_text("Help Centre") and ui.has_text("Ask your besmart lead or safeguarding lead for help.")
    assert ui.find(ft.ExpansionTile, where=lambda t: t.title.value == "Behaviour Clicker")


def test_choosing_between_two_accounts_on_the_device(config: ClientConfig, device: dict[str, str]):
    store = add_account(config, LEAD)
    store.close()
    with open_app(config, web=False) as ui:  # desktop: the device's accounts are listed
        assert ui.find(ft.Semantics, label="account").content.value == "lee@example.org"  # the latest first
        ui.select("Account", "sam@example.org")
        unlock(ui)
        assert ui.has_text("Hello, Sam Staff")


def test_sign_out_wipes_the_account_from_the_device(ui: UiHarness, config: ClientConfig):
    ui.click("Sign out")
    assert ui.has_text("You have signed out. This account's data was removed from this device.")
    assert ui.has_text("Sign in to besmart")
    assert not (account_dir(config, STAFF.email) / "besmart.db").exists()


def test_change_password_says_what_to_put_right_and_that_it_needs_the_server(ui: UiHarness):
    ui.click("Change password")
    current, new, again = ui.find_all(ft.TextField, where=lambda f: f.password)
    ui.type(current, "old password")
    ui.type(new, "a new password")
    ui.type(again, "a new passwrod")
    ui.click(ui.find(ft.TextButton, text="Change password"))
    assert ui.has_text("The new password and its confirmation are different: type them again.")
    ui.type(again, "a new password")
    ui.click(ui.find(ft.TextButton, text="Change password"))  # this device's server cannot be reached
    assert ui.has_text("Changing your password needs the besmart server: try again when you are online.")
    assert new.value == "a new password"  # the dialog stays, with what was typed


def test_sign_out_refuses_while_changes_are_unsent(ui: UiHarness, config: ClientConfig):
    start_report(ui)
    ui.type("What happened?", "Shouted")
    ui.click("Next Page")
    ui.click("Submit Report")
    ui.click("Sign out")
    assert snack(ui).content.value.startswith("1 change(s) have not reached the server yet.")
    assert (account_dir(config, STAFF.email) / "besmart.db").exists()
    assert ui.has_text("Waiting for sync")


# --------------------------------------------------------------------------- accessibility and layout


NAMELESS = (ft.IconButton, ft.PopupMenuButton, ft.Dropdown)


def unnamed(ui: UiHarness) -> list[str]:
    """Icon buttons and dropdowns without a Semantics wrapper that gives them an identifier and a name
    (Flutter leaves them nameless in the web client's accessibility tree: see screens.ui.named)."""
    bad = []
    for c in ui.find_all(NAMELESS):
        wrapper = c.parent
        ok = isinstance(wrapper, ft.Semantics) and wrapper.identifier
        # A dropdown is named by the wrapper's label, an icon button by its tooltip once wrapped as a button.
        ok = ok and (wrapper.label if isinstance(c, ft.Dropdown) else wrapper.button and c.tooltip)
        if not ok:
            bad.append(f"{type(c).__name__} {names(c)}")
    return bad


def test_every_icon_button_and_dropdown_has_a_name(config: ClientConfig, device: dict[str, str]):
    store = add_account(config, LEAD)
    store.close()
    seen: dict[str, list[str]] = {}
    with open_app(config) as ui:
        ui.click("Choose an account on this device")  # the web client lists them only when asked
        seen["unlock"] = unnamed(ui)
        ui.select("Account", "sam@example.org")
        unlock(ui)
        seen["dashboard"] = unnamed(ui)
        ui.navigate_to("Directory")
        ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
        seen["profile"] = unnamed(ui)
        ui.click("Behaviour Communications")  # on a phone the profile's actions are icons
        seen["communications"] = unnamed(ui)
        ui.click(ui.find(ft.Semantics, label="back-to-record").content)
        seen["record"] = unnamed(ui)
        ui.click("Behaviour Clicker")
        seen["clicker"] = unnamed(ui)
        start_report(ui, "Record incident involving Physical Intervention")
        ui.type("What happened?", "Hit out")
        for page in ("incident", "physical", "learning"):
            for add in ui.find_all(ft.OutlinedButton, text="Add"):
                ui.click(add)
            seen[f"form {page}"] = unnamed(ui)
            if page != "learning":
                ui.click("Next Page")
        ui.find(ft.Semantics, label="exclusions-1")  # the entries got their identifiers
        ui.set_value(toggle(ui, "PA — Physical assault against an adult"), True)
        ui.click("Submit Report")
        assert ui.has_text(
            "Before submitting: De-escalation technique 1 on the Physical intervention page has no name: type it,"
            " or remove it. Physical technique 1 on the Physical intervention page has no name: type it, or remove it."
        )
        ui.click("Previous Page")
        ui.click(
            ui.find(
                ft.TextButton,
                text="Remove",
                where=lambda c: inside(c, ui.find(ft.Semantics, label="pi-deescalation-1")),
            )
        )
        fill_in_the_force_used(ui, add=False)  # in the physical technique's entry added above
        ui.click("Next Page")
        ui.click("Submit Report")
        assert ui.has_text("Waiting for sync")
        seen["incident"] = unnamed(ui)
        ui.click("Parents informed")
        seen["parents informed dialog"] = unnamed(ui)
    assert all(not bad for bad in seen.values()), seen


def test_phone_and_desktop_layouts_do_not_crash(ui: UiHarness):
    """Every main screen renders after a resize between phone and desktop sizes (no handler errors)."""
    for width, height in ((1280, 800), (360, 640)):
        ui.resize(width, height)
        for destination in ("Dashboard", "Directory", "Record & Plan", "Incidents", "Inbox"):
            ui.navigate_to(destination)
        assert ui.page.width == width


# --------------------------------------------------------------------------- idle lock, sync while typing


def test_idle_lock_shows_the_unlock_screen_and_keeps_the_draft(
    config: ClientConfig, device: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("screens.root.IDLE_CHECK_SECONDS", 0.05)
    config = config.model_copy(update={"idle_lock_seconds": 0.3})
    with open_app(config) as ui:
        unlock(ui)
        start_report(ui)
        ui.type("What happened?", "Left the room")
        ui.sleep(0.5)  # idle: the store locks itself, the watcher notices
        assert ui.has_text("Unlock besmart") and ui.page.navigation_bar is None
        unlock(ui)
        # From here the test reads the draft back: on a loaded machine a step can take longer than 0.3 s, so
        # the store must not lock itself again while it does (store_of: the store the unlock opened).
        store_of(ui).idle_lock_seconds = 300
        ui.navigate_to("Record & Plan")
        ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Incident report — Ada Lovelace"))
        assert ui.find(ft.TextField, label="What happened?").value == "Left the room"


def test_submitting_after_the_store_locked_itself_asks_for_the_passcode(
    config: ClientConfig, device: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    async def not_looked_yet(_root: Root) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(Root, "_watch_idle", not_looked_yet)  # the idle watcher has not looked yet
    config = config.model_copy(update={"idle_lock_seconds": 0.3})
    with open_app(config) as ui:
        unlock(ui)
        start_report(ui)
        ui.type("What happened?", "Left the room")
        ui.click("Next Page")
        ui.sleep(0.4)
        ui.click("Submit Report")  # no crash: straight to the unlock screen, the draft kept
        assert ui.has_text("Unlock besmart")
        unlock(ui)
        assert len(store_of(ui).drafts("incident")) == 1 and not store_of(ui).incidents(days=1)
        ui.navigate_to("Directory")
        ui.sleep(0.4)
        ui.type("Search by name or group", "ada")
        assert ui.has_text("Unlock besmart")


def test_sync_now_keeps_a_message_being_typed(ui: UiHarness):
    ui.navigate_to("Record & Plan")
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Communications")
    ui.type(re.compile("^Message"), "Half a thought")
    ui.click(ui.find(ft.Semantics, label="sync-now").content)
    assert ui.find(ft.TextField, label=re.compile("^Message")).value == "Half a thought"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1/12/2026 09:15", "2026-12-01 09:15"),
        ("01/12/2026 9:15", "2026-12-01 09:15"),
        ("1-12-26 2:30pm", "2026-12-01 14:30"),
        ("1.12.2026 9.15 am", "2026-12-01 09:15"),
        ("1 Dec 2026, 09:15", "2026-12-01 09:15"),
        ("Tue 1st December 2026 at 09:15", "2026-12-01 09:15"),
        ("2026-12-01 09:15", "2026-12-01 09:15"),
        ("yesterday 16:40", "2026-11-30 16:40"),
        ("12/1/2026 10:00", "2026-01-12 10:00"),  # day first, as in the UK
        ("31/02/2026 10:00", None),
        ("1/13/2026 10:00", None),
        ("1/12/2026 25:00", None),
        ("1/12/2026", None),  # the time matters
        ("13pm", None),
        ("banana", None),
        ("", None),
    ],
)
def test_uk_dates_and_times_are_read_day_first(typed: str, read: str | None):
    moment = parse_moment(typed, today=dt.date(2026, 12, 1))
    assert (moment and f"{moment:%Y-%m-%d %H:%M}") == read
    assert uk_moment(dt.datetime(2026, 12, 1, 9, 15)) == "1 Dec 2026, 09:15"
    assert when(dt.datetime(2026, 12, 1, 9, 15).astimezone().isoformat()) == "Tue 1 Dec 2026, 09:15"


def test_the_people_picker_shows_a_few_matches_and_says_how_many_more():
    """With a school's worth of names, typing shows at most six; Enter with no match adds nobody."""
    names = [f"{first} {last}" for first in ("Amy", "Ben", "Cal", "Dee") for last in ("Hart", "Ames", "Lowe")]
    people = {f"p{n}": name for n, name in enumerate(names)}
    changes: list[list[str]] = []
    with UiHarness(
        lambda page: page.add(people_picker("Staff present", people, [], changes.append, identifier="sp"))
    ) as ui:
        assert not ui.find_all(ft.ListTile)  # nothing listed until something is typed
        ui.type("Staff present", "a")
        assert [t.title.value for t in ui.find_all(ft.ListTile)] == [
            "Amy Ames",
            "Amy Hart",
            "Amy Lowe",
            "Ben Ames",
            "Ben Hart",
            "Cal Ames",
        ]
        assert ui.has_text("4 more: keep typing to narrow it down.")  # Cal Hart, Cal Lowe, Dee Ames, Dee Hart
        ui.type("Staff present", "zz", submit=True)
        assert changes == [] and not ui.find_all(ft.Chip)
        ui.type("Staff present", "dee ha", submit=True)
        assert changes == [["p9"]] and [c.label.value for c in ui.find_all(ft.Chip)] == ["Dee Hart"]
