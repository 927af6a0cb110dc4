"""Helpers for the server tests: real server processes, test databases, seeded organisations and a small
device client that speaks the sync protocol over HTTP."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from server.core.config import Settings, load_settings
from server.db import Database
from server.services import organisations as orgs
from server.services.audit import list_audit
from sync.hlc import HybridClock
from sync.merge import RecordState
from sync.protocol import PullResponse, PushResponse
from sync.records import Role

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("BESMART_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"

#: settings every test server and the test process itself share: cheap argon2, generous address limit
TEST_ENV = {
    "BESMART_ARGON2_TIME_COST": "1",
    "BESMART_ARGON2_MEMORY_KIB": "64",
    "BESMART_ARGON2_PARALLELISM": "1",
    "BESMART_LOGIN_MAX_PER_ADDRESS": "1000",
    "BESMART_LOGIN_MAX_PER_ACCOUNT": "5",
    "BESMART_LOG_LEVEL": "warning",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


# --- databases -------------------------------------------------------------------------------------


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


_pg_ok: bool | None = None


def require_postgres() -> None:
    """Skip the calling test when PostgreSQL is unreachable — or fail it, when CI=true."""
    import pytest

    global _pg_ok
    if _pg_ok is None:
        _pg_ok = postgres_reachable()
    if not _pg_ok:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required when CI=true, and it cannot be reached")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")


def create_pg_database() -> str:
    import psycopg

    name = f"besmart_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- server processes ------------------------------------------------------------------------------


class ServerProcess:
    """`python -m server serve` as a subprocess on 127.0.0.1 and a free port."""

    def __init__(self, database_url: str, log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.log_path = log_dir / f"server-{self.port}.log"
        self.env = {**os.environ, **TEST_ENV, "PYTHONPATH": str(ROOT), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> ServerProcess:
        command = [
            sys.executable, "-m", "server", "serve",
            "--db", self.database_url, "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def audited(db: Database, org_id: str, record_id: str, action: str, *, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The audit log's rows of `action` on a record, waiting (up to `timeout` seconds) until there are some: what a
    device audits itself (a download, a view) arrives with its next sync."""
    deadline = time.monotonic() + timeout
    while True:
        with db.read_session() as session:
            rows = [r for r in list_audit(session, org_id, record_id=record_id) if r["action"] == action]
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def settings_for(database_url: str) -> Settings:
    return load_settings({**os.environ, **TEST_ENV}).with_overrides(database_url=database_url)


# --- seeded organisations ---------------------------------------------------------------------------


@dataclass
class Org:
    """An organisation seeded through the service calls, with a few people and children."""

    db: Database
    settings: Settings
    id: str
    tag: str
    users: dict[str, str] = field(default_factory=dict)  # name -> user id
    emails: dict[str, str] = field(default_factory=dict)  # name -> email
    children: dict[str, str] = field(default_factory=dict)  # name -> profile id
    behaviour: str = ""

    def email(self, name: str) -> str:
        return self.emails[name]

    def add_user(self, name: str, role: Role = Role.STAFF) -> str:
        email = f"{name}.{self.tag}@example.org"
        with self.db.session() as s:
            user_id = orgs.create_user(s, self.id, name.title(), email, PASSWORD, role=role, settings=self.settings)
        self.users[name], self.emails[name] = user_id, email
        return user_id

    def add_child(self, name: str, *, access: list[str] = (), key_staff: list[str] = ()) -> str:  # type: ignore[assignment]
        with self.db.session() as s:
            profile = orgs.create_individual(s, self.id, name.title(), "Test", group="Year 7")
            for user in access:
                orgs.grant_access(s, profile, self.users[user])
            if key_staff:
                orgs.set_key_staff(s, profile, [self.users[u] for u in key_staff])
        self.children[name] = profile
        return profile

    def grant(self, child: str, user: str) -> None:
        with self.db.session() as s:
            orgs.grant_access(s, self.children[child], self.users[user])

    def revoke(self, child: str, user: str) -> None:
        with self.db.session() as s:
            orgs.revoke_access(s, self.children[child], self.users[user])


def seed_org(db: Database, settings: Settings, *, prefix: str = "besmart") -> Org:
    """An organisation with a lead ("lena"), an admin ("ada"), two staff ("sam", "tia"), one behaviour type
    and two children: "kim" (sam has access; key staff: tia) and "max" (nobody but the lead and admin)."""
    tag = uuid.uuid4().hex[:8]
    with db.session() as s:
        org_id = orgs.create_organisation(s, f"Org {tag}", incident_prefix=prefix, settings=settings)
        behaviour = orgs.upsert_behaviour_type(s, org_id, "Kind words", "positive")
    org = Org(db, settings, org_id, tag, behaviour=behaviour)
    org.add_user("lena", Role.LEAD)
    org.add_user("ada", Role.ADMIN)
    org.add_user("sam")
    org.add_user("tia")
    org.add_child("kim", access=["sam", "tia"], key_staff=["tia"])
    org.add_child("max")
    return org


# --- a device ----------------------------------------------------------------------------------------


class ServerRefused(AssertionError):
    pass


class Device:
    """One device of one user: signs in, makes ops, pushes them and pulls, keeping what it was sent."""

    def __init__(self, base_url: str, email: str, password: str = PASSWORD, *, device_id: str | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60.0)
        self.device_id = device_id or secrets.token_hex(8)
        self.clock = HybridClock(self.device_id)
        self.next_op = 1
        self.cursor = 0
        self.records: dict[str, RecordState] = {}
        self.profiles: set[str] = set()
        self.wiped = False
        response = self.http.post(
            "/auth/login", json={"email": email, "password": password, "device_id": self.device_id}
        )
        if response.status_code != 200:
            raise ServerRefused(f"login failed: {response.status_code} {response.text}")
        self.session = response.json()
        self.user_id: str = self.session["user"]["id"]

    @classmethod
    def offline(cls, device_id: str, user_id: str) -> Device:
        """A device that only builds ops (no server, no HTTP)."""
        device = cls.__new__(cls)
        device.device_id, device.user_id, device.next_op = device_id, user_id, 1
        device.clock, device.records = HybridClock(device_id), {}
        return device

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session['access_token']}"}

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def op(
        self,
        kind: str,
        action: str = "create",
        fields: dict[str, Any] | None = None,
        *,
        record_id: str | None = None,
        profile_id: str | None = None,
        base: dict[str, list[str]] | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """A wire op made now on this device (not sent yet). An update of a record the device holds names
        the versions it has seen of the fields it changes, as a real device does; `reason`: an amendment's."""
        if base is None and action == "update" and record_id in self.records:
            base = self.records[record_id].base_for(set(fields or {}))
        op = {
            "op_id": self.next_op,
            "device_id": self.device_id,
            "actor_id": self.user_id,
            "record_id": record_id or str(uuid.uuid4()),
            "kind": kind,
            "profile_id": profile_id,
            "action": action,
            "fields": fields or {},
            "base": base or {},
            "hlc": self.clock.now().encode(),
            **({"reason": reason} if reason is not None else {}),
        }
        self.next_op += 1
        return op

    def tap(self, profile_id: str, behaviour_type_id: str) -> dict[str, Any]:
        fields = {
            "behaviour_type_id": behaviour_type_id,
            "staff_id": self.user_id,
            "occurred_at": now_iso(),
            "device_id": self.device_id,
        }
        return self.op("clicker_event", fields=fields, profile_id=profile_id)

    def incident(self, profile_id: str, *, status: str = "submitted", **fields: Any) -> dict[str, Any]:
        values = {
            "status": status,
            "recorded_by": self.user_id,
            "recorded_at": now_iso(),
            "occurred_at": now_iso(),
            "what_happened": "A test incident",
            **fields,
        }
        return self.op("incident", fields=values, profile_id=profile_id)

    def push(self, ops: list[dict[str, Any]]) -> PushResponse:
        response = self.post("/sync/push", json={"ops": ops})
        if response.status_code != 200:
            raise ServerRefused(f"push refused: {response.status_code} {response.text}")
        answer = PushResponse.model_validate(response.json())
        self.clock.receive(answer.hlc)
        return answer

    def pull_page(self, limit: int = 500, cursor: int | None = None) -> PullResponse:
        response = self.get("/sync/pull", params={"cursor": self.cursor if cursor is None else cursor, "limit": limit})
        if response.status_code != 200:
            raise ServerRefused(f"pull refused: {response.status_code} {response.text}")
        return PullResponse.model_validate(response.json())

    def apply(self, page: PullResponse) -> None:
        """What a device does with a page: wipe, purge, store the states and the cursor."""
        if page.wipe:
            self.records.clear()
            self.profiles.clear()
            self.wiped = True
            return
        for profile_id in page.purge_profiles:
            self.profiles.discard(profile_id)
            self.records = {k: v for k, v in self.records.items() if v.profile_id != profile_id}
        self.profiles.update(page.added_profiles)
        for state in page.changes:
            self.records[state.id] = state
        self.clock.receive(page.hlc)
        self.cursor = page.cursor

    def pull(self, limit: int = 500) -> list[PullResponse]:
        """Pull until caught up; returns the pages."""
        pages = []
        while True:
            page = self.pull_page(limit)
            self.apply(page)
            pages.append(page)
            if page.wipe or not page.more:
                return pages

    def of_kind(self, kind: str) -> list[RecordState]:
        return [s for s in self.records.values() if s.kind == kind]
