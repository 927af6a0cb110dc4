"""Letters (app/letters.py): each kind is drafted from the record's own data, addressed to the key contact with
parental responsibility; the exclusion letter has every element the law requires; record text is output
literally, never run as a template; the language scan runs on every draft; the PDF carries the warning and the
classification, and is audited like any download."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from app.context import ActionError, Context, PermissionDenied
from app.letters import WARNING, LetterKind, Register
from app.services import Services
from documents import CLASSIFICATION
from localdb.store import LocalStore
from tests.support.device import user


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def as_lead(store: LocalStore) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


@pytest.fixture
def family(services: Services, child: str) -> str:
    """Ada's father has parental responsibility (Mum, the fixture's first contact, is not marked)."""
    services.context.write("organisation", "create", {"name": "Brightwater Trust"}, record_id="org1")
    services.context.write(
        "key_contact",
        "create",
        {"name": "Tomás Lovelace", "relationship": "Father", "parental_responsibility": True},
        profile_id=child,
    )
    return child


@pytest.fixture
def incident(services: Services, family: str) -> str:
    draft = services.incidents.start(family, physical_intervention=True)
    services.incidents.save_page(
        draft.id,
        {
            "occurred_at": "2026-11-24T12:10:00+00:00",
            "location": "Dining hall",
            "what_happened": "Threw a chair towards another pupil. {{ 7*7 }} {% if true %}x{% endif %}",
            "pi_started_at": "2026-11-24T12:12:00+00:00",
            "pi_ended_at": "2026-11-24T12:15:00+00:00",
            "pi_reason": "To stop a chair hitting a pupil.",
            "pi_steps_to_avoid": "Calm talk and offered time out.",
            "pi_injuries": "A red mark on the left wrist.",
            "pi_support_after": "Quiet time in the library with her key adult.",
            "pi_techniques": [
                {
                    "technique": "Single elbow",
                    "effectiveness": "effective",
                    "used_by": ["u-staff"],
                    "duration_minutes": 3,
                }
            ],
            "exclusions": [{"type": "SUSP", "sessions": 4, "start_date": "2026-11-25", "reasons": ["PA", "DM"]}],
        },
    )
    return services.incidents.submit(draft.id)


def test_the_parents_letter_has_the_incidents_facts_in_both_registers(services: Services, incident: str):
    formal = services.letters.draft(incident, LetterKind.INCIDENT, Register.FORMAL)
    informal = services.letters.draft(incident, LetterKind.INCIDENT, Register.INFORMAL)
    assert formal.text != informal.text
    for draft in (formal, informal):
        assert draft.text.startswith("Dear Tomás Lovelace,")  # the contact with parental responsibility
        for expected in ("Dining hall", "Threw a chair towards another pupil.", "Sam Staff", "Brightwater Trust"):
            assert expected in draft.text
        assert "Waiting for sync" in draft.text  # the reference, in words, until the server numbers it
        assert "24 Nov 2026" in draft.text
    assert "Ada Lovelace" in formal.text and "Yours sincerely" in formal.text
    assert "Best wishes" in informal.text
    assert {f.label: f.value for f in formal.facts}["To"] == "Tomás Lovelace"


def test_the_written_report_after_force_says_what_was_done_why_injuries_and_support(services: Services, incident):
    text = services.letters.draft(incident, "restraint").text
    for expected in (
        "Single elbow, 3 minutes, by Sam Staff",
        "3 minutes",
        "To stop a chair hitting a pupil.",
        "Calm talk and offered time out.",
        "A red mark on the left wrist.",
        "Quiet time in the library with her key adult.",
        "Dining hall",
    ):
        assert expected in text


def test_a_minute_is_one_minute_in_the_written_report(services: Services, incident):
    services.context.write(
        "incident",
        "update",
        {
            "pi_techniques": [
                {"technique": "Seated supportive hold", "effectiveness": "effective", "duration_minutes": 1}
            ]
        },
        record_id=incident,
    )
    text = services.letters.draft(incident, "restraint").text
    assert "Seated supportive hold, 1 minute" in text and "1 minutes" not in text


def test_the_exclusion_letter_has_every_element_the_law_requires(services: Services, incident: str):
    for register in Register:
        text = services.letters.draft(incident, LetterKind.EXCLUSION, register).text
        for expected in (
            "suspend",
            "4 sessions (2 school days)",  # the period
            "25 November 2026",
            "Physical assault against an adult",  # the reasons
            "Damage to property",
            "representations",  # the right to make representations to the governing board, and how
            "governing board",
            "Clerk to the Governors",
            "remote",  # the right to a remote meeting
            "be represented",
            "bring a friend",
            "local authority",  # where to get advice
            "Advisory Centre for Education (ACE)",
            "Coram",
        ):
            assert expected in text, (register, expected)


def test_a_permanent_exclusion_says_it_is_permanent(services: Services, family: str):
    draft = services.incidents.start(family)
    services.incidents.save_page(
        draft.id,
        {
            "what_happened": "Brought a knife.",
            "exclusions": [{"type": "PERM", "start_date": "2026-11-26", "reasons": ["OW"]}],
        },
    )
    record = services.incidents.submit(draft.id)
    text = services.letters.draft(record, LetterKind.EXCLUSION).text
    assert "permanently exclude Ada Lovelace permanently" not in text
    assert "permanently exclude" in text and "26 November 2026" in text
    assert "offensive weapon" in text.lower()
    assert "reinstated" in text


def test_record_text_that_looks_like_a_template_comes_out_literally(services: Services, incident: str):
    text = services.letters.draft(incident, LetterKind.INCIDENT).text
    assert "{{ 7*7 }} {% if true %}x{% endif %}" in text
    assert "49" not in text


def test_a_letter_needs_something_to_write_it_from(services: Services, family: str):
    draft = services.incidents.start(family)
    services.incidents.save_page(draft.id, {"what_happened": "Shouted in class."})
    record = services.incidents.submit(draft.id)
    assert services.letters.kinds(record) == [LetterKind.INCIDENT, LetterKind.PLAN_REVIEW]
    with pytest.raises(ActionError):
        services.letters.draft(record, LetterKind.EXCLUSION)


def test_good_news_from_a_positive_communication_and_a_plan_review_invitation(services: Services, family: str):
    comm = services.communications.send(family, "positive", "Ada helped a new pupil find her way all week.")
    assert services.letters.kinds(comm) == [LetterKind.GOOD_NEWS, LetterKind.PLAN_REVIEW]
    news = services.letters.draft(comm, LetterKind.GOOD_NEWS, Register.INFORMAL)
    assert "Ada helped a new pupil find her way all week." in news.text
    assert news.text.startswith("Dear Tomás Lovelace,")
    invite = services.letters.draft(family, LetterKind.PLAN_REVIEW)
    assert "Ada Lovelace's Smart Plan" in invite.text and "[date]" in invite.text and "[time]" in invite.text


def test_the_scan_runs_on_every_draft(services: Services, family: str):
    draft = services.incidents.start(family)
    services.incidents.save_page(draft.id, {"what_happened": "Ada kicked off and was being manipulative."})
    record = services.incidents.submit(draft.id)
    letter = services.letters.draft(record, LetterKind.INCIDENT)
    phrases = {flag.phrase.lower() for flag in letter.flags}
    assert "kicked off" in phrases and "manipulative" in phrases
    assert letter.warning == WARNING


def test_the_pdf_carries_the_warning_and_the_classification_and_is_audited(store: LocalStore, services, incident):
    lead = as_lead(store)
    draft = lead.letters.draft(incident, LetterKind.RESTRAINT)
    before = {op.op_id for op in store.pending_ops()}
    download = lead.letters.letter_pdf(draft, draft.text + "\nEdited by hand: see you on Friday.")
    text = pdf_text(download.data)
    assert CLASSIFICATION in text
    assert "information only" in text and "professional judgement" in text and "data-protection" in text
    assert "Edited by hand: see you on Friday." in text
    assert "To stop a chair hitting a pupil." in text
    assert "Ada" not in download.file_name
    [audit] = [op for op in store.pending_ops() if op.op_id not in before]
    assert audit.kind == "audit_event" and audit.fields["action"] == "download"
    assert audit.fields["record_kind"] == "letter_restraint" and audit.fields["record_id"] == incident


def test_staff_may_draft_but_not_download(services: Services, incident: str):
    draft = services.letters.draft(incident, LetterKind.INCIDENT)
    before = len(services.context.store.pending_ops())
    with pytest.raises(PermissionDenied):
        services.letters.letter_pdf(draft)
    assert len(services.context.store.pending_ops()) == before


def test_a_report_sent_to_the_local_authority_is_flagged_before_a_parents_letter(services: Services, incident: str):
    assert "Caution" not in {f.label for f in services.letters.draft(incident, LetterKind.RESTRAINT).facts}
    services.context.write(
        "incident",
        "update",
        {"pi_report_route": "local_authority", "pi_report_route_reason": "Risk of significant harm at home."},
        record_id=incident,
    )
    facts = {f.label: f.value for f in services.letters.draft(incident, LetterKind.RESTRAINT).facts}
    assert "local authority, not the parents" in facts["Caution"]


def test_the_plan_review_invitation_gives_the_plans_review_date(services: Services, family: str):
    services.context.write(
        "smart_plan",
        "create",
        {"review_date": "2027-01-15", "created_by": "u-staff", "created_at": "2026-11-01T09:00:00+00:00"},
        profile_id=family,
    )
    invite = services.letters.draft(family, LetterKind.PLAN_REVIEW, Register.INFORMAL)
    assert "15 January 2027" in invite.text and "[date]" in invite.text
    assert services.letters.source(family) == ("individual", family)
