"""An incident's download (app/downloads.py): every filled-in section, reference, status and sign-off, only for
a role that may download, and audited on the device before the file is handed over."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from app.context import ActionError, Context, PermissionDenied
from app.services import Services
from documents import CLASSIFICATION
from localdb.store import LocalStore
from tests.support.device import force_essentials, user


def pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def incident(services: Services, child: str) -> str:
    """A submitted report with physical intervention, recorded by Sam (staff) about Ada."""
    draft = services.incidents.start(child, physical_intervention=True)
    services.incidents.save_page(
        draft.id,
        {
            "location": "Dining hall",
            "what_happened": "Threw a chair towards another pupil.",
            "pi_reason": "To stop a chair hitting a pupil.",
            "pi_techniques": [
                {
                    "technique": "Single elbow",
                    "effectiveness": "effective",
                    "used_by": ["u-staff"],
                    "duration_minutes": 2,
                }
            ],
            "pild_triggers": "Noise at lunchtime",
            "pi_started_at": force_essentials()["pi_started_at"],
            "pi_ended_at": force_essentials()["pi_ended_at"],
        },
    )
    return services.incidents.submit(draft.id)


def as_lead(store: LocalStore) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


def test_a_lead_downloads_an_incident_with_every_filled_in_section(store: LocalStore, services, incident: str):
    services.context.write("organisation", "create", {"name": "Brightwater Trust"}, record_id="org1")
    lead = as_lead(store)
    lead.incidents.sign_off(incident, staff_spoken_to=True, child_spoken_to=True, notes="Spoke to Sam and to Ada.")
    download = lead.downloads.incident(incident)
    assert download.media_type == "application/pdf"
    assert download.file_name.endswith(".pdf") and "Ada" not in download.file_name
    texts = pages(download.data)
    text = "\n".join(texts)
    for expected in (
        "Incident report Waiting for sync",  # its reference, in words, until the server numbers it
        "Brightwater Trust",
        "Ada Lovelace",
        "Reviewed and signed off",
        "Dining hall",
        "Threw a chair towards another pupil.",
        "Physical intervention",
        "To stop a chair hitting a pupil.",
        "Single elbow",
        "Post-incident learning",
        "Noise at lunchtime",
        "Review and sign-off",
        "Spoke to Sam and to Ada.",
    ):
        assert expected in text
    assert all(CLASSIFICATION in t for t in texts)


def test_a_download_is_audited_on_the_device_before_the_file_is_handed_over(store: LocalStore, services, incident):
    lead = as_lead(store)
    before = {op.op_id for op in store.pending_ops()}
    lead.downloads.incident(incident)
    [audit] = [op for op in store.pending_ops() if op.op_id not in before]
    assert audit.kind == "audit_event" and audit.action == "create" and audit.actor_id == "u-lead"
    assert audit.fields["action"] == "download"
    assert audit.fields["record_kind"] == "incident"
    assert audit.fields["record_id"] == incident
    assert audit.fields["device_id"] == store.device_id
    assert audit.fields["profile_id"] == store.get(incident).profile_id


def test_staff_may_not_download(services: Services, incident: str):
    assert not services.downloads.allowed()
    before = len(services.context.store.pending_ops())
    with pytest.raises(PermissionDenied):
        services.downloads.incident(incident)
    assert len(services.context.store.pending_ops()) == before  # nothing audited: nothing downloaded


# --- downloading a Smart Plan -----------------------------------------------------------------------------


def test_a_plan_downloads_with_its_sections_contributors_review_log_and_folded_contributions(
    store: LocalStore, services: Services, child: str
):
    """Staff may download a plan (download_plans) though not records; the PDF holds what the plan says, and the
    download is audited before the file is handed over."""
    lead = as_lead(store)
    plan = lead.plans.start(child, plan_type="interim")
    lead.plans.edit(
        plan,
        {
            "title": "Ada's Smart Plan",
            "triggers": "Loud corridors at changeover",
            "amber_helps": "Offer the quiet room with a timer",
            "link_ehcp": True,
            "link_ehcp_note": "Annual review in March",
            "targets": [{"target": "Asks for a break with the card", "measured_by": "Clicker: break card used"}],
            "contributors": [{"name": "Mrs Patel", "role": "parent", "title": "Mum", "date": "2026-11-20"}],
            "parent_agrees": True,
        },
    )
    mum = services.plans.contribute(
        plan, "green", "Praise quietly, one to one", on_behalf_of="parent_carer", name="Mum"
    )
    lead.plans.mark_used(mum)
    lead.plans.publish(plan)
    lead.plans.add_review(plan, changes="Quiet room added after the October incidents")
    audits_before = len(store.records("audit_event"))

    download = services.downloads.plan(plan)

    text = "\n".join(pages(download.data))
    for expected in (
        "Ada's Smart Plan",
        "Interim, version 1",
        "Loud corridors at changeover",
        "Offer the quiet room with a timer",
        "EHCP",
        "Yes: Annual review in March",
        "Asks for a break with the card",
        "Mrs Patel, Mum",
        "The parent or carer agrees",
        "Quiet room added after the October incidents",
        "Praise quietly, one to one",
        "Mum (recorded by",
        CLASSIFICATION,
    ):
        assert expected in text, expected
    assert download.file_name.startswith("smart-plan-v1-") and "Ada" not in download.file_name
    audits = store.records("audit_event")
    assert len(audits) == audits_before + 1
    assert audits[-1].values["record_kind"] == "smart_plan" and audits[-1].values["record_id"] == plan


def test_a_deleted_plan_cannot_be_downloaded_by_staff(store: LocalStore, services: Services, child: str):
    lead = as_lead(store)
    plan = lead.plans.start(child)
    lead.plans.edit(plan, {"about_strengths": "Loves drawing"})
    lead.plans.publish(plan)
    lead.plans.delete(plan, "Recorded against the wrong child")
    audits_before = len(store.records("audit_event"))
    with pytest.raises(ActionError, match="deleted"):
        services.downloads.plan(plan)
    assert len(store.records("audit_event")) == audits_before
    assert lead.downloads.plan(plan).data.startswith(b"%PDF-")  # kept for leads
