"""Smart Plans against a real server on SQLite and PostgreSQL: who may start, edit, publish, delete and
contribute, an archived version is read-only, a published plan is removed with a reason (never erased), and a
contribution is append-only but for `used`."""

from __future__ import annotations

from typing import Any

from tests.support.server import Device, Org, ServerProcess, now_iso


def plan(device: Device, profile_id: str, **fields: Any) -> dict[str, Any]:
    values = {"created_by": device.user_id, "created_at": now_iso(), **fields}
    return device.op("smart_plan", fields=values, profile_id=profile_id)


def update(device: Device, op: dict[str, Any], **fields: Any) -> dict[str, Any]:
    device.pull()  # an edit of what the device has seen (not a concurrent one)
    return device.op("smart_plan", "update", fields, record_id=op["record_id"], profile_id=op["profile_id"])


def contribution(device: Device, plan_op: dict[str, Any], **fields: Any) -> dict[str, Any]:
    values = {
        "plan_id": plan_op["record_id"],
        "section": "about_me",
        "text": "Likes football",
        "author_id": device.user_id,
        "created_at": now_iso(),
        **fields,
    }
    return device.op("plan_contribution", fields=values, profile_id=plan_op["profile_id"])


def push(device: Device, op: dict[str, Any]) -> tuple[str, str | None]:
    result = device.push([op]).results[0]
    return result.status, result.reason


def test_plan_lifecycle_permissions(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    lena, sam, tia = (Device(server.url, org.email(n)) for n in ("lena", "sam", "tia"))
    assert push(sam, plan(sam, kim))[0] == "quarantined"  # staff do not start plans
    active_by_lead = plan(lena, kim, status="active")
    assert push(lena, active_by_lead)[0] == "applied"  # a lead may publish
    first = plan(lena, kim, plan_lead=sam.user_id, triggers="Noise")
    assert push(lena, first) == ("applied", None)
    # the plan's lead edits their draft; other staff may not
    assert push(sam, update(sam, first, triggers="Noise and crowds")) == ("applied", None)
    assert push(tia, update(tia, first, triggers="Mine"))[1] == "only a lead or the plan's lead may edit a Smart Plan"
    assert push(sam, update(sam, first, status="active"))[1] == "only a lead may publish or archive a Smart Plan"
    assert push(lena, update(lena, first, status="active", published_at=now_iso())) == ("applied", None)
    assert push(lena, update(lena, first, triggers="After publishing"))[1] == (
        "this Smart Plan is published: start a new version to change it"
    )
    assert push(sam, update(sam, first, review_date="2027-01-10")) == ("applied", None)  # live field, plan lead
    assert push(lena, update(lena, first, status="draft"))[1].startswith("a published Smart Plan cannot go back")
    second = plan(lena, kim, series_id=first["record_id"], version=2, triggers="Noise and crowds")
    assert push(lena, second) == ("applied", None)
    assert push(lena, update(lena, first, status="archived")) == ("applied", None)
    assert push(lena, update(lena, first, review_date="2027-02-01"))[1].startswith("this version of the Smart Plan")
    # erasing: a draft only; a published plan is removed with a reason
    assert push(lena, lena.op("smart_plan", "delete", record_id=first["record_id"], profile_id=kim))[1] == (
        "a published Smart Plan is not erased: delete it with a reason (it is kept for leads)"
    )
    assert push(lena, update(lena, first, removed=True))[1] == "deleting a published Smart Plan needs a reason"
    assert push(sam, update(sam, first, removed=True, removed_reason="x"))[0] == "quarantined"
    removal = {"removed": True, "removed_reason": "Wrong child", "removed_by": lena.user_id, "removed_at": now_iso()}
    assert push(lena, update(lena, first, **removal)) == ("applied", None)
    assert push(sam, sam.op("smart_plan", "delete", record_id=second["record_id"], profile_id=kim))[0] == "quarantined"
    assert push(lena, lena.op("smart_plan", "delete", record_id=second["record_id"], profile_id=kim)) == (
        "applied",
        None,
    )
    answer = lena.get(f"/records/{first['record_id']}")
    assert answer.status_code == 200 and answer.json()["fields"]["removed_reason"]["value"] == "Wrong child"
    assert sam.get(f"/records/{first['record_id']}").status_code == 403  # kept for leads


def test_contributions_are_anyones_but_used_is_the_plan_leads(server: ServerProcess, org: Org) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    lena, sam, tia = (Device(server.url, org.email(n)) for n in ("lena", "sam", "tia"))
    draft = plan(lena, kim, plan_lead=tia.user_id)
    other = plan(lena, max_)
    assert {r.status for r in lena.push([draft, other]).results} == {"applied"}
    mine = contribution(sam, draft)
    assert push(sam, mine) == ("applied", None)
    on_behalf = contribution(sam, draft, on_behalf_of="parent_carer", on_behalf_name="Mum", section="green")
    assert push(sam, on_behalf) == ("applied", None)
    assert push(sam, contribution(sam, draft, author_id=tia.user_id))[1] == "author_id must be the person recording it"
    assert push(sam, contribution(sam, other))[0] == "quarantined"  # sam does not reach max
    assert (
        push(sam, contribution(sam, draft, used=True))[1]
        == "only a lead or the plan's lead may mark a contribution used"
    )
    wrong_child = contribution(lena, other)
    wrong_child["profile_id"] = kim
    assert push(lena, wrong_child)[1] == "unknown Smart Plan for this individual"
    used = {"used": True}
    sam.pull()
    tia.pull()
    mark = sam.op("plan_contribution", "update", used, record_id=mine["record_id"], profile_id=kim)
    assert push(sam, mark)[1] == "only a lead or the plan's lead may mark a contribution used"
    mark = tia.op("plan_contribution", "update", used, record_id=mine["record_id"], profile_id=kim)
    assert push(tia, mark) == ("applied", None)
    edit = tia.op("plan_contribution", "update", {"text": "Changed"}, record_id=mine["record_id"], profile_id=kim)
    assert push(tia, edit)[0] == "rejected"
    archived_plan = plan(lena, kim, status="archived", version=3)
    assert push(lena, archived_plan) == ("applied", None)
    assert push(sam, contribution(sam, archived_plan))[1].startswith("this version of the Smart Plan is archived")
    stored = lena.get(f"/records/{mine['record_id']}").json()["fields"]
    assert stored["used"]["value"] is True and stored["text"]["value"] == "Likes football"
