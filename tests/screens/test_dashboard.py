"""The dashboard's unfinished reports and first sync, the inbox's items, and the individual picker of Record & Plan,
driven in-process through the real `Root` (tests/support/screens.py: Sam, staff, on a device seeded as after a sync
but that has never finished one of its own)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import flet as ft
import pytest

from app.config import ClientConfig
from app.context import Context
from app.notifications import Notifications
from app.session import account_dir
from app.sync_service import LAST_SYNCED_SECRET
from localdb.store import LocalStore
from screens.ui import NAME_MENU_HEIGHT, name_dropdown, when
from tests.support.screens import (
    LEAD,
    PASSCODE,
    STAFF,
    add_account,
    open_app,
    pick_individual,
    root,
    server_create,
    start_report,
    unlock,
)
from tests.support.ui_harness import UiHarness

# --------------------------------------------------------------------------- the individual picker


def test_the_individual_picker_is_typed_into_and_its_menu_leaves_the_field_in_view(ui: UiHarness):
    """With 75 names the menu filled the phone's screen, the field under it. The filtering happens in the client as
    the field is typed into: what Flet is told is what can be checked here."""
    ui.navigate_to("Record & Plan")
    picker = ui.find(ft.Dropdown, label="Individual")
    assert picker.editable and picker.enable_filter and picker.enable_search
    assert picker.menu_height == NAME_MENU_HEIGHT and NAME_MENU_HEIGHT <= 640 / 2  # half a phone's screen at most
    assert [o.text for o in picker.options] == ["Ada Lovelace", "Bo Peep"]
    assert picker.parent.identifier == "individual" and picker.parent.label == "Individual"
    pick_individual(ui, "Bo Peep")
    ui.click("Behaviour Clicker")
    assert ui.has_text("Behaviour Clicker — Bo Peep")


def test_the_name_dropdown_tells_its_choice():
    chosen: list[str | None] = []
    wrapper = name_dropdown("Individual", [("p1", "Ada"), ("p2", "Bo")], "p2", chosen.append, identifier="who")
    dropdown = wrapper.content
    assert isinstance(dropdown, ft.Dropdown) and dropdown.value == "p2"
    assert dropdown.editable and dropdown.enable_filter and dropdown.menu_height == NAME_MENU_HEIGHT
    assert wrapper.expand and not dropdown.expand  # the wrapper fills the width (screens.ui.named)
    dropdown.value = "p1"
    dropdown.on_select(ft.Event("select", dropdown))
    assert chosen == ["p1"]


# --------------------------------------------------------------------------- unfinished reports


def test_my_new_draft_is_listed_as_a_draft_and_continue_opens_it(ui: UiHarness):
    start_report(ui)
    ui.type("What happened?", "Kicked the door")
    ui.type("Where did it happen?", "Corridor")
    ui.navigate_to("Dashboard")
    assert ui.has_text("1 unfinished incident report") and not ui.has_text(re.compile(r"report\(s\)"))
    tile = ui.find(ft.ListTile, where=lambda t: t.title.value == "Draft (not submitted)")
    assert re.fullmatch(r"Ada Lovelace · .+ · Corridor", tile.subtitle.value)
    assert ui.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10281")  # the incidents are still there
    ui.click(tile)
    assert ui.find(ft.TextField, label="What happened?").value == "Kicked the door"
    ui.navigate_to("Dashboard")
    ui.click("Continue")  # the one draft, straight away: not Record & Plan
    assert root(ui).shell.current.NAME == "incident_form"
    assert ui.find(ft.TextField, label="What happened?").value == "Kicked the door"


def test_a_draft_outside_the_period_is_not_listed_in_it(ui: UiHarness):
    start_report(ui)
    draft = root(ui).shell.services.incidents.drafts()[0]
    ten_days_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).isoformat()
    root(ui).shell.services.incidents.save_page(draft.id, {"occurred_at": ten_days_ago})
    ui.navigate_to("Dashboard")
    assert not ui.find_all(ft.ListTile, where=lambda t: t.title.value == "Draft (not submitted)")
    ui.select_segments(ui.find(ft.SegmentedButton), "30")
    assert ui.find(ft.ListTile, where=lambda t: t.title.value == "Draft (not submitted)")


def test_with_several_drafts_continue_lists_them_to_choose_from(ui: UiHarness):
    start_report(ui)
    ui.type("What happened?", "Kicked the door")
    start_report(ui, individual="Bo Peep")
    ui.type("What happened?", "Climbed the fence")
    ui.navigate_to("Dashboard")
    assert ui.has_text("2 unfinished incident reports")
    assert len(ui.find_all(ft.ListTile, where=lambda t: t.title.value == "Draft (not submitted)")) == 2
    ui.click("Continue")
    [dialog] = [d for d in ui.open_dialogs() if isinstance(d, ft.AlertDialog) and d.open]
    assert dialog.title.value == "2 unfinished incident reports"
    titles = sorted(t.title.value for t in dialog.content.controls)
    assert titles == ["Incident report — Ada Lovelace", "Incident report — Bo Peep"]
    ui.click(next(t for t in dialog.content.controls if t.title.value == "Incident report — Bo Peep"))
    assert not dialog.open
    assert ui.find(ft.TextField, label="What happened?").value == "Climbed the fence"


# --------------------------------------------------------------------------- first sync


@pytest.fixture
def new_lead(config: ClientConfig) -> Iterator[UiHarness]:
    """Lee has just signed in on a new device: nothing synced yet."""
    add_account(config, LEAD).close()
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        yield ui


def test_before_the_first_sync_the_figures_are_said_to_be_on_their_way(new_lead: UiHarness):
    ui = new_lead
    assert ui.has_text("At a glance")
    assert ui.has_text("The figures are on their way: they are worked out once this device's first sync has finished.")
    assert not ui.find_all(ft.Semantics, where=lambda s: str(s.label or "").startswith("Incidents: "))
    assert not ui.has_text("No incidents in this period.")
    assert ui.has_text("Incidents appear here once this device's first sync has finished.")
    # the first sync finishes (it brought records: the screen is rendered again)
    sync = root(ui).shell.sync
    sync._set(last_synced=dt.datetime.now(dt.UTC), generation=sync.status.generation + 1)  # as SyncService._run
    ui.settle()
    assert ui.find(ft.Semantics, where=lambda s: str(s.label or "").startswith("Incidents: 0"))
    assert ui.has_text("No incidents in this period.")
    assert not ui.has_text(re.compile("first sync has finished"))


def test_a_device_that_has_synced_shows_its_figures(config: ClientConfig):
    store = add_account(config, LEAD)
    store.put_secret(LAST_SYNCED_SECRET, dt.datetime.now(dt.UTC).isoformat())
    store.close()
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        assert ui.find(ft.Semantics, where=lambda s: str(s.label or "").startswith("Incidents: 0"))
        assert not ui.has_text(re.compile("first sync"))


# --------------------------------------------------------------------------- the inbox


def _responses(config: ClientConfig, device: dict[str, str]) -> dict[str, str]:
    """Sam's communication about Ada, answered by Lee on 20 and 21 November and by Ola on 22 November; the
    notifications of all three made by the server at the sync on 2 December (now), in the same words. One more
    notification about Ada whose response has not reached the device, and one about someone Sam cannot see."""
    store = LocalStore(account_dir(config, STAFF.email))
    store.unlock(PASSCODE)
    ctx = Context(store, STAFF)
    communication = ctx.write(
        "communication",
        "create",
        {
            "valence": "positive",
            "author_id": "u-staff",
            "message": "Ada read aloud",
            "created_at": "2026-11-19T09:00:00+00:00",
        },
        profile_id=device["ada"],
    )
    moments = {}
    for n, (author, day) in enumerate((("u-lead", 20), ("u-lead", 21), ("u-other", 22)), start=1):
        moments[f"r{n}"] = f"2026-11-{day}T14:0{n}:00+00:00"
        server_create(
            store,
            "communication_response",
            f"r{n}",
            {
                "communication_id": communication,
                "author_id": author,
                "message": "Thanks",
                "created_at": moments[f"r{n}"],
            },
            profile_id=device["ada"],
        )
    synced_at = dt.datetime.now(dt.UTC).isoformat()
    for n, (record_id, profile_id) in enumerate(
        (
            ("r1", device["ada"]),
            ("r2", device["ada"]),
            ("r3", device["ada"]),
            ("r4", device["ada"]),
            ("r5", "p-unseen"),
        ),
        start=1,
    ):
        server_create(
            store,
            "notification",
            f"n{n}",
            {
                "recipient_id": "u-staff",
                "kind": "communication_response",
                "subject": "Someone responded to your behaviour communication",
                "record_id": record_id,
                "record_kind": "communication_response",
                "profile_id": profile_id,
                "created_at": synced_at,
            },
        )
    store.close()
    return {**moments, "synced_at": synced_at}


def test_the_inbox_says_whom_each_notification_is_about_and_when_it_happened(
    config: ClientConfig, device: dict[str, str]
):
    moments = _responses(config, device)
    with open_app(config) as ui:
        unlock(ui)
        ui.navigate_to("Inbox")
        tiles = ui.find_all(
            ft.ListTile, where=lambda t: t.title.value == "Someone responded to your behaviour communication"
        )
        lines = [t.subtitle.value for t in tiles]
        # told at the same moment (the sync): in the order they happened, newest first; those not on the device yet
        # (when the server told of them) say whom they are about when Sam sees them, else nothing but the time
        assert sorted(lines[:2]) == sorted([f"Ada Lovelace · {when(moments['synced_at'])}", when(moments["synced_at"])])
        assert lines[2:] == [
            f"Ada Lovelace · from Ola Other · {when(moments['r3'])}",
            f"Ada Lovelace · from Lee Lead · {when(moments['r2'])}",
            f"Ada Lovelace · from Lee Lead · {when(moments['r1'])}",
        ]
        assert len(set(lines)) == len(lines)
        ui.click(tiles[2])
        assert ui.has_text(re.compile(r"^Behaviour Communications — Ada Lovelace"))


def test_the_inbox_shows_nothing_of_a_record_this_person_may_not_see(config: ClientConfig, device: dict[str, str]):
    """Ola's draft incident about Ada is on Sam's device (a draft is its author's until submitted): a notification
    pointing at it names no one and gives no time but its own."""
    store = LocalStore(account_dir(config, STAFF.email))
    store.unlock(PASSCODE)
    occurred = "2026-11-20T10:00:00+00:00"
    server_create(
        store,
        "incident",
        "i-draft",
        {"status": "draft", "recorded_by": "u-other", "recorded_at": occurred, "occurred_at": occurred},
        profile_id=device["ada"],
    )
    told = dt.datetime.now(dt.UTC).isoformat()
    server_create(
        store,
        "notification",
        "n-draft",
        {
            "recipient_id": "u-staff",
            "kind": "incident_flagged",
            "subject": "Incident (not yet numbered) was flagged for attention",
            "record_id": "i-draft",
            "record_kind": "incident",
            "profile_id": device["ada"],
            "created_at": told,
        },
    )
    [item] = Notifications(Context(store, STAFF)).items()
    assert (item.individual, item.by, item.happened_at) == (None, None, item.created_at)
    assert dt.datetime.fromisoformat(item.created_at) == dt.datetime.fromisoformat(told)
    store.close()


def test_an_incident_notification_gives_the_incidents_own_time(config: ClientConfig, device: dict[str, str]):
    store = LocalStore(account_dir(config, STAFF.email))
    store.unlock(PASSCODE)
    server_create(
        store,
        "notification",
        "n-incident",
        {
            "recipient_id": "u-staff",
            "kind": "incident_submitted",
            "subject": "Incident besmart-10281 was submitted",
            "record_id": device["besmart-10281"],
            "record_kind": "incident",
            "profile_id": device["ada"],
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
    [item] = Notifications(Context(store, STAFF)).items()
    incident = store.get(device["besmart-10281"])
    assert incident is not None
    assert (item.individual, item.by, item.happened_at) == ("Ada Lovelace", None, incident.values["occurred_at"])
    assert Notifications(Context(store, STAFF)).unread_count() == 1
    store.close()
