"""The written report to parents, emailed by the server (#13), on SQLite and PostgreSQL with a real SMTP server
(aiosmtpd): off by default; where the organisation allows it, the reviewed PDF reaches the contacts with
parental responsibility and an email (and nobody else), the email says nothing about the child, the send is
audited and the report is marked sent by email — a server write the recorder's device pulls back. Refusals
(feature off, no such contact, no access, not a PDF) change nothing."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.parent_email import OFFLINE, ParentEmail, ParentEmailUnavailable
from documents import Document, Fact, Section, render_pdf
from server import cli
from server.db import Database
from server.models import EmailJob
from server.services import organisations as orgs
from server.services import parent_email
from server.services.audit import list_audit
from sync.gateway import ServerGateway
from sync.merge import field_value
from tests.support.client import FAST_RETRY, ClientDevice
from tests.support.mail import Inbox, mailing_env, smtp_server
from tests.support.server import Device, Org, ServerProcess, free_port

SMTP_PORT = free_port()
SERVER_ENV = mailing_env(
    SMTP_PORT,
    BESMART_SMTP_FROM="Oak School <office@oak.example>",
)
JOBS = EmailJob.__table__
LETTER = "Dear Mrs Test, today staff held Kim's arm to keep Kim safe in the corridor."


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server(SMTP_PORT) as handler:
        yield handler


def letter_pdf() -> bytes:
    return render_pdf(Document(title="Written report", sections=[Section("Letter", [Fact("", LETTER)])]))


def contacts(org: Org, child: str = "kim") -> dict[str, str]:
    """Kim's contacts: a mother with parental responsibility and an email, a father with responsibility and no
    email, a grandmother with an email and no responsibility."""
    mother, grandmother = f"mum.{org.tag}@example.net", f"gran.{org.tag}@example.net"
    with org.db.session() as s:
        profile = org.children[child]
        orgs.add_key_contact(s, profile, "Mary Test", "Mother", email=mother, parental_responsibility=True)
        orgs.add_key_contact(s, profile, "Tom Test", "Father", phone="07700 900456", parental_responsibility=True)
        orgs.add_key_contact(s, profile, "Gwen Test", "Grandmother", email=grandmother)
    return {"mother": mother, "grandmother": grandmother}


def allow(org: Org, allowed: bool = True) -> None:
    with org.db.session() as s:
        orgs.set_parent_report_email(s, org.id, allowed)


def incident(device: Device, org: Org, child: str = "kim") -> str:
    """A submitted incident with a physical intervention (whose written report goes to the parents)."""
    op = device.incident(org.children[child], what_happened="Kim ran into the corridor", physical_intervention=True)
    device.push([op])
    return str(op["record_id"])


def send(device: Device, incident_id: str, pdf: bytes | None = None) -> Any:
    content = letter_pdf() if pdf is None else pdf
    return device.post(
        f"/incidents/{incident_id}/parent-report", content=content, headers={"Content-Type": "application/pdf"}
    )


def jobs_of(db: Database, org: Org) -> list[Any]:
    """The organisation's email jobs with a report attached (not the staff's notifications of the incident)."""
    with db.read_session() as s:
        return list(s.execute(select(JOBS).where(JOBS.c.org_id == org.id, JOBS.c.attachment_name.is_not(None))))


def audit_of(db: Database, org: Org, incident_id: str, action: str) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [r for r in list_audit(s, org.id, record_id=incident_id) if r["action"] == action]


def report_state(device: Device, incident_id: str) -> dict[str, Any]:
    device.pull()
    state = device.records[incident_id]
    return {name: field_value(state, name) for name in ("parent_report_sent_by", "parent_report_method")}


def attachment(message: Message) -> tuple[str, bytes]:
    parts = [p for p in message.walk() if p.get_content_disposition() == "attachment"]
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return parts[0].get_filename() or "", payload


def test_off_by_default(server: ServerProcess, db: Database, org: Org) -> None:
    contacts(org)
    sam = Device(server.url, org.email("sam"))
    incident_id = incident(sam, org)
    response = send(sam, incident_id)
    assert response.status_code == 409
    assert response.json()["error"] == "parent_email_off"
    assert jobs_of(db, org) == []
    assert report_state(sam, incident_id) == {"parent_report_sent_by": None, "parent_report_method": None}
    allow(org)
    allow(org, False)  # and an admin can turn it off again
    assert send(sam, incident_id).status_code == 409


def test_an_admin_turns_it_on_and_off_from_the_command_line(
    capsys: pytest.CaptureFixture[str], database_url: str, db: Database, org: Org
) -> None:
    def admin(*args: str) -> tuple[int, str, str]:
        code = cli.main(["admin", "parent-email", *args, "--db", database_url])
        out, err = capsys.readouterr()
        return code, out, err

    def allowed() -> bool:
        with db.read_session() as s:
            return parent_email.allowed(s, org.id)

    assert not allowed()
    assert admin("--org", org.id, "on")[:2] == (0, f"Org {org.tag}: the written report to parents can be emailed "
                                                  "from the app (through this server's SMTP)\n")  # fmt: skip
    assert allowed()
    assert admin("--org", f"org {org.tag}", "off")[0] == 0 and not allowed()
    code, out, err = admin("--org", "No Such Org", "on")
    assert (code, out) == (2, "") and err.startswith("error: no organisation 'No Such Org'")
    assert not allowed()


def test_the_report_reaches_the_parent_audited_and_marked_sent(
    server: ServerProcess, db: Database, org: Org, inbox: Inbox
) -> None:
    addresses = contacts(org)
    allow(org)
    sam = Device(server.url, org.email("sam"))
    incident_id = incident(sam, org)
    response = send(sam, incident_id)
    assert response.status_code == 200, response.text
    assert response.json()["recipients"] == 1

    received = inbox.wait_for(addresses["mother"])
    # (staff are emailed notifications of the incident too: only the family's addresses are looked at here)
    mine = [(to, m) for to, m in received if any(f"{org.tag}@example.net" in address for address in to)]
    assert [to for to, _m in mine] == [[addresses["mother"]]]  # not the grandmother: no parental responsibility
    message = mine[0][1]
    name, data = attachment(message)
    assert name.endswith(".pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "held Kim" in text  # the letter as the person reviewed it
    plain = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert isinstance(plain, bytes)
    body = plain.decode()
    assert f"Org {org.tag}" in message["Subject"] and "attached" in body
    assert "Kim" not in body + message["Subject"] and "corridor" not in body  # the child is only in the letter

    assert report_state(sam, incident_id) == {"parent_report_sent_by": sam.user_id, "parent_report_method": "email"}
    rows = audit_of(db, org, incident_id, "email")
    assert len(rows) == 1
    assert rows[0]["actor_id"] == sam.user_id and rows[0]["profile_id"] == org.children["kim"]
    assert json.loads(rows[0]["detail"])["recipients"] == 1
    assert addresses["mother"] not in rows[0]["detail"]
    # Once sent, the server keeps no copy of the letter.
    deadline = time.monotonic() + 15
    while jobs_of(db, org)[0].status != "sent" and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker marks the job right after the SMTP server accepted it
    [job] = jobs_of(db, org)
    assert job.status == "sent" and job.attachment is None


def test_no_contact_with_responsibility_and_email_is_refused(server: ServerProcess, db: Database, org: Org) -> None:
    allow(org)
    with db.session() as s:  # a father with responsibility but no email; a grandmother with an email only
        orgs.add_key_contact(s, org.children["kim"], "Tom Test", "Father", parental_responsibility=True)
        orgs.add_key_contact(s, org.children["kim"], "Gwen Test", "Grandmother", email=f"gran.{org.tag}@example.net")
    sam = Device(server.url, org.email("sam"))
    incident_id = incident(sam, org)
    response = send(sam, incident_id)
    assert response.status_code == 422
    assert response.json()["error"] == "no_parent_contact"
    assert jobs_of(db, org) == [] and audit_of(db, org, incident_id, "email") == []
    assert report_state(sam, incident_id)["parent_report_method"] is None


def test_only_a_submitted_restrictive_intervention_reported_to_the_parents(
    server: ServerProcess, db: Database, org: Org
) -> None:
    contacts(org)
    allow(org)
    sam = Device(server.url, org.email("sam"))
    kim = org.children["kim"]
    withheld = sam.incident(
        kim, physical_intervention=True, pi_report_route="local_authority", pi_report_route_reason="Risk at home"
    )
    draft = sam.incident(kim, status="draft", physical_intervention=True)
    no_force = sam.incident(kim, physical_intervention=False)
    sam.push([withheld, draft, no_force])
    for op, words in ((withheld, "local authority"), (draft, "Submit"), (no_force, "restrictive intervention")):
        response = send(sam, str(op["record_id"]))
        assert response.status_code == 409 and words in response.json()["message"], response.text
    assert jobs_of(db, org) == []


def test_staff_without_access_and_bad_input_are_refused(server: ServerProcess, db: Database, org: Org) -> None:
    contacts(org, "max")
    allow(org)
    lena = Device(server.url, org.email("lena"))
    incident_id = incident(lena, org, "max")
    sam = Device(server.url, org.email("sam"))  # no access to Max
    assert send(sam, incident_id).status_code == 404
    assert send(lena, incident_id, b"not a pdf").status_code == 422
    assert send(lena, "no-such-incident").status_code == 404
    assert jobs_of(db, org) == [] and audit_of(db, org, incident_id, "email") == []
    assert report_state(lena, incident_id)["parent_report_method"] is None
    assert send(lena, incident_id).status_code == 200  # the lead reaches Max


def emailing(device: ClientDevice, base_url: str, run: Any) -> Any:
    """`run(service)` with the device's ParentEmail over a gateway to `base_url`."""
    gateway = ServerGateway(base_url, retry=FAST_RETRY)
    service = ParentEmail(device.services.context, device.services.letters, gateway)

    async def go() -> Any:
        try:
            return await run(service)
        finally:
            await gateway.aclose()

    return asyncio.run(go())


def test_the_client_emails_the_letter_as_edited(
    server: ServerProcess, db: Database, org: Org, inbox: Inbox, tmp_path: Path
) -> None:
    addresses = contacts(org)
    sam = Device(server.url, org.email("sam"))
    op = sam.incident(org.children["kim"], physical_intervention=True, pi_reason="To stop Kim running into the road")
    sam.push([op])
    incident_id = str(op["record_id"])
    device = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    try:
        device.sync()
        services = device.services
        offline = ParentEmail(services.context, services.letters, ServerGateway(server.url))
        assert not offline.allowed()  # the organisation has not turned it on
        allow(org)
        device.sync()
        service = ParentEmail(services.context, services.letters, ServerGateway(server.url))
        draft = services.letters.draft(incident_id, "restraint")
        assert service.offered(draft) and not service.offered(services.letters.draft(incident_id, "incident"))
        assert [r.email for r in service.recipients(org.children["kim"])] == [addresses["mother"]]
        edited = draft.text + "\nWe have talked with Kim about the road. Edited by Sam."

        with pytest.raises(ParentEmailUnavailable) as down:
            emailing(device, f"http://127.0.0.1:{free_port()}", lambda s: s.send(draft, edited))
        assert str(down.value) == OFFLINE and jobs_of(db, org) == []

        assert emailing(device, server.url, lambda s: s.send(draft, edited)) == 1
        received = inbox.wait_for(addresses["mother"])
        [message] = [m for to, m in received if to == [addresses["mother"]]]
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment(message)[1])).pages)
        assert "Edited by Sam" in text and "information only" not in text  # as edited; no draft warning
        device.sync()
        values = services.incidents.get(incident_id).values
        assert values["parent_report_method"] == "email" and values["parent_report_sent_by"] == device.user_id

        with db.session() as s:  # the contact leaves: refused in the server's words, nothing sent again
            for _org, state in orgs.live_states(s, "key_contact", org.id):
                orgs.write_record(s, org.id, "key_contact", "delete", record_id=state.id, profile_id=state.profile_id)
        with pytest.raises(ParentEmailUnavailable) as refused:
            emailing(device, server.url, lambda s: s.send(draft, edited))
        assert refused.value.status == 422 and "parental responsibility" in str(refused.value)
        assert len(jobs_of(db, org)) == 1
    finally:
        device.close()
