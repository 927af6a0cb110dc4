"""The client sync engine against a real server: a whole shift offline, then one sync — nothing lost,
nothing twice, the right people told; scope changes purge; a lost device is wiped; session expiry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from server.db import Database
from server.models import OpLog, Record
from sync.gateway import OfflineError, ReauthRequired
from tests.support.client import ClientDevice
from tests.support.server import Org, ServerProcess


def server_records(db: Database, profile_ids: set[str], kind: str) -> dict[str, dict]:
    with db.session() as s:
        rows = s.exec(select(Record.id, Record.state, Record.profile_id).where(Record.kind == kind)).all()
    return {row[0]: row[1] for row in rows if row[2] in profile_ids}


def op_count(db: Database, device_id: str) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(OpLog).where(OpLog.device_id == device_id)).one()[0]


def test_a_shift_offline_then_one_sync_delivers_everything_once(
    server: ServerProcess, db: Database, org: Org, tmp_path
):
    children = [org.children["kim"]] + [org.add_child(f"child{i}", access=["sam"], key_staff=["tia"]) for i in range(4)]
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    sam.sync()  # start of shift: reference data and the children arrive
    behaviour = sam.services.clicker.buttons(children[0])[0].behaviour_type_id

    # The shift, offline: taps, a communication and an incident for every child.
    written = {"clicker_event": set(), "communication": set(), "incident": set()}
    for child in children:
        for _ in range(5):
            written["clicker_event"].add(sam.services.clicker.tap(child, behaviour).record_id)
        written["communication"].add(sam.services.communications.send(child, "positive", "Settled well after lunch"))
        draft = sam.services.incidents.start(child)
        sam.services.incidents.save_page(draft.id, {"what_happened": "Left the classroom", "location": "Corridor"})
        written["incident"].add(sam.services.incidents.submit(draft.id))
    queued = sam.store.pending_count()
    assert queued == 5 * 7

    report = sam.sync()
    issues = [i.details for i in sam.store.sync_issues()]
    assert report.pushed == queued and report.quarantined == report.rejected == 0, issues
    assert sam.store.pending_count() == 0
    for kind, ids in written.items():
        assert set(server_records(db, set(children), kind)) == ids, kind
    assert op_count(db, sam.store.device_id) == queued + 0  # each op recorded once

    # Every incident came back numbered; a second sync changes nothing.
    incidents = sam.services.incidents.list()
    assert {i.id for i in incidents} == written["incident"]
    assert all(i.reference and i.reference.startswith("besmart-") and not i.pending for i in incidents)
    again = sam.sync()
    assert again.pushed == 0 and op_count(db, sam.store.device_id) == queued

    # The key staff member's device gets the notifications.
    tia = ClientDevice.create(server.url, org.email("tia"), tmp_path / "tia")
    tia.sync()
    kinds = [n.values["kind"] for n in tia.services.notifications.inbox()]
    assert kinds.count("incident_submitted") == len(children)
    assert kinds.count("communication") == len(children)


def test_many_small_batches_arrive_in_order_each_op_once(server: ServerProcess, db: Database, org: Org, tmp_path):
    """The engine reads and marks the next batch while the server works on one, and acknowledges the one before
    while the next is sent (sync/engine.py): every op still arrives once, in the order it was made, and an
    incident's edits land after its creation."""
    kim = org.children["kim"]
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    sam.sync()
    behaviour = sam.services.clicker.buttons(kim)[0].behaviour_type_id
    for n in range(9):
        sam.services.clicker.tap(kim, behaviour)
        sam.services.communications.send(kim, "positive", f"Note {n}")
    draft = sam.services.incidents.start(kim)
    sam.services.incidents.save_page(draft.id, {"what_happened": "Left the classroom", "location": "Corridor"})
    incident = sam.services.incidents.submit(draft.id)
    queued = sam.store.pending_count()
    sam._sync_engine().push_batch = 4

    report = sam.sync()

    assert report.pushed == queued and sam.store.pending_count() == 0
    with db.session() as s:
        rows = s.exec(
            select(OpLog.op_id, OpLog.received_at).where(OpLog.device_id == sam.store.device_id).order_by(OpLog.op_id)
        ).all()
    assert len(rows) == queued == len({row[0] for row in rows})
    received = [row[1] for row in rows]
    assert received == sorted(received)  # batch by batch, in the order the ops were made
    stored = json.loads(server_records(db, {kim}, "incident")[incident])
    assert stored["fields"]["what_happened"]["value"] == "Left the classroom"
    assert sam.sync().pushed == 0 and op_count(db, sam.store.device_id) == queued


def test_losing_access_pushes_pending_work_then_purges_the_child(
    server: ServerProcess, db: Database, org: Org, tmp_path
):
    kim = org.children["kim"]
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    sam.sync()
    assert [p.id for p in sam.services.directory.people()] == [kim]
    behaviour = sam.services.clicker.buttons(kim)[0].behaviour_type_id
    tap = sam.services.clicker.tap(kim, behaviour)
    org.revoke("kim", "sam")
    report = sam.sync()
    assert report.purged == [kim]
    assert sam.services.directory.people() == [] and sam.store.get(tap.record_id) is None
    assert sam.store.pending_count() == 0
    # The tap written before access was lost was not dropped: the server holds it (applied or quarantined).
    with db.session() as s:
        assert (
            s.exec(select(func.count()).select_from(OpLog).where(OpLog.device_id == sam.store.device_id)).one()[0] == 1
        )


def test_a_device_reported_lost_is_wiped(server: ServerProcess, org: Org, tmp_path):
    from server.services.accounts import mark_device

    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    sam.sync()
    with org.db.session() as s:
        mark_device(s, sam.store.device_id, "lost")
    report = sam.sync()
    assert report.wiped
    assert not any(p.is_file() for p in (tmp_path / "sam").rglob("*"))


def test_an_unreachable_server_keeps_everything_queued(org: Org, tmp_path, server: ServerProcess):
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    sam.sync()
    kim = org.children["kim"]
    sam.services.clicker.tap(kim, sam.services.clicker.buttons(kim)[0].behaviour_type_id)
    sam.base_url = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(OfflineError, match="kept on this device"):
        sam.sync()
    assert sam.store.pending_count() == 1


def test_an_expired_session_asks_to_sign_in_and_keeps_the_outbox(server: ServerProcess, org: Org, tmp_path):
    from sync.gateway import SESSION_SECRET

    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    sam.sync()
    kim = org.children["kim"]
    sam.services.clicker.tap(kim, sam.services.clicker.buttons(kim)[0].behaviour_type_id)
    session = sam.store.get_secret(SESSION_SECRET)
    sam.store.put_secret(SESSION_SECRET, {**session, "access_token": "expired", "refresh_token": "also-bad"})
    with pytest.raises(ReauthRequired):
        sam.sync()
    assert sam.store.pending_count() == 1
    # With only the access token expired, the engine refreshes it and carries on.
    sam.store.put_secret(SESSION_SECRET, {**session, "access_token": "expired"})
    report = sam.sync()
    assert report.pushed == 1 and sam.store.pending_count() == 0


def test_clock_two_days_ahead_or_behind_still_merges_and_cannot_block_others(server: ServerProcess, org: Org, tmp_path):
    day = 24 * 3600 * 1000
    kim = org.children["kim"]
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    tia = ClientDevice.create(server.url, org.email("lena"), tmp_path / "lena")  # a lead: may edit anyone's
    sam.sync()
    tia.sync()
    # Sam's device clock runs two days fast, the lead's two days slow.
    sam.store.clock._wall = lambda: int(dt.datetime.now(dt.UTC).timestamp() * 1000) + 2 * day  # type: ignore[method-assign]
    tia.store.clock._wall = lambda: int(dt.datetime.now(dt.UTC).timestamp() * 1000) - 2 * day  # type: ignore[method-assign]
    draft = sam.services.incidents.start(kim)
    sam.services.incidents.save_page(draft.id, {"what_happened": "Upset at break", "location": "Yard"})
    record_id = sam.services.incidents.submit(draft.id)
    sam.sync()
    tia.sync()
    assert tia.services.incidents.get(record_id).values["location"] == "Yard"
    # The lead (slow clock) edits after seeing Sam's value: her edit wins despite the clock.
    tia.services.context.write(
        "incident", "update", {"location": "Yard, by the gate"}, record_id=record_id, reason="Corrected"
    )
    tia.sync()
    sam.sync()
    for device in (sam, tia):
        incident = device.services.incidents.get(record_id)
        assert incident.values["location"] == "Yard, by the gate"
        assert incident.conflicts == []


def test_an_op_the_server_refuses_leaves_the_screen_and_waits_in_sync_issues(server: ServerProcess, org: Org, tmp_path):
    kim = org.children["kim"]
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    tia = ClientDevice.create(server.url, org.email("tia"), tmp_path / "tia")
    sam.sync()
    draft = sam.services.incidents.start(kim)
    sam.services.incidents.save_page(draft.id, {"what_happened": "Kicked a door", "location": "Hall"})
    record_id = sam.services.incidents.submit(draft.id)
    sam.sync()
    tia.sync()
    # Staff may not edit someone else's incident: the server quarantines the edit for a lead.
    tia.services.context.write("incident", "update", {"location": "Gym"}, record_id=record_id, reason="Corrected")
    report = tia.sync()
    assert report.quarantined == 1
    assert tia.services.incidents.get(record_id).values["location"] == "Hall"
    [issue] = tia.store.sync_issues()
    assert issue.details["status"] == "quarantined" and issue.details["op"]["fields"] == {"location": "Gym"}
