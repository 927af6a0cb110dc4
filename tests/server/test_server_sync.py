"""Push and pull against a real server process, on SQLite and PostgreSQL: idempotent push, conflicts kept,
references, scope changes (purge, added individuals, wipe), access enforced on every op and read, clock
clamping, paging, quarantine review and notifications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text

from server.db import Database
from server.models import AuditLog, OpLog, QuarantinedOp, Record
from sync.hlc import Stamp, wall_clock_ms
from sync.records import Role
from tests.support.server import Device, Org, ServerProcess, seed_org

RECORD = Record.__table__


def count(db: Database, table, *where) -> int:  # type: ignore[no-untyped-def]
    with db.read_session() as s:
        return s.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def top_seq(db: Database) -> int:
    with db.read_session() as s:
        return s.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one()


def test_a_push_replayed_three_times_creates_nothing_twice(server: ServerProcess, db: Database, org: Org) -> None:
    sam = Device(server.url, org.email("sam"))
    kim = org.children["kim"]
    ops = [sam.tap(kim, org.behaviour) for _ in range(5)]
    ops.append(sam.incident(kim, staff_present=[org.users["tia"]]))
    message = {
        "valence": "positive",
        "author_id": sam.user_id,
        "message": "Lovely morning",
        "created_at": "2026-01-05T10:00:00Z",
    }
    ops.append(sam.op("communication", fields=message, profile_id=kim))
    first = sam.push(ops)
    assert [r.status for r in first.results] == ["applied"] * 7
    reference = first.results[5].reference
    assert reference and reference.startswith("besmart-")
    records_after, seq_after = count(db, RECORD, RECORD.c.org_id == org.id), top_seq(db)
    notifications = count(db, RECORD, RECORD.c.org_id == org.id, RECORD.c.kind == "notification")
    for _ in range(3):
        again = sam.push(ops)
        assert [r.status for r in again.results] == ["duplicate"] * 7
        assert again.results[5].reference == reference
    assert count(db, RECORD, RECORD.c.org_id == org.id) == records_after
    assert count(db, RECORD, RECORD.c.org_id == org.id, RECORD.c.kind == "notification") == notifications
    assert count(db, OpLog.__table__, OpLog.__table__.c.device_id == sam.device_id) == 7
    assert top_seq(db) == seq_after  # nothing was written again, not even a new sequence number
    # The same op twice within one batch is applied once too.
    op = sam.tap(kim, org.behaviour)
    assert [r.status for r in sam.push([op, op]).results] == ["applied", "duplicate"]


def test_concurrent_edits_of_one_field_keep_the_loser_as_a_conflict(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, tia = Device(server.url, org.email("sam")), Device(server.url, org.email("tia"))
    create = sam.incident(kim, staff_present=[tia.user_id], location="Hall")
    sam.push([create])
    tia.pull()
    incident = tia.records[create["record_id"]]
    seen = incident.base_for({"location"})
    # Both edit "location" offline, each having seen the same version.
    edit_sam = sam.op(
        "incident",
        "update",
        {"location": "Playground"},
        reason="Corrected",
        record_id=create["record_id"],
        profile_id=kim,
        base=seen,
    )
    edit_tia = tia.op(
        "incident",
        "update",
        {"location": "Dining room"},
        reason="Corrected",
        record_id=create["record_id"],
        profile_id=kim,
        base=seen,
    )
    first = sam.push([edit_sam]).results[0]
    second = tia.push([edit_tia]).results[0]
    assert first.status == "applied"
    assert second.status == "conflict"
    sam.pull()
    state = sam.records[create["record_id"]]
    winner = max((edit_sam, edit_tia), key=lambda o: Stamp.parse(o["hlc"]))
    loser = edit_tia if winner is edit_sam else edit_sam
    assert state.values()["location"] == winner["fields"]["location"]
    assert [(c.field, c.value, c.actor_id) for c in state.conflicts] == [
        ("location", loser["fields"]["location"], loser["actor_id"])
    ]


def test_references_are_numbered_per_organisation_from_10001(
    server: ServerProcess,
    db: Database,
    settings,
    org: Org,  # type: ignore[no-untyped-def]
) -> None:
    other = seed_org(db, settings, prefix="oak")
    sam = Device(server.url, org.email("sam"))
    oak = Device(server.url, other.email("sam"))
    mine = sam.push([sam.incident(org.children["kim"]) for _ in range(3)])
    theirs = oak.push([oak.incident(other.children["kim"]) for _ in range(2)])
    assert [r.reference for r in mine.results] == ["besmart-10001", "besmart-10002", "besmart-10003"]
    assert [r.reference for r in theirs.results] == ["oak-10001", "oak-10002"]
    # A draft gets its reference when it is submitted, not before.
    draft = sam.incident(org.children["kim"], status="draft")
    assert sam.push([draft]).results[0].reference is None
    submit = sam.op(
        "incident", "update", {"status": "submitted"}, record_id=draft["record_id"], profile_id=org.children["kim"]
    )
    assert sam.push([submit]).results[0].reference == "besmart-10004"
    # Devices may not write the reference themselves.
    forged = sam.op(
        "incident", "update", {"reference": "besmart-1"}, record_id=draft["record_id"], profile_id=org.children["kim"]
    )
    assert sam.push([forged]).results[0].status == "rejected"


def test_a_reference_is_the_same_everywhere_it_is_quoted(server: ServerProcess, org: Org) -> None:
    # The number is taken at the end of the push, after the notifications quoting it were built.
    sam = Device(server.url, org.email("sam"))
    incidents = [sam.incident(org.children["kim"]) for _ in range(2)]
    answered = [r.reference for r in sam.push(incidents).results]
    assert answered == ["besmart-10001", "besmart-10002"]
    stored = [sam.get(f"/records/{i['record_id']}").json()["fields"]["reference"]["value"] for i in incidents]
    assert stored == answered
    lena = Device(server.url, org.email("lena"))  # a lead: told of every submitted incident
    lena.pull()
    subjects = sorted(n.values()["subject"] for n in lena.of_kind("notification"))
    assert subjects == [f"Incident {reference} was submitted" for reference in answered]


def test_revoking_access_purges_the_individual_at_the_next_pull(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam = Device(server.url, org.email("sam"))
    sam.push([sam.tap(kim, org.behaviour)])
    sam.pull()
    assert kim in sam.profiles
    assert any(s.profile_id == kim for s in sam.records.values())
    org.revoke("kim", "sam")
    pages = sam.pull()
    assert pages[0].purge_profiles == [kim]
    assert not any(s.profile_id == kim for s in sam.records.values())
    # What the device still had queued for the child is quarantined, not applied and not lost.
    late = sam.push([sam.tap(kim, org.behaviour)]).results[0]
    assert late.status == "quarantined"
    assert "access" in (late.reason or "")
    # Told once: the purge is final once the device came back with the page's cursor.
    sam.push([sam.tap(org.children["kim"], org.behaviour)])
    assert all(not p.purge_profiles for p in sam.pull())


def test_a_new_grant_brings_the_individuals_earlier_records(server: ServerProcess, org: Org) -> None:
    max_ = org.children["max"]
    lena = Device(server.url, org.email("lena"))
    lena.push([lena.tap(max_, org.behaviour) for _ in range(4)])
    sam = Device(server.url, org.email("sam"))
    sam.pull()
    assert max_ not in sam.profiles
    cursor_before = sam.cursor
    org.grant("max", "sam")
    page = sam.pull_page(limit=2)
    assert page.added_profiles == [max_]
    assert page.cursor != cursor_before
    # The page is lost on the way: asking again from the old cursor announces the addition again.
    again = sam.pull_page(limit=2)
    assert again.added_profiles == [max_]
    sam.apply(again)
    while again.more:
        again = sam.pull_page(limit=2)
        sam.apply(again)
        assert again.added_profiles == []
    taps = [s for s in sam.of_kind("clicker_event") if s.profile_id == max_]
    assert len(taps) == 4
    assert sam.records[max_].values()["first_name"] == "Max"


def test_a_lost_device_is_wiped_and_its_tokens_stop_working(server: ServerProcess, db: Database, org: Org) -> None:
    kim = org.children["kim"]
    sam = Device(server.url, org.email("sam"))
    other = Device(server.url, org.email("sam"))
    sam.push([sam.tap(kim, org.behaviour)])
    sam.pull()
    record_id = next(iter(sam.of_kind("clicker_event"))).id
    # The user reports the device lost from their other device.
    reported = other.post(f"/devices/{sam.device_id}/status", json={"status": "lost"})
    assert reported.status_code == 200, reported.text
    assert sam.get(f"/records/{record_id}").status_code == 401
    assert sam.get("/auth/me").status_code == 401
    # Whatever it pushes now is quarantined for review; its next pull tells it to wipe itself.
    result = sam.push([sam.tap(kim, org.behaviour)]).results[0]
    assert result.status == "quarantined"
    page = sam.pull_page()
    assert page.wipe is True and page.changes == []
    assert other.get(f"/records/{record_id}").status_code == 200


def test_without_access_no_read_no_write_nothing_pulled(server: ServerProcess, db: Database, org: Org) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    lena = Device(server.url, org.email("lena"))
    incident = lena.incident(max_)
    lena.push([incident, lena.tap(max_, org.behaviour)])
    sam = Device(server.url, org.email("sam"))
    # Read: refused.
    response = sam.get(f"/records/{incident['record_id']}")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert sam.get(f"/records/{max_}").status_code == 403
    # Write: quarantined, for a lead to review; nothing merged.
    tap = sam.tap(max_, org.behaviour)
    edit = sam.op(
        "incident", "update", {"what_happened": "rewritten"}, record_id=incident["record_id"], profile_id=max_
    )
    results = sam.push([tap, edit]).results
    assert [r.status for r in results] == ["quarantined", "quarantined"]
    assert count(db, RECORD, RECORD.c.id == tap["record_id"]) == 0
    with db.read_session() as s:
        held = s.execute(select(QuarantinedOp.__table__).where(QuarantinedOp.__table__.c.device_id == sam.device_id))
        assert {row.record_id for row in held} == {tap["record_id"], incident["record_id"]}
    # Pull: nothing of the child (the notification addressed to no one but leads never reaches sam either).
    sam.pull()
    assert max_ not in sam.profiles
    assert not [s for s in sam.records.values() if s.profile_id == max_]
    assert kim in sam.profiles
    # Other organisations' records do not exist for them.
    assert sam.get("/records/no-such-record").status_code == 404


def test_roles_are_enforced_per_op(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam, tia = Device(server.url, org.email("sam")), Device(server.url, org.email("tia"))
    tia_incident = tia.incident(kim)
    tia_tap = tia.tap(kim, org.behaviour)
    tia.push([tia_incident, tia_tap])
    own = sam.incident(kim)
    own_tap = sam.tap(kim, org.behaviour)
    sam.push([own, own_tap])
    sam.pull()
    checks = {
        "edit own incident": (
            sam.op(
                "incident",
                "update",
                {"location": "Yard"},
                reason="Corrected",
                record_id=own["record_id"],
                profile_id=kim,
            ),
            "applied",
        ),
        "edit someone else's": (
            sam.op(
                "incident",
                "update",
                {"location": "Yard"},
                reason="Corrected",
                record_id=tia_incident["record_id"],
                profile_id=kim,
            ),
            "quarantined",
        ),
        "flag someone else's": (
            sam.op(
                "incident",
                "update",
                {"flagged": True, "flag_reason": "check"},
                record_id=tia_incident["record_id"],
                profile_id=kim,
            ),
            "applied",
        ),
        "sign off": (
            sam.op("incident", "update", {"status": "reviewed"}, record_id=own["record_id"], profile_id=kim),
            "quarantined",
        ),
        "delete an incident": (sam.op("incident", "delete", record_id=own["record_id"], profile_id=kim), "quarantined"),
        "undo own tap": (sam.op("clicker_event", "delete", record_id=own_tap["record_id"], profile_id=kim), "applied"),
        "undo someone's tap": (
            sam.op("clicker_event", "delete", record_id=tia_tap["record_id"], profile_id=kim),
            "quarantined",
        ),
        "tap as someone else": (sam.op("clicker_event", fields={**tia_tap["fields"]}, profile_id=kim), "quarantined"),
        "edit the catalogue": (
            sam.op("behaviour_type", "update", {"label": "Mine"}, record_id=org.behaviour),
            "quarantined",
        ),
        "write an audit event": (
            sam.op(
                "audit_event",
                fields={"actor_id": sam.user_id, "action": "view", "record_kind": "x", "at": "2026-01-01T00:00:00Z"},
            ),
            "quarantined",
        ),
    }
    results = sam.push([op for op, _ in checks.values()]).results
    assert {name: r.status for name, r in zip(checks, results, strict=True)} == {
        name: expected for name, (_op, expected) in checks.items()
    }
    lena = Device(server.url, org.email("lena"))
    lena.pull()
    signed = lena.push(
        [
            lena.op(
                "incident",
                "update",
                {"status": "reviewed", "review_notes": "ok"},
                record_id=own["record_id"],
                profile_id=kim,
            )
        ]
    )
    assert signed.results[0].status == "applied"
    sam.pull()
    after_review = sam.push(
        [
            sam.op(
                "incident",
                "update",
                {"location": "Hall"},
                reason="Corrected",
                record_id=own["record_id"],
                profile_id=kim,
            )
        ]
    )
    assert after_review.results[0].status == "quarantined"


def test_stamps_too_far_ahead_are_clamped(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam = Device(server.url, org.email("sam"))
    tia = Device(server.url, org.email("tia"))
    incident = sam.incident(kim, staff_present=[tia.user_id])
    sam.push([incident])
    sam.pull()
    future = Stamp(wall_clock_ms() + 24 * 3600 * 1000, 0, sam.device_id).encode()
    edit = sam.op(
        "incident",
        "update",
        {"location": "From the future"},
        reason="Corrected",
        record_id=incident["record_id"],
        profile_id=kim,
    )
    edit["hlc"] = future
    assert sam.push([edit]).results[0].status == "applied"
    state = sam.get(f"/records/{incident['record_id']}").json()
    version = Stamp.parse(state["fields"]["location"]["version"])
    assert version.node == sam.device_id
    assert version.ms <= wall_clock_ms() + 5 * 60 * 1000
    # A later edit from a device with a correct clock still wins.
    tia.pull()
    later = tia.op(
        "incident", "update", {"location": "Now"}, reason="Corrected", record_id=incident["record_id"], profile_id=kim
    )
    assert tia.push([later]).results[0].status == "applied"
    assert sam.get(f"/records/{incident['record_id']}").json()["fields"]["location"]["value"] == "Now"


def test_pull_pages_by_sequence_number(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam = Device(server.url, org.email("sam"))
    sam.push([sam.tap(kim, org.behaviour) for _ in range(25)])
    pages = sam.pull(limit=7)
    assert len(pages) >= 4
    cursors = [p.cursor for p in pages]
    assert cursors == sorted(cursors)
    assert all(p.more for p in pages[:-1]) and not pages[-1].more
    assert len([s for s in sam.of_kind("clicker_event") if s.profile_id == kim]) >= 25
    # Caught up: an empty page that keeps the cursor.
    last = sam.pull_page()
    assert last.changes == [] and last.cursor == sam.cursor and not last.more


def test_reads_and_writes_are_audited(server: ServerProcess, db: Database, org: Org) -> None:
    kim = org.children["kim"]
    sam = Device(server.url, org.email("sam"))
    tap = sam.tap(kim, org.behaviour)
    sam.push([tap])
    sam.pull()
    assert sam.get(f"/records/{tap['record_id']}").status_code == 200
    audit = AuditLog.__table__
    with db.read_session() as s:
        rows = list(s.execute(select(audit).where(audit.c.record_id == tap["record_id"]).order_by(audit.c.id)))
    assert [(r.action, r.actor_id, r.device_id, r.profile_id) for r in rows] == [
        ("create", sam.user_id, sam.device_id, kim),
        ("view", sam.user_id, sam.device_id, kim),
    ]


def test_leads_review_quarantined_ops(server: ServerProcess, db: Database, org: Org) -> None:
    max_ = org.children["max"]
    sam = Device(server.url, org.email("sam"))
    taps = [sam.tap(max_, org.behaviour), sam.tap(max_, org.behaviour)]
    assert [r.status for r in sam.push(taps).results] == ["quarantined", "quarantined"]
    assert sam.get("/quarantine").status_code == 403
    lena = Device(server.url, org.email("lena"))
    items = lena.get("/quarantine").json()
    assert [i["record_id"] for i in items] == [t["record_id"] for t in taps]
    assert items[0]["reason"] and items[0]["op"]["actor_id"] == sam.user_id
    applied = lena.post(f"/quarantine/{items[0]['id']}/resolve", json={"action": "apply", "note": "agreed"})
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied" and applied.json()["result"] == "applied"
    discarded = lena.post(f"/quarantine/{items[1]['id']}/resolve", json={"action": "discard"})
    assert discarded.json()["status"] == "discarded"
    assert lena.post(f"/quarantine/{items[1]['id']}/resolve", json={"action": "apply"}).status_code == 409
    assert lena.get("/quarantine").json() == []
    state = lena.get(f"/records/{taps[0]['record_id']}").json()
    assert state["fields"]["staff_id"]["value"] == sam.user_id  # merged as its author made it
    assert lena.get(f"/records/{taps[1]['record_id']}").status_code == 404
    # A replay of the resolved ops is acknowledged, not quarantined again.
    assert [r.status for r in sam.push(taps).results] == ["duplicate", "duplicate"]


def test_the_right_people_are_notified_in_app(server: ServerProcess, db: Database, org: Org) -> None:
    kim = org.children["kim"]
    org.add_user("lou", Role.LEAD)
    org.add_user("pat")  # no link to kim at all
    sam = Device(server.url, org.email("sam"))
    incident = sam.incident(kim, staff_present=[org.users["pat"], sam.user_id])
    message = {
        "valence": "negative",
        "author_id": sam.user_id,
        "message": "Upset after lunch",
        "created_at": "2026-01-05T13:00:00Z",
    }
    communication = sam.op("communication", fields=message, profile_id=kim)
    sam.push([incident, communication])
    reference = sam.get(f"/records/{incident['record_id']}").json()["fields"]["reference"]["value"]

    def inbox(name: str) -> list[tuple[str, str | None]]:
        device = Device(server.url, org.email(name))
        device.pull()
        return sorted((n.values()["kind"], n.values().get("record_id")) for n in device.of_kind("notification"))

    submitted = ("incident_submitted", incident["record_id"])
    assert inbox("tia") == sorted([submitted, ("communication", communication["record_id"])])  # key staff
    assert inbox("lena") == [submitted] and inbox("lou") == [submitted]  # leads
    assert inbox("pat") == [("invited_to_collaborate", incident["record_id"])]  # present
    assert inbox("sam") == []  # never the actor
    assert inbox("ada") == []
    tia = Device(server.url, org.email("tia"))
    tia.pull()
    note = next(n for n in tia.of_kind("notification") if n.values()["kind"] == "incident_submitted")
    assert reference in note.values()["subject"] and "Kim" not in note.values()["subject"]
    # A response goes to the communication's author; flagging goes to the leads.
    reply = tia.op(
        "communication_response",
        fields={
            "communication_id": communication["record_id"],
            "author_id": tia.user_id,
            "message": "Thanks",
            "created_at": "2026-01-05T14:00:00Z",
        },
        profile_id=kim,
    )
    flag = tia.op("incident", "update", {"flagged": True}, record_id=incident["record_id"], profile_id=kim)
    assert [r.status for r in tia.push([reply, flag]).results] == ["applied", "applied"]
    assert ("communication_response", reply["record_id"]) in inbox("sam")
    assert ("incident_flagged", incident["record_id"]) in inbox("lena")
    # The recipient marks it read; nobody else may.
    mark = tia.op("notification", "update", {"read": True}, record_id=note.id)
    assert tia.push([mark]).results[0].status == "applied"
    other = sam.op("notification", "update", {"read": True}, record_id=note.id)
    assert sam.push([other]).results[0].status == "quarantined"


def test_notifications_are_not_repeated_for_later_edits(server: ServerProcess, org: Org) -> None:
    kim = org.children["kim"]
    sam = Device(server.url, org.email("sam"))
    incident = sam.incident(kim)
    sam.push([incident])
    sam.pull()
    sam.push(
        [
            sam.op(
                "incident",
                "update",
                {"location": "Library"},
                reason="Corrected",
                record_id=incident["record_id"],
                profile_id=kim,
            )
        ]
    )
    lena = Device(server.url, org.email("lena"))
    lena.pull()
    assert len([n for n in lena.of_kind("notification") if n.values()["record_id"] == incident["record_id"]]) == 1
    # Adding someone to "staff present" after the fact invites them.
    late = sam.op(
        "incident",
        "update",
        {"staff_present": [org.users["tia"]]},
        reason="Corrected",
        record_id=incident["record_id"],
        profile_id=kim,
    )
    sam.push([late])
    tia = Device(server.url, org.email("tia"))
    tia.pull()
    kinds = [
        n.values()["kind"] for n in tia.of_kind("notification") if n.values()["record_id"] == incident["record_id"]
    ]
    assert sorted(kinds) == ["incident_submitted", "invited_to_collaborate"]


def test_token_expiry_is_enforced(server: ServerProcess, db: Database, org: Org) -> None:
    sam = Device(server.url, org.email("sam"))
    with db.session() as s:
        s.execute(
            text("UPDATE auth_token SET expires_at = :past WHERE device_id = :device AND kind = 'access'"),
            {
                "past": dt.datetime(2000, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None)
                if not db.is_postgres
                else dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                "device": sam.device_id,
            },
        )
    response = sam.get("/sync/pull")
    assert response.status_code == 401 and response.json()["error"] == "token_expired"
    fresh = sam.http.post("/auth/refresh", json={"refresh_token": sam.session["refresh_token"]})
    assert fresh.status_code == 200
    old_refresh = sam.session["refresh_token"]
    sam.session = fresh.json()
    assert sam.get("/sync/pull").status_code == 200
    assert sam.http.post("/auth/refresh", json={"refresh_token": old_refresh}).status_code == 401
