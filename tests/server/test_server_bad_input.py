"""Bad input gets a clear 4xx JSON answer ({"error", "message"}) and writes nothing: malformed JSON,
invalid bodies, oversized bodies, unknown record kinds, ops of another device or user, bad parameters."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from server.db import Database
from server.models import AuditLog, OpLog, QuarantinedOp, Record
from tests.support.server import Device, Org, ServerProcess


def written(db: Database) -> tuple[int, ...]:
    """Row counts of everything a push or pull can write, and the sequence counter."""
    with db.read_session() as s:
        counts = tuple(
            s.execute(select(func.count()).select_from(t.__table__)).scalar_one()
            for t in (Record, OpLog, QuarantinedOp, AuditLog)
        )
        return (*counts, s.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one())


@pytest.fixture
def sam(server: ServerProcess, org: Org) -> Device:
    return Device(server.url, org.email("sam"))


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == code and body["message"]


def test_malformed_json(sam: Device, db: Database) -> None:
    before = written(db)
    response = sam.http.post(
        "/sync/push", content=b'{"ops": [', headers={**sam.headers, "Content-Type": "application/json"}
    )
    assert_error(response, 400, "malformed_json")
    assert written(db) == before


def test_invalid_bodies(sam: Device, org: Org, db: Database) -> None:
    before = written(db)
    assert_error(sam.post("/sync/push", json={"operations": []}), 422, "invalid_request")
    assert_error(sam.post("/sync/push", json={"ops": [{"op_id": 0}]}), 422, "invalid_request")
    assert_error(sam.post("/sync/push", json=[1, 2]), 422, "invalid_request")
    too_many = [sam.tap(org.children["kim"], org.behaviour) for _ in range(501)]
    assert_error(sam.post("/sync/push", json={"ops": too_many}), 422, "invalid_request")
    assert_error(sam.get("/sync/pull", params={"cursor": -1}), 422, "invalid_request")
    assert_error(sam.get("/sync/pull", params={"limit": 0}), 422, "invalid_request")
    assert_error(sam.get("/sync/pull", params={"cursor": "abc"}), 422, "invalid_request")
    assert_error(sam.http.post("/auth/login", json={"email": "x"}), 422, "invalid_request")
    assert written(db) == before


def test_the_validation_message_never_echoes_the_values_sent(sam: Device) -> None:
    secret = "Kim hit Max in the corridor"
    response = sam.post("/sync/push", json={"ops": [{"op_id": 1, "hlc": secret}]})
    assert response.status_code == 422
    assert secret not in response.text


def test_oversized_bodies(sam: Device, org: Org, db: Database) -> None:
    before = written(db)
    big = sam.incident(org.children["kim"], what_happened="x" * 19_000)
    body = json.dumps({"ops": [big] * 300}).encode()  # ~5.7 MB
    assert len(body) > 5 * 1024 * 1024
    assert_error(sam.post("/sync/push", content=body, headers={"Content-Type": "application/json"}), 413, "too_large")

    def chunks():  # no Content-Length: the limit holds while streaming too
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    streamed = sam.post("/sync/push", content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(streamed, 413, "too_large")
    assert written(db) == before


def test_unknown_kind_refuses_the_whole_request(sam: Device, org: Org, db: Database) -> None:
    before = written(db)
    good = sam.tap(org.children["kim"], org.behaviour)
    odd = sam.op("spaceship", fields={"name": "x"})
    response = sam.post("/sync/push", json={"ops": [good, odd]})
    assert_error(response, 400, "unknown_kind")
    assert "spaceship" in response.json()["message"]
    assert written(db) == before


def test_ops_of_another_device_or_user(sam: Device, server: ServerProcess, org: Org, db: Database) -> None:
    tia = Device(server.url, org.email("tia"))
    before = written(db)
    theirs = tia.tap(org.children["kim"], org.behaviour)
    assert_error(sam.post("/sync/push", json={"ops": [theirs]}), 403, "wrong_device")
    forged = sam.tap(org.children["kim"], org.behaviour)
    forged["actor_id"] = tia.user_id
    assert_error(sam.post("/sync/push", json={"ops": [forged]}), 403, "wrong_actor")
    assert written(db) == before


def test_invalid_ops_are_rejected_one_by_one(sam: Device, org: Org, db: Database) -> None:
    kim = org.children["kim"]
    good = sam.tap(kim, org.behaviour)
    bad_value = sam.incident(kim, location="x" * 600)
    no_profile = sam.tap(kim, org.behaviour)
    no_profile["profile_id"] = None
    bad_stamp = sam.tap(kim, org.behaviour)
    bad_stamp["hlc"] = "yesterday"
    results = sam.push([good, bad_value, no_profile, bad_stamp]).results
    assert [r.status for r in results] == ["applied", "rejected", "rejected", "rejected"]
    assert "location" in (results[1].reason or "")
    with db.read_session() as s:
        ids = set(s.execute(select(Record.__table__.c.id)).scalars())
    assert good["record_id"] in ids and bad_value["record_id"] not in ids


def test_no_token_or_a_bad_token(server: ServerProcess, sam: Device) -> None:
    assert_error(sam.http.get("/sync/pull"), 401, "unauthorized")
    response = sam.http.get("/sync/pull", headers={"Authorization": "Bearer nonsense"})
    assert_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_error(sam.get("/no/such/route"), 404, "not_found")


def test_openapi_describes_every_endpoint(server: ServerProcess, sam: Device) -> None:
    spec = sam.http.get("/openapi.json").json()
    paths = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert {
        ("/health", "get"),
        ("/auth/login", "post"),
        ("/auth/refresh", "post"),
        ("/auth/logout", "post"),
        ("/auth/password", "post"),
        ("/auth/me", "get"),
        ("/sync/push", "post"),
        ("/sync/pull", "get"),
        ("/records/{record_id}", "get"),
        ("/quarantine", "get"),
        ("/quarantine/{item_id}/resolve", "post"),
        ("/devices", "get"),
        ("/devices/{device_id}/status", "post"),
    } <= paths
    pull = spec["paths"]["/sync/pull"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert pull["$ref"].endswith("/PullResponse")
