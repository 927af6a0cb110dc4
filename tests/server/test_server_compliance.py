"""Statutory clocks on the server (issue #13), on SQLite and PostgreSQL: who may stop a clock (the written
report marked sent by anyone who records, as themselves; withholding it a lead's decision), and the reminders
before a deadline and when it is missed — in the app and by email at a real SMTP server (aiosmtpd), to the
recorder, key staff and leads, once per clock and stage, with no child data, at chosen moments (the check
takes its "now"); each names its duty and deadline, and one check sends each person one email listing theirs."""

# ruff: noqa: F811  (the imported fixtures are parameters)

from __future__ import annotations

import datetime as dt
from typing import Any

from server.core.config import Settings
from server.db import Database
from server.services import organisations as orgs
from server.services.plan_reminders import run_reminders

# The plan reminders' world: a real SMTP server (`inbox`), and a server process (`SERVER_ENV`) whose email
# worker sends what the checks queue; the checks themselves run in the tests, at chosen moments.
from tests.server.test_plan_reminders import SERVER_ENV, inbox, mailing  # noqa: F401
from tests.server.test_server_permissions import values
from tests.support.mail import Inbox, text_of
from tests.support.server import Device, Org, ServerProcess


def in_setting(org: Org, child: str, setting_type: str) -> None:
    with org.db.session() as s:
        setting = orgs.create_setting(s, org.id, f"{setting_type} {org.tag}", setting_type)
        orgs.update_individual(s, org.children[child], setting_id=setting)


def update(device: Device, record_id: str, profile_id: str, **fields: Any) -> tuple[str, str | None]:
    device.pull()
    result = device.push([device.op("incident", "update", fields, record_id=record_id, profile_id=profile_id)])
    return result.results[0].status, result.results[0].reason


def test_who_may_mark_the_report_sent_and_withhold_it(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, tia, lena = (Device(server.url, org.email(n)) for n in ("sam", "tia", "lena"))
    incident = sam.incident(kim, physical_intervention=True)
    assert sam.push([incident]).results[0].status == "applied"
    record = incident["record_id"]
    assert update(lena, record, kim, status="reviewed", review_signed_off_by=lena.user_id)[0] == "applied"
    now = dt.datetime.now(dt.UTC).isoformat()

    # Tia may record for kim: she marks the report sent after the review, as herself — not as someone else.
    forged = update(tia, record, kim, parent_report_sent_by=sam.user_id, parent_report_sent_at=now)
    assert forged == ("quarantined", "parent_report_sent_by must be the person recording it")
    sent = update(tia, record, kim, parent_report_sent_by=tia.user_id, parent_report_sent_at=now,
                  parent_report_method="email")  # fmt: skip
    assert sent == ("applied", None)

    # Withholding the report is a lead's decision; once made, staff cannot change its route or reason.
    by_staff = update(sam, record, kim, pi_report_route="local_authority", pi_report_route_reason="Risk",
                      pi_report_route_decided_by=sam.user_id, pi_report_route_decided_at=now)  # fmt: skip
    assert by_staff[0] == "quarantined" and "only a lead" in str(by_staff[1])
    decided = update(lena, record, kim, pi_report_route="local_authority", pi_report_route_reason="Risk of harm",
                     pi_report_route_decided_by=lena.user_id, pi_report_route_decided_at=now)  # fmt: skip
    assert decided == ("applied", None)
    assert update(sam, record, kim, pi_report_route_reason="Changed")[0] == "quarantined"
    stored = values(lena, record)
    assert (stored["parent_report_sent_by"], stored["pi_report_route_decided_by"]) == (tia.user_id, lena.user_id)
    assert stored["pi_report_route_reason"] == "Risk of harm"

    # A device cannot write what the server noted it reminded.
    assert update(sam, record, kim, reminders_sent=["x"])[0] in ("rejected", "quarantined")


def notices(device: Device, kind: str) -> list[dict[str, Any]]:
    device.pull()
    return [
        s.values()
        for s in device.records.values()
        if s.kind == "notification" and s.values().get("kind") == kind and not s.deleted
    ]


def test_clock_reminders_before_and_at_the_deadline_once(
    server: ServerProcess, db: Database, settings: Settings, org: Org, inbox: Inbox
) -> None:
    in_setting(org, "kim", "childrens_home")
    kim = org.children["kim"]
    sam, tia, lena = (Device(server.url, org.email(n)) for n in ("sam", "tia", "lena"))
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    incident = sam.incident(kim, occurred_at=start.isoformat(), physical_intervention=True)
    assert sam.push([incident]).results[0].status == "applied"
    record = incident["record_id"]

    # Reg 35: recorded (done on submit), signed within 48 hours, the child spoken to within 5 days.
    assert run_reminders(db, mailing(settings), now=start + dt.timedelta(hours=2)) == 0
    # 12 hours before the 48-hour deadline (a quarter of it): sam recorded it, tia is key staff, lena leads.
    assert run_reminders(db, mailing(settings), now=start + dt.timedelta(hours=37)) == 3
    assert run_reminders(db, mailing(settings), now=start + dt.timedelta(hours=38)) == 0  # once
    for device in (sam, tia, lena):
        (due,) = notices(device, "clock_due")
        assert (due["record_id"], due["record_kind"]) == (record, "incident")
        assert due["subject"].startswith("Incident besmart-")
    assert run_reminders(db, mailing(settings), now=start + dt.timedelta(hours=48, minutes=1)) == 3
    assert [n["record_id"] for n in notices(lena, "clock_overdue")] == [record]

    # The lead signs off with the child spoken to: the 5-day clock is done, nothing more is sent.
    at = (start + dt.timedelta(hours=50)).isoformat()
    signed = {
        "status": "reviewed",
        "review_signed_off_by": lena.user_id,
        "review_staff_spoken_to": True,
        "review_signed_off_at": at,
        "review_child_spoken_by": lena.user_id,
        "review_child_spoken_at": at,
    }
    assert update(lena, record, kim, **signed)[0] == "applied"
    assert run_reminders(db, mailing(settings), now=start + dt.timedelta(days=5)) == 0
    noted = values(lena, record)["reminders_sent"]
    assert [key.split(":")[:2] for key in noted] == [
        ["staff_spoken_to_and_signed", "clock_due"],
        ["staff_spoken_to_and_signed", "clock_overdue"],
    ]

    def clock_mails(got: list[Any]) -> list[Any]:
        return [m for to, m in got if any(org.tag in a for a in to) and "statutory deadline" in m["Subject"]]

    mine = clock_mails(inbox.wait_until(lambda got: len(clock_mails(got)) >= 6))
    assert len(mine) == 6
    for message in mine:
        text = text_of(message)
        assert "kim" not in text.casefold() and "test" not in text.casefold()
        assert f"https://besmart.example/open/incident/{record}" in text


def test_no_reminders_without_a_setting_or_an_intervention(
    server: ServerProcess, db: Database, settings: Settings, org: Org
) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    in_setting(org, "max", "school")
    lena = Device(server.url, org.email("lena"))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    unsorted = lena.incident(kim, occurred_at=start.isoformat(), physical_intervention=True)  # kim: no setting
    calm = lena.incident(max_, occurred_at=start.isoformat())
    assert {r.status for r in lena.push([unsorted, calm]).results} == {"applied"}
    assert run_reminders(db, settings, now=start + dt.timedelta(days=3)) == 0


def test_each_missed_deadline_is_named_and_one_check_sends_one_email_a_person(
    server: ServerProcess, db: Database, settings: Settings, org: Org, inbox: Inbox
) -> None:
    in_setting(org, "kim", "childrens_home")
    kim, max_ = org.children["kim"], org.children["max"]
    sam, tia, lena = (Device(server.url, org.email(n)) for n in ("sam", "tia", "lena"))
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=6)
    incident = sam.incident(kim, occurred_at=start.isoformat(), physical_intervention=True)
    plan = lena.op("smart_plan", fields={"status": "active", "plan_lead": lena.user_id, "created_by": lena.user_id,
                                         "review_date": (start - dt.timedelta(days=1)).date().isoformat(),
                                         "created_at": start.isoformat()}, profile_id=max_)  # fmt: skip
    assert sam.push([incident]).results[0].status == "applied"
    assert lena.push([plan]).results[0].status == "applied"
    record = incident["record_id"]

    # Reg 35: the 48-hour sign-off and the 5-day "child spoken to" are both missed; lena's plan is overdue too.
    assert run_reminders(db, mailing(settings)) == 2 * 3 + 1
    assert run_reminders(db, mailing(settings)) == 0  # once, a re-run included
    for device in (sam, tia, lena):
        subjects = sorted(n["subject"] for n in notices(device, "clock_overdue"))
        assert len(subjects) == 2  # one per clock, each saying which
        assert (
            subjects[0].endswith("(UK time)")
            and "has missed a statutory deadline: Child spoken to, deadline " in subjects[0]
        )
        assert "has missed a statutory deadline: Staff spoken to and record signed, deadline " in subjects[1]

    def mine(got: list[Any]) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for to, message in got:
            for address in to:
                if org.tag in address and "was submitted" not in message["Subject"]:  # not the push's own
                    found.setdefault(address, []).append(message)
        return found

    received = mine(inbox.wait_until(lambda got: len(mine(got)) >= 3))
    assert {a: len(m) for a, m in received.items()} == {org.email(n): 1 for n in ("sam", "tia", "lena")}
    (to_sam,), (to_lena,) = received[org.email("sam")], received[org.email("lena")]
    assert " ".join(to_sam["Subject"].split()) == "besmart: 2 statutory deadlines of incidents have been missed"
    assert " ".join(to_lena["Subject"].split()) == (
        "besmart: 3 reminders: 2 statutory deadlines missed, 1 Smart Plan review overdue"
    )
    text = text_of(to_lena)
    assert text.count(f"https://besmart.example/open/incident/{record}") == 2
    assert text.count(f"https://besmart.example/open/smart_plan/{plan['record_id']}") == 1
    assert "Staff spoken to and record signed, deadline" in text and "Child spoken to, deadline" in text
    assert "kim" not in text.casefold() and "max" not in text.casefold() and "test" not in text.casefold()


def test_a_reminder_names_the_duty_and_its_deadline_in_uk_time() -> None:
    from server.services.clock_reminders import detail
    from sync.compliance import CHILDRENS_HOME_ENGLAND, SCHOOL_ENGLAND, clocks

    incident = {"physical_intervention": True, "occurred_at": "2026-07-01T10:15:00+00:00", "status": "submitted"}
    later = dt.datetime(2026, 7, 9, tzinfo=dt.UTC)
    assert [detail(c) for c in clocks(incident, SCHOOL_ENGLAND, later)] == [
        "Recorded in writing, deadline the end of Wed 1 Jul 2026 (UK time)",  # the same day: to midnight
        "Written report to the parents, deadline the end of Wed 1 Jul 2026 (UK time)",
    ]
    assert detail(clocks(incident, CHILDRENS_HOME_ENGLAND, later)[1]) == (
        "Staff spoken to and record signed, deadline Fri 3 Jul 2026, 11:15 (UK time)"  # 48 hours, in BST
    )
