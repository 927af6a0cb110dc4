"""The Help Centre in process (screens/help.py), as the guide walks it: from the dashboard, talk to Sophie (an
answer from the help files; for what she cannot answer, a ticket or a call a tap away), open a support ticket
and arrange a support call (a bad entry says what to put right and keeps what was typed; a good one is saved on
the device to be sent when it syncs, and listed under the besmart team), and read the help files."""

from __future__ import annotations

import re

import flet as ft

from app.help import PAGES
from tests.support.screens import snack, store_of
from tests.support.ui_harness import UiHarness


def open_help(ui: UiHarness) -> None:
    ui.click(ui.find(ft.IconButton, label="Help Centre"))
    assert ui.has_text("The besmart team")


def requests(ui: UiHarness) -> list:
    return [op for op in store_of(ui).pending_ops() if op.kind == "support_request"]


def test_sophie_answers_from_the_help_files_and_offers_the_team_for_the_rest(ui: UiHarness) -> None:
    open_help(ui)
    ui.click(ui.find(ft.Button, text="Talk to Sophie"))
    assert ui.has_text(re.compile(re.escape("I'm Sophie")))
    ui.type("Ask Sophie", "How do I undo a clicker tap?")
    ui.click(ui.find(ft.Button, text="Ask"))
    clicker = next(page for page in PAGES if page.title == "Behaviour Clicker")
    assert ui.has_text(f"From the help file “Behaviour Clicker”:\n{clicker.body}")
    assert ui.find(ft.TextField, label="Ask Sophie").value == ""  # ready for the next question
    assert not ui.find_all(ft.TextButton, text="Open a support ticket")

    ui.type("Ask Sophie", "What's the weather in Leeds?")
    ui.click(ui.find(ft.Button, text="Ask"))
    assert ui.has_text(re.compile(re.escape("could not find that")))
    ui.click(ui.find(ft.TextButton, text="Open a support ticket"))
    assert ui.find(ft.TextField, label="What do you need help with?").value == "What's the weather in Leeds?"
    assert ui.has_text("Open a support ticket") and ui.has_text(
        re.compile(re.escape("Do not include children's names"))
    )
    assert requests(ui) == []  # Sophie sends nothing anywhere


def test_a_support_ticket_is_checked_saved_offline_and_listed(ui: UiHarness) -> None:
    open_help(ui)
    ui.click(ui.find(ft.OutlinedButton, text="Open a support ticket"))
    ui.type("What do you need help with?", "The clicker shows a button twice")
    ui.click(ui.find(ft.Button, text="Send the ticket"))  # no subject
    assert ui.has_text(re.compile(re.escape("Give your request a subject")))
    assert ui.find(ft.TextField, label="What do you need help with?").value == "The clicker shows a button twice"
    assert requests(ui) == []

    ui.type("Subject", "Clicker button twice")
    ui.click(ui.find(ft.Button, text="Send the ticket"))
    [op] = requests(ui)
    assert op.fields["request"] == "ticket" and op.fields["subject"] == "Clicker button twice"
    assert "saved: it is sent to the besmart team when this device syncs" in snack(ui).content.value
    assert ui.has_text("The besmart team")  # back in the Help Centre, which lists it
    assert ui.has_text("Support ticket: Clicker button twice") and ui.has_text(
        re.compile(re.escape("Waiting for sync"))
    )


def test_a_support_call_asks_for_a_number_and_when_suits(ui: UiHarness) -> None:
    open_help(ui)
    ui.click(ui.find(ft.OutlinedButton, text="Arrange a support call"))
    assert ui.has_text("Arrange a support call")
    ui.type("Subject", "Training for new staff")
    ui.type("What would you like to talk about?", "Setting up the clicker for a new class")
    ui.click(ui.find(ft.Button, text="Request the call"))
    assert ui.has_text("Give a phone number the besmart team can call you on.")
    ui.type("Phone number", "0113 496 0000")
    ui.type("When suits you (days and times)", "Tuesday after 3:30")
    ui.click(ui.find(ft.Button, text="Request the call"))
    [op] = requests(ui)
    assert op.fields["request"] == "call" and op.fields["contact_phone"] == "0113 496 0000"
    assert op.fields["preferred_times"] == "Tuesday after 3:30"
    assert ui.has_text("Support call: Training for new staff")
    assert ui.has_text(re.compile(r"^Asked .* · phone 0113 496 0000 · when suits you: Tuesday after 3:30$"))


def test_the_help_files_are_all_there(ui: UiHarness) -> None:
    open_help(ui)
    for page in PAGES:
        assert ui.find(ft.ExpansionTile, where=lambda t, title=page.title: t.title.value == title)
