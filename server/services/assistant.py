"""The optional language model behind the server: a request (improve a letter draft, summarise an
individual's recent record) is pseudonymised, sent to the organisation's OpenAI-compatible endpoint, and the
answer's placeholders restored on the way back — the model never sees a name, date of birth, reference or
contact detail the organisation holds. Every exchange is logged as the model saw it (pseudonymised), with
who asked and for which individual, and audited (`ai_request`); `purge_log` applies the retention period.

Pseudonymisation works from what the organisation holds (every individual's first, last and preferred
names and date of birth, every staff member's and key contact's name, email and phone, every incident
reference) and, for what it cannot know, from patterns: emails, UK phone numbers and postcodes, dates, and
references of the organisation's form. Each distinct value becomes one placeholder ([PERSON_1], [REF_1]...),
except that a person's first (or preferred) name alone, when nobody else in the organisation has it, is the
same placeholder as their full name: "Zain Carter ... Zain" is one person to the reader, not two (restored,
it reads as the person was first written).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import CursorResult, delete, func, insert, select
from sqlmodel import Session

from server.core.config import Settings
from server.db import Database
from server.models import AssistantLog, Record
from server.permissions import Actor
from server.services.access import reaches
from server.services.audit import audit_entry, operator_of, write_audit
from server.services.errors import ServiceError
from server.services.records import utcnow
from sync.merge import RecordState
from sync.permissions import Capability, can

RECORD = Record.__table__
LOG = AssistantLog.__table__

#: the audit action of a request to the model
AUDIT_ACTION = "ai_request"
#: how many of an individual's latest incidents a summary is made from
SUMMARY_INCIDENTS = 20

TASKS = {
    "improve_letter": (
        "You improve letters a school or care setting sends to families. Keep every fact and every placeholder "
        "in square brackets (such as [PERSON_1]) exactly as written; make the letter clear, calm and kind. "
        "Answer with the letter only."
    ),
    "summarise_individual": (
        "You summarise a young person's recent behaviour records for the staff who support them. Keep every "
        "placeholder in square brackets (such as [PERSON_1]) exactly as written. Be factual and brief: patterns, "
        "triggers, what helped. Answer with the summary only."
    ),
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|0)\d(?:[\s-]?\d){8,9}(?!\w)")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|"
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{4}\b",
    re.IGNORECASE,
)
#: a placeholder in an answer (a model may change its case: "[Person_1]")
_PLACEHOLDER = re.compile(r"\[(?:PERSON|DOB|REF|EMAIL|PHONE|POSTCODE|DATE)_\d+\]", re.IGNORECASE)
#: names shorter than this are not replaced on their own (initials would match ordinary words)
_MIN_NAME = 2


@dataclass
class Pseudonymiser:
    """Placeholders for one request: `hide` replaces what the organisation holds and what the patterns find,
    `restore` puts the originals back."""

    #: known value (lower case) -> its category
    known: dict[str, str]
    prefix: str = ""
    #: a name (lower case) -> the person it names, when it names one person only: their names share a placeholder
    person_of: dict[str, str] = field(default_factory=dict)
    _placeholders: dict[tuple[str, str], str] = field(default_factory=dict)
    _originals: dict[str, str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def _placeholder(self, category: str, original: str) -> str:
        key = (category, self.person_of.get(original.lower(), original.lower()))
        if key not in self._placeholders:
            self._counts[category] = self._counts.get(category, 0) + 1
            placeholder = f"[{category}_{self._counts[category]}]"
            self._placeholders[key] = placeholder
            self._originals[placeholder] = original
        return self._placeholders[key]

    def hide(self, text: str) -> str:
        # Patterns first (an email holds names), then the organisation's own values, longest first.
        text = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group()), text)
        if self.prefix:
            ref = re.compile(rf"\b{re.escape(self.prefix)}-\d+\b", re.IGNORECASE)
            text = ref.sub(lambda m: self._placeholder("REF", m.group()), text)
        text = _DATE.sub(lambda m: self._placeholder(self.known.get(m.group().lower(), "DATE"), m.group()), text)
        text = _PHONE.sub(lambda m: self._placeholder("PHONE", m.group()), text)
        text = _POSTCODE.sub(lambda m: self._placeholder("POSTCODE", m.group()), text)
        values = sorted((v for v in self.known if v), key=len, reverse=True)
        for start in range(0, len(values), 500):  # one alternation per 500 values keeps each regex small
            chunk = values[start : start + 500]
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in chunk) + r")(?!\w)", re.IGNORECASE)
            text = pattern.sub(lambda m: self._placeholder(self.known[m.group().lower()], m.group()), text)
        return text

    def restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self._originals.get(m.group().upper(), m.group()), text)


def _names(*values: object) -> Iterable[str]:
    """A name and each of its words (a staff member's "Ann Lee" is also "Ann" and "Lee")."""
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        yield value.strip()
        yield from (word for word in re.split(r"[\s,]+", value) if len(word) >= _MIN_NAME)


def _dates(value: object) -> Iterable[str]:
    """The ways a date of birth is written."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return
    yield day.isoformat()
    yield f"{day.day:02d}/{day.month:02d}/{day.year}"
    yield f"{day.day}/{day.month}/{day.year}"
    yield f"{day.day} {day:%B %Y}"
    yield f"{day.day} {day:%b %Y}"


def pseudonymiser_for(session: Session, org_id: str) -> Pseudonymiser:
    """The placeholders for everything identifying that an organisation holds."""
    known: dict[str, str] = {}
    #: every name and word of a name (lower case) -> the ids of the people it may name
    named: dict[str, set[str]] = {}
    #: a full, first or preferred name (lower case) -> the person whose name it is
    own: dict[str, str] = {}

    def add(values: Iterable[str], category: str) -> None:
        for value in values:
            known.setdefault(value.lower(), category)

    def person(record_id: str, names: list[object], own_names: list[object]) -> None:
        """One person's names (each word of them may name them) and the ones that are theirs alone if no one
        else has them: full names, a first or preferred name."""
        for name in _names(*names, *own_names):
            named.setdefault(name.lower(), set()).add(record_id)
        # Only names replaced anyway (whole, of _MIN_NAME letters or more): nothing new is matched.
        for value in own_names:
            if isinstance(value, str) and len(value.strip()) >= _MIN_NAME:
                own[value.strip().lower()] = record_id

    prefix = ""
    rows = session.execute(
        select(RECORD.c.id, RECORD.c.kind, RECORD.c.state).where(
            RECORD.c.org_id == org_id, RECORD.c.kind.in_(("organisation", "individual", "staff", "key_contact"))
        )
    )
    for row in rows:
        values = RecordState.model_validate_json(row.state).values()
        if row.kind == "organisation":
            prefix = str(values.get("incident_prefix") or "")
            add([str(v) for v in (values.get("help_email"), values.get("help_phone")) if v], "EMAIL")
        elif row.kind == "individual":
            add(_names(values.get("first_name"), values.get("last_name"), values.get("preferred_name")), "PERSON")
            first, last = values.get("first_name") or "", values.get("last_name") or ""
            full = [f"{first} {last}".strip(), f"{values.get('preferred_name') or first} {last}".strip()]
            add(full, "PERSON")
            person(row.id, [last], [*full, first, values.get("preferred_name")])
            add(_dates(values.get("date_of_birth")), "DOB")
        else:
            add(_names(values.get("name")), "PERSON")
            name = str(values.get("name") or "").strip()
            person(row.id, [name], [name, *name.split()[:1]])
            add([str(values["email"])] if values.get("email") else [], "EMAIL")
            add([str(values["phone"])] if values.get("phone") else [], "PHONE")
    # Incident references from their own column: an organisation's incidents are many, their states large.
    references = session.execute(
        select(RECORD.c.reference).where(RECORD.c.org_id == org_id, RECORD.c.reference.is_not(None))
    )
    add((row.reference for row in references), "REF")
    # A name two people share (a first name, or one's surname and another's first name) keeps a placeholder of
    # its own: it cannot say which of them is meant.
    person_of = {name: who for name, who in own.items() if named.get(name) == {who}}
    return Pseudonymiser(known, prefix, person_of)


# --- the request ---------------------------------------------------------------------------------------


def _allowed(settings: Settings, actor: Actor) -> None:
    if not settings.assistant_enabled:
        raise ServiceError(409, "assistant_off", "The AI assistant is not set up on this server.")
    if not can(actor.role, Capability.AI_ASSISTANT) or not settings.assistant_allows(actor.role):
        raise ServiceError(403, "forbidden", "Your role may not use the AI assistant here.")


def summary_input(session: Session, actor: Actor, profile_id: str) -> str:
    """What a summary of an individual is made from: who they are and their latest submitted incidents, not
    deleted ones (records the user reaches; 404 otherwise, as for a record they cannot see)."""
    if not reaches(session, actor, profile_id):
        raise ServiceError(404, "not_found", "No such individual.")
    row = session.execute(select(RECORD.c.state).where(RECORD.c.id == profile_id)).one()
    person = RecordState.model_validate_json(row.state).values()
    lines = [
        f"Individual: {person.get('preferred_name') or person.get('first_name')} {person.get('last_name')}",
        f"Group: {person.get('group') or '-'}; SEND: {'yes' if person.get('send') else 'no'}",
        "Recent incidents:",
    ]
    incidents = []
    for found in session.execute(
        select(RECORD.c.state).where(
            RECORD.c.profile_id == profile_id, RECORD.c.kind == "incident", RECORD.c.deleted.is_(False)
        )
    ):
        values = RecordState.model_validate_json(found.state).values()
        # Not a draft (its author's until submitted), nor one deleted with a reason (recorded in error).
        if values.get("status") != "draft" and not values.get("removed"):
            incidents.append(values)
    incidents.sort(key=lambda v: str(v.get("occurred_at") or ""), reverse=True)
    for values in incidents[:SUMMARY_INCIDENTS]:
        when = str(values.get("occurred_at") or "")[:10]
        lines.append(
            f"- {values.get('reference') or 'incident'} on {when} at {values.get('location') or '-'}: "
            f"before: {values.get('what_happened_before') or '-'}; what happened: {values.get('what_happened') or '-'}"
        )
    if not incidents:
        lines.append("- none")
    return "\n".join(lines)


def _ask_model(settings: Settings, system: str, prompt: str) -> str:
    """One chat completion; ServiceError 502 when the endpoint fails (its answer is not echoed)."""
    headers = {"Authorization": f"Bearer {settings.assistant_api_key}"} if settings.assistant_api_key else {}
    body = {
        "model": settings.assistant_model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
    }
    failed = ServiceError(502, "assistant_failed", "The AI assistant did not answer: try again later.")
    try:
        response = httpx.post(
            f"{settings.assistant_url}/chat/completions",
            json=body,
            headers=headers,
            timeout=settings.assistant_timeout_seconds,
        )
    except httpx.HTTPError:
        raise failed from None
    if response.status_code != 200:
        raise failed
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise failed from None
    if not isinstance(content, str):
        raise failed
    return content


def ask(
    db: Database,
    settings: Settings,
    actor: Actor,
    *,
    task: str,
    text: str = "",
    individual_id: str | None = None,
) -> str:
    """Run one task for `actor` and return the answer with its placeholders restored. The exchange is logged
    pseudonymised and audited, whether the model answered or not. No transaction is held while the model
    thinks."""
    _allowed(settings, actor)
    if task not in TASKS:
        raise ServiceError(422, "invalid_request", "Unknown task.")
    with db.read_session() as session:
        if individual_id is not None and not reaches(session, actor, individual_id):
            raise ServiceError(404, "not_found", "No such individual.")
        if task == "summarise_individual":
            if individual_id is None:
                raise ServiceError(422, "invalid_request", "individual_id: a summary needs an individual.")
            text = summary_input(session, actor, individual_id)
        pseudonyms = pseudonymiser_for(session, actor.org_id)
    prompt = pseudonyms.hide(text)
    answer, status = "", "ok"
    try:
        answer = _ask_model(settings, TASKS[task], prompt)
    except ServiceError:
        status = "failed"
        raise
    finally:
        with db.session() as session:
            _log(session, settings, actor, task, individual_id, prompt, pseudonyms.hide(answer), status, utcnow())
    return pseudonyms.restore(answer)


def _log(
    session: Session,
    settings: Settings,
    actor: Actor,
    task: str,
    profile_id: str | None,
    prompt: str,
    answer: str,
    status: str,
    now: dt.datetime,
) -> None:
    session.execute(
        insert(LOG).values(
            at=now,
            org_id=actor.org_id,
            actor_id=actor.id,
            device_id=actor.device_id,
            task=task,
            profile_id=profile_id,
            model=settings.assistant_model[:200],
            status=status,
            request=prompt,
            answer=answer,
        )
    )
    detail = {"task": task, "status": status}
    write_audit(
        session,
        [
            audit_entry(
                now, actor.org_id, actor.id, actor.device_id, AUDIT_ACTION, "assistant", None, profile_id, detail
            )
        ],
    )


# --- the log -------------------------------------------------------------------------------------------


def list_log(session: Session, org_id: str, *, limit: int = 100) -> list[dict[str, object]]:
    """An organisation's newest logged exchanges (pseudonymised)."""
    rows = session.execute(select(LOG).where(LOG.c.org_id == org_id).order_by(LOG.c.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


def purge_log(session: Session, settings: Settings, now: dt.datetime) -> int:
    """Delete the exchanges older than the retention period; how many went. Each organisation whose log lost
    entries gets one audit row (`purge`, kind `assistant_log`, the count and cut-off in its detail), as the
    operator's (`set_operator`) or the server's: tests/server/test_server_assistant.py checks it."""
    cutoff = now - dt.timedelta(days=settings.assistant_log_days)
    old = LOG.c.at < cutoff
    counts = session.execute(select(LOG.c.org_id, func.count()).where(old).group_by(LOG.c.org_id)).all()
    result: CursorResult[Any] = session.execute(delete(LOG).where(old))  # type: ignore[assignment]
    actor = operator_of(session) or "server"
    detail = {"before": cutoff.isoformat()}
    write_audit(
        session,
        [
            audit_entry(now, org_id, actor, None, "purge", "assistant_log", None, detail={**detail, "entries": n})
            for org_id, n in counts
        ],
    )
    return result.rowcount or 0


def log_json(row: dict[str, object]) -> str:
    """One log row as a line of JSON (for the admin command)."""
    return json.dumps({k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()})
