"""An incident's download (app/downloads.py): every filled-in section, reference, status and sign-off, only for
a role that may download, and audited on the device before the file is handed over."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from app.context import Context, PermissionDenied
from app.services import Services
from documents import CLASSIFICATION
from localdb.store import LocalStore
from tests.support.device import user


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
        },
    )
    return services.incidents.submit(draft.id)


def as_lead(store: LocalStore) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


def test_a_lead_downloads_an_incident_with_every_filled_in_section(store: LocalStore, services, incident: str):
    services.context.write("organisation", "create", {"name": "Brightwater Trust"}, record_id="org1")
    lead = as_lead(store)
    lead.incidents.sign_off(incident, child_spoken_to=True, notes="Spoke to Sam and to Ada.")
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
