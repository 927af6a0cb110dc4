""" "Email to parents" on the written report's letter screen (screens/parent_email.py), in process: shown only
for the report after force, where the organisation allows it, while online; the confirmation names who it goes
to; when the server cannot be reached the person is told so and nothing is marked sent. (The email itself,
through a real server and SMTP: tests/server/test_server_parent_email.py.)"""

from __future__ import annotations

import dataclasses

import flet as ft

from app.config import ClientConfig
from app.context import Context
from app.parent_email import OFFLINE
from tests.support.screens import (
    STAFF,
    add_account,
    open_app,
    root,
    seed,
    server_create,
    server_update,
    snack,
    store_of,
    unlock,
)
from tests.support.ui_harness import UiHarness

EMAIL = "mary@example.net"


def prepare(config: ClientConfig, *, allowed: bool, route: str = "parents") -> str:
    """Sam's device after a sync: incident besmart-10270 had a physical intervention; Ada's mother has an email;
    the organisation allows (or not) emailing the report. Returns the incident id."""
    store = add_account(config, STAFF)
    ids = seed(store, STAFF)
    server_create(store, "organisation", "org1", {"name": "Oak Academy", "parent_report_email": allowed})
    server_update(store, ids["besmart-10270"], {"physical_intervention": True, "pi_report_route": route})
    contact = {"name": "Mary Lovelace", "relationship": "Mother", "email": EMAIL, "parental_responsibility": True}
    Context(store, STAFF).write("key_contact", "create", contact, profile_id=ids["ada"])
    store.acknowledge(op.op_id for op in store.pending_ops(10_000))  # it reached the server
    store.close()
    return ids["besmart-10270"]


def set_online(ui: UiHarness, online: bool | None) -> None:
    sync = root(ui).session.sync
    assert sync is not None
    sync.status = dataclasses.replace(sync.status, online=online)


def open_report(ui: UiHarness, kind: str = "restraint") -> None:
    ui.navigate_to("Incidents")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10270"))
    ui.click(ui.find(ft.OutlinedButton, text="Draft a letter"))
    ui.select("Letter", kind)
    assert ui.has_text("Draft a letter")


def email_buttons(ui: UiHarness) -> list[ft.Button]:
    return ui.find_all(ft.Button, text="Email to parents")


def test_shown_for_the_written_report_when_allowed_and_online(config: ClientConfig) -> None:
    incident_id = prepare(config, allowed=True)
    with open_app(config) as ui:
        unlock(ui)
        set_online(ui, True)
        open_report(ui)
        assert len(email_buttons(ui)) == 1
        ui.select("Letter", "incident")  # another letter: not the written report
        assert email_buttons(ui) == []
        ui.select("Letter", "restraint")
        ui.click(email_buttons(ui)[0])
        assert ui.has_text(f"Mary Lovelace (Mother) — {EMAIL}")
        ui.click("Send")  # the test's server cannot be reached
        ui.settle()
        assert snack(ui).content.value == OFFLINE
        values = store_of(ui).get(incident_id)
        assert values is not None and values.values.get("parent_report_sent_at") is None  # nothing marked sent


def test_hidden_offline(config: ClientConfig) -> None:
    prepare(config, allowed=True)
    with open_app(config) as ui:
        unlock(ui)
        for online in (False, None):  # known offline, or not known yet
            set_online(ui, online)
            open_report(ui)
            assert email_buttons(ui) == []
            assert ui.find_all(ft.Button, text="Download PDF") == [] and ui.has_text("Copy")


def test_hidden_where_the_organisation_has_not_turned_it_on(config: ClientConfig) -> None:
    prepare(config, allowed=False)
    with open_app(config) as ui:
        unlock(ui)
        set_online(ui, True)
        open_report(ui)
        assert email_buttons(ui) == []


def test_hidden_when_the_report_goes_to_the_local_authority(config: ClientConfig) -> None:
    prepare(config, allowed=True, route="local_authority")  # telling the parents could put the child at risk
    with open_app(config) as ui:
        unlock(ui)
        set_online(ui, True)
        open_report(ui)
        assert email_buttons(ui) == []
