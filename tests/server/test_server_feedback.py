"""Reports of a problem with a tool's output (`output_feedback`) against a real server on SQLite and PostgreSQL:
a report made offline on a staff device syncs to the leads and comes back resolved; nobody else receives it
(it may quote a child's record); the server refuses a report in someone else's name, about a child the author
does not reach, made already resolved, and a resolution by staff or in another lead's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.context import ActionError
from server.models import AuditLog
from server.services import organisations as orgs
from sync.records import FeedbackStatus, Role
from tests.support.client import ClientDevice
from tests.support.server import PASSWORD, Device, Org, ServerProcess, now_iso

AUDIT = AuditLog.__table__
OUTPUT = "Dear Mrs Test, Kim kicked off in the hall and was restrained."


def report(device: Device, **fields: Any) -> dict[str, Any]:
    values = {
        "tool": "letter",
        "output": OUTPUT,
        "note": "The letter calls a restraint 'kicked off'",
        "author_id": device.user_id,
        "created_at": now_iso(),
        **fields,
    }
    return device.op("output_feedback", fields=values)


def resolution(device: Device, record_id: str, **fields: Any) -> dict[str, Any]:
    values = {
        "status": "resolved",
        "resolved_by": device.user_id,
        "resolved_at": now_iso(),
        "resolution": "Template changed",
        **fields,
    }
    return device.op("output_feedback", "update", values, record_id=record_id)


def push(device: Device, op: dict[str, Any]) -> tuple[str, str | None]:
    result = device.push([op]).results[0]
    return result.status, result.reason


def feedback_ids(device: Device) -> set[str]:
    device.pull()
    return {r.id for r in device.records.values() if r.kind == "output_feedback"}


def test_a_report_made_offline_reaches_the_leads_and_comes_back_resolved(
    client_device: Callable[[str], ClientDevice], org: Org
) -> None:
    kim = org.children["kim"]
    sam, lena, tia = client_device("sam"), client_device("lena"), client_device("tia")
    sam.sync()
    report_id = sam.services.feedback.report("letter", OUTPUT, "  Wrong words for a restraint ", about=kim)
    assert [i.id for i in sam.services.feedback.items()] == [report_id]  # staff: their own
    assert sam.sync().pushed == 1
    lena.sync()
    [item] = lena.services.feedback.items()
    assert (item.id, item.tool, item.output, item.note) == (
        report_id,
        "Letter draft",
        OUTPUT,
        "Wrong words for a restraint",
    )
    assert item.open and item.author == "Sam" and item.about == "Kim Test" and not item.pending
    assert lena.services.feedback.open_count() == 1
    tia.sync()  # reaches Kim, but the report is Sam's and the leads'
    assert tia.store.records("output_feedback") == []

    with pytest.raises(ActionError, match="Say what was done"):
        lena.services.feedback.resolve(report_id, "  ")
    lena.services.feedback.resolve(report_id, "Changed the template's wording")
    with pytest.raises(ActionError, match="already been resolved"):
        lena.services.feedback.resolve(report_id, "Again")
    lena.sync()
    sam.sync()
    [mine] = sam.services.feedback.items()
    assert not mine.open and mine.resolution == "Changed the template's wording" and mine.resolved_by == "Lena"
    [done] = lena.services.feedback.items(status=FeedbackStatus.RESOLVED)
    assert done.resolved_by == "Lena" and not done.open


def test_only_the_author_and_the_leads_who_reach_the_child_receive_a_report(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    with org.db.session() as s:
        elsewhere = orgs.create_setting(s, org.id, "Willow House", "childrens_home")
        orgs.create_user(
            s, org.id, "Lou", f"lou.{org.tag}@example.org", PASSWORD, role=Role.LEAD, settings=org.settings,
            setting_ids=[elsewhere],
        )  # fmt: skip
    sam, tia, lena, ada = (Device(server.url, org.email(n)) for n in ("sam", "tia", "lena", "ada"))
    lou = Device(server.url, f"lou.{org.tag}@example.org")
    about_kim, about_nobody = report(sam, profile_id=kim), report(sam, tool="language_check")
    assert {r.status for r in sam.push([about_kim, about_nobody]).results} == {"applied"}
    both = {about_kim["record_id"], about_nobody["record_id"]}
    assert feedback_ids(sam) == both and feedback_ids(lena) == both and feedback_ids(ada) == both
    assert feedback_ids(tia) == set()
    assert feedback_ids(lou) == {about_nobody["record_id"]}  # a lead limited to a setting Kim is not in
    for reader, status in ((sam, 200), (lena, 200), (tia, 403), (lou, 403)):
        assert reader.get(f"/records/{about_kim['record_id']}").status_code == status
    with org.db.session() as s:  # a read of a report quoting a child is audited, with the child
        views = s.execute(
            select(AUDIT.c.actor_id, AUDIT.c.profile_id).where(
                AUDIT.c.record_id == about_kim["record_id"], AUDIT.c.action == "view"
            )
        ).all()
    assert sorted(views) == sorted([(sam.user_id, kim), (lena.user_id, kim)])


def test_the_server_refuses_what_a_report_may_not_be(server: ServerProcess, org: Org) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    sam, tia, lena, ada = (Device(server.url, org.email(n)) for n in ("sam", "tia", "lena", "ada"))
    assert push(sam, report(sam, author_id=tia.user_id)) == ("quarantined", "author_id must be the person recording it")
    assert push(sam, report(sam, profile_id=max_)) == (
        "quarantined",
        "you do not have access to this individual (any more)",
    )
    made_resolved = report(sam, status="resolved", resolution="Nothing wrong")
    assert push(sam, made_resolved) == (
        "quarantined",
        "a report of a problem with an output is made open: a lead resolves it",
    )
    assert push(sam, report(sam, note=""))[0] == "rejected"
    mine = report(sam, profile_id=kim)
    assert push(sam, mine) == ("applied", None)
    record_id = mine["record_id"]
    for device in (sam, lena):
        device.pull()
    assert push(sam, resolution(sam, record_id)) == (
        "quarantined",
        "only a lead or an administrator may resolve a report of a problem with an output",
    )
    rewrite = lena.op("output_feedback", "update", {"note": "Nothing to see"}, record_id=record_id)
    assert push(lena, rewrite) == (
        "quarantined",
        "a report of a problem with an output cannot be changed: only its resolution can",
    )
    assert push(lena, resolution(lena, record_id, resolved_by=ada.user_id)) == (
        "quarantined",
        "resolved_by must be the person resolving the report",
    )
    assert push(lena, lena.op("output_feedback", "delete", record_id=record_id))[0] == "quarantined"
    assert push(lena, resolution(lena, record_id)) == ("applied", None)
    stored = sam.get(f"/records/{record_id}").json()["fields"]
    assert stored["status"]["value"] == "resolved" and stored["note"]["value"].startswith("The letter calls")
