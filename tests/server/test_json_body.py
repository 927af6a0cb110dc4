"""A body read by pydantic from its bytes (server.api.json_body) is answered exactly as FastAPI's own reading
answers it: the same route on both, every kind of body, the same status and JSON."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from server.api.errors import install_error_handlers
from server.api.json_body import JsonBodyRoute
from sync.protocol import PushRequest

OP = {
    "op_id": 1,
    "device_id": "d1",
    "actor_id": "a1",
    "record_id": "r1",
    "kind": "clicker_event",
    "profile_id": "p1",
    "action": "create",
    "fields": {"note": "x"},
    "base": {},
    "hlc": "h",
}


def _client(route_class: type | None) -> TestClient:
    router = APIRouter(route_class=route_class) if route_class else APIRouter()

    @router.post("/push")
    def push(body: PushRequest) -> dict[str, str]:
        return {"parsed": repr(body)}  # what the endpoint was given, to the last value

    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app)
    return TestClient(app)


def _op_with(value: str) -> bytes:
    return json.dumps({"ops": [{**OP, "fields": {"note": "@"}}]}).replace('"@"', value).encode()


BODIES = {
    "valid": (json.dumps({"ops": [OP, {**OP, "op_id": 2, "fields": {"n": [1, 2.5, None, True]}}]}).encode(), None),
    "empty list": (b'{"ops": []}', None),
    "not json": (b'{"ops": [', None),
    "empty body": (b"", None),
    "trailing text": (b'{"ops": []} x', None),
    "a list": (b"[1, 2]", None),
    "invalid op": (json.dumps({"ops": [{"op_id": 0}]}).encode(), None),
    "unknown key": (json.dumps({"operations": []}).encode(), None),
    "a string op_id": (json.dumps({"ops": [{**OP, "op_id": "7"}]}).encode(), None),
    "raw control character": (_op_with('"a\nb"'), None),
    "lone surrogate": (_op_with('"\\ud800"'), None),
    "NaN": (_op_with("NaN"), None),
    "byte order mark": (b'\xef\xbb\xbf{"ops": []}', None),
    "UTF-16": ('{"ops": []}'.encode("utf-16"), None),
    "invalid UTF-8": (_op_with('"@"').replace(b"@", b"\xff"), None),
    "deep nesting": (_op_with("[" * 300 + "]" * 300), None),
    "no content type": (json.dumps({"ops": [OP]}).encode(), {}),
    "text/plain": (json.dumps({"ops": [OP]}).encode(), {"Content-Type": "text/plain"}),
    "+json content type": (json.dumps({"ops": [OP]}).encode(), {"Content-Type": "application/vnd.push+json"}),
}


@pytest.mark.parametrize("name", list(BODIES))
def test_every_body_is_answered_as_fastapi_answers_it(name: str) -> None:
    body, headers = BODIES[name]
    headers = {"Content-Type": "application/json"} if headers is None else headers
    standard = _client(None).post("/push", content=body, headers=headers)
    fast = _client(JsonBodyRoute).post("/push", content=body, headers=headers)
    assert (fast.status_code, fast.content) == (standard.status_code, standard.content)


def test_a_route_without_a_body_is_left_as_it_is() -> None:
    router = APIRouter(route_class=JsonBodyRoute)

    @router.get("/ping")
    def ping() -> dict[str, str]:
        return {"ok": "yes"}

    app = FastAPI()
    app.include_router(router)
    assert TestClient(app).get("/ping").json() == {"ok": "yes"}


def test_a_valid_body_is_read_from_its_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    read = []
    original = PushRequest.model_validate_json

    def spy(data: bytes) -> PushRequest:
        read.append(data)
        return original(data)

    monkeypatch.setattr(PushRequest, "model_validate_json", spy)
    body = json.dumps({"ops": [OP]}).encode()
    response = _client(JsonBodyRoute).post("/push", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and read == [body]
