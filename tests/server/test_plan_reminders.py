"""Smart Plan review reminders on SQLite and PostgreSQL, delivered as in-app notifications and as emails at a
real SMTP server (aiosmtpd): a week before the review and when overdue, to the plan lead and key staff, once
per plan version, review date and kind, and never with the child's details (one email per person per check,
listing each plan by its review date); an incident with physical intervention (or the plan not followed) asks
the plan lead to review."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from email.message import Message

import pytest

from server.core.config import Settings
from server.db import Database
from server.services.plan_reminders import reminder_kind, run_reminders
from tests.support.mail import Inbox, mailing_env, smtp_server, text_of
from tests.support.server import Device, Org, ServerProcess, free_port, now_iso

SMTP_PORT = free_port()
SERVER_ENV = mailing_env(
    SMTP_PORT,
    BESMART_PUBLIC_URL="https://besmart.example",
    BESMART_PLAN_REMINDER_INTERVAL_SECONDS="0",  # these tests run the check themselves, on a chosen day
)
TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server(SMTP_PORT) as handler:
        yield handler


def mailing(settings: Settings) -> Settings:
    """The settings of the server process (it queues emails only when SMTP is set up)."""
    return settings.with_overrides(
        smtp_host="127.0.0.1", smtp_port=SMTP_PORT, smtp_tls="none", public_url="https://besmart.example"
    )


def inbox_of(device: Device, kind: str) -> list[dict]:
    device.pull()
    found = []
    for state in device.records.values():
        values = state.values()
        if state.kind == "notification" and values.get("kind") == kind:
            found.append(values)
    return found


def publish(lena: Device, profile_id: str, review: dt.date, plan_lead: str) -> str:
    op = lena.op(
        "smart_plan",
        fields={
            "status": "active",
            "plan_lead": plan_lead,
            "review_date": review.isoformat(),
            "created_by": lena.user_id,
            "created_at": now_iso(),
        },
        profile_id=profile_id,
    )
    assert lena.push([op]).results[0].status == "applied"
    return op["record_id"]


def test_reminder_kinds() -> None:
    assert reminder_kind(TODAY + dt.timedelta(days=8), TODAY) is None
    assert reminder_kind(TODAY + dt.timedelta(days=7), TODAY) == "plan_review_due"
    assert reminder_kind(TODAY, TODAY) == "plan_review_due"
    assert reminder_kind(TODAY - dt.timedelta(days=1), TODAY) == "plan_review_overdue"


def test_review_reminders_in_app_and_by_email_once(
    server: ServerProcess, db: Database, settings: Settings, org: Org, inbox: Inbox
) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    lena, sam, tia = (Device(server.url, org.email(n)) for n in ("lena", "sam", "tia"))
    due = publish(lena, kim, TODAY + dt.timedelta(days=5), plan_lead=sam.user_id)  # tia is kim's key staff
    overdue = publish(lena, max_, TODAY - dt.timedelta(days=2), plan_lead=lena.user_id)
    publish(lena, max_, TODAY + dt.timedelta(days=30), plan_lead=lena.user_id)  # not yet

    assert run_reminders(db, mailing(settings), TODAY) == 3
    assert run_reminders(db, mailing(settings), TODAY) == 0  # once
    assert [n["record_id"] for n in inbox_of(sam, "plan_review_due")] == [due]
    assert [n["record_id"] for n in inbox_of(tia, "plan_review_due")] == [due]
    assert [n["record_id"] for n in inbox_of(lena, "plan_review_overdue")] == [overdue]
    assert inbox_of(lena, "plan_review_due") == []

    received = inbox.wait_until(
        lambda got: {org.email(n) for n in ("sam", "tia", "lena")} <= {a for to, _m in got for a in to}
    )
    mine = [(to, m) for to, m in received if any(org.tag in a for a in to)]
    assert sorted(a for to, _m in mine for a in to) == sorted(org.email(n) for n in ("lena", "sam", "tia"))
    for _to, message in mine:
        text = text_of(message)
        assert "Smart Plan" in message["Subject"] and "review" in message["Subject"]
        assert "kim" not in text.casefold() and "max" not in text.casefold()
        assert "https://besmart.example/open/smart_plan/" in text

    # A new review date is reminded afresh, overdue after due.
    assert run_reminders(db, mailing(settings), TODAY + dt.timedelta(days=6)) == 2  # sam and tia: overdue
    assert [n["record_id"] for n in inbox_of(sam, "plan_review_overdue")] == [due]


def test_an_incident_with_physical_intervention_asks_the_plan_lead_to_review(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    lena, sam, tia = (Device(server.url, org.email(n)) for n in ("lena", "sam", "tia"))
    plan = publish(lena, kim, TODAY + dt.timedelta(days=60), plan_lead=tia.user_id)
    calm = sam.incident(kim)
    held = sam.incident(kim, physical_intervention=True)
    ignored = sam.incident(kim, pi_plan_followed=False)
    assert {r.status for r in sam.push([calm, held, ignored]).results} == {"applied"}
    asks = inbox_of(tia, "plan_review_after_incident")
    assert len(asks) == 2 and {a["record_id"] for a in asks} == {plan}
    assert all(a["subject"].startswith("Incident ") and "besmart-" in a["subject"] for a in asks)
    assert inbox_of(sam, "plan_review_after_incident") == []


def test_the_running_server_sends_reminders_by_itself(
    server: ServerProcess, org: Org, database_url: str, tmp_path
) -> None:
    """No scheduler needed: a server checks for reminders at start and then every interval."""
    lena, sam = Device(server.url, org.email("lena")), Device(server.url, org.email("sam"))
    overdue = publish(lena, org.children["kim"], dt.date.today() - dt.timedelta(days=3), plan_lead=sam.user_id)
    checking = ServerProcess(database_url, tmp_path, {"BESMART_PLAN_REMINDER_INTERVAL_SECONDS": "1"}).start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not inbox_of(sam, "plan_review_overdue"):
            time.sleep(0.3)
        assert [n["record_id"] for n in inbox_of(sam, "plan_review_overdue")] == [overdue]
        time.sleep(2.5)  # two more checks: nothing twice
        assert len(inbox_of(sam, "plan_review_overdue")) == 1
    finally:
        checking.stop()


def subject(message: Message) -> str:
    """A message's subject as read (a long one is folded over lines)."""
    return " ".join(str(message["Subject"]).split())


def test_one_email_per_person_per_check_lists_each_plan_with_its_review_date(
    server: ServerProcess, db: Database, settings: Settings, org: Org, inbox: Inbox
) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    lena, sam, tia = (Device(server.url, org.email(n)) for n in ("lena", "sam", "tia"))
    late = [publish(lena, kim, TODAY - dt.timedelta(days=d), plan_lead=sam.user_id) for d in (2, 3)]  # tia: key staff
    soon = publish(lena, max_, TODAY + dt.timedelta(days=4), plan_lead=sam.user_id)

    assert run_reminders(db, mailing(settings), TODAY) == 5  # in the app: one per plan and person
    assert run_reminders(db, mailing(settings), TODAY) == 0  # once
    assert sorted(n["record_id"] for n in inbox_of(sam, "plan_review_overdue")) == sorted(late)
    subjects = {n["subject"] for n in inbox_of(tia, "plan_review_overdue")}
    assert subjects == {
        "A Smart Plan you lead or support is overdue for review (review date 29 Nov 2026)",
        "A Smart Plan you lead or support is overdue for review (review date 28 Nov 2026)",
    }

    def mine(got: list) -> dict[str, list]:
        found: dict[str, list] = {}
        for to, message in got:
            for address in to:
                if org.tag in address:
                    found.setdefault(address, []).append(message)
        return found

    received = mine(inbox.wait_until(lambda got: len(mine(got)) >= 2))
    assert sorted(received) == sorted([org.email("sam"), org.email("tia")])  # nothing for the lead
    (to_sam,), (to_tia,) = received[org.email("sam")], received[org.email("tia")]
    assert (
        subject(to_sam) == "besmart: 3 reminders: 2 Smart Plan reviews overdue, 1 Smart Plan review due within a week"
    )
    assert subject(to_tia) == "besmart: 2 Smart Plans you lead or support are overdue for review"
    text = text_of(to_sam)
    for plan in [*late, soon]:
        assert text.count(f"https://besmart.example/open/smart_plan/{plan}") == 1
    assert "review date 28 Nov 2026" in text and "review date 5 Dec 2026" in text
    assert "kim" not in text.casefold() and "max" not in text.casefold()
    assert text.index("overdue for review") < text.index("due for review within a week")  # overdue first
