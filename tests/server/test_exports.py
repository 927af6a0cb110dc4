"""The statutory exports from the admin command line (`server/admin_exports.py`), on SQLite and PostgreSQL:
the restrictive-intervention register and the census list (their rows, CSV and PDF), a subject access ZIP
(every kind of record present, the audit included, other children left out), each export audited as the
operator's — and refused requests (bad dates, unknown ids, a missing folder) write no file and no audit."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from server import cli
from server.models import AuditLog
from server.services import organisations as orgs
from sync.exports import SUBJECT_KINDS
from tests.support.server import Device, Org, ServerProcess, seed_org

AUDIT = AuditLog.__table__
PERIOD = ("--from", "2026-10-01", "--to", "2026-11-30")


@dataclass
class World:
    org: Org
    url: str
    oak: str  # a school (Kim's)
    willow: str  # a children's home (Max's)
    in_period: str  # Kim's restrictive intervention in October (with a suspension)
    draft: str  # Kim's draft, never exported
    earlier: str  # Kim's intervention in September, before the period
    max_incident: str  # Max's, in November (with a permanent exclusion)


def admin(capsys: pytest.CaptureFixture[str], world: World, *args: str) -> tuple[int, str, str]:
    """`python -m server admin ...` in this process, as the operator "ann": (exit status, stdout, stderr)."""
    try:
        code = cli.main(["admin", *args, "--db", world.url, "--operator", "ann"])
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def exports_audited(org: Org) -> list[tuple[str, str, str | None]]:
    with org.db.read_session() as s:
        rows = s.execute(
            select(AUDIT.c.actor_id, AUDIT.c.record_kind, AUDIT.c.profile_id)
            .where(AUDIT.c.org_id == org.id, AUDIT.c.action == "export")
            .order_by(AUDIT.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def world(server: ServerProcess, db, settings, database_url: str) -> World:
    """Kim (Oak school) and Max (Willow House): incidents pushed by real devices through the real server."""
    org = seed_org(db, settings)
    with db.session() as s:
        oak = orgs.create_setting(s, org.id, "Oak School", "school")
        willow = orgs.create_setting(s, org.id, "Willow House", "childrens_home")
        orgs.update_individual(s, org.children["kim"], setting_id=oak, date_of_birth="2013-04-01")
        orgs.update_individual(s, org.children["max"], setting_id=willow)
        orgs.add_key_contact(s, org.children["kim"], "Pat Test", "Mother", parental_responsibility=True)
    kim, max_ = org.children["kim"], org.children["max"]
    sam = Device(server.url, org.email("sam"))
    lena = Device(server.url, org.email("lena"))
    try:
        technique = {
            "technique": "Single elbow",
            "effectiveness": "effective",
            "used_by": [sam.user_id],
            "duration_minutes": 10,
            "injuries": "A red mark on the wrist",
        }
        in_period = sam.incident(
            kim,
            occurred_at="2026-10-05T09:00:00+00:00",
            physical_intervention=True,
            pi_started_at="2026-10-05T09:00:00+00:00",
            pi_ended_at="2026-10-05T09:10:00+00:00",
            location="Dining hall",
            what_happened_before="=HYPERLINK(evil)",
            pi_reason="To stop a chair hitting a pupil",
            pi_techniques=[technique],
            staff_present=[sam.user_id, org.users["tia"]],
            other_individuals=[max_],
            exclusions=[{"type": "SUSP", "sessions": 4, "start_date": "2026-10-06", "reasons": ["PA", "DM"]}],
        )
        draft = sam.incident(kim, status="draft", physical_intervention=True, occurred_at="2026-10-07T10:00:00+00:00")
        earlier = sam.incident(kim, physical_intervention=True, occurred_at="2026-09-15T10:00:00+00:00")
        tap = sam.tap(kim, org.behaviour)
        message = sam.op(
            "communication",
            fields={
                "valence": "positive",
                "author_id": sam.user_id,
                "message": "Kim helped a friend",
                "created_at": "2026-10-08T12:00:00+00:00",
            },
            profile_id=kim,
        )
        answer = sam.op(
            "communication_response",
            fields={
                "communication_id": message["record_id"],
                "author_id": sam.user_id,
                "message": "Lovely",
                "created_at": "2026-10-08T13:00:00+00:00",
            },
            profile_id=kim,
        )
        download = sam.op(
            "audit_event",
            fields={
                "actor_id": sam.user_id,
                "action": "download",
                "record_kind": "incident",
                "record_id": in_period["record_id"],
                "profile_id": kim,
                "device_id": sam.device_id,
                "at": "2026-10-09T08:00:00+00:00",
            },
        )
        sam.push([in_period, draft, earlier, tap, message, answer, download])
        plan = lena.op(
            "smart_plan",
            fields={
                "title": "Kim's support plan",
                "created_by": lena.user_id,
                "created_at": "2026-10-10T09:00:00+00:00",
            },
            profile_id=kim,
        )
        contribution = lena.op(
            "plan_contribution",
            fields={
                "plan_id": plan["record_id"],
                "section": "about_me",
                "text": "Kim loves drawing",
                "author_id": lena.user_id,
                "created_at": "2026-10-10T10:00:00+00:00",
            },
            profile_id=kim,
        )
        max_incident = lena.incident(
            max_,
            occurred_at="2026-11-01T20:00:00+00:00",
            physical_intervention=True,
            pi_techniques=[{"technique": "Guiding hand", "effectiveness": "partly_effective"}],
            location="Upstairs landing",
            what_happened="Max (a secret about Max) ran at the door",
            exclusions=[{"type": "PERM", "start_date": "2026-11-02", "reasons": ["OW"]}],
        )
        results = lena.push([plan, contribution, max_incident]).results
        assert all(r.status == "applied" for r in results), results
    finally:
        sam.close()
        lena.close()
    return World(
        org,
        database_url,
        oak,
        willow,
        in_period["record_id"],
        draft["record_id"],
        earlier["record_id"],
        max_incident["record_id"],
    )


def reference(world: World, record_id: str) -> str:
    with world.org.db.read_session() as s:
        found = orgs.get_record(s, record_id)
    assert found is not None
    return str(found[1].values()["reference"])


def test_the_register_lists_the_recorded_interventions_of_the_period(world: World, tmp_path: Path, capsys):
    org = world.org
    out = tmp_path / "register.csv"
    code, said, err = admin(capsys, world, "register", *PERIOD, "--org", org.id, "--format", "csv", "--out", str(out))
    assert code == 0, err
    assert "2 restrictive interventions" in said
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    # in the period and recorded: Kim's October intervention and Max's November one (not the draft, not September)
    assert [r["reference"] for r in rows] == [reference(world, world.in_period), reference(world, world.max_incident)]
    kim = rows[0]
    assert kim["individual"] == "Kim Test" and kim["date_of_birth"] == "2013-04-01" and kim["setting"] == "Oak School"
    assert kim["started_at"] == "2026-10-05T10:00:00+01:00"  # UK time (BST in October)
    assert kim["duration_minutes"] == "10" and kim["location"] == "Dining hall"
    assert kim["measures"] == "Single elbow" and kim["used_by"] == "Sam" and kim["others_present"] == "Tia"
    assert kim["reason"] == "To stop a chair hitting a pupil" and kim["injuries"] == "A red mark on the wrist"
    assert kim["behaviour"].startswith("'=HYPERLINK")  # a spreadsheet never runs a child's record as a formula
    assert kim["recorded_by"] == "Sam" and kim["report_to_parents"] == "Not yet" and kim["status"] == "Submitted"

    code, _said, err = admin(
        capsys, world, "register", *PERIOD, "--setting", world.oak, "--format", "csv", "--out", str(out)
    )
    assert code == 0, err
    assert [r["individual"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))] == ["Kim Test"]

    pdf = tmp_path / "register.pdf"
    code, _said, err = admin(capsys, world, "register", *PERIOD, "--org", org.id, "--format", "pdf", "--out", str(pdf))
    assert code == 0, err
    text = pdf_text(pdf.read_bytes())
    for expected in (
        "Restrictive-intervention register",
        "OFFICIAL-SENSITIVE",
        "Children involved 2",
        reference(world, world.in_period),
        "Single elbow",
        "To stop a chair hitting a pupil",
        "Max Test",
    ):
        assert expected in text
    assert exports_audited(org) == [("cli:ann", "register", None)] * 3


def test_the_census_list_of_suspensions_and_exclusions(world: World, tmp_path: Path, capsys):
    org = world.org
    out = tmp_path / "census.csv"
    code, said, err = admin(capsys, world, "exclusions", *PERIOD, "--org", org.id, "--format", "csv", "--out", str(out))
    assert code == 0, err
    assert "2 suspensions and exclusions" in said
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [
        (r["forename"], r["category"], r["start_date"], r["sessions"], r["reason_1"], r["reason_2"]) for r in rows
    ] == [("Kim", "SUSP", "2026-10-06", "4", "PA", "DM"), ("Max", "PERM", "2026-11-02", "", "OW", "")]
    assert rows[0]["incident_reference"] == reference(world, world.in_period)

    pdf = tmp_path / "census.pdf"
    code, _said, err = admin(
        capsys,
        world,
        "exclusions",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--org",
        org.id,
        "--format",
        "pdf",
        "--out",
        str(pdf),
    )
    assert code == 0, err
    text = pdf_text(pdf.read_bytes())
    assert "Suspensions and permanent exclusions" in text and "PERM" in text and "SUSP" not in text.split("Census")[0]
    assert "Use or threat of use of an offensive weapon or prohibited item" in text  # the key to the codes
    assert exports_audited(org) == [("cli:ann", "exclusions", None)] * 2


def test_subject_access_holds_everything_about_one_individual(world: World, tmp_path: Path, capsys):
    org = world.org
    kim = org.children["kim"]
    out = tmp_path / "kim.zip"
    code, said, err = admin(capsys, world, "subject-access", "--individual", kim, "--out", str(out))
    assert code == 0, err
    assert kim in said
    archive = zipfile.ZipFile(out)
    names = set(archive.namelist())
    kinds = (*SUBJECT_KINDS, "history", "audit")
    assert names == {"subject-access.pdf", *(f"{kind}.csv" for kind in kinds)}
    tables = {
        kind: list(csv.DictReader(io.StringIO(archive.read(f"{kind}.csv").decode("utf-8-sig")))) for kind in kinds
    }
    assert all(tables[kind] for kind in kinds), [kind for kind in kinds if not tables[kind]]
    # every incident, the draft too, each with its history
    incidents = {r["id"] for r in tables["incident"]}
    assert incidents == {world.in_period, world.draft, world.earlier}
    assert {r["record_id"] for r in tables["history"]} >= incidents | {kim}
    [restraint] = [r for r in tables["incident"] if r["id"] == world.in_period]
    assert restraint["pi_techniques"].startswith("(technique: Single elbow; effectiveness: effective; used by: Sam;")
    assert restraint["staff_present"] == "Sam; Tia"  # people by name, not by id
    written = [r for r in tables["history"] if r["record_id"] == world.in_period and r["field"] == "location"]
    assert [(r["value"], r["written_by"], r["kept_as"]) for r in written] == [("Dining hall", "Sam", "current")]
    # who touched the records: Sam's writes from the device and the download audited on it
    audit = {(r["actor"], r["action"], r["record_kind"]) for r in tables["audit"]}
    assert {("Sam", "create", "incident"), ("Sam", "download", "incident"), ("Lena", "create", "smart_plan")} <= audit
    # nothing about anyone else: Max is counted in Kim's incident, never named, and his records are not there
    whole = b"".join(archive.read(name) for name in names if name.endswith(".csv")).decode("utf-8-sig")
    assert "secret about Max" not in whole and "Max Test" not in whole and org.children["max"] not in whole
    assert "1 other individual (not named)" in whole
    text = pdf_text(archive.read("subject-access.pdf"))
    assert "Subject access: everything held" in text and "Kim Test" in text and "Kim helped a friend" in text
    assert "Max Test" not in text
    assert exports_audited(org) == [("cli:ann", "subject_access", kim)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("register", "--from", "2026-13-01", "--to", "2026-11-30", "--format", "csv"), "--from: '2026-13-01' is not"),
        (("register", "--from", "01/10/2026", "--to", "2026-11-30", "--format", "csv"), "write it as YYYY-MM-DD"),
        (("exclusions", "--from", "2026-11-30", "--to", "2026-10-01", "--format", "csv"), "ends (2026-10-01) before"),
        (("register", *PERIOD, "--setting", "no-such-setting", "--format", "csv"), "no setting with the id"),
        (("register", *PERIOD, "--format", "pdf"), "name the file with .pdf"),
        (("subject-access", "--individual", "no-such-child"), "no individual with the id no-such-child"),
    ],
)
def test_a_refused_export_says_why_and_writes_nothing(world: World, tmp_path: Path, capsys, args, says):
    where = (
        ("--out", str(tmp_path / "out.zip"))
        if args[0] == "subject-access"
        else ("--org", world.org.id, "--out", str(tmp_path / "out.csv"))
    )
    code, _said, err = admin(capsys, world, *args, *where)
    assert code == 2
    assert says in err and err.startswith("error: ")
    assert list(tmp_path.iterdir()) == []
    assert exports_audited(world.org) == []


def test_an_export_into_a_missing_folder_writes_nothing(world: World, tmp_path: Path, capsys):
    out = tmp_path / "nowhere" / "register.csv"
    code, _said, err = admin(
        capsys, world, "register", *PERIOD, "--org", world.org.id, "--format", "csv", "--out", str(out)
    )
    assert code == 2 and "there is no folder" in err
    assert not out.parent.exists() and exports_audited(world.org) == []


def test_a_database_of_several_organisations_needs_org(world: World, tmp_path: Path, capsys):
    seed_org(world.org.db, world.org.settings)  # there are now at least two
    out = tmp_path / "register.csv"
    code, _said, err = admin(capsys, world, "register", *PERIOD, "--format", "csv", "--out", str(out))
    assert code == 2 and "name one with --org" in err and not out.exists()
