"""The optional language model (#12 §4), end to end: the real client code (`app/assistant.py` through the
gateway) against a real server process, configured to call a loopback stub of an OpenAI-compatible endpoint
that records what it received. Nothing identifying the organisation holds — names, dates of birth,
references, emails, phones — reaches the stub (the test organisation's, and the demo organisation's); the
answer comes back with the names restored; the log holds only the pseudonymised text and is purged after
its retention period. Off by default, refused for roles it is not switched on for, offline in words."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.assistant import OFFLINE, AssistantService, AssistantUnavailable
from server.core.config import Settings
from server.db import Database
from server.demo import cast, seed_demo
from server.models import AssistantLog, AuditLog, Record
from server.services.assistant import Pseudonymiser, purge_log
from server.services.records import utcnow
from sync.gateway import ServerGateway
from sync.merge import RecordState
from tests.support.client import FAST_RETRY, ClientDevice
from tests.support.llm import ANSWER_PREFIX, StubModel
from tests.support.server import ROOT, TEST_ENV, Device, Org, ServerProcess, free_port, now_iso

STUB_PORT = free_port()
SERVER_ENV = {
    "BESMART_ASSISTANT_URL": f"http://127.0.0.1:{STUB_PORT}/v1/",
    "BESMART_ASSISTANT_MODEL": "stub-model",
    "BESMART_ASSISTANT_API_KEY": "sk-stub-key",
    "BESMART_ASSISTANT_ROLES": "staff,lead",
}
RECORD, LOG, AUDIT = Record.__table__, AssistantLog.__table__, AuditLog.__table__

LETTER = (
    "Dear Mrs Test,\n\nKim Test (date of birth 14/03/2014) was involved in incident besmart-10007 today. "
    "Sam and Tia were present. Please call Lena on 07700 900123 or write to {email}; our office is at "
    "SW1A 1AA.\n\nYours, Lena"
)


@pytest.fixture(scope="module")
def stub() -> Iterator[StubModel]:
    model = StubModel(STUB_PORT).start()
    yield model
    model.stop()


def ask(device: ClientDevice, call: Any) -> str:
    gateway = ServerGateway(device.base_url, retry=FAST_RETRY)
    service = AssistantService(device.store, gateway)

    async def run() -> str:
        try:
            return await call(service)
        finally:
            await gateway.aclose()

    return asyncio.run(run())


@pytest.fixture
def device(server: ServerProcess, org: Org, tmp_path: Path) -> Iterator[Any]:
    opened: list[ClientDevice] = []

    def make(name: str, email: str | None = None, password: str | None = None) -> ClientDevice:
        kwargs = {"password": password} if password else {}
        dev = ClientDevice.create(server.url, email or org.email(name), tmp_path / f"{name}-{len(opened)}", **kwargs)
        opened.append(dev)
        return dev

    yield make
    for dev in opened:
        dev.close()


def identifying(db: Database, org_id: str) -> set[str]:
    """Every name, date of birth, reference, email and phone an organisation holds, as the test sees them."""
    found: set[str] = set()
    with db.read_session() as s:
        rows = s.execute(select(RECORD.c.kind, RECORD.c.state, RECORD.c.reference).where(RECORD.c.org_id == org_id))
        for row in rows:
            v = RecordState.model_validate_json(row.state).values()
            if row.kind == "individual":
                found |= {v["first_name"], v["last_name"], v.get("preferred_name") or ""}
                found.add(str(v.get("date_of_birth") or ""))
            elif row.kind in ("staff", "key_contact"):
                found |= {*v["name"].split(), str(v.get("email") or ""), str(v.get("phone") or "")}
            if row.reference:
                found.add(row.reference)
    return {value for value in found if len(value) >= 2}


def leaked(values: set[str], text: str) -> list[str]:
    return sorted(v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text, re.IGNORECASE))


def test_a_letter_leaves_pseudonymised_and_comes_back_with_its_names(
    stub: StubModel, device: Any, org: Org, db: Database
) -> None:
    letter = LETTER.format(email=org.email("tia"))
    stub.received.clear()
    answer = ask(device("lena"), lambda a: a.improve_letter(letter, individual_id=org.children["kim"]))

    assert answer == ANSWER_PREFIX + letter  # every placeholder restored, exactly as written
    assert len(stub.received) == 1
    request = stub.received[0]
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "stub-model"
    assert request["auth"] == "Bearer sk-stub-key"
    sent = stub.sent_text()
    for secret in ("Kim", "Test", "Sam", "Tia", "Lena", "14/03/2014", "besmart-10007", "07700 900123", "SW1A 1AA"):
        assert secret not in sent, secret
    assert org.email("tia") not in sent
    assert not leaked(identifying(db, org.id), sent)
    for placeholder in ("[PERSON_1]", "[DOB_1]", "[REF_1]", "[PHONE_1]", "[EMAIL_1]", "[POSTCODE_1]"):
        assert placeholder in sent or placeholder.replace("DOB", "DATE") in sent, placeholder

    with db.read_session() as s:
        row = s.execute(select(LOG).where(LOG.c.org_id == org.id)).one()
        audit = s.execute(select(AUDIT).where(AUDIT.c.org_id == org.id, AUDIT.c.action == "ai_request")).one()
    assert row.actor_id == org.users["lena"] and row.profile_id == org.children["kim"] and row.status == "ok"
    assert row.task == "improve_letter" and row.model == "stub-model"
    assert "[PERSON_" in row.request and "[PERSON_" in row.answer
    assert not leaked(identifying(db, org.id), row.request + row.answer)
    assert "sk-stub-key" not in row.request + row.answer
    assert audit.actor_id == org.users["lena"] and audit.profile_id == org.children["kim"]


def test_a_summary_is_made_from_the_records_and_names_none(stub: StubModel, device: Any, org: Org, db: Database):
    sam = device("sam")
    stub.received.clear()
    answer = ask(sam, lambda a: a.summarise(org.children["kim"]))
    assert "Kim Test" in answer  # restored
    assert "Individual: [PERSON_" in stub.received[0]["body"]["messages"][-1]["content"]
    assert not leaked(identifying(db, org.id), stub.sent_text())


def test_a_summary_leaves_out_a_deleted_incident(stub: StubModel, org: Org, server: ServerProcess, device: Any):
    """An incident deleted with a reason was recorded in error: the model is not told it happened."""
    kim = org.children["kim"]
    tia, lena = Device(server.url, org.email("tia")), Device(server.url, org.email("lena"))
    kept, wrong = (tia.incident(kim, what_happened=words) for words in ("Threw a chair", "Kicked the door"))
    assert [r.status for r in tia.push([kept, wrong]).results] == ["applied", "applied"]
    lena.pull()
    removal = {"removed": True, "removed_reason": "Wrong child", "removed_by": lena.user_id, "removed_at": now_iso()}
    op = lena.op("incident", "update", removal, record_id=wrong["record_id"], profile_id=kim)
    assert lena.push([op]).results[0].status == "applied"
    stub.received.clear()
    ask(device("sam"), lambda a: a.summarise(kim))
    prompt = stub.received[0]["body"]["messages"][-1]["content"]
    assert "Threw a chair" in prompt and "Kicked the door" not in prompt


def test_roles_and_reach_are_checked_on_the_server(stub: StubModel, device: Any, org: Org) -> None:
    stub.received.clear()
    with pytest.raises(AssistantUnavailable) as refused:
        ask(device("ada"), lambda a: a.improve_letter("Dear family"))  # admin: not in BESMART_ASSISTANT_ROLES
    assert refused.value.status == 403 and "role" in str(refused.value)
    with pytest.raises(AssistantUnavailable) as unreachable:
        ask(device("sam"), lambda a: a.summarise(org.children["max"]))  # sam has no access to max
    assert unreachable.value.status == 404
    assert stub.received == []  # nothing was sent for either


def test_offline_the_assistant_says_so(device: Any, org: Org) -> None:
    sam = device("sam")
    sam.base_url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(AssistantUnavailable, match=re.escape(OFFLINE)) as offline:
        ask(sam, lambda a: a.improve_letter("Dear family"))
    assert offline.value.status is None


def test_off_by_default(database_url: str, db: Database, org: Org, tmp_path: Path) -> None:
    plain = ServerProcess(database_url, tmp_path).start()
    sam = ClientDevice.create(plain.url, org.email("sam"), tmp_path / "sam")
    try:
        with pytest.raises(AssistantUnavailable, match="not set up") as off:
            ask(sam, lambda a: a.improve_letter("Dear family"))
        assert off.value.status == 409
    finally:
        sam.close()
        plain.stop()


def test_the_log_is_purged_after_its_retention(
    stub: StubModel, device: Any, org: Org, db: Database, settings: Settings
) -> None:
    ask(device("lena"), lambda a: a.improve_letter("Dear family"))
    with db.session() as s:
        assert purge_log(s, settings, utcnow()) == 0  # today's entries are kept
    later = utcnow() + dt.timedelta(days=settings.assistant_log_days, minutes=1)
    with db.session() as s:
        assert purge_log(s, settings, later) >= 1
    with db.read_session() as s:
        assert s.execute(select(LOG).where(LOG.c.org_id == org.id)).first() is None


def admin(database_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "admin", *args, "--db", database_url],
        cwd=ROOT,
        env={**os.environ, **TEST_ENV, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_admin_reads_the_log_and_purges_it(
    stub: StubModel, device: Any, org: Org, database_url: str, db: Database
) -> None:
    ask(device("lena"), lambda a: a.improve_letter("Dear Mrs Test, Kim was kind today."))
    listed = admin(database_url, "assistant-log", "--org", org.id)
    assert listed.returncode == 0, listed.stderr
    entries = [json.loads(line) for line in listed.stdout.splitlines()]
    assert entries and entries[0]["actor_id"] == org.users["lena"] and entries[0]["task"] == "improve_letter"
    assert "Kim" not in listed.stdout and "[PERSON_" in entries[0]["request"]
    kept = admin(database_url, "assistant-purge")  # the default retention keeps today's
    assert kept.returncode == 0 and "purged 0 " in kept.stdout
    purged = admin(database_url, "assistant-purge", "--operator", "ann", env={"BESMART_ASSISTANT_LOG_DAYS": "0"})
    assert purged.returncode == 0 and admin(database_url, "assistant-log", "--org", org.id).stdout == ""
    with db.read_session() as s:
        purges = s.execute(select(AUDIT).where(AUDIT.c.org_id == org.id, AUDIT.c.action == "purge")).all()
    assert [(p.actor_id, p.record_kind, json.loads(p.detail)["entries"]) for p in purges] == [
        ("cli:ann", "assistant_log", 1)
    ]


def test_nothing_of_the_demo_organisation_reaches_the_model(
    stub: StubModel, device: Any, db: Database, settings: Settings
) -> None:
    result = seed_demo(db, settings, scale=0.05, days=60)
    lead = device("demo-lead", f"lead@{cast.DOMAIN}", cast.DEMO_PASSWORD)
    org_id = result.org_id
    with db.read_session() as s:
        query = select(RECORD.c.id).where(RECORD.c.org_id == org_id, RECORD.c.kind == "individual")
        people = [row.id for row in s.execute(query)]
    stub.received.clear()
    answered = 0
    for person in people[:8]:
        try:
            answer = ask(lead, lambda a, p=person: a.summarise(p))
        except AssistantUnavailable as error:
            assert error.status == 404  # an individual of a setting the demo lead is not limited to
            continue
        answered += 1
        assert "[PERSON_" not in answer
    sent = stub.sent_text()
    assert answered >= 3 and len(stub.received) == answered and "Recent incidents" in sent and "[PERSON_" in sent
    assert not leaked(identifying(db, org_id), sent)


def test_the_pseudonymiser_keeps_words_that_merely_contain_a_name() -> None:
    pseudonyms = Pseudonymiser({"kim": "PERSON", "kim test": "PERSON", "2014-03-14": "DOB"}, "oak")
    hidden = pseudonyms.hide("Kim Test (born 2014-03-14) asked Kimberley about OAK-12 and kim.")
    assert hidden == "[PERSON_1] (born [DOB_1]) asked Kimberley about [REF_1] and [PERSON_2]."
    # a model that changes a placeholder's case still gets the name back
    assert pseudonyms.restore("[person_1] and [Ref_1]; [PERSON_9] stays") == "Kim Test and OAK-12; [PERSON_9] stays"
