"""CSV imports (server.csv_import) on SQLite and PostgreSQL: a good file imports everything, with key contacts,
access grants and key staff; a file with any bad line imports nothing and names every bad line."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.csv_import import ImportFailed, import_individuals, import_staff
from server.db import Database
from server.models import AuditLog, Counter, ProfileStaff, Record, UserAccount
from server.services import organisations as orgs
from server.services.audit import set_operator
from sync.merge import RecordState
from tests.support.server import Org

RECORD = Record.__table__


def _individuals(db: Database, org_id: str) -> dict[str, dict[str, Any]]:
    """'First Last' -> values of the organisation's individuals."""
    with db.read_session() as s:
        rows = s.execute(select(RECORD.c.state).where(RECORD.c.org_id == org_id, RECORD.c.kind == "individual"))
        states = [RecordState.model_validate_json(r.state) for r in rows]
    return {f"{st.values()['first_name']} {st.values()['last_name']}": {"id": st.id, **st.values()} for st in states}


def _snapshot(db: Database) -> tuple[int, int, int]:
    """What any write would change: record count, account count and the sequence counter."""
    with db.read_session() as s:
        return (
            s.execute(select(func.count()).select_from(RECORD)).scalar_one(),
            s.execute(select(func.count()).select_from(UserAccount.__table__)).scalar_one(),
            s.execute(select(Counter.value).where(Counter.name == "seq")).scalar_one(),
        )


def _setting(db: Database, org: Org, name: str = "Oak Academy") -> str:
    with db.session() as s:
        return orgs.create_setting(s, org.id, name, "school")


def _import(db: Database, org: Org, text: str, kind: str = "individuals", **kwargs: Any) -> Any:
    run = import_individuals if kind == "individuals" else import_staff
    with db.session() as s:
        return run(s, org.id, text, settings=org.settings, **kwargs)


GOOD = """\
first_name,last_name,preferred_name,date_of_birth,group,setting,send,ehc_plan,looked_after,details,contact_name,contact_relationship,contact_phone,contact_email,contact_parental_responsibility,contact2_name,contact2_relationship,key_staff,access
Ruby,Ashworth,,2013-04-27,Year 8,oak academy,yes,no,no,Likes art,Jo Ashworth,Mother,07700 900123,jo@example.com,yes,Dev Ashworth,Father,{tia},{sam}
Kuba,Nowak,,14/09/2012,Year 9,,,,y,,,,,,,,,,
"Elizabeth",Hart,Lizzie,2011-01-02,Year 10,Oak Academy,no,no,no,"Moved from Leeds, July",,,,,,,,,{sam}; {tia}
"""  # noqa: E501


def test_a_good_individuals_file_imports_every_line(db: Database, org: Org) -> None:
    setting = _setting(db, org)
    text = GOOD.format(tia=org.email("tia").upper(), sam=org.email("sam"))
    result = _import(db, org, text)
    assert len(result.created) == 3
    assert (result.contacts, result.grants, result.key_staff) == (2, 4, 1)
    people = _individuals(db, org.id)
    ruby, kuba, lizzie = people["Ruby Ashworth"], people["Kuba Nowak"], people["Elizabeth Hart"]
    assert ruby["date_of_birth"] == "2013-04-27" and ruby["send"] is True and ruby["setting_id"] == setting
    assert kuba["date_of_birth"] == "2012-09-14" and kuba["looked_after"] is True and kuba["setting_id"] is None
    assert lizzie["preferred_name"] == "Lizzie" and lizzie["details"] == "Moved from Leeds, July"
    with db.read_session() as s:
        links = s.execute(select(ProfileStaff.__table__)).all()
        contacts = s.execute(
            select(RECORD.c.state).where(RECORD.c.kind == "key_contact", RECORD.c.profile_id == ruby["id"])
        ).all()
    by_child = {(r.profile_id, r.kind, r.staff_id) for r in links}
    # tia is key staff (and so given access too); sam has access only
    assert (ruby["id"], "key_staff", org.users["tia"]) in by_child
    assert (ruby["id"], "access_grant", org.users["tia"]) in by_child
    assert (ruby["id"], "access_grant", org.users["sam"]) in by_child
    assert {(lizzie["id"], "access_grant", org.users[u]) for u in ("sam", "tia")} <= by_child
    names = sorted(RecordState.model_validate_json(c.state).values()["name"] for c in contacts)
    assert names == ["Dev Ashworth", "Jo Ashworth"]


def test_a_bad_line_imports_nothing_and_is_named(db: Database, org: Org) -> None:
    _setting(db, org)
    text = (
        "first_name,last_name,date_of_birth,group,send,setting,contact_name,contact_email\n"
        "Ann,Bee,2013-02-03,Year 7,no,Oak Academy,,\n"  # line 2: fine
        "Cal,Dee,2013-02-30,Year 7,no,,,\n"  # line 3: no 30 February
        "\n"  # line 4: blank, skipped
        "Eve,Eff,2013-02-03,Year 7,maybe,Elm School,Jo,not-an-email\n"  # line 5: four problems
        ",Gee,,,,,,\n"  # line 6: no first name
    )
    before = _snapshot(db)
    with pytest.raises(ImportFailed) as failed:
        _import(db, org, text)
    errors = failed.value.errors
    assert errors[0].startswith("line 3: date_of_birth: '2013-02-30' is not a date")
    assert "line 5: send: expected yes or no, not 'maybe'" in errors
    assert any(e.startswith("line 5: setting: no setting called 'Elm School'") for e in errors)
    assert "line 5: contact_email: is not a valid email address" in errors
    assert "line 5: contact_relationship: is required when a key contact is given" in errors
    assert "line 6: first_name: is required" in errors
    assert not any(e.startswith(("line 2:", "line 4:")) for e in errors)
    assert _snapshot(db) == before
    assert set(_individuals(db, org.id)) == {"Kim Test", "Max Test"}


def test_the_header_must_name_known_columns(db: Database, org: Org) -> None:
    with pytest.raises(ImportFailed) as failed:
        _import(db, org, "First Name,surname,dob\nAnn,Bee,2013-01-01\n")
    errors = failed.value.errors
    assert [e.split(" (columns:")[0] for e in errors] == [
        "line 1: unknown column 'surname'",
        "line 1: unknown column 'dob'",
        "line 1: missing column 'last_name'",
    ]
    assert "first_name, last_name, preferred_name, date_of_birth" in errors[0]
    with pytest.raises(ImportFailed, match="no lines to import"):
        _import(db, org, "first_name,last_name\n\n")
    with pytest.raises(ImportFailed, match="not UTF-8"):
        _import(db, org, "first_name,last_name\nZo\xeb,Bee\n".encode("latin-1"))


def test_staff_and_children_named_that_do_not_exist_are_refused(db: Database, org: Org) -> None:
    other = "first_name,last_name,key_staff\nAnn,Bee,nobody@example.org\nKim,Test,\n"
    with pytest.raises(ImportFailed) as failed:
        _import(db, org, other)
    assert failed.value.errors == [
        "line 2: key_staff: no staff member with the email nobody@example.org in this organisation",
        # seed_org's "kim" has no date of birth: the same name without one is the same child
        f"line 3: first_name: Kim Test is already in the organisation (id {org.children['kim']})",
    ]


def test_importing_a_file_twice_imports_it_once(db: Database, org: Org) -> None:
    text = "first_name,last_name,date_of_birth\nAnn,Bee,2013-01-01\nAnn,Bee,2014-01-01\n"
    assert len(_import(db, org, text).created) == 2
    before = _snapshot(db)
    with pytest.raises(ImportFailed) as failed:
        _import(db, org, text)
    assert [e.split(" (id")[0] for e in failed.value.errors] == [
        "line 2: first_name: Ann Bee (born 2013-01-01) is already in the organisation",
        "line 3: first_name: Ann Bee (born 2014-01-01) is already in the organisation",
    ]
    assert _snapshot(db) == before
    with pytest.raises(ImportFailed, match=r"line 3: first_name: cy DEE \(born 2013-01-01\) is also on line 2"):
        _import(db, org, "first_name,last_name,date_of_birth\nCy,Dee,2013-01-01\ncy,DEE,01/01/2013\n")


def test_a_failure_while_writing_leaves_nothing_behind(db: Database, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line is written in one transaction: an error after some records were written undoes them all."""
    import server.csv_import as csv_import

    def broken_finish(writer: Any, settings: Any, actor_id: str) -> None:
        writer.flush()  # the records are in the database (uncommitted) ...
        raise RuntimeError("disk full")  # ... when something fails

    monkeypatch.setattr(csv_import, "finish_server_writes", broken_finish)
    before = _snapshot(db)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(db, org, "first_name,last_name\nAnn,Bee\nCal,Dee\n")
    assert _snapshot(db) == before


def test_staff_import_and_duplicate_emails(db: Database, org: Org) -> None:
    taken = org.email("sam")
    text = f"name,email,role\nNia Jones,nia.{org.tag}@example.org,lead\nOla Smith,ola.{org.tag}@example.org,\n"
    result = _import(db, org, text, kind="staff")
    assert len(result.created) == 2
    with db.read_session() as s:
        nia = orgs.find_user(s, f"NIA.{org.tag}@example.org")
        ola = orgs.find_user(s, f"ola.{org.tag}@example.org")
    assert nia is not None and nia["role"] == "lead" and nia["org_id"] == org.id
    assert ola is not None and ola["role"] == "staff"

    before = _snapshot(db)
    bad = (
        "name,email,role\n"
        f"Pat Kay,pat.{org.tag}@example.org,staff\n"
        f"Sam Again,{taken.upper()},staff\n"
        f"Pat Twice,PAT.{org.tag}@example.org,teacher\n"
        ",not-an-email,\n"
    )
    with pytest.raises(ImportFailed) as failed:
        _import(db, org, bad, kind="staff")
    assert failed.value.errors == [
        f"line 3: email: an account with the email {taken} already exists",
        "line 4: role: must be staff, lead or admin, not 'teacher'",
        f"line 4: email: pat.{org.tag}@example.org is also on line 2",
        "line 5: name: is required",
        "line 5: email: is not a valid email address",
    ]
    assert _snapshot(db) == before


def test_an_import_is_audited_as_its_operator(db: Database, org: Org) -> None:
    """Every record an import writes has an audit row naming the operator of the transaction (the admin
    command line's "cli:<name>"); an import without one (a service call of the server's own) audits nothing."""
    audit = AuditLog.__table__
    header = "first_name,last_name,contact_name,contact_relationship,key_staff"
    text = f"{header}\nUma,Vale,Ira Vale,Mother,{org.email('tia')}\n"
    with db.session() as s:
        set_operator(s, "cli:ann")
        result = import_individuals(s, org.id, text, settings=org.settings)
    uma = result.created[0]
    with db.read_session() as s:
        rows = s.execute(select(audit).where(audit.c.profile_id == uma)).all()
        written = s.execute(select(RECORD.c.id, RECORD.c.kind).where(RECORD.c.profile_id == uma)).all()
    assert {(r.actor_id, r.action, r.org_id, r.device_id) for r in rows} == {("cli:ann", "create", org.id, None)}
    # one row per record written: the individual, the key contact, tia's access grant and key staff link
    assert sorted((r.record_id, r.record_kind) for r in rows) == sorted((w.id, w.kind) for w in written)
    assert {r.record_kind for r in rows} == {"individual", "key_contact", "access_grant", "key_staff"}

    staff = _import(db, org, f"name,email\nVic Wu,vic.{org.tag}@example.org\n", kind="staff")
    with db.read_session() as s:
        assert s.execute(select(audit).where(audit.c.record_id == staff.created[0])).all() == []


def test_a_dry_run_checks_without_writing(db: Database, org: Org) -> None:
    before = _snapshot(db)
    result = _import(db, org, "first_name,last_name\nAnn,Bee\n", dry_run=True)
    assert result.dry_run and len(result.created) == 1
    assert _snapshot(db) == before


def test_the_documented_columns_and_example_are_true(db: Database, org: Org) -> None:
    from server.csv_import import INDIVIDUAL_COLUMNS, STAFF_COLUMNS
    from tests.support.server import ROOT

    doc = (ROOT / "docs" / "admin.md").read_text()
    for column in [*INDIVIDUAL_COLUMNS, *STAFF_COLUMNS]:
        # the second key contact's columns are documented as "`contact2_name`, ... `contact2_parental_...`"
        documented = f"`{column}`" in doc or column.startswith("contact2_")
        assert documented, column
    assert "`contact2_name`, ... `contact2_parental_responsibility`" in doc
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    _setting(db, org)
    _import(db, org, "name,email\n" + "".join(f"{n.title()},{n}@oak.example\n" for n in ("tia", "sam", "lee")), "staff")
    result = _import(db, org, example)
    assert len(result.created) == 1 and result.grants == 3 and result.key_staff == 1
