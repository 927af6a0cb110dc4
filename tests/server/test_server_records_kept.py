"""Records that cannot be quietly changed, against a real server on SQLite and PostgreSQL: an amendment of a
submitted incident needs its reason and its history comes from the op log; a submitted incident is deleted
with a reason (kept for leads, a tombstone for staff); a legal hold blocks every deletion; records past their
retention period are listed for review and destroyed only by an admin's deliberate, audited command."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from server import cli
from server.models import AuditLog, QuarantinedOp
from server.services import organisations as orgs
from tests.support.server import Device, Org, ServerProcess, now_iso

AUDIT = AuditLog.__table__
QUARANTINE = QuarantinedOp.__table__


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


def cli_admin(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> tuple[int, str, str]:
    """`python -m server admin ...`, in this process: (exit status, stdout, stderr)."""
    code = cli.main(["admin", *args, "--db", database_url, "--operator", "ann"])
    out, err = capsys.readouterr()
    return code, out, err


def test_retention_lists_for_review_and_destroys_only_on_purpose(
    server: ServerProcess, org: Org, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with org.db.session() as s:
        school = orgs.create_setting(s, org.id, "Oak School", "school")
        home = orgs.create_setting(s, org.id, "Elm House", "childrens_home")
        old = orgs.create_individual(s, org.id, "Olly", "Old", date_of_birth="1990-03-01", setting_id=school)
        held = orgs.create_individual(s, org.id, "Hana", "Held", date_of_birth="1990-05-01", setting_id=school)
        young = orgs.create_individual(s, org.id, "Yan", "Young", date_of_birth="2015-01-01", setting_id=school)
        resident = orgs.create_individual(s, org.id, "Rae", "Home", date_of_birth="1990-01-01", setting_id=home)
        orgs.grant_access(s, old, org.users["sam"])
    sam, lena = Device(server.url, org.email("sam")), Device(server.url, org.email("lena"))
    incident = sam.incident(old, location="Hall")
    sam.push([incident])
    sam.pull()
    lena.pull()
    hold = {"legal_hold": True, "legal_hold_reason": "Civil claim", "legal_hold_by": lena.user_id}
    assert lena.push([lena.op("individual", "update", hold, record_id=held, profile_id=held)]).results[0].status == (
        "applied"
    )

    code, out, _err = cli_admin(capsys, database_url, "retention", "list", "--org", org.id)
    assert code == 0
    listed = {line["individual"]: line for line in map(json.loads, out.splitlines())}
    assert old in listed and held in listed and young not in listed and resident not in listed
    assert (
        listed[old]["kept_until"] == "2015-03-01"
        and listed[old]["records"] == "access_grant 1, incident 1, individual 1"
    )
    assert listed[held]["legal_hold"] is True
    assert listed[org.children["kim"]]["review"].startswith("no date of birth")  # cannot be worked out: listed

    assert cli_admin(capsys, database_url, "retention", "destroy", "--individual", old)[2] == (
        "error: destroying an individual's records cannot be undone: add --confirm\n"
    )
    refused = cli_admin(capsys, database_url, "retention", "destroy", "--individual", held, "--confirm")
    assert refused[0] == 2 and "legal hold" in refused[2]
    # an admin may set and lift a hold from the command line too (audited as theirs)
    assert cli_admin(capsys, database_url, "legal-hold", "--individual", old)[2].startswith("error: give the reason")
    assert cli_admin(capsys, database_url, "legal-hold", "--individual", old, "--reason", "Claim")[0] == 0
    refused = cli_admin(capsys, database_url, "retention", "destroy", "--individual", old, "--confirm")
    assert refused[0] == 2 and "legal hold" in refused[2]
    assert cli_admin(capsys, database_url, "legal-hold", "--individual", old, "--lift")[0] == 0
    refused = cli_admin(capsys, database_url, "retention", "destroy", "--individual", young, "--confirm")
    assert refused[0] == 2 and "kept until 2040-01-01" in refused[2]
    assert lena.get(f"/records/{young}").json()["fields"]["first_name"]["value"] == "Yan"  # nothing changed

    code, out, _err = cli_admin(capsys, database_url, "retention", "destroy", "--individual", old, "--confirm")
    assert code == 0 and "destroyed 3 records" in out
    # a tombstone with none of the fields, pulled by devices; the op log's copy of the ops is gone too
    for record_id in (old, incident["record_id"]):
        assert set(lena.get(f"/records/{record_id}").json()["fields"]) == {"_deleted"}
    sam.pull()  # their grant is destroyed with the rest: the individual leaves the device
    assert old not in sam.profiles and incident["record_id"] not in sam.records
    assert lena.get(f"/records/{incident['record_id']}/history").json()["entries"] == []
    # A device offline while they were destroyed still has their records: its changes to them, and new
    # records about them, are refused whole — not merged into the tombstones, not kept in quarantine.
    late_edit = lena.op("incident", "update", {"location": "Gym"}, record_id=incident["record_id"], profile_id=old)
    late_tap = lena.op("communication", fields={"valence": "positive", "author_id": lena.user_id,
                       "message": "Olly helped", "created_at": now_iso()}, profile_id=old)  # fmt: skip
    late_view = lena.op("audit_event", fields={"actor_id": lena.user_id, "action": "view", "record_kind": "incident",
                        "record_id": incident["record_id"], "profile_id": old, "device_id": lena.device_id,
                        "at": now_iso()})  # fmt: skip
    answers = lena.push([late_edit, late_tap, late_view]).results
    gone = "this individual's records were destroyed at the end of their retention period: the change was not kept"
    assert [(a.status, a.reason) for a in answers[:2]] == [("rejected", gone)] * 2
    assert answers[2].status == "applied"  # the audit log outlives destruction; the event holds no child's data
    assert set(lena.get(f"/records/{incident['record_id']}").json()["fields"]) == {"_deleted"}
    assert lena.get(f"/records/{late_tap['record_id']}").status_code == 404
    with org.db.read_session() as s:
        assert not s.execute(select(QUARANTINE).where(QUARANTINE.c.profile_id == old)).all()
    with org.db.read_session() as s:
        rows = s.execute(select(AUDIT).where(AUDIT.c.action == "destroy", AUDIT.c.record_id == old)).all()
    assert len(rows) == 1 and rows[0].actor_id == "cli:ann"
    assert json.loads(rows[0].detail)["records"] == {"access_grant": 1, "incident": 1, "individual": 1}
