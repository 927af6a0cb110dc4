"""The server's services called directly (as the admin tools and the demo seeder will call them), the
migrations against the models, the permissions document, and the op-by-op fallback of push."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlmodel import Session

from server.core.config import Settings
from server.core.security import Passwords
from server.db import Database
from server.models import UserAccount, metadata
from server.permissions import permissions_markdown
from server.services import accounts
from server.services import organisations as orgs
from server.services.clock import server_clock
from server.services.push import push
from server.services.records import RecordWriter, utcnow
from sync.ids import uuid7
from sync.merge import RecordState, apply_op
from sync.ops import Op, validate_op
from sync.protocol import LoginRequest, PushRequest
from sync.records import Role
from tests.support.server import PASSWORD, Device, Org

ROOT = Path(__file__).resolve().parents[2]


def test_the_permissions_document_matches_the_code() -> None:
    assert permissions_markdown() in (ROOT / "docs" / "permissions.md").read_text()


def test_the_migrations_build_exactly_the_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_admin_services_write_records_like_pushes(db: Database, org: Org) -> None:
    kim = org.children["kim"]
    with db.session() as s:
        first = orgs.grant_access(s, kim, org.users["ada"])
        assert orgs.grant_access(s, kim, org.users["ada"]) == first  # idempotent
        orgs.set_key_staff(s, kim, [org.users["sam"], org.users["lena"]])
        orgs.set_key_staff(s, kim, [org.users["sam"]])
        again = orgs.upsert_behaviour_type(s, org.id, "KIND WORDS", "positive", level="medium")
        assert again == org.behaviour
        contact = orgs.add_key_contact(s, kim, "Jo Test", "mother", phone="01234 567890", parental_responsibility=True)
        orgs.update_user(s, org.users["tia"], role=Role.LEAD)
        with pytest.raises(orgs.AdminError):
            orgs.create_user(s, org.id, "Dup", org.email("tia"), PASSWORD, settings=org.settings)
        assert orgs.revoke_access(s, kim, org.users["ada"]) == 1
        assert orgs.revoke_access(s, kim, org.users["ada"]) == 0
    with db.read_session() as s:
        behaviour = orgs.get_record(s, org.behaviour)[1]  # type: ignore[index]
        assert behaviour.values()["level"] == "medium"
        assert orgs.get_record(s, contact)[1].profile_id == kim  # type: ignore[index]
        role = s.execute(select(UserAccount.__table__.c.role).where(UserAccount.__table__.c.id == org.users["tia"]))
        assert role.scalar_one() == "lead"
        staff = s.execute(
            select(orgs.PROFILE_STAFF.c.staff_id).where(
                orgs.PROFILE_STAFF.c.profile_id == kim, orgs.PROFILE_STAFF.c.kind == "key_staff"
            )
        ).scalars()
        assert set(staff) == {org.users["sam"]}
        assert orgs.find_user(s, org.email("sam").upper())["id"] == org.users["sam"]  # type: ignore[index]


def test_a_constraint_violation_fails_at_once(db: Database, org: Org) -> None:
    attempts = []

    def duplicate_email(session: Session) -> None:
        attempts.append(1)
        row = {"id": uuid7(), "org_id": org.id, "email": org.email("sam"), "name": "Copy", "role": "staff"}
        session.execute(insert(UserAccount.__table__).values(**row, active=True, created_at=utcnow()))

    with pytest.raises(IntegrityError):
        db.run(duplicate_email)
    assert len(attempts) == 1  # trying again could only fail the same way


def test_a_busy_database_is_tried_again(db: Database) -> None:
    attempts = []

    def busy_once(session: Session) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        return session.execute(select(func.count()).select_from(UserAccount.__table__)).scalar_one()

    assert db.run(busy_once) >= 0
    assert len(attempts) == 2


def test_two_processes_creating_one_email_make_one_account(database_url: str, db: Database, org: Org) -> None:
    email = f"twin.{org.tag}@example.org"
    start = threading.Barrier(2)

    def create(name: str) -> str | orgs.AdminError:
        own = Database(database_url, pool_size=1)  # its own engine and writer lock, as another process has
        try:
            start.wait(10)
            with own.session() as s:
                return orgs.create_user(s, org.id, name, email, settings=org.settings)
        except orgs.AdminError as error:
            return error
        finally:
            own.dispose()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(create, ["One", "Two"]))
    created = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, orgs.AdminError)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert str(refused[0]) == f"an account with the email {email} already exists"
    with db.read_session() as s:
        users = s.execute(select(UserAccount.__table__.c.id).where(UserAccount.__table__.c.email == email)).scalars()
        assert list(users) == created
        assert orgs.get_record(s, created[0]) is not None


def test_an_email_taken_by_another_account_is_refused_and_nothing_is_written(db: Database, org: Org) -> None:
    with db.session() as s:
        with pytest.raises(orgs.AdminError, match="already exists"):
            orgs.update_user(s, org.users["sam"], name="Sam Renamed", email=org.email("tia").upper())
        orgs.update_user(s, org.users["sam"], role=Role.LEAD)  # the transaction is still usable
    with db.read_session() as s:
        sam = orgs.find_user(s, org.email("sam"))
        assert sam is not None and (sam["name"], sam["role"]) == ("Sam", "lead")


def test_one_op_the_database_refuses_does_not_cost_the_others(
    db: Database, settings: Settings, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    passwords = Passwords(settings)
    session = accounts.login(
        db, settings, passwords, LoginRequest(email=org.email("sam"), password=PASSWORD, device_id="fallback-1"), "x"
    )
    caller = accounts.authenticate(db, session.access_token)
    assert caller is not None
    kim = org.children["kim"]
    maker = Device.offline("fallback-1", caller.actor.id)
    ops = [maker.tap(kim, org.behaviour) for _ in range(3)]
    poison = ops[1]["record_id"]
    real_flush = RecordWriter.flush

    def flaky_flush(self: RecordWriter) -> None:
        if poison in self._dirty:
            raise DataError("INSERT", {}, Exception("refused"))
        real_flush(self)

    monkeypatch.setattr(RecordWriter, "flush", flaky_flush)
    answer = push(db, settings, server_clock(), caller, PushRequest.model_validate({"ops": ops}))
    assert [r.status for r in answer.results] == ["applied", "rejected", "applied"]
    monkeypatch.setattr(RecordWriter, "flush", real_flush)
    again = push(db, settings, server_clock(), caller, PushRequest.model_validate({"ops": ops}))
    assert [r.status for r in again.results] == ["duplicate", "applied", "duplicate"]


CREATES = {
    "notification": ({"recipient_id": "u1", "kind": "communication", "subject": "New", "record_id": "r1",
                      "record_kind": "communication", "profile_id": "p1", "created_at": "2026-01-05T10:00:00Z"}, None),
    "organisation": ({"name": "Oak", "incident_prefix": "oak"}, None),
    "staff": ({"name": "Ann", "email": "ann@example.org", "role": "lead"}, None),
    "individual": ({"first_name": "Kim", "last_name": "Doe", "send": True}, "rec"),
    "incident": ({"recorded_by": "u1", "recorded_at": "2026-01-05T10:00:00Z", "occurred_at": "2026-01-05T09:00:00Z",
                  "status": "submitted", "staff_present": ["u2"]}, "p1"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_records_the_server_creates_whole_equal_the_merge_of_their_create(kind: str) -> None:
    fields, profile = CREATES[kind]
    op = validate_op(
        Op(
            op_id=1,
            device_id="server",
            actor_id="server",
            record_id="rec",
            kind=kind,
            action="create",
            profile_id=profile,
            fields=fields,
            hlc="1795443260087.00003.server",
        ),
        from_server=True,
    )
    # The general merge, taken when the record exists (here: empty), gives what the direct build gave.
    empty = RecordState(id=op.record_id, kind=op.kind, profile_id=op.profile_id)
    assert apply_op(None, op)[0] == apply_op(empty, op)[0]
