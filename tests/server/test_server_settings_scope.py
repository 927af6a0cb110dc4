"""A lead limited to some settings of the organisation, against a real server on SQLite and PostgreSQL: they
pull, read, record for, review and hear about only the individuals of their settings; changing the limit
purges or brings individuals at the next pull; the admin CLI and the staff CSV set it, refusing what cannot be
(a limit for staff, an unknown setting) without changing anything."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update

from server import cli
from server.csv_import import ImportFailed, import_staff
from server.db import Database
from server.models import Record, UserAccount
from server.services import organisations as orgs
from sync.records import Role
from tests.support.server import Device, Org, ServerProcess

RECORD = Record.__table__


@dataclass
class Trust:
    org: Org
    school: str
    home: str
    pupil: str
    resident: str


@pytest.fixture
def trust(org: Org) -> Trust:
    """The seeded organisation with a school and a children's home, a pupil and a resident (tia may record for
    both), and "lex", a lead limited to the school."""
    with org.db.session() as s:
        school = orgs.create_setting(s, org.id, "Oak Academy", "school")
        home = orgs.create_setting(s, org.id, "Elm House", "childrens_home")
    with org.db.session() as s:
        pupil = orgs.create_individual(s, org.id, "Pia", "Pupil", group="Year 8", setting_id=school)
        resident = orgs.create_individual(s, org.id, "Rae", "Resident", group="Elm House", setting_id=home)
        for child in (pupil, resident):
            orgs.grant_access(s, child, org.users["tia"])
        lex = orgs.create_user(
            s, org.id, "Lex", f"lex.{org.tag}@example.org", "correct horse battery", role=Role.LEAD,
            settings=org.settings, setting_ids=["Oak Academy"],
        )  # fmt: skip
    org.users["lex"], org.emails["lex"] = lex, f"lex.{org.tag}@example.org"
    org.children |= {"pia": pupil, "rae": resident}
    return Trust(org, school, home, pupil, resident)


def individuals(device: Device) -> set[str]:
    device.pull()
    return {st.id for st in device.of_kind("individual")}


def test_a_lead_limited_to_a_setting_reaches_only_its_individuals(server: ServerProcess, trust: Trust) -> None:
    org = trust.org
    lex, lena, tia = (Device(server.url, org.email(n)) for n in ("lex", "lena", "tia"))
    assert individuals(lex) == {trust.pupil}
    assert individuals(lena) == {trust.pupil, trust.resident, org.children["kim"], org.children["max"]}
    assert lex.get(f"/records/{trust.resident}").status_code == 403
    assert lex.get(f"/records/{trust.pupil}").status_code == 200
    # Writes: what lex does for the school's pupil is applied, for the home's resident quarantined.
    at_school, at_home = tia.incident(trust.pupil), tia.incident(trust.resident)
    tia.push([at_school, at_home])
    lex.pull()
    review = {"status": "reviewed", "review_signed_off_by": lex.user_id}
    results = lex.push(
        [
            lex.tap(trust.pupil, org.behaviour),
            lex.tap(trust.resident, org.behaviour),
            lex.op("incident", "update", review, record_id=at_school["record_id"], profile_id=trust.pupil),
            lex.op("incident", "update", review, record_id=at_home["record_id"], profile_id=trust.resident),
        ]
    ).results
    assert [(r.status, r.reason) for r in results] == [
        ("applied", None),
        ("quarantined", "you do not have access to this individual (any more)"),
        ("applied", None),
        ("quarantined", "you do not have access to this individual (any more)"),
    ]
    assert lena.get(f"/records/{at_home['record_id']}").json()["fields"]["status"]["value"] == "submitted"

    # Notifications: the leads hear of incidents of the individuals they reach only.
    def told(device: Device) -> set[str]:
        device.pull()
        return {n.values()["record_id"] for n in device.of_kind("notification")}

    assert told(lex) == {at_school["record_id"]}
    assert told(lena) >= {at_school["record_id"], at_home["record_id"]}


def test_changing_a_leads_settings_purges_or_brings_individuals(
    server: ServerProcess, db: Database, trust: Trust
) -> None:
    lex = Device(server.url, trust.org.email("lex"))
    assert individuals(lex) == {trust.pupil}
    with db.session() as s:
        orgs.update_user(s, trust.org.users["lex"], setting_ids=[trust.home])
    page = lex.pull()[0]
    assert page.purge_profiles == [trust.pupil] and page.added_profiles == [trust.resident]
    assert {st.profile_id for st in lex.records.values() if st.profile_id} == {trust.resident}
    # The whole organisation again; and a lead made staff loses the limit (staff reach through grants).
    with db.session() as s:
        orgs.update_user(s, trust.org.users["lex"], setting_ids=[])
    assert trust.pupil in individuals(lex) and trust.resident in individuals(lex)
    with db.session() as s:
        orgs.update_user(s, trust.org.users["lex"], setting_ids=["Elm House"])
        orgs.update_user(s, trust.org.users["lex"], role=Role.STAFF)
        assert orgs.get_record(s, trust.org.users["lex"])[1].values()["setting_ids"] == []  # type: ignore[index]


def snapshot(db: Database) -> tuple[int, int]:
    with db.read_session() as s:
        return (
            s.execute(select(func.count()).select_from(RECORD)).scalar_one(),
            s.execute(select(func.count()).select_from(UserAccount.__table__)).scalar_one(),
        )


def run(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> tuple[int, str, str]:
    code = cli.main(["admin", *args, "--db", database_url])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_admin_cli_sets_a_leads_settings(
    capsys: pytest.CaptureFixture[str], database_url: str, db: Database, trust: Trust
) -> None:
    org = trust.org
    email = f"lou.{org.tag}@example.org"
    code, out, err = run(
        capsys, database_url, "create-user", "--org", org.id, "--email", email, "--name", "Lou", "--role", "lead",
        "--setting", "elm house", "--no-password",
    )  # fmt: skip
    assert code == 0, err
    assert "sees Elm House" in out
    code, out, _ = run(capsys, database_url, "list-users", "--org", org.id)
    lines = {line.split()[2]: line for line in out.splitlines()[1:]}
    assert lines[email].endswith("Elm House")
    assert lines[org.email("lena")].endswith("the whole organisation")
    assert lines[org.email("sam")].endswith("the individuals they are granted access to")
    code, out, _ = run(
        capsys, database_url, "update-user", "--email", email, "--setting", "Oak Academy", "--setting", "Elm House"
    )
    assert code == 0 and "sees Oak Academy, Elm House" in out
    code, out, _ = run(capsys, database_url, "update-user", "--email", email, "--all-settings")
    assert code == 0 and "sees the whole organisation" in out
    # Refused, changing nothing: a limit for staff, an unknown setting, both options at once.
    before = snapshot(db)
    refusals = [
        (("update-user", "--email", org.email("sam"), "--setting", "Oak Academy"), "only a lead can be limited"),
        (("update-user", "--email", email, "--setting", "Ash Lodge"), "no setting called 'Ash Lodge'"),
        (("update-user", "--email", email, "--setting", "Oak Academy", "--all-settings"), "not both"),
        (
            ("create-user", "--org", org.id, "--email", f"x.{org.tag}@example.org", "--name", "X",
             "--setting", "Oak Academy", "--no-password"),
            "only a lead can be limited",
        ),
    ]  # fmt: skip
    for args, reason in refusals:
        code, _out, err = run(capsys, database_url, *args)
        assert code == 2 and reason in err, (args, err)
    assert snapshot(db) == before


def test_a_deleted_setting_cannot_be_chosen_for_a_lead(db: Database, trust: Trust) -> None:
    """A setting deleted (its record kept, marked deleted) is not one a lead can be limited to, by id or name."""
    with db.session() as s:
        s.execute(update(RECORD).where(RECORD.c.id == trust.home).values(deleted=True))
    with db.session() as s:
        for wanted in ("Elm House", trust.home):
            with pytest.raises(orgs.AdminError, match=r"\(Oak Academy\)$"):
                orgs.check_setting_limit(s, trust.org.id, Role.LEAD, [wanted])
        assert orgs.check_setting_limit(s, trust.org.id, Role.LEAD, ["oak academy"]) == [trust.school]


def test_the_staff_csv_sets_a_leads_settings(db: Database, trust: Trust) -> None:
    org = trust.org
    bad = (
        "name,email,role,settings\n"
        f"Al,al.{org.tag}@example.org,staff,Oak Academy\n"
        f"Bo,bo.{org.tag}@example.org,lead,Ash Lodge\n"
    )
    before = snapshot(db)
    with pytest.raises(ImportFailed) as failed, db.session() as s:
        import_staff(s, org.id, bad, settings=org.settings)
    assert failed.value.errors[0].startswith("line 2: settings: only a lead can be limited to settings")
    assert failed.value.errors[1].startswith("line 3: settings: no setting called 'Ash Lodge'")
    assert snapshot(db) == before
    good = f"name,email,role,settings\nCy,cy.{org.tag}@example.org,lead,Oak Academy; elm house\n"
    with db.session() as s:
        created = import_staff(s, org.id, good, settings=org.settings).created
        stored = orgs.get_record(s, created[0])
    assert stored is not None and stored[1].values()["setting_ids"] == [trust.school, trust.home]


def test_a_lead_limited_to_a_setting_reviews_only_its_quarantined_changes(server: ServerProcess, trust: Trust) -> None:
    org = trust.org
    sam, lex, lena = (Device(server.url, org.email(n)) for n in ("sam", "lex", "lena"))
    taps = [sam.tap(trust.pupil, org.behaviour), sam.tap(trust.resident, org.behaviour)]  # sam reaches neither
    assert [r.status for r in sam.push(taps).results] == ["quarantined", "quarantined"]
    held = {q["record_id"]: q["id"] for q in lena.get("/quarantine").json()}
    assert set(held) == {t["record_id"] for t in taps}
    assert [q["record_id"] for q in lex.get("/quarantine").json()] == [taps[0]["record_id"]]
    # The resident's change does not exist for lex, to apply or to discard; it stays pending for lena.
    for action in ("apply", "discard"):
        answer = lex.post(f"/quarantine/{held[taps[1]['record_id']]}/resolve", json={"action": action})
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert lex.post(f"/quarantine/{held[taps[0]['record_id']]}/resolve", json={"action": "apply"}).status_code == 200
    assert [q["record_id"] for q in lena.get("/quarantine").json()] == [taps[1]["record_id"]]
