"""`python -m server admin ...`: as a subprocess for the everyday path (create an organisation and users,
import, grant — then a real server shows the result to a device), in-process for the rest. Errors exit with
status 2 and say why on stderr, having changed nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from server import cli
from server.core.security import Passwords
from server.db import Database
from server.models import AuditLog, ProfileStaff
from server.services import accounts
from server.services import organisations as orgs
from sync.protocol import LoginRequest
from tests.support.fixtures import BACKENDS, make_database_url
from tests.support.server import (
    PASSWORD,
    ROOT,
    TEST_ENV,
    Device,
    Org,
    ServerProcess,
    drop_pg_database,
    require_postgres,
    settings_for,
)

PROFILE_STAFF = ProfileStaff.__table__
AUDIT = AuditLog.__table__


@pytest.fixture(scope="module")
def backend() -> str:
    """These tests drive the command line and one server process: SQLite is enough (the services they call
    run on both databases in the other tests; the audit of the command's writes is checked on both below)."""
    return "sqlite"


def admin(database_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "admin", *args, "--db", database_url],
        cwd=ROOT,
        env={**os.environ, **TEST_ENV, "PYTHONPATH": str(ROOT)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> tuple[int, str, str]:
    """The same command line, in this process: (exit status, stdout, stderr)."""
    try:
        code = cli.main(["admin", *args, "--db", database_url])
    except SystemExit as stop:  # argparse refusing the arguments
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_create_an_organisation_users_and_grants_from_the_command_line(
    server: ServerProcess, database_url: str, tmp_path: Path
) -> None:
    tag = os.urandom(4).hex()
    org = f"Elm Academy {tag}"
    made = admin(database_url, "create-org", "--name", org, "--prefix", "elm")
    assert made.returncode == 0, made.stderr
    assert f"created organisation '{org}'" in made.stdout and "elm-10001" in made.stdout

    lead, sam = f"lead.{tag}@elm.example", f"Sam.{tag}@Elm.example"
    made = admin(
        database_url, "create-user", "--org", org, "--email", lead, "--name", "Lee Lead", "--role", "lead",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"created lead Lee Lead <{lead}>" in made.stdout
    made = admin(
        database_url, "create-user", "--org", org, "--email", sam, "--name", "Sam Staff", "--password", PASSWORD
    )
    assert made.returncode == 0, made.stderr

    # A CSV with a bad line imports nothing, and says which line; the fixed file imports.
    pupils = tmp_path / "pupils.csv"
    pupils.write_text(
        "first_name,last_name,group,date_of_birth\nAmy,Ash,Year 8,2013-05-01\nBen,Birch,Year 9,2013-13-01\n"
    )
    bad = admin(database_url, "import-individuals", "--org", org, str(pupils))
    assert bad.returncode == 2
    assert "nothing was imported (1 problem)" in bad.stderr
    assert "line 3: date_of_birth: '2013-13-01' is not a date" in bad.stderr
    pupils.write_text("first_name,last_name,group\nAmy,Ash,Year 8\nBen,Birch,Year 9\n")
    good = admin(database_url, "import-individuals", "--org", org, str(pupils))
    assert good.returncode == 0 and "imported 2 individuals" in good.stdout, good.stderr

    granted = admin(database_url, "grant", "--email", sam, "--group", "year 8")
    assert granted.returncode == 0, granted.stderr
    assert "may now see and record for 1 individual(s): Amy Ash" in granted.stdout

    # The server agrees: Sam's device holds Amy and not Ben; the lead's holds both.
    device = Device(server.url, sam)
    device.pull()
    assert sorted(s.values()["first_name"] for s in device.of_kind("individual")) == ["Amy"]
    lead_device = Device(server.url, lead)
    lead_device.pull()
    assert sorted(s.values()["first_name"] for s in lead_device.of_kind("individual")) == ["Amy", "Ben"]
    assert {s.values()["label"] for s in device.of_kind("behaviour_type")} >= {"On task", "Refusal"}


def test_refusals_exit_2_with_the_reason(capsys: pytest.CaptureFixture[str], database_url: str, org: Org) -> None:
    cases = [
        (["create-org", "--name", f"org {org.tag}"], f"error: an organisation called 'org {org.tag}' already exists"),
        (["create-user", "--org", org.id, "--email", org.email("sam").upper(), "--name", "A", "--no-password"],
         f"error: an account with the email {org.email('sam')} already exists"),
        (["create-user", "--org", org.id, "--email", "a@b.example", "--name", "A"], "error: no password given"),
        (["create-user", "--org", "No Such Org", "--email", "a@b.example", "--name", "A", "--no-password"],
         "error: no organisation 'No Such Org'"),
        (["create-user", "--org", org.id, "--email", "not-an-email", "--name", "A", "--no-password"],
         "error: email: is not a valid email address"),
        (["create-user", "--org", org.id, "--email", "a@b.example", "--name", "A", "--password", "short"],
         "error: a password needs at least 8 characters"),
        (["grant", "--email", "nobody@b.example", "--individual", org.children["kim"]],
         "error: no account with the email nobody@b.example"),
        (["grant", "--email", org.email("sam"), "--individual", "no-such-child"], "error: no individual with the id"),
        (["grant", "--email", org.email("sam")], "error: name the individuals"),
        (["create-org", "--name", "Bad", "--prefix", "Not A Prefix"], "error: incident_prefix:"),
        (["behaviours", "disable", "--org", org.id, "Juggling"], "error: no behaviour 'Juggling'"),
        (["devices", "lost", "no-such-device"], "error: no device no-such-device"),
    ]  # fmt: skip
    for args, message in cases:
        code, out, err = run(capsys, database_url, *args)
        assert (code, out) == (2, ""), args
        assert err.startswith(message), (args, err)
    code, _out, err = run(capsys, database_url, "create-user", "--email", "a@b.example")  # argparse: missing --org
    assert code == 2 and "required" in err


def test_access_key_staff_and_users(
    capsys: pytest.CaptureFixture[str], database_url: str, db: Database, org: Org, server: ServerProcess
) -> None:
    kim, max_ = org.children["kim"], org.children["max"]
    code, out, _ = run(capsys, database_url, "list-individuals", "--org", org.id)
    assert code == 0 and kim in out and max_ in out and "Year 7" in out

    sam = Device(server.url, org.email("sam"))
    sam.pull()
    assert sam.profiles == {kim}
    code, out, _ = run(capsys, database_url, "grant", "--email", org.email("sam"), "--individual", max_)
    assert code == 0, out
    sam.pull()
    assert sam.profiles == {kim, max_}
    code, out, _ = run(capsys, database_url, "revoke", "--email", org.email("sam"), "--individual", kim)
    assert code == 0 and "removed 1 access grant(s)" in out
    sam.pull()
    assert sam.profiles == {max_}
    assert not [r for r in sam.records.values() if r.profile_id == kim]

    code, out, _ = run(capsys, database_url, "key-staff", "--individual", kim, "--email", org.email("sam"),
                       "--email", org.email("lena"))  # fmt: skip
    assert code == 0 and "given access" in out
    with db.read_session() as s:
        links = {
            (r.kind, r.staff_id) for r in s.execute(select(PROFILE_STAFF).where(PROFILE_STAFF.c.profile_id == kim))
        }
    # key staff are exactly sam and lena (tia is no longer); sam, a staff member, got access back to be told
    assert {staff for kind, staff in links if kind == "key_staff"} == {org.users["sam"], org.users["lena"]}
    assert ("access_grant", org.users["sam"]) in links

    code, out, _ = run(capsys, database_url, "list-users", "--org", org.id)
    assert code == 0 and org.email("lena") in out and "lead" in out
    code, out, _ = run(capsys, database_url, "update-user", "--email", org.email("tia"), "--role", "lead")
    assert code == 0 and "role=lead" in out
    code, out, _ = run(capsys, database_url, "update-user", "--email", org.email("tia"), "--deactivate")
    assert code == 0 and "wiped" in out
    tia = sam.http.post("/auth/login", json={"email": org.email("tia"), "password": PASSWORD, "device_id": "tia1"})
    assert tia.status_code == 403


def test_passwords_from_stdin(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    org: Org,
    server: ServerProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("a brand new password\n"))
    code, out, _ = run(capsys, database_url, "set-password", "--email", org.email("sam"), "--password-stdin")
    assert code == 0 and "password set" in out
    Device(server.url, org.email("sam"), "a brand new password")


def test_the_behaviour_catalogue(capsys: pytest.CaptureFixture[str], database_url: str, org: Org) -> None:
    code, out, _ = run(capsys, database_url, "behaviours", "defaults", "--org", org.id)
    assert code == 0 and "added 20 default behaviour(s)" in out
    code, out, _ = run(capsys, database_url, "behaviours", "defaults", "--org", org.id)
    assert "added 0 default behaviour(s)" in out and "20 were already there" in out
    code, out, _ = run(capsys, database_url, "behaviours", "add", "--org", org.id, "--label", "Great listening",
                       "--valence", "positive", "--level", "medium", "--colour", "#1565c0")  # fmt: skip
    assert code == 0 and "added 'Great listening'" in out
    code, out, _ = run(capsys, database_url, "behaviours", "add", "--org", org.id, "--label", "Missed curfew",
                       "--valence", "negative", "--setting-type", "childrens_home")  # fmt: skip
    assert code == 0 and "added 'Missed curfew'" in out
    with org.db.session() as s:
        curfew = [v for _b, v in orgs.behaviour_types(s, org.id) if v.get("label") == "Missed curfew"]
    assert [v["setting_types"] for v in curfew] == [["childrens_home"]]  # offered at children's homes only
    code, out, _ = run(capsys, database_url, "behaviours", "disable", "--org", org.id, "shouting OUT")
    assert code == 0 and "disabled 'Shouting out'" in out
    code, out, _ = run(capsys, database_url, "behaviours", "list", "--org", org.id)
    assert "Great listening" in out and "Kind words" in out and "Shouting out" not in out
    assert re.search(r"Missed curfew .* childrens_home", out) and re.search(r"Great listening .* all", out)
    code, out, _ = run(capsys, database_url, "behaviours", "list", "--org", org.id, "--all")
    assert "Shouting out" in out and "disabled" in out
    # a behaviour deleted (say, from a device) and added again by label is a new, live one
    with org.db.session() as s:
        orgs.write_record(s, org.id, "behaviour_type", "delete", record_id=org.behaviour)
    code, out, _ = run(capsys, database_url, "behaviours", "add", "--org", org.id, "--label", "kind words",
                       "--valence", "positive")  # fmt: skip
    assert code == 0 and "added 'kind words'" in out and org.behaviour not in out
    code, out, _ = run(capsys, database_url, "behaviours", "list", "--org", org.id)
    assert "kind words" in out
    code, out, _ = run(capsys, database_url, "behaviours", "add", "--org", org.id, "--label", "Bad", "--valence",
                       "negative", "--colour", "red")  # fmt: skip
    assert code == 2


def test_a_device_reported_lost_is_wiped(
    capsys: pytest.CaptureFixture[str], database_url: str, org: Org, server: ServerProcess
) -> None:
    phone = Device(server.url, org.email("sam"))
    phone.pull()
    assert phone.records
    code, out, _ = run(capsys, database_url, "devices", "list", "--email", org.email("sam"))
    assert code == 0 and phone.device_id in out and "active" in out
    code, out, _ = run(capsys, database_url, "devices", "lost", phone.device_id)
    assert code == 0 and f"device {phone.device_id} marked lost" in out
    page = phone.pull_page()
    assert page.wipe and not page.changes
    code, out, _ = run(capsys, database_url, "devices", "list", "--org", org.id)
    assert phone.device_id in out and "lost" in out
    again = phone.http.post(
        "/auth/login", json={"email": org.email("sam"), "password": PASSWORD, "device_id": phone.device_id}
    )
    assert again.status_code == 403
    code, out, _ = run(capsys, database_url, "devices", "activate", phone.device_id)
    assert code == 0 and "active again" in out


def _audited_since(db: Database, after: int) -> tuple[int, set[tuple[str, str, str]]]:
    """The newest audit row id, and (actor, action, record kind) of the rows written after `after`."""
    with db.read_session() as s:
        rows = s.execute(select(AUDIT).where(AUDIT.c.id > after)).all()
    return max([after, *(r.id for r in rows)]), {(r.actor_id, r.action, r.record_kind) for r in rows}


@pytest.mark.parametrize("engine", BACKENDS)
def test_every_write_is_audited_as_the_operator(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each writing subcommand leaves audit rows naming its operator ("cli:" and --operator, else the OS user)
    and what it did; reading subcommands and refused requests leave none. On SQLite and PostgreSQL."""
    if engine == "postgresql":
        require_postgres()
    url = make_database_url(engine, tmp_path)
    monkeypatch.setenv("LOGNAME", "pat")  # the OS user getpass finds first
    db = Database(url, pool_size=1)
    db.upgrade()
    try:
        staff_csv, pupils_csv = tmp_path / "staff.csv", tmp_path / "pupils.csv"
        staff_csv.write_text("name,email\nRae Roe,rae@ash.example\n")
        pupils_csv.write_text("first_name,last_name,group,access\nAmy,Ash,Year 8,sam@ash.example\n")
        last = 0
        ann, pat = "cli:ann", "cli:pat"
        steps: list[tuple[list[str], set[tuple[str, str, str]]]] = [
            (["create-org", "--name", "Ash Academy", "--operator", "ann"],
             {(ann, "create", "organisation"), (ann, "create", "behaviour_type")}),
            (["create-setting", "--org", "ash academy", "--name", "Ash", "--type", "school", "--operator", "ann"],
             {(ann, "create", "setting")}),
            (["parent-email", "--org", "Ash Academy", "on"], {(pat, "update", "organisation")}),
            (["create-user", "--org", "Ash Academy", "--email", "sam@ash.example", "--name", "Sam", "--no-password"],
             {(pat, "create", "staff")}),
            (["set-password", "--email", "sam@ash.example", "--password", PASSWORD], {(pat, "update", "staff")}),
            (["update-user", "--email", "sam@ash.example", "--name", "Sam Simms"], {(pat, "update", "staff")}),
            (["import-staff", "--org", "Ash Academy", str(staff_csv)], {(pat, "create", "staff")}),
            (["import-individuals", "--org", "Ash Academy", str(pupils_csv)],
             {(pat, "create", "individual"), (pat, "create", "access_grant")}),
            (["list-individuals", "--org", "Ash Academy"], set()),
            (["revoke", "--email", "sam@ash.example", "--group", "Year 8"], {(pat, "delete", "access_grant")}),
            (["grant", "--email", "sam@ash.example", "--group", "Year 8"], {(pat, "create", "access_grant")}),
            (["behaviours", "add", "--org", "Ash Academy", "--label", "Tidied up", "--valence", "positive"],
             {(pat, "create", "behaviour_type")}),
            (["behaviours", "disable", "--org", "Ash Academy", "Tidied up"], {(pat, "update", "behaviour_type")}),
            (["create-org", "--name", "ash academy"], set()),  # refused: the name is taken
        ]  # fmt: skip
        for args, expected in steps:
            code, _out, err = run(capsys, url, *args)
            assert code == (2 if args[:3] == ["create-org", "--name", "ash academy"] else 0), (args, err)
            last, audited = _audited_since(db, last)
            assert audited == expected, args

        with db.read_session() as s:
            people = orgs.individuals_of(s, orgs.find_organisation(s, "Ash Academy")[0])
            sam = orgs.find_user(s, "sam@ash.example")
        assert sam is not None
        code, _out, err = run(capsys, url, "key-staff", "--individual", people[0][0], "--email", "sam@ash.example")
        assert code == 0, err
        last, audited = _audited_since(db, last)
        assert audited == {(pat, "create", "key_staff")}  # sam already had access: no new grant

        settings = settings_for(url)
        login = LoginRequest(email="sam@ash.example", password=PASSWORD, device_id="phone1")
        accounts.login(db, settings, Passwords(settings), login, "127.0.0.1")
        last, _login = _audited_since(db, last)
        code, _out, err = run(capsys, url, "devices", "lost", "phone1", "--operator", "ann")
        assert code == 0, err
        last, audited = _audited_since(db, last)
        assert audited == {(ann, "device_lost", "device")}

        # The password change names the account it changed, and that it was the password.
        with db.read_session() as s:
            row = s.execute(select(AUDIT).where(AUDIT.c.record_id == sam["id"], AUDIT.c.detail.is_not(None))).one()
        assert row.actor_id == pat and row.org_id == sam["org_id"] and "password" in row.detail

        code, _out, err = run(capsys, url, "list-orgs", "--operator", "x" * 61)
        assert code == 2 and "--operator needs a name of 1 to 60 characters" in err
    finally:
        db.dispose()
        if engine == "postgresql":
            drop_pg_database(url)
