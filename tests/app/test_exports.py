"""The statutory exports on the device (app/exports.py): the register and the census list from what the device
holds, and a subject access ZIP — only for roles that may download records, each audited on the device
(`audit_event`, action `export`) before the file is handed over; a refused request audits nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from app.context import ActionError, Context, PermissionDenied
from app.services import Services
from localdb.store import LocalStore
from tests.support.device import force_essentials, user

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def lead(store: LocalStore, child: str) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


#: Sam's restraint of Ada, as the report's pages say it (the suspension's start date is added on the day)
RESTRAINT = {
    "location": "Dining hall",
    "what_happened": "Threw a chair towards another pupil.",
    "pi_reason": "To stop a chair hitting a pupil.",
    "pi_techniques": [
        dict(technique="Single elbow", effectiveness="effective", used_by=["u-staff"], duration_minutes=3)
    ],
}


@pytest.fixture
def incident(services: Services, child: str) -> str:
    """Sam's submitted report of a restrictive intervention on Ada, with a suspension."""
    draft = services.incidents.start(child, physical_intervention=True)
    day = dt.datetime.now(LONDON).date().isoformat()
    exclusions = [dict(type="SUSP", sessions=2, start_date=day, reasons=["VA"])]
    services.incidents.save_page(draft.id, {**force_essentials(), **RESTRAINT, "exclusions": exclusions})
    return services.incidents.submit(draft.id)


@pytest.fixture
def today(store: LocalStore, incident: str) -> dt.date:
    """The day the incident happened, as the exports count days (UK time): taken from the incident, so a run
    that crosses midnight still asks for the right day."""
    return dt.datetime.fromisoformat(store.get(incident).values["occurred_at"]).astimezone(LONDON).date()


def new_audits(store: LocalStore, before: set[int]) -> list[dict]:
    return [op.fields for op in store.pending_ops() if op.op_id not in before and op.kind == "audit_event"]


def test_a_lead_exports_the_register_and_the_census_list_audited(
    store: LocalStore, lead: Services, incident: str, today: dt.date
):
    before = {op.op_id for op in store.pending_ops()}
    register = lead.exports.register(today, today, fmt="csv")
    assert register.media_type == "text/csv" and register.file_name.endswith(".csv")
    [row] = list(csv.DictReader(io.StringIO(register.data.decode("utf-8-sig"))))
    assert (row["individual"], row["location"], row["measures"], row["used_by"]) == (
        "Ada Lovelace",
        "Dining hall",
        "Single elbow",
        "Sam Staff",
    )
    census = lead.exports.exclusions(today, today, fmt="csv")
    [row] = list(csv.DictReader(io.StringIO(census.data.decode("utf-8-sig"))))
    assert (row["forename"], row["category"], row["sessions"], row["reason_1"]) == ("Ada", "SUSP", "2", "VA")
    pdf = lead.exports.register(today, today, fmt="pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Restrictive-intervention register" in text and "To stop a chair hitting a pupil." in text
    audits = new_audits(store, before)
    assert [(a["action"], a["record_kind"], a["actor_id"]) for a in audits] == [
        ("export", "register", "u-lead"),
        ("export", "exclusions", "u-lead"),
        ("export", "register", "u-lead"),
    ]


def test_a_setting_filter_and_an_empty_period(
    store: LocalStore, lead: Services, incident: str, child: str, today: dt.date
):
    school = lead.context.write("setting", "create", {"name": "Oak School", "setting_type": "school"})
    lead.context.write("individual", "update", {"setting_id": school}, record_id=child, profile_id=child)
    assert lead.exports.settings() == [(school, "Oak School")]
    assert lead.exports.register(today, today, school, "csv").data.decode().count("\r\n") == 2  # header and Ada
    other = lead.context.write("setting", "create", {"name": "Willow House", "setting_type": "childrens_home"})
    assert lead.exports.register(today, today, other, "csv").data.decode().count("\r\n") == 1  # the header only
    yesterday = today - dt.timedelta(days=1)
    assert lead.exports.exclusions(yesterday, yesterday, fmt="csv").data.decode().count("\r\n") == 1


def test_a_refused_export_is_not_audited(
    store: LocalStore, services: Services, lead: Services, incident: str, today: dt.date
):
    before = {op.op_id for op in store.pending_ops()}
    with pytest.raises(PermissionDenied):
        services.exports.register(today, today)  # staff may not download records
    with pytest.raises(PermissionDenied):
        services.exports.subject_access(store.get(incident).profile_id)
    with pytest.raises(ActionError, match=r"ends .* before it starts"):
        lead.exports.register(today, today - dt.timedelta(days=1))
    with pytest.raises(ActionError, match="not on this device"):
        lead.exports.subject_access("no-such-child")
    assert new_audits(store, before) == []


def test_subject_access_holds_what_the_device_holds_about_one_individual(
    store: LocalStore, services: Services, lead: Services, incident: str, child: str
):
    services.clicker.tap(child, services.context.store.behaviour_types()[0].id)
    services.downloads.context.write(  # Lee downloaded the report earlier: this device's audit of it
        "audit_event",
        "create",
        {
            "actor_id": "u-lead",
            "action": "download",
            "record_kind": "incident",
            "record_id": incident,
            "profile_id": child,
            "device_id": store.device_id,
            "at": "2026-11-30T09:00:00+00:00",
        },
    )
    other = lead.context.write("individual", "create", {"first_name": "Bea", "last_name": "Other"})
    before = {op.op_id for op in store.pending_ops()}

    download = lead.exports.subject_access(child)

    assert download.media_type == "application/zip" and "Ada" not in download.file_name
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = set(archive.namelist())
    assert {"subject-access.pdf", "individual.csv", "incident.csv", "clicker_event.csv", "key_contact.csv"} <= names
    assert {"history.csv", "audit.csv"} <= names

    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))

    assert [r["location"] for r in rows("incident.csv")] == ["Dining hall"]
    assert len(rows("clicker_event.csv")) == 1 and rows("key_contact.csv")[0]["name"] == "Mum"
    assert {(r["record_id"], r["field"]) for r in rows("history.csv")} >= {
        (incident, "location"),
        (child, "first_name"),
    }
    assert [(r["actor"], r["action"]) for r in rows("audit.csv")] == [("Lee Lead", "download")]
    everything = b"".join(archive.read(n) for n in names).decode("latin-1")
    assert other not in everything and "Bea" not in everything
    [audit] = new_audits(store, before)
    assert (audit["action"], audit["record_kind"], audit["profile_id"]) == ("export", "subject_access", child)
