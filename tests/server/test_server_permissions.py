"""What an op may do, against a real server on SQLite and PostgreSQL: a create naming an existing record is
checked as the update it is, who made a record can be neither forged nor changed, review is a lead's and
only of submitted incidents, and applying a quarantined op runs the same checks as pushing it."""

from __future__ import annotations

from typing import Any

from server.core.config import Settings
from server.db import Database
from tests.support.server import Device, Org, ServerProcess, now_iso, seed_org


def communication(device: Device, profile_id: str, **fields: Any) -> dict[str, Any]:
    values = {"valence": "positive", "author_id": device.user_id, "message": "A good day", "created_at": now_iso()}
    return device.op("communication", fields={**values, **fields}, profile_id=profile_id)


def response(device: Device, profile_id: str, communication_id: str, **fields: Any) -> dict[str, Any]:
    values = {
        "communication_id": communication_id,
        "author_id": device.user_id,
        "message": "Thanks",
        "created_at": now_iso(),
    }
    return device.op("communication_response", fields={**values, **fields}, profile_id=profile_id)


def values(device: Device, record_id: str) -> dict[str, Any]:
    answer = device.get(f"/records/{record_id}")
    assert answer.status_code == 200, answer.text
    return {name: field["value"] for name, field in answer.json()["fields"].items()}


def statuses(device: Device, ops: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str | None]]:
    results = device.push(list(ops.values())).results
    return {name: (r.status, r.reason) for name, r in zip(ops, results, strict=True)}


def test_a_create_over_an_existing_record_is_checked_as_the_update_it_is(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    tia, sam, lena = (Device(server.url, org.email(n)) for n in ("tia", "sam", "lena"))
    incident = tia.incident(kim)
    note = communication(tia, kim)
    reply = response(tia, kim, note["record_id"])
    tap = tia.tap(kim, org.behaviour)
    assert {r.status for r in tia.push([incident, note, reply, tap]).results} == {"applied"}
    lena.pull()
    review = {"status": "reviewed", "review_signed_off_by": lena.user_id, "review_notes": "Checked"}
    signed = lena.push([lena.op("incident", "update", review, record_id=incident["record_id"], profile_id=kim)])
    assert signed.results[0].status == "applied"
    before = {op["record_id"]: values(lena, op["record_id"]) for op in (incident, note, reply, tap)}

    def over(device: Device, op: dict[str, Any], **changes: Any) -> dict[str, Any]:
        fields = {**op["fields"], **changes}
        return device.op(op["kind"], fields=fields, record_id=op["record_id"], profile_id=kim)

    attempts = {
        # sam may record for kim, and tried to take tia's records over by "creating" them again
        "reviewed incident back to draft": over(sam, incident, status="draft", recorded_by=sam.user_id),
        "someone else's communication": over(sam, note, author_id=sam.user_id, message="Mine now"),
        "someone else's response": over(sam, reply, author_id=sam.user_id, message="Mine now"),
        "someone else's tap": over(sam, tap, staff_id=sam.user_id),
    }
    got = statuses(sam, attempts)
    assert {name: status for name, (status, _) in got.items()} == dict.fromkeys(attempts, "quarantined")
    assert got["someone else's tap"][1] == "this clicker event already exists and cannot be changed"
    assert got["someone else's communication"][1] == "who made this communication (author_id) cannot be changed"
    # Even a lead, who may edit any incident, cannot re-create one under their own name.
    by_lead = statuses(lena, {"lead": over(lena, incident, recorded_by=lena.user_id, what_happened="Rewritten")})
    assert by_lead["lead"] == ("quarantined", "who made this incident (recorded_by) cannot be changed")
    # The owner re-creating their own reviewed incident is an edit of a reviewed incident: a lead's.
    own = statuses(tia, {"own": over(tia, incident, what_happened="Changed after review")})
    assert own["own"][0] == "quarantined"
    assert {op["record_id"]: values(lena, op["record_id"]) for op in (incident, note, reply, tap)} == before
    stored = before[incident["record_id"]]
    assert (stored["status"], stored["recorded_by"], stored["review_signed_off_by"]) == (
        "reviewed",
        tia.user_id,
        lena.user_id,
    )
    # New records are still created as before.
    assert sam.push([sam.incident(kim), communication(sam, kim)]).results[0].status == "applied"


def test_who_made_a_record_cannot_be_forged_or_changed(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, lena = Device(server.url, org.email("sam")), Device(server.url, org.email("lena"))
    ada = org.users["ada"]
    forged = {
        "created already signed off": sam.incident(kim, status="reviewed", review_signed_off_by=lena.user_id),
        "created with review notes": sam.incident(kim, review_notes="Looks fine to me"),
        "recorded by the lead": sam.incident(kim, recorded_by=lena.user_id),
        "written by the lead": communication(sam, kim, author_id=lena.user_id),
    }
    got = statuses(sam, forged)
    assert got == {
        "created already signed off": ("quarantined", "only a lead may review or sign off an incident"),
        "created with review notes": ("quarantined", "only a lead may review or sign off an incident"),
        "recorded by the lead": ("quarantined", "recorded_by must be the person recording it"),
        "written by the lead": ("quarantined", "author_id must be the person recording it"),
    }
    for op in forged.values():
        assert lena.get(f"/records/{op['record_id']}").status_code == 404
    # A lead signs off as themselves only, on create as on update.
    as_ada = lena.incident(kim, status="reviewed", review_signed_off_by=ada)
    as_self = lena.incident(kim, status="reviewed", review_signed_off_by=lena.user_id)
    got = statuses(lena, {"as ada": as_ada, "as self": as_self})
    assert got == {
        "as ada": ("quarantined", "review_signed_off_by must be the lead signing off"),
        "as self": ("applied", None),
    }
    # Nobody changes who recorded an incident afterwards, not even a lead.
    own = sam.incident(kim)
    sam.push([own])
    lena.pull()
    moved = lena.op("incident", "update", {"recorded_by": lena.user_id}, record_id=own["record_id"], profile_id=kim)
    sign_as_ada = lena.op(
        "incident",
        "update",
        {"status": "reviewed", "review_signed_off_by": ada},
        record_id=own["record_id"],
        profile_id=kim,
    )
    # An update arriving before its record exists cannot name someone else either.
    early = lena.op("incident", "update", {"recorded_by": sam.user_id, "location": "Hall"}, profile_id=kim)
    got = statuses(lena, {"moved": moved, "as ada": sign_as_ada, "early": early})
    assert got == {
        "moved": ("quarantined", "who made this incident (recorded_by) cannot be changed"),
        "as ada": ("quarantined", "review_signed_off_by must be the lead signing off"),
        "early": ("quarantined", "who made this incident (recorded_by) cannot be changed"),
    }
    assert lena.get(f"/records/{early['record_id']}").status_code == 404
    stored = values(lena, own["record_id"])
    assert (stored["recorded_by"], stored["status"], stored["review_signed_off_by"]) == (sam.user_id, "submitted", None)


def test_a_draft_is_reviewed_only_once_submitted(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, lena = Device(server.url, org.email("sam")), Device(server.url, org.email("lena"))
    draft = sam.incident(kim, status="draft")
    assert sam.push([draft]).results[0].status == "applied"
    lena.pull()
    review = {"status": "reviewed", "review_signed_off_by": lena.user_id, "review_notes": "Fine"}
    early = lena.push([lena.op("incident", "update", review, record_id=draft["record_id"], profile_id=kim)])
    assert (early.results[0].status, early.results[0].reason) == (
        "quarantined",
        "this incident is still a draft: it can be reviewed once its author has submitted it",
    )
    notes_only = lena.push(
        [lena.op("incident", "update", {"review_notes": "Early"}, record_id=draft["record_id"], profile_id=kim)]
    )
    assert notes_only.results[0].status == "quarantined"
    stored = values(lena, draft["record_id"])
    assert (stored["status"], stored["review_signed_off_by"], stored["review_notes"]) == ("draft", None, "")
    # A lead applying the held-back review does not get round it either.
    held = [q for q in lena.get("/quarantine").json() if q["record_id"] == draft["record_id"]]
    refused = lena.post(f"/quarantine/{held[0]['id']}/resolve", json={"action": "apply"})
    assert refused.status_code == 403 and "still a draft" in refused.json()["message"]
    sam.pull()
    sam.push([sam.op("incident", "update", {"status": "submitted"}, record_id=draft["record_id"], profile_id=kim)])
    lena.pull()
    later = lena.push([lena.op("incident", "update", review, record_id=draft["record_id"], profile_id=kim)])
    assert later.results[0].status == "applied"
    assert values(lena, draft["record_id"])["status"] == "reviewed"


def test_a_draft_is_changed_only_by_its_author_and_the_staff_present(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, tia, lena = (Device(server.url, org.email(n)) for n in ("sam", "tia", "lena"))
    draft = sam.incident(kim, status="draft", staff_present=[tia.user_id], what_happened="Left the hall")
    assert sam.push([draft]).results[0].status == "applied"
    record_id = draft["record_id"]

    def edit(device: Device, **fields: Any) -> tuple[str, str | None]:
        device.pull()
        result = device.push([device.op("incident", "update", fields, record_id=record_id, profile_id=kim)]).results[0]
        return result.status, result.reason

    still_a_draft = "this incident is still a draft: only its author and the staff present may change it"
    assert edit(lena, what_happened="Rewritten by the lead") == ("quarantined", still_a_draft)
    assert edit(lena, flagged=True, flag_reason="Look at this") == ("quarantined", still_a_draft)
    assert values(sam, record_id)["what_happened"] == "Left the hall"
    assert edit(tia, what_happened="Left the hall after the fire alarm") == ("applied", None)
    assert edit(sam, status="submitted") == ("applied", None)
    assert edit(lena, flagged=True, flag_reason="Look at this") == ("applied", None)
    assert values(lena, record_id)["what_happened"] == "Left the hall after the fire alarm"


def test_applying_a_quarantined_op_runs_the_checks_of_a_push(
    server: ServerProcess, db: Database, settings: Settings, org: Org
) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    other = seed_org(db, settings)
    sam, tia, lena = (Device(server.url, org.email(n)) for n in ("sam", "tia", "lena"))
    incident = tia.incident(kim)
    tia.push([incident])
    tia.pull()
    elsewhere = sam.tap(other.children["kim"], org.behaviour)
    moved = sam.op("incident", "update", {"location": "Yard"}, record_id=incident["record_id"], profile_id=max_)
    as_tia = sam.tap(kim, org.behaviour)
    as_tia["fields"]["staff_id"] = tia.user_id
    ops = {"another organisation's child": elsewhere, "another individual's record": moved, "a tap as tia": as_tia}
    got = statuses(sam, ops)
    assert got == {
        "another organisation's child": ("quarantined", "unknown individual"),
        "another individual's record": ("quarantined", "the record belongs to another individual"),
        "a tap as tia": ("quarantined", "staff_id must be the person recording it"),
    }
    held = {q["record_id"]: q for q in lena.get("/quarantine").json()}
    for name, op in ops.items():
        entry = held[op["record_id"]]
        answer = lena.post(f"/quarantine/{entry['id']}/resolve", json={"action": "apply"})
        assert answer.status_code == 403, (name, answer.text)
        assert answer.json()["message"] == f"You could not make this change yourself: {got[name][1]}."
    # Nothing was applied: the entries wait, the tap does not exist, the incident is as tia left it.
    pending = {q["record_id"]: q["status"] for q in lena.get("/quarantine").json()}
    assert all(pending[op["record_id"]] == "pending" for op in ops.values())
    assert lena.get(f"/records/{elsewhere['record_id']}").status_code == 404
    assert lena.get(f"/records/{as_tia['record_id']}").status_code == 404
    stored = lena.get(f"/records/{incident['record_id']}").json()
    assert stored["profile_id"] == kim and stored["fields"]["location"]["value"] == ""
