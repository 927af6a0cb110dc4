"""Hostile input found by outside testing, against the real server on SQLite and PostgreSQL: NUL characters
(PostgreSQL text cannot hold them) and integers beyond signed 64 bits get a clear 4xx and store nothing;
the OpenAPI schema documents every refusal each route can give; request values cannot forge log lines; a
sync is audited as one event, not one row per record sent."""

from __future__ import annotations

import importlib.util
import json
import logging
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select, text

from server.core.logs import SafeFormatter, escape
from server.db import Database
from server.models import AuditLog, LoginCounter, OpLog, QuarantinedOp, Record
from server.models import Device as DeviceRow
from tests.support.server import PASSWORD, Device, Org, ServerProcess

#: this module's server believes X-Forwarded-For from the tests (on 127.0.0.1) and backs off quickly
SERVER_ENV = {
    "BESMART_TRUSTED_PROXIES": "127.0.0.1",
    "BESMART_LOGIN_MAX_PER_ADDRESS": "10",
    "BESMART_LOGIN_DELAY_SECONDS": "0.5",
    "BESMART_LOGIN_MAX_DELAY_SECONDS": "2",
    "BESMART_LOGIN_MAX_ADDRESS_DELAY_SECONDS": "1",
}
TOO_BIG = 2**63  # one past the largest signed 64-bit integer (BIGINT)


def written(db: Database) -> tuple[int, ...]:
    """Row counts of everything these requests could write, and the sequence counter."""
    with db.read_session() as s:
        counts = tuple(
            s.execute(select(func.count()).select_from(t.__table__)).scalar_one()
            for t in (Record, OpLog, QuarantinedOp, AuditLog, DeviceRow, LoginCounter)
        )
        return (*counts, s.execute(text("SELECT value FROM counter WHERE name = 'seq'")).scalar_one())


def assert_refused(response: httpx.Response, status: int = 422, code: str = "invalid_request") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == code and body["message"]
    assert "\x00" not in body["message"]


@pytest.fixture
def sam(server: ServerProcess, org: Org) -> Device:
    return Device(server.url, org.email("sam"))


def login_body(email: str, **changes: str) -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "device_id": secrets.token_hex(8), **changes}


def test_nul_characters_are_refused(server: ServerProcess, org: Org, sam: Device, db: Database) -> None:
    before = written(db)
    http = sam.http
    assert_refused(http.post("/auth/login", json=login_body("sam\x00@example.org")))
    assert_refused(http.post("/auth/login", json=login_body(org.email("sam"), device_name="Sam's\x00phone")))
    assert_refused(sam.get("/records/abc%00def"))
    assert_refused(sam.post("/devices/abc%00def/status", json={"status": "lost"}))
    assert_refused(sam.post("/quarantine/1/resolve", json={"action": "discard", "note": "a\x00b"}))
    assert "NUL" in http.post("/auth/login", json=login_body("a\x00b")).json()["message"]
    assert written(db) == before
    # Inside an op, a NUL is rejected with the op (ids, stamps) or kept as data (record text is stored as
    # JSON, where it is escaped): never a server error.
    kim = org.children["kim"]
    bad_stamp = {**sam.tap(kim, org.behaviour), "hlc": "1\x002"}
    bad_field = sam.tap(kim, org.behaviour)
    bad_field["fields"] = {**bad_field["fields"], "no\x00such": 1}
    text_with_nul = sam.incident(kim, what_happened="before\x00after")
    results = sam.push([bad_stamp, bad_field, text_with_nul]).results
    assert [r.status for r in results] == ["rejected", "rejected", "applied"]
    stored = sam.get(f"/records/{text_with_nul['record_id']}").json()
    assert stored["fields"]["what_happened"]["value"] == "before\x00after"


def test_integers_beyond_64_bits_are_refused(server: ServerProcess, org: Org, sam: Device, db: Database) -> None:
    before = written(db)
    assert_refused(sam.get("/sync/pull", params={"cursor": TOO_BIG}))
    tap = sam.tap(org.children["kim"], org.behaviour)
    assert_refused(sam.post("/sync/push", json={"ops": [{**tap, "op_id": TOO_BIG}]}))
    lena = Device(server.url, org.email("lena"))
    after_login = written(db)
    assert_refused(lena.post(f"/quarantine/{TOO_BIG}/resolve", json={"action": "discard"}))
    assert written(db) == after_login
    # The largest value still works: nothing after it, but a proper answer.
    assert sam.get("/sync/pull", params={"cursor": 2**63 - 1}).status_code == 200
    assert lena.post(f"/quarantine/{2**63 - 1}/resolve", json={"action": "discard"}).status_code == 404
    assert before[0:3] == written(db)[0:3]


#: what each route can refuse beyond what its shape implies (401 with a token, 400/413/422 with a body)
ROUTE_REFUSALS = {
    ("/auth/login", "post"): {401, 403, 409, 429, 503},
    ("/auth/password", "post"): {403, 503},
    ("/sync/push", "post"): {403},
    ("/records/{record_id}", "get"): {403, 404},
    ("/quarantine", "get"): {403},
    ("/quarantine/{item_id}/resolve", "post"): {403, 404, 409},
    ("/devices/{device_id}/status", "post"): {403, 404},
}


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def test_openapi_documents_each_refusal_of_each_route(sam: Device) -> None:
    spec = sam.http.get("/openapi.json").json()
    assert "HTTPValidationError" not in str(spec), "422 answers are ErrorBody, not FastAPI's default"
    for path, method, op in operations(spec):
        documented = {int(s) for s in op["responses"] if s[0] in "45"}
        expected = set(ROUTE_REFUSALS.get((path, method), set()))
        if op.get("security"):
            expected.add(401)
        if "requestBody" in op:
            expected |= {400, 413, 422}
        if op.get("parameters"):
            expected.add(422)
        assert documented >= expected, f"{method.upper()} {path} does not document {sorted(expected - documented)}"
        for status in documented:
            answer = op["responses"][str(status)]
            assert answer["description"]
            assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody"), (path, status)


def test_what_each_route_answers_to_bad_requests_is_documented(sam: Device) -> None:
    """Every route, sent no token, a bad token, malformed JSON and out-of-range parameters: each answer is
    a 4xx its OpenAPI operation documents (never a 500)."""
    spec = sam.http.get("/openapi.json").json()
    fill = {"record_id": "abc%00", "device_id": "x" * 65, "item_id": str(TOO_BIG)}
    for path, method, op in operations(spec):
        url = path.format(**fill)
        documented = {int(s) for s in op["responses"]}
        json_headers = {"Content-Type": "application/json"}
        attempts = [
            sam.http.request(method, url),
            sam.http.request(method, url, headers={"Authorization": "Bearer nonsense"}),
            sam.http.request(method, url, headers={**sam.headers, **json_headers}, content=b'{"a": '),
            sam.http.request(method, url, headers=sam.headers, params={"cursor": TOO_BIG, "status": "x\x00"}),
        ]
        for response in attempts:
            assert response.status_code in documented, f"{method.upper()} {path}: {response.status_code} undocumented"


FORGED = "2026-12-01 09:00:00,000 ERROR besmart.server: FORGED admin signed in"


def test_a_failing_request_cannot_forge_a_log_line(tmp_path: Path) -> None:
    """A path with an encoded line break, on a request that fails unexpectedly (here: a table is
    missing), is logged on one line with the break escaped."""
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    database = Database(url)
    database.upgrade()
    server = ServerProcess(url, tmp_path).start()
    try:
        with database.session() as s:
            s.execute(text("DROP TABLE auth_token"))
        path = "/records/x%0A" + quote(FORGED) + "%0D%1B[2J"
        response = httpx.get(server.url + path, headers={"Authorization": "Bearer x"}, timeout=10)
        assert response.status_code == 500
        assert response.json()["error"] == "server_error"
    finally:
        server.stop()
        database.dispose()
    lines = server.log().splitlines()
    logged = [line for line in lines if "unexpected" in line]
    assert len(logged) == 1, lines
    assert "/records/x\\n2026-12-01" in logged[0] and "\\r\\x1b[2J" in logged[0]
    assert not any(line.startswith("2026-12-01 09:00:00") for line in lines)
    assert "\x1b" not in server.log()


def test_log_values_are_escaped() -> None:
    assert escape("a\nb\r\x00\x1b\u2028") == "a\\nb\\r\\x00\\x1b\\u2028"
    assert escape(escape("a\nb")) == escape("a\nb")
    assert escape("Kim's room 7") == "Kim's room 7"
    record = logging.LogRecord("besmart", logging.ERROR, __file__, 1, "path %s", ("/x\nFORGED",), None)
    assert SafeFormatter("%(message)s").format(record) == "path /x\\nFORGED"


def audit_rows(db: Database, **where: str) -> list:
    audit = AuditLog.__table__
    query = select(audit).where(*(audit.c[k] == v for k, v in where.items())).order_by(audit.c.id)
    with db.read_session() as s:
        return list(s.execute(query))


def test_a_sync_is_one_audit_event_and_opening_a_record_is_one_more(
    server: ServerProcess, db: Database, org: Org
) -> None:
    kim = org.children["kim"]
    tia = Device(server.url, org.email("tia"))
    taps = [tia.tap(kim, org.behaviour) for _ in range(120)]
    tia.push(taps)
    sam = Device(server.url, org.email("sam"))
    pages = sam.pull(limit=100)
    assert len(pages) >= 2
    syncs = audit_rows(db, actor_id=sam.user_id, device_id=sam.device_id, action="sync")
    assert len(syncs) == len([p for p in pages if p.changes or p.added_profiles])
    details = [json.loads(r.detail) for r in syncs]
    assert sum(d["records"] for d in details) == sum(len(p.changes) for p in pages)
    assert sum(d["child_records"] for d in details) >= 120
    assert all(d["profiles"] == [kim] for d in details if d["child_records"])
    assert details[0]["added_profiles"] == [kim] and details[0]["cursor"][0] == 0
    assert audit_rows(db, actor_id=sam.user_id, action="download") == []
    # Caught up: an empty pull is no event.
    assert sam.pull_page().changes == []
    assert len(audit_rows(db, actor_id=sam.user_id, action="sync")) == len(syncs)
    # Opening one record is one event of its own.
    assert sam.get(f"/records/{taps[0]['record_id']}").status_code == 200
    views = audit_rows(db, actor_id=sam.user_id, action="view")
    assert [(v.record_id, v.profile_id) for v in views] == [(taps[0]["record_id"], kim)]


# --- sign-in under load and guessing -----------------------------------------------------------------------


def login(
    server: ServerProcess, email: str, password: str, *, device: str | None = None, address: str = "10.9.0.1"
) -> httpx.Response:
    body = {"email": email, "password": password, "device_id": device or secrets.token_hex(8)}
    return httpx.post(f"{server.url}/auth/login", json=body, headers={"X-Forwarded-For": address}, timeout=60)


def wait_out(response: httpx.Response) -> None:
    """Honour a 429's Retry-After, as a client does."""
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "too_many_attempts"
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 2
    time.sleep(seconds)


def test_guessing_from_the_same_address_never_locks_the_owner_out(server: ServerProcess, org: Org) -> None:
    school = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.1"
    phone = secrets.token_hex(8)
    assert login(server, org.email("sam"), PASSWORD, device=phone, address=school).status_code == 200
    # Someone in the same staff room guesses Sam's password, then sprays other accounts.
    guesses = [login(server, org.email("sam"), f"guess {i}", address=school).status_code for i in range(12)]
    assert guesses[:5] == [401] * 5 and 429 in guesses
    sprayed = [login(server, f"x{i}.{org.tag}@example.org", "guess", address=school).status_code for i in range(12)]
    assert 429 in sprayed and 500 not in sprayed
    # Sam, on the phone Sam has signed in on before: straight in, with the right password.
    assert login(server, org.email("sam"), PASSWORD, device=phone, address=school).status_code == 200
    # Sam on a new tablet, and Tia, from the same room: slowed down, never locked out. Once the delay has
    # passed, the right password works.
    for email in (org.email("sam"), org.email("tia")):
        response = login(server, email, PASSWORD, address=school)
        if response.status_code == 429:
            wait_out(response)
            response = login(server, email, PASSWORD, address=school)
        assert response.status_code == 200, response.text


def test_refused_attempts_do_not_count_against_the_address(server: ServerProcess, org: Org, db: Database) -> None:
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.2"
    for i in range(5):
        assert login(server, org.email("tia"), f"guess {i}", address=f"10.99.0.{i}").status_code == 401
    # The account is backing off: tries on it while the delay runs are refused unchecked, and not counted
    # against the address (only the few let through once a delay passed are).
    refused = [login(server, org.email("tia"), "guess", address=address).status_code for _ in range(30)]
    assert set(refused) == {401, 429} and refused.count(429) > 20
    with db.read_session() as s:
        counted = s.execute(
            select(LoginCounter.__table__.c.count).where(LoginCounter.__table__.c.key == f"addr:{address}")
        ).scalar()
    assert counted == refused.count(401) < 10
    assert login(server, org.email("lena"), PASSWORD, address=address).status_code == 200


def start_server(tmp_path: Path, **env: str) -> ServerProcess:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    return ServerProcess(url, tmp_path, {f"BESMART_{k.upper()}": v for k, v in env.items()}).start()


def peak_memory_mb(server: ServerProcess) -> float:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def concurrent_logins(server: ServerProcess, count: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(count) as pool:
        return list(
            pool.map(lambda i: login(server, f"n{i}@example.org", "guess", address=f"10.7.0.{i}"), range(count))
        )


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server at the real argon2 memory cost (64 MiB) with two hashing slots, and no trusted proxy."""
    server = start_server(
        tmp_path_factory.mktemp("bounded"),
        argon2_memory_kib="65536",
        argon2_time_cost="1",
        hash_concurrency="2",
        hash_wait_seconds="60",
        login_max_per_address="40",
        login_delay_seconds="60",
    )
    yield server
    server.stop()


def address_failures(server: ServerProcess, address: str) -> int:
    database = Database(server.database_url)
    try:
        with database.read_session() as s:
            found = s.execute(
                select(LoginCounter.__table__.c.count).where(LoginCounter.__table__.c.key == f"addr:{address}")
            ).scalar()
            keys = set(s.execute(select(LoginCounter.__table__.c.key)).scalars())
    finally:
        database.dispose()
    assert not any(k.startswith("addr:10.") for k in keys), "X-Forwarded-For believed from an untrusted client"
    return found or 0


def test_password_hashing_is_bounded_in_memory(bounded: ServerProcess) -> None:
    """29 wrong sign-ins at once took the server from 88 MB to 1.37 GB: each argon2 hash holds 64 MiB.
    With two hashing slots, the peak stays near two hashes' worth."""
    login(bounded, "warm@example.org", "guess")
    before = peak_memory_mb(bounded)
    answers = concurrent_logins(bounded, 24)
    peak = peak_memory_mb(bounded)
    assert {a.status_code for a in answers} == {401}
    print(f"peak memory {before:.0f} MB -> {peak:.0f} MB for 24 concurrent sign-ins")
    assert peak - before < 3 * 64 + 40


def test_x_forwarded_for_is_believed_only_from_configured_proxies(bounded: ServerProcess) -> None:
    """With no trusted proxy (the default), a guesser cannot pose as many addresses: each of its tries,
    whatever X-Forwarded-For says, is counted against the address it connects from."""
    left = 40 - address_failures(bounded, "127.0.0.1")
    statuses = [
        login(bounded, f"g{i}@example.org", "guess", address=f"10.8.0.{i}").status_code for i in range(left + 2)
    ]
    assert statuses == [401] * left + [429, 429]
    assert address_failures(bounded, "127.0.0.1") == 40


def test_saturated_hashing_answers_503_with_retry_after(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, argon2_memory_kib="65536", argon2_time_cost="3", hash_concurrency="1", hash_wait_seconds="0.05"
    )
    try:
        answers = concurrent_logins(server, 8)
    finally:
        server.stop()
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {401, 503} and 503 in statuses and 401 in statuses, statuses
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.json()["error"] == "busy" and int(busy.headers["Retry-After"]) >= 1


# Last in the module: its sign-in attempts count against 127.0.0.1 on this module's server.
def test_schemathesis_finds_no_server_error_or_undocumented_answer(
    server: ServerProcess, org: Org, tmp_path: Path
) -> None:
    """A short schemathesis run (the `test` extra installs it) over every route but sign-out, signed in as a
    lead: its coverage phase sends each parameter's boundary and invalid values (huge integers, NUL and
    control characters, wrong types). No 500, and every answer's status, content type and body as the
    OpenAPI schema documents."""
    if importlib.util.find_spec("schemathesis") is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    lena = Device(server.url, org.email("lena"))
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
        "-H", f"Authorization: Bearer {lena.session['access_token']}",
        "--checks", checks, "--phases", "coverage", "--max-examples", "5", "--seed", "8",
        "--exclude-path", "/auth/logout", "--no-color",
    ]  # fmt: skip
    # In a temporary directory: schemathesis leaves a .schemathesis/ folder where it runs.
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
