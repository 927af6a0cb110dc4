"""A full disk and a read-only data folder, on the screens (in-process, `tests/support/ui_harness.py`): the tap, the
draft and the unlock say what happened in plain words instead of crashing the session, what was typed stays
on the screen, and everything works again once space returns.
"""

from __future__ import annotations

import re

import flet as ft
import pytest

from app.config import ClientConfig
from app.incidents import Incidents
from app.session import account_dir
from localdb.store import StorageError
from tests.support.disk import fill_disk, free_disk, read_only
from tests.support.screens import (
    STAFF,
    open_app,
    pick_individual,
    snack,
    start_report,
    store_of,
    unlock,
)
from tests.support.ui_harness import UiHarness, inside

TAP_NOT_SAVED = "This device is out of storage: the tap was not saved. Free some space and try again."


def _today(ui: UiHarness) -> str:
    on_task = ui.find(ft.Semantics, label="clicker-On task")
    return next(t.value for t in ui.find_all(ft.Text) if (t.value or "").startswith("Today:") and inside(t, on_task))


def test_a_tap_on_a_full_disk_says_so_and_the_count_stays(ui: UiHarness, device: dict[str, str]):
    ui.navigate_to("Record & Plan")
    pick_individual(ui, "Ada Lovelace")
    ui.click("Behaviour Clicker")
    store = store_of(ui)
    fill_disk(store.db)
    for _ in range(50):  # a tap may still fit in the room left in a page; the disk fills within a few
        taps = len(store.records("clicker_event", device["ada"]))
        ui.click(ui.find(ft.Semantics, label="clicker-On task").content)
        bars = [d for d in ui.open_dialogs() if isinstance(d, ft.SnackBar)]  # a saved tap shows none
        if bars and bars[0].content.value == TAP_NOT_SAVED:
            break
    bar = snack(ui)
    assert bar.content.value == TAP_NOT_SAVED and bar.bgcolor == ft.Colors.ERROR and bar.action is None
    assert len(store.records("clicker_event", device["ada"])) == taps
    assert _today(ui) == f"Today: {taps}"  # the count shows what is saved
    free_disk(store.db)
    ui.click(ui.find(ft.Semantics, label="clicker-On task").content)
    assert ui.find(ft.Text, text=re.compile("^Logged On task at "))
    assert not ui.open_dialogs()  # the failure's message is taken away: it would contradict this tap
    assert _today(ui) == f"Today: {taps + 1}"


def test_a_draft_on_a_full_disk_keeps_what_was_typed(ui: UiHarness):
    start_report(ui)
    ui.type("Where did it happen?", "Dining hall")
    store = store_of(ui)
    fill_disk(store.db)
    account = "Threw a tray after being pushed in the queue. " * 400
    # Typing a long account saves as it goes; soon a save needs more room than the full disk has.
    for length in range(200, len(account), 200):
        ui.type("What happened?", account[:length])
        if ui.open_dialogs():
            break
    typed = account[:length]
    assert snack(ui).content.value == (
        "This device is out of storage: your latest change to the report (it is still on the screen) was not "
        "saved. Free some space and try again."
    )
    assert ui.find(ft.TextField, label="What happened?").value == typed  # still on the screen
    assert ui.find(ft.TextField, label="Where did it happen?").value == "Dining hall"
    [draft] = store.drafts("incident")
    assert typed.startswith(draft.values["values"]["what_happened"])  # what was saved before is kept
    ui.click("Next Page")  # the page change cannot be saved either: stays here, with what was typed
    assert ui.find(ft.TextField, label="What happened?").value == typed
    # Space returns: the next save (here, the change of page) saves what was typed as well.
    free_disk(store.db)
    ui.click("Next Page")
    assert ui.has_text(re.compile(r"^Page 2 of 2"))
    [draft] = store.drafts("incident")
    assert draft.values["values"]["what_happened"] == typed
    assert draft.values["values"]["location"] == "Dining hall"


def test_unlocking_with_a_read_only_data_folder_says_so(config: ClientConfig, device: dict[str, str]):
    with open_app(config) as ui:
        with read_only(account_dir(config, STAFF.email)):
            unlock(ui)
            assert ui.has_text(ui_text := "Unlock besmart")
            assert any(
                (t.value or "").startswith("besmart cannot write to its data folder on this device")
                for t in ui.find_all(ft.Text)
            ), ui.dump()
            assert ui_text
        unlock(ui)  # writable again: nothing was lost
        assert ui.has_text("Hello, Sam Staff")


def test_a_dialog_whose_action_the_storage_refuses_closes_and_says_so(
    ui: UiHarness, device: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    """`Shell.ask`: a storage failure the app did not word itself is the device's, not the person's to put right
    in the dialog: it closes and the store's own words are shown, as `Shell.act` shows them."""

    def refused(*_args: object, **_kw: object) -> None:
        raise StorageError("besmart could not write to this device's storage: nothing was saved.")

    monkeypatch.setattr(Incidents, "flag", refused)
    ui.navigate_to("Incidents")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10281"))
    ui.click("Flag")
    ui.click(ui.find(ft.TextButton, text="Flag"))
    assert not [d for d in ui.open_dialogs() if isinstance(d, ft.AlertDialog)]
    bar = snack(ui)
    assert bar.content.value == "besmart could not write to this device's storage: nothing was saved."
    assert bar.bgcolor == ft.Colors.ERROR
    assert not store_of(ui).get(device["besmart-10281"]).values.get("flagged")
