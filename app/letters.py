"""Letters: drafts from a record's own data. A person reads, edits and then downloads (PDF, audited) or copies
the text; the app sends none itself — only the written report after force may be emailed to the parents
through the server, where the organisation allows it (`app.parent_email`, from `sent_pdf`).

Kinds: to parents/carers about an incident; the written report to parents after force or restraint (from the
pi_* fields); a suspension / permanent-exclusion letter with what the law requires (type, sessions and dates,
reasons, the right to make representations to the governing board and how, a remote meeting, attending,
being represented and bringing a friend, where to get advice); good news from a positive communication; an
invitation to a Smart Plan review. Each in a formal and an informal register.

The wording lives in jinja2 templates shipped with the package (`app/templates/letters/<kind>.j2`); this module
chooses what goes in. Record text is passed to a template as values, never compiled: "{{ 7*7 }}" in a record
comes out as written. A letter is addressed to the key contact with parental responsibility where there is one.
Gaps a person must fill in are in [brackets]. The emotive language scan runs on every draft.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

import jinja2

from app.context import ActionError, Context, display_name
from app.downloads import Download, Downloads, moment
from app.incidents import Incidents, deescalation_line, reference_label
from app.language_scan import Flag, scan
from documents import Document, Fact, Section, render_pdf
from documents.charts import number
from localdb.queries import Stored
from sync.records import Effectiveness, ExclusionReason, ExclusionType, IncidentStatus, Valence, label

#: the guide's warning, carried by every output (on the screen and in the PDF)
WARNING = (
    "This draft is information only. Check it and apply your professional judgement before using it. Do not share "
    "it with parents or others unless you are authorised to and it has been reviewed. Follow your organisation's "
    "safeguarding and data-protection policies."
)


class LetterKind(StrEnum):
    INCIDENT = "incident"
    RESTRAINT = "restraint"
    EXCLUSION = "exclusion"
    GOOD_NEWS = "good_news"
    PLAN_REVIEW = "plan_review"


class Register(StrEnum):
    FORMAL = "formal"
    INFORMAL = "informal"


KIND_LABELS = {
    LetterKind.INCIDENT: "To parents/carers about the incident",
    LetterKind.RESTRAINT: "Written report to parents after physical intervention",
    LetterKind.EXCLUSION: "Suspension / permanent exclusion letter",
    LetterKind.GOOD_NEWS: "Good news",
    LetterKind.PLAN_REVIEW: "Invitation to a Smart Plan review",
}
_TITLES = {
    LetterKind.INCIDENT: "Letter about an incident",
    LetterKind.RESTRAINT: "Report of physical intervention",
    LetterKind.EXCLUSION: "Exclusion letter",
    LetterKind.GOOD_NEWS: "Good news letter",
    LetterKind.PLAN_REVIEW: "Smart Plan review invitation",
}


@dataclass(frozen=True)
class LetterDraft:
    """An editable draft: its text, the record facts it was made from, and what the language scan found."""

    kind: LetterKind
    register: Register
    record_id: str
    profile_id: str | None
    text: str
    facts: tuple[Fact, ...]
    flags: tuple[Flag, ...]
    warning: str = WARNING


@functools.cache
def _templates() -> jinja2.Environment:
    folder = resources.files("app") / "templates" / "letters"
    sources = {f"{kind.value}.j2": (folder / f"{kind.value}.j2").read_text(encoding="utf-8") for kind in LetterKind}
    # Plain text: no HTML escaping. StrictUndefined: a template naming a value this module does not give fails
    # loudly instead of printing nothing in a letter.
    return jinja2.Environment(
        loader=jinja2.DictLoader(sources),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(kind: LetterKind, register: Register, values: dict[str, Any]) -> str:
    """The letter's text from its template (values are output as text, never evaluated)."""
    return _templates().get_template(f"{kind.value}.j2").render(formal=register == Register.FORMAL, **values)


def _day(value: str | dt.date | None) -> str:
    """A date the UK way: '24 November 2026'."""
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%B %Y}"


def _minutes(start: str | None, end: str | None) -> str:
    if not (start and end):
        return ""
    seconds = (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
    return _minutes_said(max(0, round(seconds / 60)))


def _minutes_said(minutes: float) -> str:
    """ "1 minute", "3 minutes", "1.5 minutes"."""
    shown = number(minutes)
    return f"{shown} minute" + ("" if shown == "1" else "s")


class Letters:
    def __init__(self, context: Context, incidents: Incidents, downloads: Downloads) -> None:
        self.context = context
        self.incidents = incidents
        self.downloads = downloads

    # --- which letters a record offers ------------------------------------------------------------

    def kinds(self, record_id: str) -> list[LetterKind]:
        """The letters that can be drafted from this record (an incident, a communication or an individual)."""
        record = self._record(record_id)
        if record.kind == "incident":
            v = record.values
            kinds = [LetterKind.INCIDENT]
            if v.get("physical_intervention"):
                kinds.append(LetterKind.RESTRAINT)
            if v.get("exclusions"):
                kinds.append(LetterKind.EXCLUSION)
            return [*kinds, LetterKind.PLAN_REVIEW]
        if record.kind == "communication":
            positive = record.values.get("valence") == Valence.POSITIVE.value
            return [LetterKind.GOOD_NEWS, LetterKind.PLAN_REVIEW] if positive else [LetterKind.PLAN_REVIEW]
        return [LetterKind.PLAN_REVIEW]

    def source(self, record_id: str) -> tuple[str, str | None]:
        """What the letter is drafted from: the record's kind ("incident", "communication" or "individual") and
        the individual it is about (where the screen goes back to)."""
        record = self._record(record_id)
        return record.kind, (record.id if record.kind == "individual" else record.profile_id)

    def _record(self, record_id: str) -> Stored:
        found = self.context.store.get(record_id)
        if found is None:
            raise ActionError("That record is not on this device.")
        if found.kind == "incident":
            return self.incidents.get(record_id)  # never someone else's draft
        if found.kind not in ("communication", "individual"):
            raise ActionError("Letters are drafted from an incident, a communication or an individual.")
        return found

    # --- drafting --------------------------------------------------------------------------------

    def draft(self, record_id: str, kind: LetterKind | str, register: Register | str = Register.FORMAL) -> LetterDraft:
        """A draft of letter `kind` from the record, with the facts used and the scan's flags."""
        kind, register = LetterKind(kind), Register(register)
        if kind not in self.kinds(record_id):
            raise ActionError(f"{KIND_LABELS[kind]}: this record has nothing to write it from.")
        record = self._record(record_id)
        profile_id = record.id if record.kind == "individual" else record.profile_id
        values = self._common(profile_id)
        facts: list[Fact] = [Fact("To", values["recipient"]), Fact("Individual", values["individual"])]
        if record.kind == "incident":
            values |= self._incident(record)
            facts.append(Fact("Reference", values["reference"]))
            facts.append(Fact("When it happened", values["occurred"]))
        specific = {
            LetterKind.RESTRAINT: self._restraint,
            LetterKind.EXCLUSION: self._exclusion,
            LetterKind.GOOD_NEWS: self._good_news,
            LetterKind.PLAN_REVIEW: self._plan_review,
        }.get(kind)
        if specific is not None:
            more, more_facts = specific(record, profile_id)
            values |= more
            facts += more_facts
        text = render(kind, register, values)
        return LetterDraft(kind, register, record.id, profile_id, text, tuple(facts), tuple(scan(text)))

    def _common(self, profile_id: str | None) -> dict[str, Any]:
        individual = self.context.store.get(profile_id) if profile_id else None
        v = individual.values if individual is not None else {}
        setting = self.context.store.get(v["setting_id"]) if v.get("setting_id") else None
        organisation = self.context.store.records("organisation")
        org_name = organisation[0].values.get("name", "") if organisation else ""
        contacts = self.context.store.records("key_contact", profile_id) if profile_id else []
        # The contact with parental responsibility first: the law's "parent" (and the one the letter is for).
        contacts.sort(key=lambda c: not c.values.get("parental_responsibility"))
        return {
            "recipient": contacts[0].values.get("name", "") if contacts else "Parent/carer",
            "individual": display_name(individual) if individual is not None else "[name]",
            "first_name": (v.get("preferred_name") or v.get("first_name") or "[name]"),
            "setting": (setting.values.get("name") if setting else "") or org_name or "[setting]",
            "organisation": org_name,
            "sender": self.context.staff_names().get(self.context.user.id) or self.context.user.name,
        }

    def _incident(self, incident: Stored) -> dict[str, Any]:
        v = incident.values
        status = v.get("status") or IncidentStatus.DRAFT.value
        return {
            "reference": reference_label(v.get("reference"), status=status, pending=incident.pending),
            "occurred": moment(v.get("occurred_at")),
            "location": v.get("location", ""),
            "what_happened": v.get("what_happened", ""),
            "what_happened_before": v.get("what_happened_before", ""),
            "injury": bool(v.get("injury")),
            "injury_details": v.get("injury_details", ""),
            "injury_treatment": v.get("injury_treatment", ""),
            "physical_intervention": bool(v.get("physical_intervention")),
        }

    def _restraint(self, incident: Stored, _profile: str | None) -> tuple[dict[str, Any], list[Fact]]:
        v = incident.values
        staff = self.context.staff_names()
        techniques = []
        for t in v.get("pi_techniques") or []:
            line = t.get("technique", "")
            if t.get("duration_minutes") is not None:
                line += f", {_minutes_said(t['duration_minutes'])}"
            if t.get("used_by"):
                line += ", by " + ", ".join(staff.get(s, "a member of staff") for s in t["used_by"])
            if t.get("effectiveness"):
                line += f" ({label(Effectiveness, t['effectiveness']).lower()})"
            if t.get("reason"):
                line += f": {t['reason']}"
            techniques.append(line)
        duration = _minutes(v.get("pi_started_at"), v.get("pi_ended_at"))
        started = moment(v.get("pi_started_at") or v.get("occurred_at"))
        values = {
            "started": started,
            "duration": duration,
            "techniques": techniques,
            "deescalation": [deescalation_line(d) for d in v.get("pi_deescalation") or []],
            "steps_to_avoid": v.get("pi_steps_to_avoid", ""),
            "reason": v.get("pi_reason", ""),
            "injuries": v.get("pi_injuries", "") or v.get("injury_details", ""),
            "medical_treatment": v.get("pi_medical_treatment", "") or v.get("injury_treatment", ""),
            "support_after": v.get("pi_support_after", ""),
        }
        facts = [Fact("Physical intervention", started + (f", {duration}" if duration else ""))]
        facts += [Fact("Technique", line) for line in techniques]
        if v.get("pi_report_route") == "local_authority":
            # The law's exception: telling the parents would likely cause significant harm.
            facts.append(Fact("Caution", "This use of force was reported to the local authority, not the parents."))
        return values, facts

    def _exclusion(self, incident: Stored, _profile: str | None) -> tuple[dict[str, Any], list[Fact]]:
        exclusion = (incident.values.get("exclusions") or [])[0]
        kind = exclusion.get("type")
        permanent = kind == ExclusionType.PERM.value
        sessions = exclusion.get("sessions") or 0
        reasons = [f"{label(ExclusionReason, r)}" for r in exclusion.get("reasons", [])]
        days = sessions / 2
        values = {
            "permanent": permanent,
            "exclusion_title": label(ExclusionType, kind),
            "decision": "permanently exclude"
            if permanent
            else ("suspend at lunchtime" if kind == ExclusionType.LNCH.value else "suspend"),
            "sessions": f"{sessions} session" + ("" if sessions == 1 else "s"),
            "days": f"{days:g} school day" + ("" if days == 1 else "s"),
            "start_date": _day(exclusion.get("start_date")) or "[date]",
            "reasons": reasons,
        }
        facts = [
            Fact("Type", values["exclusion_title"]),
            Fact("Length", "Permanent" if permanent else f"{values['sessions']} ({values['days']})"),
            Fact("Starting", values["start_date"]),
            Fact(
                "Reasons", "; ".join(f"{r} ({c})" for r, c in zip(reasons, exclusion.get("reasons", []), strict=True))
            ),
        ]
        return values, facts

    def _good_news(self, communication: Stored, _profile: str | None) -> tuple[dict[str, Any], list[Fact]]:
        v = communication.values
        values = {"message": v.get("message", ""), "written": _day(v.get("created_at"))}
        return values, [Fact("Communication", values["written"])]

    def _plan_review(self, _record: Stored, profile_id: str | None) -> tuple[dict[str, Any], list[Fact]]:
        plans = self.context.store.records("smart_plan", profile_id) if profile_id else []
        dates = sorted(p.values["review_date"] for p in plans if p.values.get("review_date"))
        review = _day(dates[0]) if dates else ""
        return {"review_date": review}, [Fact("Plan review due", review)] if review else []

    # --- taking it away --------------------------------------------------------------------------

    def letter_pdf(self, draft: LetterDraft, text: str | None = None) -> Download:
        """The (edited) letter as a PDF through the documents layer, with the warning; audited as a download."""
        body = draft.text if text is None else text
        document = Document(
            title=_TITLES[draft.kind],
            subtitle="Draft — check it before it is sent",
            facts=[*draft.facts, Fact("Drafted by", self._common(draft.profile_id)["sender"])],
            sections=[Section("Before you use this", [Fact("Warning", WARNING)]), Section("Letter", [Fact("", body)])],
            file_name=f"letter-{draft.kind.value}-{draft.record_id[:8]}.pdf",
        )
        return self.downloads.document(document, f"letter_{draft.kind.value}", draft.record_id, draft.profile_id)

    def sent_pdf(self, draft: LetterDraft, text: str) -> bytes:
        """The reviewed letter as the family receives it (`app.parent_email`): its title, the organisation and
        the text as edited — no draft warning, no record facts beyond what the letter says."""
        document = Document(
            title=_TITLES[draft.kind],
            facts=[Fact("From", name)] if (name := self.context.organisation_name()) else [],
            sections=[Section("", [Fact("", text)])],
            file_name=f"letter-{draft.kind.value}-{draft.record_id[:8]}.pdf",
        )
        return render_pdf(document)
