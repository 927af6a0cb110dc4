"""A download made on a device (perhaps offline) is audited by the device: an `audit_event` op that the
server, a real process on SQLite and PostgreSQL, turns into the audit log's row for that download — and
accepts only as its author's own, made on the device that sends it, for a download, export or view (a Smart Plan
read on the device). Audit events never go back to devices."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from server.db import Database
from server.services.audit import list_audit
from tests.support.server import Device, Org, ServerProcess, ServerRefused, now_iso


def download(device: Device, record_id: str, profile_id: str, **changes: Any) -> dict[str, Any]:
    fields = {
        "actor_id": device.user_id,
        "action": "download",
        "record_kind": "incident",
        "record_id": record_id,
        "profile_id": profile_id,
        "device_id": device.device_id,
        "at": now_iso(),
        **changes,
    }
    return device.op("audit_event", fields=fields)


def test_a_download_made_offline_arrives_in_the_audit_log(server: ServerProcess, db: Database, org: Org) -> None:
    kim = org.children["kim"]
    tia, lena = Device(server.url, org.email("tia")), Device(server.url, org.email("lena"))
    incident = tia.incident(kim)
    tia.push([incident])
    lena.pull()
    # Downloaded an hour ago, offline; synced now.
    an_hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    event = download(lena, incident["record_id"], kim, at=an_hour_ago)
    [result] = lena.push([event]).results
    assert result.status == "applied", result.reason
    with db.read_session() as session:
        rows = [r for r in list_audit(session, org.id, record_id=incident["record_id"]) if r["action"] == "download"]
    [row] = rows
    assert (row["actor_id"], row["device_id"], row["record_kind"], row["profile_id"]) == (
        lena.user_id,
        lena.device_id,
        "incident",
        kim,
    )
    detail = json.loads(row["detail"])
    assert dt.datetime.fromisoformat(detail["at"]) == dt.datetime.fromisoformat(an_hour_ago)
    assert detail["audit_event"] == event["record_id"]
    # Replayed (the device did not hear the answer): acknowledged, not audited twice.
    assert lena.push([event]).results[0].status == "duplicate"
    with db.read_session() as session:
        again = [r for r in list_audit(session, org.id, record_id=incident["record_id"]) if r["action"] == "download"]
    assert len(again) == 1
    # Audit events never go back to a device, not even to their author's.
    for device in (lena, tia):
        device.pull()
        assert device.of_kind("audit_event") == []
        assert device.get(f"/records/{event['record_id']}").status_code in (403, 404)


def test_a_device_cannot_forge_an_audit_event(server: ServerProcess, db: Database, org: Org) -> None:
    kim = org.children["kim"]
    sam, tia = Device(server.url, org.email("sam")), Device(server.url, org.email("tia"))
    incident = tia.incident(kim)
    tia.push([incident])
    record = incident["record_id"]
    applied = download(sam, record, kim)
    attempts = {
        "as another user": download(sam, record, kim, actor_id=tia.user_id),
        "from another device": download(sam, record, kim, device_id=tia.device_id),
        "a sign-in": download(sam, record, kim, action="login"),
    }
    results = sam.push([applied, *attempts.values()]).results
    assert results[0].status == "applied"
    got = {name: (r.status, r.reason) for name, r in zip(attempts, results[1:], strict=True)}
    assert got == {
        "as another user": ("quarantined", "actor_id must be the person recording it"),
        "from another device": ("quarantined", "an audit event must name the device it was made on"),
        "a sign-in": ("quarantined", "a device may audit only its own downloads, exports and views"),
    }
    # Nor rewrite or remove one afterwards, even its own.
    changes = [
        sam.op("audit_event", "update", {"record_id": "something-else"}, record_id=applied["record_id"]),
        sam.op("audit_event", "delete", record_id=applied["record_id"]),
        sam.op("audit_event", fields={**applied["fields"], "at": now_iso()}, record_id=applied["record_id"]),
    ]
    answers = [(r.status, r.reason) for r in sam.push(changes).results]
    assert answers == [
        ("rejected", "audit_event is append-only: it can be created or deleted, not edited"),
        ("quarantined", "audit_event records are written by the server only"),
        ("quarantined", "audit_event records are written by the server only"),  # a create over it: an update
    ]
    # An op claiming another author is refused whole, before anything is written.
    as_tia = download(sam, record, kim)
    as_tia["actor_id"] = tia.user_id
    with pytest.raises(ServerRefused, match="wrong_actor"):
        sam.push([as_tia])
    with db.read_session() as session:
        rows = [
            r for r in list_audit(session, org.id, record_id=record) if r["action"] in ("download", "login", "view")
        ]
    assert [(r["action"], r["actor_id"], r["device_id"]) for r in rows] == [("download", sam.user_id, sam.device_id)]


@pytest.mark.parametrize("kind", ["smart_plan", "incident", "individual"])
def test_a_record_read_on_a_device_is_audited_as_a_view(
    server: ServerProcess, db: Database, org: Org, kind: str
) -> None:
    """A Smart Plan, an incident or a profile is read from the device's own store, perhaps offline: the device
    audits the view (app.plans.Plans.view, app.incidents.Incidents.view, app.directory.Directory.profile)."""
    kim = org.children["kim"]
    sam = Device(server.url, org.email("sam"))
    # The audit names the record read; the server does not read it again. A profile's record is the child's.
    record_id = kim if kind == "individual" else str(uuid.uuid4())
    event = download(sam, record_id, kim, action="view", record_kind=kind)
    [result] = sam.push([event]).results
    assert result.status == "applied", result.reason
    with db.read_session() as session:
        rows = [r for r in list_audit(session, org.id, record_id=record_id) if r["action"] == "view"]
    assert [(r["actor_id"], r["device_id"], r["record_kind"], r["profile_id"]) for r in rows] == [
        (sam.user_id, sam.device_id, kind, kim)
    ]
