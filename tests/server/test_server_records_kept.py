"""Records that cannot be quietly changed, against a real server on SQLite and PostgreSQL: an amendment of a
submitted incident needs its reason and its history comes from the op log; a submitted incident is deleted
with a reason (kept for leads, a tombstone for staff); a legal hold blocks every deletion."""

from __future__ import annotations

from typing import Any

from tests.support.server import Device, Org, ServerProcess, now_iso


def update(device: Device, record: dict[str, Any], fields: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
    device.pull()  # an edit of what the device has seen
    return device.op(
        "incident", "update", fields, record_id=record["record_id"], profile_id=record["profile_id"], reason=reason
    )


def result(device: Device, op: dict[str, Any]) -> tuple[str, str | None]:
    answer = device.push([op]).results[0]
    return answer.status, answer.reason


def removal(device: Device, reason: str = "Recorded against the wrong child") -> dict[str, Any]:
    return {"removed": True, "removed_reason": reason, "removed_by": device.user_id, "removed_at": now_iso()}


def test_an_amendment_needs_its_reason_and_the_history_shows_it(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, lena = Device(server.url, org.email("sam")), Device(server.url, org.email("lena"))
    draft = sam.incident(kim, status="draft", location="Hall")
    assert result(sam, draft)[0] == "applied"
    assert result(sam, update(sam, draft, {"location": "Hall, by the stage"}))[0] == "applied"  # a draft: no reason
    assert result(sam, update(sam, draft, {"status": "submitted"}))[0] == "applied"
    refused = result(sam, update(sam, draft, {"location": "Yard"}))
    assert refused == (
        "quarantined",
        "this incident has been submitted: a change to what it says is an amendment and needs its reason",
    )
    assert lena.get(f"/records/{draft['record_id']}").json()["fields"]["location"]["value"] == "Hall, by the stage"
    # follow-up is not an amendment
    assert result(sam, update(sam, draft, {"flagged": True, "flag_reason": "Check"}))[0] == "applied"
    assert result(sam, update(sam, draft, {"location": "Yard"}, reason="It was the yard, not the hall"))[0] == "applied"
    # a blank reason is no reason: the op is refused as malformed
    assert result(sam, update(sam, draft, {"location": "Gym"}, reason="  "))[0] == "rejected"

    history = lena.get(f"/records/{draft['record_id']}/history")
    assert history.status_code == 200
    entries = history.json()["entries"]
    assert history.json()["complete"] is True
    assert [e["action"] for e in entries] == ["create", "update", "update", "update", "update"]
    amendment = entries[-1]
    assert amendment["amendment"] is True and amendment["reason"] == "It was the yard, not the hall"
    assert amendment["actor_id"] == sam.user_id
    assert amendment["changes"] == [{"field": "location", "value": "Yard", "previous": "Hall, by the stage"}]
    assert [e["amendment"] for e in entries[:-1]] == [False] * 4
    # the history is read like the record: audited, refused to those without access
    assert Device(server.url, org.email("ada")).get(f"/records/{draft['record_id']}/history").status_code == 200
    other = lena.incident(org.children["max"])
    lena.push([other])
    assert sam.get(f"/records/{other['record_id']}/history").status_code == 403


def test_two_devices_amend_offline_and_both_amendments_are_in_the_history(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, lena = Device(server.url, org.email("sam")), Device(server.url, org.email("lena"))
    incident = sam.incident(kim, location="Hall", what_happened="Shouted")
    sam.push([incident])
    sam.pull()
    lena.pull()
    # both offline: each amends a different field, having seen the same record
    by_sam = sam.op(
        "incident", "update", {"location": "Hall, by the stage"}, record_id=incident["record_id"], profile_id=kim,
        reason="More precise",
    )  # fmt: skip
    by_lena = lena.op(
        "incident", "update", {"what_happened": "Shouted at a peer"}, record_id=incident["record_id"], profile_id=kim,
        reason="Spoke to the staff involved",
    )  # fmt: skip
    assert lena.push([by_lena]).results[0].status == "applied"
    assert sam.push([by_sam]).results[0].status == "applied"
    state = lena.get(f"/records/{incident['record_id']}").json()["fields"]
    assert state["location"]["value"] == "Hall, by the stage" and state["what_happened"]["value"] == "Shouted at a peer"
    amendments = [e for e in lena.get(f"/records/{incident['record_id']}/history").json()["entries"] if e["amendment"]]
    assert sorted(a["reason"] for a in amendments) == ["More precise", "Spoke to the staff involved"]
    assert {c["previous"] for a in amendments for c in a["changes"]} == {"Hall", "Shouted"}


def test_a_submitted_incident_is_deleted_with_a_reason_and_kept_for_leads(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, lena = Device(server.url, org.email("sam")), Device(server.url, org.email("lena"))
    incident = sam.incident(kim, location="Hall")
    sam.push([incident])
    sam.pull()
    record_id = incident["record_id"]
    erase = lena.op("incident", "delete", record_id=record_id, profile_id=kim)
    assert (
        result(lena, erase)[1] == "a submitted incident is not erased: delete it with a reason (it is kept for leads)"
    )
    assert result(lena, update(lena, incident, {"removed": True}))[1] == "deleting a submitted incident needs a reason"
    assert result(sam, update(sam, incident, removal(sam)))[0] == "quarantined"  # staff may not delete
    assert result(lena, update(lena, incident, removal(lena))) == ("applied", None)
    # kept for leads, whole; a tombstone to staff, with none of its fields
    assert lena.get(f"/records/{record_id}").json()["fields"]["removed_reason"]["value"].startswith("Recorded")
    assert sam.get(f"/records/{record_id}").status_code == 403
    sam.pull()
    assert sam.records[record_id].deleted and set(sam.records[record_id].fields) == {"_deleted"}
    lena.pull()
    assert not lena.records[record_id].deleted and lena.records[record_id].values()["removed"] is True
    # a deleted incident can no longer be changed; a draft is still erased
    later = update(lena, incident, {"location": "Yard"}, reason="Typo")
    assert (
        result(lena, later)[1]
        == "this incident was deleted (it is kept for leads and audit) and can no longer be changed"
    )
    draft = sam.incident(kim, status="draft")
    sam.push([draft])
    assert result(sam, sam.op("incident", "delete", record_id=draft["record_id"], profile_id=kim))[0] == "quarantined"
    assert result(lena, lena.op("incident", "delete", record_id=draft["record_id"], profile_id=kim))[0] == "applied"


def test_a_legal_hold_blocks_deletion(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, lena = Device(server.url, org.email("sam")), Device(server.url, org.email("lena"))
    ada = Device(server.url, org.email("ada"))
    incident = sam.incident(kim)
    draft = sam.incident(kim, status="draft")
    sam.push([incident, draft])
    hold = {"legal_hold": True, "legal_hold_reason": "Police investigation", "legal_hold_by": lena.user_id}
    assert result(sam, sam.op("individual", "update", hold, record_id=kim, profile_id=kim))[0] == "quarantined"
    no_reason = {"legal_hold": True, "legal_hold_by": lena.user_id}
    assert result(lena, lena.op("individual", "update", no_reason, record_id=kim, profile_id=kim))[1] == (
        "a legal hold needs its reason"
    )
    sneaky = {**hold, "first_name": "Renamed"}
    assert result(lena, lena.op("individual", "update", sneaky, record_id=kim, profile_id=kim))[1] == (
        "your role (lead) may change only the legal hold of an individual"
    )
    lena.pull()
    assert result(lena, lena.op("individual", "update", hold, record_id=kim, profile_id=kim)) == ("applied", None)
    held = "this individual's records are on legal hold: nothing of theirs may be deleted until it is lifted"
    assert result(lena, update(lena, incident, removal(lena)))[1] == held
    assert result(sam, sam.op("incident", "delete", record_id=draft["record_id"], profile_id=kim))[1] == held
    assert result(ada, ada.op("individual", "delete", record_id=kim, profile_id=kim))[1] == held
    # lifted: deletion works again
    lena.pull()
    lift = {"legal_hold": False, "legal_hold_reason": "", "legal_hold_by": lena.user_id}
    assert result(lena, lena.op("individual", "update", lift, record_id=kim, profile_id=kim))[0] == "applied"
    assert result(lena, update(lena, incident, removal(lena)))[0] == "applied"
