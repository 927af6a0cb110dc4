"""Record & Plan → Incident Report, and managing incidents afterwards.

A report is filled in over several pages — the incident; physical intervention (for "Record incident
involving Physical Intervention"); post-incident learning — and every page is saved as an encrypted draft,
so leaving, coming back or restarting the app resumes it. Submit validates the whole report, records it
(the server gives it its `besmart-NNNNN` reference and tells key staff, staff present and leads) and deletes
the draft; a report that does not validate stays a draft and the message says what to fix.

Afterwards: view, give the parents-informed thumbs-up, flag, edit, delete and sign off — each only where the
user's role allows (the server checks again) — and review conflicts kept from concurrent edits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.context import ActionError, Context, PermissionDenied, now_utc
from localdb.queries import Draft, Stored
from localdb.store import new_id
from sync.merge import Conflict
from sync.permissions import Capability
from sync.records import Incident, IncidentStatus

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


def pages_for(physical_intervention: bool) -> list[tuple[str, tuple[str, ...]]]:
    """The report's pages in order: (title, fields)."""
    pages = [("Incident", INCIDENT_PAGE)]
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

    @property
    def label(self) -> str:
        """The reference, or a plain note that the server has not numbered it yet."""
        return self.reference or "Waiting for sync"


class Incidents:
    def __init__(self, context: Context) -> None:
        self.context = context

    # --- the report as drafts -------------------------------------------------------------------

    def start(self, profile_id: str, *, physical_intervention: bool = False) -> IncidentDraft:
        self.context.require(Capability.RECORD, "record incidents")
        self.context.get(profile_id, "individual")
        draft = IncidentDraft(
            id=new_id(),
            profile_id=profile_id,
            physical_intervention=physical_intervention,
            page=0,
            values={"occurred_at": now_utc().isoformat(), "staff_present": [], "other_individuals": []},
        )
        self._save(draft)
        return draft

    def edit(self, record_id: str) -> IncidentDraft:
        """Open a recorded incident for editing, as a draft of its current values."""
        incident = self.context.get(record_id, "incident")
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

    def discard(self, draft_id: str) -> None:
        self.context.store.delete_draft(draft_id)

    def submit(self, draft_id: str) -> str:
        """Record the report (or the edit) from its draft; returns the incident's id.

        Invalid values raise ActionError naming what to fix; the draft stays as it was."""
        draft = self.draft(draft_id)
        values = {k: v for k, v in draft.values.items() if v is not None}
        if not str(values.get("what_happened", "")).strip():
            raise ActionError("Say what happened before submitting the report.")
        if draft.record_id is not None:
            incident = self.context.get(draft.record_id, "incident")
            self._require_edit(incident)
            changed = {k: v for k, v in values.items() if incident.values.get(k) != v}
            if changed:
                self.context.write("incident", "update", changed, record_id=draft.record_id)
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
        """Incidents from the last `days` days (None: all), newest first."""
        names = self.context.individual_names()
        return [
            IncidentSummary(
                id=i.id,
                reference=i.values.get("reference"),
                profile_id=i.profile_id,
                individual=names.get(i.profile_id or "", "Unknown"),
                occurred_at=i.values.get("occurred_at", ""),
                location=i.values.get("location", ""),
                status=i.values.get("status", "draft"),
                flagged=bool(i.values.get("flagged")),
                parents_informed=i.values.get("parents_informed"),
                physical_intervention=bool(i.values.get("physical_intervention")),
                pending=i.pending,
                conflicts=len(i.conflicts),
            )
            for i in self.context.store.incidents(days=days, profile_id=profile_id)
        ]

    def get(self, record_id: str) -> Stored:
        return self.context.get(record_id, "incident")

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

    def sign_off(self, record_id: str, *, child_spoken_to: bool, notes: str = "") -> None:
        """A lead's review: signed as accurate, staff spoken to, and whether the child was spoken to."""
        self.context.require(Capability.REVIEW_INCIDENTS, "sign off incidents")
        self.get(record_id)
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

    def delete(self, record_id: str) -> None:
        self.context.require(Capability.DELETE_INCIDENTS, "delete incidents")
        self.get(record_id)
        self.context.write("incident", "delete", record_id=record_id)

    def _require_edit(self, incident: Stored) -> None:
        if self.context.can(Capability.EDIT_INCIDENTS):
            return
        own = incident.values.get("recorded_by") == self.context.user.id
        reviewed = incident.values.get("status") == IncidentStatus.REVIEWED.value
        if not (own and self.context.can(Capability.EDIT_OWN_INCIDENTS) and not reviewed):
            raise PermissionDenied("Your role allows you to edit only your own incidents, until they are reviewed.")

    def can_edit(self, incident: Stored) -> bool:
        try:
            self._require_edit(incident)
        except PermissionDenied:
            return False
        return True

    # --- conflicts ------------------------------------------------------------------------------

    def conflicts(self, record_id: str) -> list[Conflict]:
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
        self.context.write("incident", "update", {field: value}, record_id=record_id, base={field: base})
