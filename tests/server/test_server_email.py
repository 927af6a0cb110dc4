"""Notification emails through a real SMTP server (aiosmtpd on loopback): the right recipients, each once,
nothing about the child in them — and none lost or doubled when the mail server was down for a while."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server.db import Database
from server.models import EmailJob
from sync.records import Role
from tests.support.mail import Inbox, Received, mailing_env, text_of
from tests.support.server import Device, Org, ServerProcess, free_port

SMTP_PORT = free_port()
SERVER_ENV = mailing_env(
    SMTP_PORT,
    BESMART_EMAIL_BACKOFF_SECONDS="0.3",
    BESMART_EMAIL_BACKOFF_MAX_SECONDS="1",
    BESMART_PUBLIC_URL="https://besmart.example",
)


def for_org(received: Received, org: Org) -> Received:
    return [(to, m) for to, m in received if any(org.tag in address for address in to)]


def wait_for_org(inbox: Inbox, org: Org, count: int) -> Received:
    """The messages for `org` once `count` have arrived (then a while longer: nothing may arrive twice)."""
    return for_org(inbox.wait_until(lambda got: len(for_org(got, org)) >= count), org)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, Controller]]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    yield handler, controller
    if getattr(controller, "_thread", None) is not None:
        controller.stop()


def report(server: ServerProcess, org: Org) -> dict[str, str]:
    """Sam submits an incident about Kim (Pat was present) and sends a communication about Kim."""
    org.add_user("pat")
    org.add_user("lou", Role.LEAD)
    kim = org.children["kim"]
    sam = Device(server.url, org.email("sam"))
    incident = sam.incident(kim, staff_present=[org.users["pat"]], what_happened="Threw a chair at the window")
    message = {
        "valence": "negative",
        "author_id": sam.user_id,
        "message": "Kim was upset at lunch",
        "created_at": "2026-01-05T13:00:00Z",
    }
    results = sam.push([incident, sam.op("communication", fields=message, profile_id=kim)]).results
    return {"incident": incident["record_id"], "reference": results[0].reference or ""}


def expected(org: Org) -> dict[str, int]:
    # Incident: key staff (tia), present (pat), leads (lena, lou). Communication: key staff (tia).
    return {org.email("tia"): 2, org.email("pat"): 1, org.email("lena"): 1, org.email("lou"): 1}


def check(received: Received, org: Org, reference: str, incident_id: str) -> None:
    counts: dict[str, int] = {}
    for to, _message in received:
        assert len(to) == 1
        counts[to[0]] = counts.get(to[0], 0) + 1
    assert counts == expected(org)
    assert org.email("sam") not in counts  # never the person who made the change
    ids = [m["Message-ID"] for _to, m in received]
    assert len(set(ids)) == len(ids)
    for _to, message in received:
        body = text_of(message)
        text = f"{message['Subject']}\n{body}"
        assert "Kim" not in text and "Test" not in text  # no names
        assert "chair" not in text and "upset" not in text  # nothing anyone wrote
        assert message["From"] == "besmart <notify@besmart.example>"
    incident_mails = [m for _to, m in received if reference in m["Subject"]]
    assert len(incident_mails) == 4
    assert all(f"https://besmart.example/open/incident/{incident_id}" in text_of(m) for m in incident_mails)


def test_emails_reach_the_right_people_once(server: ServerProcess, org: Org, inbox) -> None:  # type: ignore[no-untyped-def]
    handler, controller = inbox
    controller.start()
    made = report(server, org)
    received = wait_for_org(handler, org, sum(expected(org).values()))
    check(received, org, made["reference"], made["incident"])


def test_a_mail_server_that_was_down_delays_mail_but_loses_none(
    server: ServerProcess,
    db: Database,
    org: Org,
    inbox,  # type: ignore[no-untyped-def]
) -> None:
    handler, controller = inbox
    made = report(server, org)  # the SMTP server is down
    jobs = EmailJob.__table__
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with db.read_session() as s:
            attempts = s.execute(select(jobs.c.attempts).where(jobs.c.to_address.like(f"%{org.tag}%"))).scalars().all()
        if attempts and min(attempts) >= 2:
            break
        time.sleep(0.1)
    assert attempts and min(attempts) >= 2, "the worker should have tried (and failed) at least twice"
    with db.read_session() as s:
        statuses = set(s.execute(select(jobs.c.status).where(jobs.c.to_address.like(f"%{org.tag}%"))).scalars())
    assert statuses <= {"pending", "sending"}
    controller.start()  # the mail server comes back
    received = wait_for_org(handler, org, sum(expected(org).values()))
    check(received, org, made["reference"], made["incident"])
    with db.read_session() as s:
        rows = list(s.execute(select(jobs).where(jobs.c.to_address.like(f"%{org.tag}%"))))
    assert {row.status for row in rows} == {"sent"}
    assert all(row.attempts >= 2 and row.sent_at is not None for row in rows)
