"""The statutory clocks on screen, in-process (issue #13): the incident's panel (each clock with its state and
regulation; marking the written report sent; a lead withholding it, with a reason), the leads' Compliance
screen (overdue first, opening the incident), and what staff are not offered."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import flet as ft

from app.context import Context
from localdb.store import LocalStore
from sync.protocol import UserInfo
from tests.support.screens import LEAD, STAFF, add_account, open_app, root, seed, server_update, store_of, unlock
from tests.support.ui_harness import UiHarness, inside


def school_with_force(store: LocalStore, user: UserInfo) -> dict[str, str]:
    """Ada at a school in England, with two uses of force: yesterday's (its report overdue) and one today."""
    ids = seed(store, user)
    ctx = Context(store, user)
    now = dt.datetime.now(dt.UTC)  # at set-up, not at import: a run may cross midnight in between
    school = ctx.write("setting", "create", {"name": "Brightwater", "setting_type": "school"})
    ctx.write("individual", "update", {"setting_id": school}, record_id=ids["ada"], profile_id=ids["ada"])
    for reference, moment in (("besmart-10301", now - dt.timedelta(days=1)), ("besmart-10302", now)):
        record = ctx.write(
            "incident",
            "create",
            {
                "status": "submitted",
                "recorded_by": "u-other",
                "recorded_at": moment.isoformat(),
                "occurred_at": moment.isoformat(),
                "what_happened": "Held by both arms",
                "physical_intervention": True,
            },
            profile_id=ids["ada"],
        )
        server_update(store, record, {"reference": reference})
        ids[reference] = record
    store.acknowledge(op.op_id for op in store.pending_ops(10_000))
    store.close()
    return ids


def in_dialog(ui: UiHarness, type_: type, **kw: Any) -> Any:
    dialog = ui.open_dialogs()[-1]
    found = [c for c in ui.find_all(type_, **kw) if inside(c, dialog)]
    assert len(found) == 1, found
    return found[0]


def test_a_lead_opens_an_overdue_report_from_compliance_and_marks_it_sent(config, memory_keyring) -> None:
    ids = school_with_force(add_account(config, LEAD), LEAD)
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        ui.navigate_to("Compliance")
        tiles = ui.find_all(ft.ListTile)
        overdue = [t for t in tiles if "Overdue" in (t.subtitle.value or "")]
        assert [t.title.value for t in overdue] == ["besmart-10301 · Ada Lovelace"]
        assert tiles.index(overdue[0]) < min(i for i, t in enumerate(tiles) if "Due in" in (t.subtitle.value or ""))
        ui.click(overdue[0])
        assert ui.has_text("Statutory deadlines")
        assert ui.has_text(re.compile(r"s93A"))
        assert ui.has_text(re.compile(r"^Overdue by"))
        ui.click("Written report sent")
        ui.select(in_dialog(ui, ft.Dropdown), "letter")
        ui.click(in_dialog(ui, ft.TextButton, text="Confirm"))
        values = store_of(ui).get(ids["besmart-10301"]).values
        assert (values["parent_report_sent_by"], values["parent_report_method"]) == ("u-lead", "letter")
        assert ui.has_text("Done (late)")
        ui.click("Back to Compliance")  # the back arrow returns where the incident was opened
        assert root(ui).shell.current.NAME == "compliance"
        assert not any("besmart-10301" in (t.title.value or "") for t in ui.find_all(ft.ListTile))


def test_withholding_needs_a_reason_and_then_shows_withheld(config, memory_keyring) -> None:
    ids = school_with_force(add_account(config, LEAD), LEAD)
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        ui.navigate_to("Compliance")
        ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10302 · Ada Lovelace"))
        ui.click("Withhold (risk of harm)")
        assert in_dialog(ui, ft.TextField).value == ""  # the recorder gave no route or reason
        ui.click(in_dialog(ui, ft.TextButton, text="Record decision"))  # no reason given
        assert in_dialog(ui, ft.Text, where=lambda t: str(t.value or "").startswith("Give the reason"))  # still open
        assert store_of(ui).get(ids["besmart-10302"]).values.get("pi_report_route_decided_by") is None
        ui.type(in_dialog(ui, ft.TextField), "Telling Dad would put Ada at risk of significant harm")
        ui.click(in_dialog(ui, ft.TextButton, text="Record decision"))
        values = store_of(ui).get(ids["besmart-10302"]).values
        assert (values["pi_report_route"], values["pi_report_route_decided_by"]) == ("local_authority", "u-lead")
        assert ui.has_text(re.compile(r"^Withheld"))


def test_staff_see_the_clocks_but_neither_compliance_nor_withholding(config, memory_keyring) -> None:
    school_with_force(add_account(config, STAFF), STAFF)
    with open_app(config) as ui:
        unlock(ui)
        bars = ui.find_all((ft.NavigationBar, ft.NavigationRail))
        assert bars and not any(d.label == "Compliance" for bar in bars for d in bar.destinations)
        ui.navigate_to("Incidents")
        ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10302"))
        assert ui.has_text("Statutory deadlines")
        assert ui.find_all(ft.OutlinedButton, text="Written report sent")
        assert not ui.find_all(ft.OutlinedButton, text="Withhold (risk of harm)")


def test_a_legal_hold_needs_a_reason_said_in_its_dialog(config, memory_keyring) -> None:
    ids = seed(add_account(config, LEAD), LEAD)
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        ui.navigate_to("Directory")
        ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
        tabs = ui.find(ft.Tabs)
        ui.select_index(tabs, [t.label for t in ui.find(ft.TabBar).tabs].index("Access"))
        ui.click("Put on legal hold")
        ui.click(in_dialog(ui, ft.TextButton, text="Put on hold"))  # no reason
        problem = in_dialog(ui, ft.Text, where=lambda t: bool(t.visible and t.value and "reason" in str(t.value)))
        assert problem.value  # said in the dialog, which stays open with the field
        assert not store_of(ui).get(ids["ada"]).values.get("legal_hold")
        ui.type(in_dialog(ui, ft.TextField), "Claim notified by the family's solicitor")
        ui.click(in_dialog(ui, ft.TextButton, text="Put on hold"))
        assert store_of(ui).get(ids["ada"]).values.get("legal_hold") is True
        assert ui.has_text(re.compile(r"^On: nothing of theirs may be deleted"))
