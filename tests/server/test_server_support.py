"""Support requests to the besmart team (`support_request`) against a real server on SQLite and PostgreSQL and a
real SMTP server on loopback: a ticket saved offline reaches the team's address once, when the device syncs,
naming the person asking but no child (the organisation's names become placeholders); it comes back to its
author alone: its time written the UK way, and a child named in full and by first name one placeholder. The
server refuses a request in someone else's name, a call with no number to call, and any change to a request
once made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.context import ActionError
from app.vocabulary import SupportRequestKind
from tests.support.client import ClientDevice
from tests.support.mail import Inbox, mailing_env, smtp_server, text_of
from tests.support.server import Device, Org, ServerProcess, free_port, now_iso

SMTP_PORT = free_port()
TEAM = "support@besmart.example"
SERVER_ENV = mailing_env(
    SMTP_PORT,
    BESMART_SUPPORT_EMAIL=TEAM,
)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server(SMTP_PORT) as handler:
        yield handler


def request(device: Device, **fields: Any) -> dict[str, Any]:
    values = {
        "request": "ticket",
        "subject": "The clicker",
        "details": "A button is missing",
        "author_id": device.user_id,
        "created_at": now_iso(),
        **fields,
    }
    return device.op("support_request", fields=values)


def test_a_ticket_saved_offline_reaches_the_besmart_team_once_with_no_child_named(
    client_device: Callable[[str], ClientDevice], org: Org, inbox: Inbox
) -> None:
    sam, tia, lena = client_device("sam"), client_device("tia"), client_device("lena")
    sam.sync()
    support = sam.services.support
    with pytest.raises(ActionError, match="subject"):
        support.request(SupportRequestKind.TICKET, "  ", "Something")
    with pytest.raises(ActionError, match="need help with"):
        support.request(SupportRequestKind.TICKET, "Clicker", " ")
    assert support.mine() == []  # nothing was saved by the refused ones

    ticket = support.request(
        SupportRequestKind.TICKET,
        " Kim Test shows twice ",
        "Kim Test (kim's key worker is Tia) appears twice on the clicker list since Monday.",
        contact_phone="0113 496 0000",
    )
    [item] = support.mine()
    assert (item.id, item.subject, item.pending, item.label) == (ticket, "Kim Test shows twice", True, "Support ticket")
    assert "Waiting for sync" in item.status
    assert sam.sync().pushed == 1
    [item] = support.mine()
    assert not item.pending and "Sent to the besmart team" in item.status

    received = inbox.wait_until(lambda got: any(org.tag in text_of(m) for _to, m in got))
    mine = [(to, m) for to, m in received if org.tag in text_of(m)]
    assert len(mine) == 1  # once
    [(to, message)] = mine
    text = text_of(message)
    assert to == [TEAM]
    assert "Kim" not in text and "Kim" not in message["Subject"] and "Tia" not in text  # names hidden
    assert "[PERSON_1] shows twice" in message["Subject"] and "appears twice on the clicker list" in text
    assert f"Sam <{org.email('sam')}>" in text and "0113 496 0000" in text  # who is asking, to answer them
    assert text.startswith("A support ticket from ")

    tia.sync()
    lena.sync()  # a lead too: a request is its author's alone
    assert tia.store.records("support_request") == [] and lena.store.records("support_request") == []


def test_a_call_request_needs_a_number_and_says_when_suits(
    client_device: Callable[[str], ClientDevice], org: Org, inbox: Inbox
) -> None:
    sam = client_device("sam")
    sam.sync()
    support = sam.services.support
    with pytest.raises(ActionError, match="phone number the besmart team can call"):
        support.request(SupportRequestKind.CALL, "Training", "Set-up for new staff")
    with pytest.raises(ActionError, match="digits"):
        support.request(SupportRequestKind.CALL, "Training", "Set-up for new staff", contact_phone="call me")
    support.request(
        SupportRequestKind.CALL,
        "Training",
        "Set-up for new staff",
        contact_phone="+44 113 496 0001",
        preferred_times="Tuesday after 3:30",
    )
    sam.sync()
    received = inbox.wait_until(lambda got: any(org.tag in text_of(m) for _to, m in got))
    [text] = [text_of(m) for _to, m in received if org.tag in text_of(m)]
    assert text.startswith("A request for a support call from ")
    assert "Phone: +44 113 496 0001" in text and "When suits them: Tuesday after 3:30" in text


def test_the_server_refuses_a_request_in_another_name_a_call_with_no_number_and_any_change(
    server: ServerProcess, org: Org
) -> None:
    sam, tia = Device(server.url, org.email("sam")), Device(server.url, org.email("tia"))
    as_tia = request(sam, author_id=tia.user_id)
    no_number = request(sam, request="call")
    results = sam.push([as_tia, no_number]).results
    assert [r.status for r in results] == ["quarantined", "rejected"]  # not allowed; not valid
    assert "author_id" in (results[0].reason or ""), results[0].reason
    assert "contact_phone" in (results[1].reason or "")

    made = request(sam)
    assert sam.push([made]).results[0].status == "applied"
    change = sam.op("support_request", "update", {"subject": "Something else"}, record_id=made["record_id"])
    assert sam.push([change]).results[0].status in ("rejected", "quarantined")
    sam.pull()
    assert sam.records[made["record_id"]].values()["subject"] == "The clicker"


def test_the_email_says_when_the_way_people_read_it_and_one_child_is_one_placeholder(
    server: ServerProcess, org: Org, inbox: Inbox
) -> None:
    org.add_user("kim")  # a colleague also called Kim: "Kim" alone could be either, so it names neither
    org.add_child("zain")
    sam = Device(server.url, org.email("sam"))
    details = "Zain Test's plan will not open. Zain's key worker says Kimberley, Kim and Kim Test see it."
    made = request(sam, subject="Zain Test", details=details, created_at="2026-12-02T13:22:59.006373Z")
    assert sam.push([made]).results[0].status == "applied"

    received = inbox.wait_until(lambda got: any(org.tag in text_of(m) for _to, m in got))
    [text] = [text_of(m) for _to, m in received if org.tag in text_of(m)]
    assert f"Sent from the Help Centre on Wed 2 Dec 2026, 13:22 UTC (request {made['record_id']})." in text
    assert "2026-12-02T" not in text
    assert "Subject: [PERSON_1]\r\n" in text
    assert (
        "[PERSON_1]'s plan will not open. [PERSON_1]'s key worker says Kimberley, [PERSON_2] and [PERSON_3] see" in text
    )
