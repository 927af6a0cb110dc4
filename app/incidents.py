"""Record & Plan → Incident Report, and managing incidents afterwards.

A report is filled in over several pages — the incident; physical intervention (for "Record incident
involving Physical Intervention"); post-incident learning — and every page is saved as an encrypted draft,
so leaving, coming back or restarting the app resumes it. Submit validates the whole report, records it
(the server gives it its `besmart-NNNNN` reference and tells key staff, staff present and leads) and deletes
the draft; a report that does not validate stays a draft and the message says what to fix.

Afterwards: find it (search by reference, individual or words; filter by status, flagged, parents not
informed, dates; a page at a time), view, give the parents-informed thumbs-up, flag, edit, delete and sign
off — each only where the user's role allows (the server checks again) — and review conflicts kept from
concurrent edits. Once submitted, a change to what the report says is an amendment: it needs a reason, which
travels in the same op as the change (the incident's history shows it: `app.history`). Deleting a submitted
incident needs a reason too: it is kept, for leads, and hidden from everyone else; never while the
individual's records are on legal hold. A draft is its author's and the staff they named as present until
it is submitted: nobody else lists, opens or signs it off.
"""

from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.context import ActionError, Context, PermissionDenied, now_utc, saving
from app.legal_hold import refuse_if_held
from app.vocabulary import parse_day
from localdb.queries import Draft, Stored
from sync.ids import uuid7
from sync.merge import Conflict
from sync.permissions import Capability
from sync.records import (
    Effectiveness,
    ExclusionReason,
    ExclusionType,
    Incident,
    IncidentStatus,
    amended_fields,
    label,
)

INCIDENT_PAGE = (
    "occurred_at",
    "location",
    "what_happened",
    "what_happened_before",
    "staff_present",
    "other_individuals",
    "injury",
    "injury_who",
    "injury_details",
    "injury_treatment",
)
PHYSICAL_INTERVENTION_PAGE = tuple(name for name in Incident.model_fields if name.startswith("pi_"))
#: the report's moments, and what the form calls them (for messages)
MOMENTS = {
    "occurred_at": "When it happened",
    "pi_started_at": "When the physical intervention started",
    "pi_ended_at": "When the physical intervention ended",
    "pi_report_route_decided_at": "When it was decided not to tell the parents",
}
#: what a new physical intervention report cannot be submitted without (the law asks every record of force for
#: its type, how long it lasted and why it was necessary: docs/compliance.md)
PI_REQUIRED = {
    "pi_techniques": "the physical technique used",
    "pi_started_at": "when it started",
    "pi_ended_at": "when it ended",
    "pi_reason": "why it was necessary",
}
#: what an edit of a submitted report is refused with when it has no reason
AMENDMENT_REASON = "This report has been submitted: say why you are changing it (the reason is kept with the change)."
#: the reason a settled conflict of a submitted report is recorded with
SETTLED_CONFLICT = "Settled a conflict between edits made at the same time"
#: a device clock a little behind the server's must not make "now" look like the future
CLOCK_SLACK = dt.timedelta(minutes=5)
LEARNING_PAGE = (
    "pild_perspective",
    "pild_feelings",
    "pild_next_time",
    "pild_triggers",
    "pild_adjustments",
    "pild_comments",
    "discriminatory",
    "discriminatory_categories",
    "exclusions",
)

#: what the report form asks for each text field: its label on the form, the detail and any document
FIELD_LABELS = {
    "location": "Where did it happen?",
    "what_happened": "What happened?",
    "what_happened_before": "What happened beforehand?",
    "injury_who": "Who was injured?",
    "injury_details": "What were the injuries?",
    "injury_treatment": "What treatment was given?",
    "pi_behaviours_low": "Low level behaviours displayed",
    "pi_behaviours_medium": "Medium level behaviours displayed",
    "pi_behaviours_high": "High level behaviours displayed",
    "pi_staff_response": "How did staff respond?",
    "pi_alternative_responses": "Alternative responses to try next time",
    "pi_reason": "Why was physical intervention necessary?",
    "pi_steps_to_avoid": "Steps taken to avoid it",
    "pi_injuries": "Injuries from the intervention",
    "pi_medical_treatment": "Medical treatment given",
    "pi_support_after": "Support given afterwards",
    "pi_report_route_reason": "Why this route (if not the parents)",
    "pild_perspective": "What happened from the individual's perspective",
    "pild_feelings": "How did this make them feel?",
    "pild_next_time": "What could they do the next time they feel that way?",
    "pild_triggers": "Likely triggers for the incident",
    "pild_adjustments": "What reasonable adjustments could be made to support the individual?",
    "pild_comments": "Any other comments",
}

#: what the detail calls the fields the form has no text label for
FIELD_TITLES = {
    "status": "Status",
    "injury": "Injury",
    "staff_present": "Staff present",
    "other_individuals": "Other individuals",
    "parents_informed": "Parents informed",
    "parents_informed_method": "How parents were informed",
    "parents_not_informed_reason": "Why parents were not informed",
    "flagged": "Flagged",
    "flag_reason": "Why it was flagged",
    "discriminatory_categories": "Discriminatory, prejudiced or other behaviour",
    "exclusions": "Suspensions / exclusions",
    "pi_deescalation": "De-escalation",
    "pi_techniques": "Physical techniques",
    "pi_started_at": "Physical intervention started",
    "pi_ended_at": "Physical intervention ended",
    "pi_plan_followed": "Smart Plan followed",
    "pi_report_route": "Reported to",
    "review_notes": "Review notes",
}


def deescalation_line(use: dict[str, Any]) -> str:
    """ "Calm talk: Partly effective. He covered his ears"."""
    line = f"{use.get('technique', '')}: {label(Effectiveness, use.get('effectiveness'))}"
    return line + (f". {use['notes']}" if use.get("notes") else "")


def exclusion_line(exclusion: dict[str, Any]) -> str:
    """ "Suspension, 2 sessions, from Tue 24 Nov 2026: Physical assault against an adult (PA)"."""
    parts = [label(ExclusionType, exclusion.get("type"))]
    if exclusion.get("sessions"):
        parts.append(f"{exclusion['sessions']} sessions")
    if exclusion.get("start_date"):
        parts.append(f"from {exclusion['start_date']}")
    reasons = ", ".join(f"{label(ExclusionReason, r)} ({r})" for r in exclusion.get("reasons", []))
    return ", ".join(parts) + (f": {reasons}" if reasons else "")


def pages_for(physical_intervention: bool) -> list[tuple[str, tuple[str, ...]]]:
    """The report's pages in order: (title, fields)."""
    pages: list[tuple[str, tuple[str, ...]]] = [("Incident", INCIDENT_PAGE)]
    if physical_intervention:
        pages.append(("Physical intervention", PHYSICAL_INTERVENTION_PAGE))
    pages.append(("Post-incident learning", LEARNING_PAGE))
    return pages


@dataclass(frozen=True)
class IncidentDraft:
    id: str
    profile_id: str
    physical_intervention: bool
    page: int
    values: dict[str, Any]
    #: set when the draft edits an incident that was already recorded
    record_id: str | None = None

    @property
    def pages(self) -> list[tuple[str, tuple[str, ...]]]:
        return pages_for(self.physical_intervention)


@dataclass(frozen=True)
class IncidentSummary:
    id: str
    reference: str | None
    profile_id: str | None
    individual: str
    occurred_at: str
    location: str
    status: str
    flagged: bool
    parents_informed: bool | None
    physical_intervention: bool
    pending: bool
    conflicts: int
    #: deleted with a reason: listed only for those who may delete incidents (kept for them and the audit)
    removed: bool = False

    @property
    def label(self) -> str:
        return reference_label(self.reference, status=self.status, pending=self.pending)


def reference_label(reference: str | None, *, status: str | None, pending: bool) -> str:
    """The reference; without one, why not: this device has not sent it yet, or it is still a draft."""
    if reference:
        return reference
    if pending:
        return "Waiting for sync"
    if (status or IncidentStatus.DRAFT.value) == IncidentStatus.DRAFT.value:
        return "Draft (not submitted)"
    return "Not yet numbered"


#: The status filter's choices: (key, label); "" is every status.
STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Any status"),
    *((s.value, label(IncidentStatus, s)) for s in IncidentStatus),
)


@dataclass(frozen=True)
class IncidentFilter:
    """What to look for in the incident list. Empty fields do not filter."""

    #: words that must all appear in the reference, the individual's name or the report's text
    text: str = ""
    status: str = ""
    flagged: bool = False
    #: parents not (yet) informed: no thumbs-up recorded
    parents_not_informed: bool = False
    #: occurred on or after this day (local date of the device)
    since: dt.date | None = None
    #: occurred on or before this day
    until: dt.date | None = None
    #: the last n days; None: any time
    days: int | None = None
    profile_id: str | None = None

    @property
    def active(self) -> bool:
        """Whether anything narrows the list beyond the time window."""
        narrowing = (self.text.strip(), self.status, self.flagged, self.parents_not_informed, self.since, self.until)
        return any(narrowing)


@dataclass(frozen=True)
class IncidentPage:
    """One page of a search: the incidents shown and how many matched in all."""

    items: list[IncidentSummary]
    total: int
    offset: int
    limit: int

    @property
    def more(self) -> int:
        """How many matches come after this page."""
        return max(0, self.total - self.offset - len(self.items))


#: the free-text fields searched besides the reference and the individual's name
SEARCHED_FIELDS = tuple(name for name, info in Incident.model_fields.items() if info.default == "")


class Incidents:
    def __init__(self, context: Context) -> None:
        self.context = context

    # --- the report as drafts -------------------------------------------------------------------

    def start(self, profile_id: str, *, physical_intervention: bool = False) -> IncidentDraft:
        self.context.require(Capability.RECORD, "record incidents")
        self.context.get(profile_id, "individual")
        draft = IncidentDraft(
            id=uuid7(),
            profile_id=profile_id,
            physical_intervention=physical_intervention,
            page=0,
            values={"occurred_at": now_utc().isoformat(), "staff_present": [], "other_individuals": []},
        )
        self._save(draft)
        return draft

    def edit(self, record_id: str) -> IncidentDraft:
        """Open a recorded incident for editing, as a draft of its current values."""
        incident = self.get(record_id)  # never someone else's draft
        self._require_edit(incident)
        values = {
            k: v
            for k, v in incident.values.items()
            if k in (*INCIDENT_PAGE, *PHYSICAL_INTERVENTION_PAGE, *LEARNING_PAGE)
        }
        draft = IncidentDraft(
            id=f"edit-{record_id}",
            profile_id=incident.profile_id or "",
            physical_intervention=bool(incident.values.get("physical_intervention")),
            page=0,
            values=values,
            record_id=record_id,
        )
        self._save(draft)
        return draft

    def _save(self, draft: IncidentDraft) -> None:
        with saving("your latest change to the report (it is still on the screen)"):
            self._save_draft(draft)

    def _save_draft(self, draft: IncidentDraft) -> None:
        self.context.store.save_draft(
            draft.id,
            "incident",
            {
                "physical_intervention": draft.physical_intervention,
                "page": draft.page,
                "values": draft.values,
                "record_id": draft.record_id,
            },
            profile_id=draft.profile_id,
        )

    def drafts(self) -> list[IncidentDraft]:
        return [self._from_draft(d) for d in self.context.store.drafts("incident")]

    def new_drafts(self, *, days: int | None = None) -> list[IncidentDraft]:
        """The unfinished new reports on this device (this person's own; not edits of recorded incidents, which
        are listed as themselves) that happened in the last `days` days (None: any time), newest first. A draft
        is on the device alone until it is submitted, so `list` cannot know it: the dashboard shows both."""
        since = now_utc() - dt.timedelta(days=days) if days is not None else None

        def moment(draft: IncidentDraft) -> dt.datetime:
            try:
                return _at(draft.values["occurred_at"])
            except (KeyError, TypeError, ValueError):  # no time given yet: it is being written now
                return now_utc()

        found = [d for d in self.drafts() if d.record_id is None and (since is None or moment(d) >= since)]
        return sorted(found, key=moment, reverse=True)

    def draft(self, draft_id: str) -> IncidentDraft:
        found = self.context.store.draft(draft_id)
        if found is None:
            raise ActionError("That draft is no longer on this device.")
        return self._from_draft(found)

    @staticmethod
    def _from_draft(draft: Draft) -> IncidentDraft:
        body = draft.values
        return IncidentDraft(
            id=draft.id,
            profile_id=draft.profile_id or "",
            physical_intervention=bool(body.get("physical_intervention")),
            page=int(body.get("page", 0)),
            values=dict(body.get("values", {})),
            record_id=body.get("record_id"),
        )

    def save_page(self, draft_id: str, values: dict[str, Any], *, page: int | None = None) -> IncidentDraft:
        """Autosave: merge the page's values into the draft (and remember the page shown)."""
        draft = self.draft(draft_id)
        known = {f for _, fields in draft.pages for f in fields}
        unknown = set(values) - known
        if unknown:
            raise ActionError(f"Not part of an incident report: {', '.join(sorted(unknown))}")
        self._check(draft, values)
        updated = IncidentDraft(
            id=draft.id,
            profile_id=draft.profile_id,
            physical_intervention=draft.physical_intervention,
            page=draft.page if page is None else max(0, min(page, len(draft.pages) - 1)),
            values={**draft.values, **values},
            record_id=draft.record_id,
        )
        self._save(updated)
        return updated

    def _check(self, draft: IncidentDraft, values: dict[str, Any]) -> None:
        """Refuse what the form should never send, in plain words, before anything is saved: a moment that is
        not a date and time or is in the future, or people who are not on this device's lists."""
        for name, what in MOMENTS.items():
            if values.get(name) is None:
                continue
            try:
                moment = dt.datetime.fromisoformat(str(values[name]).replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise ActionError(f"{what} is not a date and time.")
            if moment > now_utc() + CLOCK_SLACK:
                raise ActionError(f"{what} can't be in the future.")
        started, ended = (({**draft.values, **values}).get(name) for name in ("pi_started_at", "pi_ended_at"))
        if ("pi_started_at" in values or "pi_ended_at" in values) and started and ended and _at(ended) < _at(started):
            raise ActionError("The physical intervention ends before it starts: check when it started and ended.")
        for name, known, what in (
            ("staff_present", self.context.staff_names(), "staff"),
            ("other_individuals", self.context.individual_names(), "individuals"),
        ):
            chosen = values.get(name)
            if chosen is None:
                continue
            already = draft.values.get(name) or []  # an edited report may name someone since removed
            if not isinstance(chosen, list) or any(
                (p not in known and p not in already) or p == draft.profile_id for p in chosen
            ):
                raise ActionError(f"Choose the {what} involved from the list.")

    def discard(self, draft_id: str) -> None:
        self.context.store.delete_draft(draft_id)

    def _edited(self, draft: IncidentDraft) -> tuple[Stored, dict[str, Any]]:
        """The incident an edit draft changes, and the values it changes."""
        assert draft.record_id is not None
        incident = self.context.get(draft.record_id, "incident")
        values = {k: v for k, v in draft.values.items() if v is not None}
        return incident, {k: v for k, v in values.items() if incident.values.get(k) != v}

    def finishes(self, draft_id: str) -> bool:
        """Whether submitting this draft records a report (a new one, or a draft begun on another device that
        came here by sync) rather than saving changes to one already submitted."""
        draft = self.draft(draft_id)
        if draft.record_id is None:
            return True
        status = self.context.get(draft.record_id, "incident").values.get("status") or IncidentStatus.DRAFT.value
        return status == IncidentStatus.DRAFT.value

    def amends(self, draft_id: str) -> bool:
        """Whether submitting this draft amends a submitted incident (and so needs a reason)."""
        draft = self.draft(draft_id)
        if draft.record_id is None:
            return False
        incident, changed = self._edited(draft)
        return bool(amended_fields("incident", incident.values, changed))

    def submit(self, draft_id: str, *, reason: str = "") -> str:
        """Record the report (or the edit) from its draft; returns the incident's id. An edit of a submitted
        incident is an amendment: `reason` says why (required).

        Invalid values raise ActionError naming what to fix; the draft stays as it was."""
        draft = self.draft(draft_id)
        values = {k: v for k, v in draft.values.items() if v is not None}
        if not str(values.get("what_happened", "")).strip():
            raise ActionError("Say what happened before submitting the report.")
        for name, what in (("pi_deescalation", "de-escalation technique"), ("pi_techniques", "physical technique")):
            for n, row in enumerate(values.get(name) or [], 1):
                if not str(row.get("technique") or "").strip():
                    raise ActionError(f"Name the {what} in row {n} on the physical intervention page, or remove it.")
                if not row.get("effectiveness"):
                    raise ActionError(
                        f"Say how effective the {what} “{row['technique']}” was, on the physical intervention page."
                    )
        if self.finishes(draft_id) and draft.physical_intervention:
            missing = [what for name, what in PI_REQUIRED.items() if not values.get(name)]
            if missing:
                raise ActionError(
                    "A physical intervention report must say " + ", ".join(missing) + ": add it on the physical "
                    "intervention page (the report is kept as a draft until then)."
                )
        if values.get("discriminatory") and not values.get("discriminatory_categories"):
            raise ActionError(
                "You said there was discriminatory, prejudiced or other behaviour: choose which kind on the "
                "post-incident learning page, or switch it off."
            )
        if draft.record_id is not None:
            incident, changed = self._edited(draft)
            self._require_edit(incident)
            if (incident.values.get("status") or IncidentStatus.DRAFT.value) == IncidentStatus.DRAFT.value:
                # A draft that reached this device by sync (begun on another device): submitted now.
                changed |= {"status": IncidentStatus.SUBMITTED.value, "recorded_at": now_utc().isoformat()}
            amending = bool(amended_fields("incident", incident.values, changed))
            if amending and not reason.strip():
                raise ActionError(AMENDMENT_REASON)
            if changed:
                self.context.write(
                    "incident",
                    "update",
                    changed,
                    record_id=draft.record_id,
                    reason=reason.strip() if amending else None,
                )
            record_id = draft.record_id
        else:
            self.context.require(Capability.RECORD, "record incidents")
            record_id = self.context.write(
                "incident",
                "create",
                {
                    **values,
                    "status": IncidentStatus.SUBMITTED.value,
                    "recorded_by": self.context.user.id,
                    "recorded_at": now_utc().isoformat(),
                    "physical_intervention": draft.physical_intervention,
                },
                profile_id=draft.profile_id,
            )
        self.context.store.delete_draft(draft_id)
        return record_id

    # --- after recording ------------------------------------------------------------------------

    def list(self, *, days: int | None = None, profile_id: str | None = None) -> list[IncidentSummary]:
        """Incidents from the last `days` days (None: all), newest first; others' drafts left out."""
        return self.search(IncidentFilter(days=days, profile_id=profile_id), limit=None).items

    def search(self, query: IncidentFilter | None = None, *, offset: int = 0, limit: int | None = 50) -> IncidentPage:
        """The incidents matching `query`, newest first, `limit` of them from `offset` (None: all).

        Dates narrow the rows by their plain time column; everything else is encrypted per field, so the rest
        is matched after decryption, here (a year of a whole organisation's incidents: see bench/RESULTS.md)."""
        query = query or IncidentFilter()
        names = self.context.individual_names()
        words = query.text.casefold().split()
        since = _local_midnight(query.since) if query.since else None
        until = _local_midnight(query.until + dt.timedelta(days=1)) if query.until else None
        matched: list[IncidentSummary] = []
        for stored in self.context.store.incidents(
            days=query.days, profile_id=query.profile_id, since=since, until=until
        ):
            values = stored.values
            if not self.visible(values):
                continue
            status = values.get("status") or IncidentStatus.DRAFT.value
            if query.status and status != query.status:
                continue
            if query.flagged and not values.get("flagged"):
                continue
            if query.parents_not_informed and values.get("parents_informed") is True:
                continue
            individual = names.get(stored.profile_id or "", "Unknown")
            if words:
                haystack = " ".join(
                    [values.get("reference") or "", individual, *(str(values.get(f) or "") for f in SEARCHED_FIELDS)]
                ).casefold()
                if not all(w in haystack for w in words):
                    continue
            matched.append(
                IncidentSummary(
                    id=stored.id,
                    reference=values.get("reference"),
                    profile_id=stored.profile_id,
                    individual=individual,
                    occurred_at=values.get("occurred_at", ""),
                    location=values.get("location", ""),
                    status=status,
                    flagged=bool(values.get("flagged")),
                    parents_informed=values.get("parents_informed"),
                    physical_intervention=bool(values.get("physical_intervention")),
                    pending=stored.pending,
                    conflicts=len(stored.conflicts),
                    removed=bool(values.get("removed")),
                )
            )
        offset = max(0, offset)
        end = None if limit is None else offset + max(0, limit)
        items = matched[offset:end]
        return IncidentPage(
            items=items, total=len(matched), offset=offset, limit=len(items) if limit is None else limit
        )

    def by_reference(self, text: str) -> str | None:
        """The id of the incident whose reference is exactly `text` (any case, spaces ignored), if shown here."""
        wanted = text.strip().casefold()
        if not wanted:
            return None
        found = self.search(IncidentFilter(text=wanted), limit=None).items
        return next((i.id for i in found if (i.reference or "").casefold() == wanted), None)

    def visible(self, values: dict[str, Any]) -> bool:
        """A draft is its author's and the staff they named as present (invited to collaborate) until it is
        submitted; nobody else sees it in lists or opens it. An incident deleted with a reason is kept for those
        who may delete incidents, and hidden from everyone else."""
        if values.get("removed") and not self.context.can(Capability.DELETE_INCIDENTS):
            return False
        if (values.get("status") or IncidentStatus.DRAFT.value) != IncidentStatus.DRAFT.value:
            return True
        me = self.context.user.id
        return values.get("recorded_by") == me or me in (values.get("staff_present") or [])

    def get(self, record_id: str) -> Stored:
        incident = self.context.get(record_id, "incident")
        if not self.visible(incident.values):
            raise ActionError("That incident is another member of staff's draft: it is theirs until they submit it.")
        return incident

    def view(self, record_id: str) -> Stored:
        """The incident, for the person to read it: the view is audited (on this device, synced to the server's
        audit log), like a single record read from the server. Showing it again after a change is `get`."""
        incident = self.get(record_id)
        self.context.audit(
            "view", "incident", incident.id, incident.profile_id, what="the record that you opened this incident"
        )
        return incident

    def parents_informed(self, record_id: str, *, method: str, informed_at: dt.datetime | None = None) -> None:
        """The thumbs-up: parents were informed (who, when, how)."""
        self.context.require(Capability.RECORD, "update incidents")
        self.get(record_id)
        self.context.write(
            "incident",
            "update",
            {
                "parents_informed": True,
                "parents_informed_by": self.context.user.id,
                "parents_informed_at": (informed_at or now_utc()).isoformat(),
                "parents_informed_method": method,
            },
            record_id=record_id,
        )

    def parents_not_informed(self, record_id: str, reason: str) -> None:
        """Record why parents were not told (e.g. it would put the child at risk of significant harm)."""
        if not reason.strip():
            raise ActionError("Give the reason the parents were not informed.")
        self.get(record_id)
        self.context.write(
            "incident",
            "update",
            {"parents_informed": False, "parents_not_informed_reason": reason.strip()},
            record_id=record_id,
        )

    def flag(self, record_id: str, reason: str = "", *, flagged: bool = True) -> None:
        """Flag an incident for a lead's attention (or clear the flag)."""
        self.context.require(Capability.RECORD, "flag incidents")
        self.get(record_id)
        self.context.write(
            "incident", "update", {"flagged": flagged, "flag_reason": reason.strip()}, record_id=record_id
        )

    def sign_off(self, record_id: str, *, staff_spoken_to: bool, child_spoken_to: bool, notes: str = "") -> None:
        """A lead's review: signed as accurate once they have spoken to the staff involved (the sign-off records
        that they did, so it is refused until they say so), and whether the child was spoken to."""
        self.context.require(Capability.REVIEW_INCIDENTS, "sign off incidents")
        if not self.can_sign_off(self.get(record_id)):
            raise ActionError("Only a submitted report can be signed off: this one is a draft or already signed off.")
        if not staff_spoken_to:
            raise ActionError(
                "Speak to the staff involved before signing off: the sign-off records that you have. Tick it once "
                "you have."
            )
        now = now_utc().isoformat()
        fields: dict[str, Any] = {
            "status": IncidentStatus.REVIEWED.value,
            "review_signed_off_by": self.context.user.id,
            "review_signed_off_at": now,
            "review_staff_spoken_to": True,
            "review_notes": notes,
        }
        if child_spoken_to:
            fields |= {"review_child_spoken_by": self.context.user.id, "review_child_spoken_at": now}
        self.context.write("incident", "update", fields, record_id=record_id)

    def delete(self, record_id: str, reason: str = "") -> None:
        """Delete an incident. A submitted one is kept, for leads and audit (a soft delete, with its reason);
        a draft is erased. Nothing is deleted while the individual's records are on legal hold."""
        self.context.require(Capability.DELETE_INCIDENTS, "delete incidents")
        incident = self.get(record_id)
        refuse_if_held(self.context, incident.profile_id)
        if (incident.values.get("status") or IncidentStatus.DRAFT.value) == IncidentStatus.DRAFT.value:
            self.context.write("incident", "delete", record_id=record_id)
            return
        if not reason.strip():
            raise ActionError("Give the reason this incident is deleted (it is kept for leads and the audit).")
        self.context.write(
            "incident",
            "update",
            self.context.removal(reason),
            record_id=record_id,
        )

    def _require_edit(self, incident: Stored) -> None:
        if incident.values.get("removed"):
            raise ActionError("This incident was deleted: it is kept as it was and can no longer be changed.")
        if self.context.can(Capability.EDIT_INCIDENTS):
            return
        own = incident.values.get("recorded_by") == self.context.user.id
        reviewed = incident.values.get("status") == IncidentStatus.REVIEWED.value
        if not (own and self.context.can(Capability.EDIT_OWN_INCIDENTS) and not reviewed):
            raise PermissionDenied("Your role allows you to edit only your own incidents, until they are reviewed.")

    def can_sign_off(self, incident: Stored) -> bool:
        """A lead signs off a submitted report: not a draft (it is not finished) and not one already signed off."""
        return (
            self.context.can(Capability.REVIEW_INCIDENTS)
            and incident.values.get("status") == IncidentStatus.SUBMITTED.value
            and not incident.values.get("removed")
        )

    def can_edit(self, incident: Stored) -> bool:
        try:
            self._require_edit(incident)
        except ActionError:  # PermissionDenied among them
            return False
        return True

    # --- conflicts ------------------------------------------------------------------------------

    # `builtins.list`: inside this class `list` is the method above.
    def conflicts(self, record_id: str) -> builtins.list[Conflict]:
        return self.get(record_id).conflicts

    def resolve_conflict(self, record_id: str, field: str, value: Any) -> None:
        """Settle a field: `value` replaces the current value and every kept conflict of that field."""
        incident = self.get(record_id)
        self._require_edit(incident)
        if not any(c.field == field for c in incident.conflicts):
            raise ActionError("There is no conflict on that field any more.")
        assert incident.state is not None
        # Every value shown, with the writes that repeated them (echoes), so none comes back as a conflict.
        base = incident.state.resolution_base(field)
        amending = bool(amended_fields("incident", incident.values, [field]))
        self.context.write(
            "incident",
            "update",
            {field: value},
            record_id=record_id,
            base={field: base},
            reason=SETTLED_CONFLICT if amending else None,
        )


def _at(value: Any) -> dt.datetime:
    """A stored moment (ISO, with its zone) as an aware datetime."""
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def typed_day(text: str, what: str) -> dt.date | None:
    """A date typed the UK way, as every date in the app is ('23/11/2026', '23 Nov 2026', '2026-11-23'); None
    when left empty; ActionError in plain words otherwise."""
    if not text.strip():
        return None
    day = parse_day(text)
    if day is None:
        raise ActionError(f"Give the {what} date as day/month/year, for example 23/11/2026.")
    return day


def date_range(since_text: str, until_text: str) -> tuple[dt.date | None, dt.date | None]:
    """The From and To dates of a search, checked: each a real date, From not after To."""
    since, until = typed_day(since_text, "From"), typed_day(until_text, "To")
    if since and until and since > until:
        raise ActionError("The From date is after the To date.")
    return since, until


def _local_midnight(day: dt.date) -> dt.datetime:
    """The start of `day` on this device's clock (what a person means by a date), as an aware moment."""
    return dt.datetime.combine(day, dt.time()).astimezone()
