"""Smart Plans: list, start, edit, contribute, publish, compare, review and delete behaviour support plans.

A plan is a series of versions (`smart_plan` records sharing a `series_id`, the first version's id). A draft
is edited section item by section item (one field each, so two people editing different items never
conflict); publishing it makes it the active version and archives the one before, which is then read-only.
Anyone who reaches the individual may add a contribution to a section of a draft or active plan, their own or
recorded on behalf of a parent or carer, the individual or another professional; the plan lead folds it into
the plan text and marks it used. A published plan is never erased: deleting it needs a reason and keeps it for
leads. Reading a plan (`view`) is audited, as every view and download is. What each role may do comes from the
one capability table (the server checks it again).
Suggestions from the record and the reflection figures are `app.plan_builder`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.context import ActionError, Context, PermissionDenied, now_utc
from app.legal_hold import refuse_if_held
from app.vocabulary import uk_day
from localdb.queries import Stored
from sync.permissions import Capability
from sync.records import (
    PLAN_CONTENT_FIELDS,
    PLAN_LIVE_FIELDS,
    PLAN_SECTIONS,
    OnBehalfOf,
    PlanStatus,
    PlanType,
    ReviewKind,
)

#: a review is "due" this many days before its date
REVIEW_DUE_WITHIN = dt.timedelta(days=7)
#: the review filter's choices: (key, label); "" is every plan
REVIEW_CHOICES: tuple[tuple[str, str], ...] = (("", "Any review date"), ("due", "Review due"), ("overdue", "Overdue"))
SECTION_TITLES = {key: title for key, title, _items in PLAN_SECTIONS}
#: fields copied into a plan's next version: its content, and where it came from
_CARRIED = PLAN_CONTENT_FIELDS | {"linked_incident_ids", "linked_communication_ids"}
#: the items written in words: every section but the plan's details, targets, agreement and review log
WRITTEN_ITEMS = tuple(
    name
    for key, _title, items in PLAN_SECTIONS
    if key not in ("header", "targets", "agreement", "review_log")
    for name, _label in items
)


def written_items(values: dict[str, Any]) -> int:
    """How many of the plan's `WRITTEN_ITEMS` have something written in them."""
    return sum(1 for name in WRITTEN_ITEMS if values.get(name))


@dataclass(frozen=True)
class PlanSummary:
    id: str
    profile_id: str | None
    individual: str
    series_id: str
    version: int
    status: str
    plan_type: str
    title: str
    plan_lead: str
    review_date: dt.date | None
    #: "" / "due" (within a week) / "overdue" — for active plans only
    review: str
    removed: bool
    pending: bool
    conflicts: int
    unused_contributions: int


@dataclass(frozen=True)
class ItemChange:
    field: str
    label: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class SectionChange:
    key: str
    title: str
    items: list[ItemChange]

    @property
    def changed(self) -> bool:
        return any(item.changed for item in self.items)


def series_of(plan: Stored) -> str:
    """The id shared by every version of this plan (the first version's id)."""
    return plan.values.get("series_id") or plan.id


def review_date_passed(values: dict[str, Any], today: dt.date | None = None) -> dt.date | None:
    """A plan's next review date if it is set and has passed (before `today`), else None."""
    stored = values.get("review_date")
    if not stored:
        return None
    day = dt.date.fromisoformat(str(stored))
    return day if day < (today or dt.date.today()) else None


def _refuse_past_review(day: dt.date, today: dt.date | None = None) -> None:
    """A next review date is a day to come: one already gone would be printed on the plan, carried into its next
    version and never remind anyone."""
    if day < (today or dt.date.today()):
        raise ActionError(f"The next review date, {uk_day(day)}, has passed: choose today or a later date.")


def review_state(values: dict[str, Any], today: dt.date) -> str:
    """ "overdue", "due" (within a week) or "" for an active plan's next review date."""
    if values.get("status") != PlanStatus.ACTIVE.value or values.get("removed") or not values.get("review_date"):
        return ""
    when = dt.date.fromisoformat(str(values["review_date"]))
    if when < today:
        return "overdue"
    return "due" if when - today <= REVIEW_DUE_WITHIN else ""


class Plans:
    def __init__(self, context: Context) -> None:
        self.context = context

    # --- seeing plans ---------------------------------------------------------------------------

    def visible(self, plan: Stored) -> bool:
        """A deleted (removed) published plan is kept for those who may delete plans, hidden from others."""
        if not self.context.can(Capability.VIEW_PLANS):
            return False
        return not plan.values.get("removed") or self.context.can(Capability.DELETE_PLANS)

    def get(self, plan_id: str) -> Stored:
        self.context.require(Capability.VIEW_PLANS, "see Smart Plans")
        plan = self.context.get(plan_id, "smart_plan")
        if not self.visible(plan):
            raise ActionError("That Smart Plan was deleted.")
        return plan

    def view(self, plan_id: str) -> Stored:
        """The plan, for the person to read it: the view is audited (on this device, synced to the server's
        audit log), like a single record read from the server."""
        plan = self.get(plan_id)
        self.context.audit("view", "smart_plan", plan.id, plan.profile_id, what="the record that you opened this plan")
        return plan

    def find(
        self, *, profile_id: str | None = None, status: str = "", review: str = "", today: dt.date | None = None
    ) -> list[PlanSummary]:
        """The plans this user can see, by individual then newest version first; `status` and `review`
        ("due", "overdue") narrow them."""
        self.context.require(Capability.VIEW_PLANS, "see Smart Plans")
        today = today or dt.date.today()
        names = self.context.individual_names()
        staff = self.context.staff_names()
        unused: dict[str, int] = {}
        for contribution in self.context.store.records("plan_contribution", profile_id):
            if not contribution.values.get("used"):
                plan_id = contribution.values.get("plan_id", "")
                unused[plan_id] = unused.get(plan_id, 0) + 1
        found = []
        for plan in self.context.store.records("smart_plan", profile_id):
            values = plan.values
            if not self.visible(plan) or (status and values.get("status") != status):
                continue
            state = review_state(values, today)
            if review and state != review and not (review == "due" and state == "overdue"):
                continue
            found.append(
                PlanSummary(
                    id=plan.id,
                    profile_id=plan.profile_id,
                    individual=names.get(plan.profile_id or "", "Unknown"),
                    series_id=series_of(plan),
                    version=int(values.get("version") or 1),
                    status=values.get("status") or PlanStatus.DRAFT.value,
                    plan_type=values.get("plan_type") or PlanType.FULL.value,
                    title=values.get("title") or "Smart Plan",
                    plan_lead=staff.get(values.get("plan_lead") or "", ""),
                    review_date=dt.date.fromisoformat(values["review_date"]) if values.get("review_date") else None,
                    review=state,
                    removed=bool(values.get("removed")),
                    pending=plan.pending,
                    conflicts=len(plan.conflicts),
                    unused_contributions=unused.get(plan.id, 0),
                )
            )
        return sorted(found, key=lambda p: (p.individual, p.series_id, -p.version))

    def versions(self, plan_id: str) -> list[Stored]:
        """Every version of this plan that the user can see, oldest first."""
        plan = self.get(plan_id)
        series = series_of(plan)
        return sorted(
            (
                p
                for p in self.context.store.records("smart_plan", plan.profile_id)
                if series_of(p) == series and self.visible(p)
            ),
            key=lambda p: int(p.values.get("version") or 1),
        )

    def active(self, profile_id: str) -> Stored | None:
        """The individual's active plan, if there is one."""
        for plan in self.context.store.records("smart_plan", profile_id):
            if plan.values.get("status") == PlanStatus.ACTIVE.value and not plan.values.get("removed"):
                return plan
        return None

    # --- who may do what ------------------------------------------------------------------------

    def is_lead_of(self, plan: Stored) -> bool:
        return bool(plan.values.get("plan_lead")) and plan.values.get("plan_lead") == self.context.user.id

    def can_edit(self, plan: Stored) -> bool:
        """A draft (or an active plan's review date, agreement and review log) is a lead's or its plan lead's."""
        status = plan.values.get("status")
        if plan.values.get("removed") or status == PlanStatus.ARCHIVED.value:
            return False
        return self.context.can(Capability.EDIT_PLANS) or self.is_lead_of(plan)

    def _require_edit(self, plan: Stored, fields: set[str]) -> None:
        if plan.values.get("removed") or plan.values.get("status") == PlanStatus.ARCHIVED.value:
            raise ActionError("This version of the Smart Plan is archived: it can be read but not changed.")
        if not self.can_edit(plan):
            raise PermissionDenied("Only a lead or the plan's lead may edit this Smart Plan.")
        if plan.values.get("status") == PlanStatus.ACTIVE.value and fields - PLAN_LIVE_FIELDS:
            raise ActionError("This Smart Plan is published: start a new version to change it.")

    # --- drafts and versions --------------------------------------------------------------------

    def start(
        self,
        profile_id: str,
        *,
        plan_type: str = PlanType.FULL.value,
        plan_lead: str | None = None,
        incident_id: str | None = None,
    ) -> str:
        """A new plan for an individual who has none in progress: a draft, version 1. `incident_id`: the
        incident it was started from (kept among the plan's links)."""
        self.context.require(Capability.EDIT_PLANS, "start a Smart Plan")
        if not profile_id:
            raise ActionError("Choose the individual the plan is for.")
        for plan in self.context.store.records("smart_plan", profile_id):
            if plan.values.get("status") in (PlanStatus.DRAFT.value, PlanStatus.ACTIVE.value) and not plan.values.get(
                "removed"
            ):
                raise ActionError(
                    "This individual already has a Smart Plan: open it, or start its next version, instead."
                )
        fields: dict[str, Any] = {
            "status": PlanStatus.DRAFT.value,
            "version": 1,
            "plan_type": plan_type,
            "plan_lead": plan_lead or self.context.user.id,
            "created_by": self.context.user.id,
            "created_at": now_utc().isoformat(),
        }
        if incident_id:
            fields["linked_incident_ids"] = [incident_id]
        return self.context.write("smart_plan", "create", fields, profile_id=profile_id, what="the new plan")

    def start_next_version(self, plan_id: str) -> str:
        """A draft of the next version of an active plan, with its content copied over."""
        self.context.require(Capability.EDIT_PLANS, "start a new version of a Smart Plan")
        plan = self.get(plan_id)
        if plan.values.get("status") != PlanStatus.ACTIVE.value:
            raise ActionError("Start a new version from the plan's active version.")
        versions = self.versions(plan_id)
        draft = next((v for v in versions if v.values.get("status") == PlanStatus.DRAFT.value), None)
        if draft is not None:
            raise ActionError(f"Version {draft.values.get('version')} is already being drafted: carry on with it.")
        fields = {name: value for name, value in plan.values.items() if name in _CARRIED}
        fields |= {
            "status": PlanStatus.DRAFT.value,
            "version": max(int(v.values.get("version") or 1) for v in versions) + 1,
            "series_id": series_of(plan),
            "created_by": self.context.user.id,
            "created_at": now_utc().isoformat(),
        }
        return self.context.write("smart_plan", "create", fields, profile_id=plan.profile_id, what="the new version")

    def edit(self, plan_id: str, values: dict[str, Any]) -> None:
        """Change items of the plan (only the fields given: a colleague editing others is not overwritten)."""
        plan = self.get(plan_id)
        unknown = set(values) - PLAN_CONTENT_FIELDS
        if unknown:
            raise ActionError(f"Not a part of a Smart Plan: {', '.join(sorted(unknown))}.")
        self._require_edit(plan, set(values))
        if values.get("review_date"):  # None or "" clears it
            try:
                day = dt.date.fromisoformat(str(values["review_date"]))
            except ValueError:
                raise ActionError("The next review date is not a date.") from None
            _refuse_past_review(day)
        if values:
            self.context.write("smart_plan", "update", values, record_id=plan_id, what="your change to the plan")

    def publish(self, plan_id: str) -> str:
        """Make a draft the active version; the version active before is archived (read-only). Returns what the
        person should still do, in plain words ("" for nothing): a next review date that has passed since it was
        chosen (or was carried from the version before) does not stop the plan being published, but it is said."""
        self.context.require(Capability.PUBLISH_PLANS, "publish Smart Plans")
        plan = self.get(plan_id)
        if plan.values.get("status") != PlanStatus.DRAFT.value:
            raise ActionError("Only a draft can be published.")
        if not written_items(plan.values) and not plan.values.get("targets"):
            # It would become the plan everyone follows, with nothing in it.
            raise ActionError("Nothing is written in this plan yet: write at least one section before publishing.")
        now = now_utc().isoformat()
        for other in self.versions(plan_id):
            if other.values.get("status") == PlanStatus.ACTIVE.value:
                self.context.write("smart_plan", "update", {"status": PlanStatus.ARCHIVED.value}, record_id=other.id)
        self.context.write(
            "smart_plan", "update", {"status": PlanStatus.ACTIVE.value, "published_at": now}, record_id=plan_id
        )
        passed = review_date_passed(plan.values)
        if passed is None:
            return ""
        return f"Its next review date, {uk_day(passed)}, has passed: set a new one with \u201cAdd a review\u201d."

    def delete(self, plan_id: str, reason: str) -> None:
        """Delete a plan, with a reason. A draft is erased; a published version is kept, for leads."""
        self.context.require(Capability.DELETE_PLANS, "delete Smart Plans")
        plan = self.get(plan_id)
        refuse_if_held(self.context, plan.profile_id)
        if not reason.strip():
            raise ActionError("Say why the Smart Plan is being deleted.")
        if plan.values.get("status") == PlanStatus.DRAFT.value:
            self.context.write("smart_plan", "delete", record_id=plan_id, what="the deletion")
            return
        self.context.write(
            "smart_plan",
            "update",
            self.context.removal(reason),
            record_id=plan_id,
            what="the deletion",
        )

    def add_review(
        self,
        plan_id: str,
        *,
        changes: str,
        kind: str = ReviewKind.SCHEDULED.value,
        on: dt.date | None = None,
        incident_id: str | None = None,
        next_review: dt.date | None = None,
    ) -> None:
        """Add an entry to the review log (reviewed by the signed-in person), and set the next review date."""
        plan = self.get(plan_id)
        if not changes.strip():
            raise ActionError("Say what the review changed, or that nothing needed to change.")
        fields: dict[str, Any] = {
            "review_log": [
                *plan.values.get("review_log", []),
                {
                    "date": (on or dt.date.today()).isoformat(),
                    "kind": kind,
                    "incident_id": incident_id,
                    "changes": changes.strip(),
                    "reviewed_by": self.context.staff_names().get(self.context.user.id) or self.context.user.name,
                },
            ]
        }
        if next_review is not None:
            fields["review_date"] = next_review.isoformat()
        self._require_edit(plan, set(fields))
        if next_review is not None:
            _refuse_past_review(next_review)
        self.context.write("smart_plan", "update", fields, record_id=plan_id, what="the review")

    def compare(self, older_id: str, newer_id: str) -> list[SectionChange]:
        """Two versions side by side, section by section (each item's value in both)."""
        older, newer = self.get(older_id), self.get(newer_id)
        if series_of(older) != series_of(newer):
            raise ActionError("Those are not versions of the same Smart Plan.")
        return [
            SectionChange(
                key,
                title,
                [ItemChange(name, text, older.values.get(name), newer.values.get(name)) for name, text in items],
            )
            for key, title, items in PLAN_SECTIONS
        ]

    def resolve_conflict(self, plan_id: str, field: str, value: Any) -> None:
        """Settle an item two people changed at once: `value` replaces the current value and every kept one."""
        plan = self.get(plan_id)
        self._require_edit(plan, {field})
        if not any(c.field == field for c in plan.conflicts):
            raise ActionError("There is no conflict on that part of the plan any more.")
        assert plan.state is not None
        base = plan.state.resolution_base(field)
        self.context.write("smart_plan", "update", {field: value}, record_id=plan_id, base={field: base})

    # --- contributions --------------------------------------------------------------------------

    def contribute(
        self, plan_id: str, section: str, text: str, *, on_behalf_of: str = OnBehalfOf.SELF.value, name: str = ""
    ) -> str:
        """Add a contribution to a section: your own, or recorded on behalf of `name` (a parent or carer, the
        individual, another professional) after talking with them."""
        self.context.require(Capability.CONTRIBUTE_PLANS, "contribute to Smart Plans")
        plan = self.get(plan_id)
        if plan.values.get("status") == PlanStatus.ARCHIVED.value or plan.values.get("removed"):
            raise ActionError("This version is archived: contribute to the plan's current version.")
        if section not in SECTION_TITLES:
            raise ActionError("Choose the section the contribution is for.")
        if not text.strip():
            raise ActionError("Type the contribution first.")
        if on_behalf_of != OnBehalfOf.SELF.value and not name.strip():
            raise ActionError("Say whom you are recording this on behalf of.")
        return self.context.write(
            "plan_contribution",
            "create",
            {
                "plan_id": plan_id,
                "section": section,
                "text": text.strip(),
                "author_id": self.context.user.id,
                "on_behalf_of": on_behalf_of,
                "on_behalf_name": name.strip() if on_behalf_of != OnBehalfOf.SELF.value else "",
                "created_at": now_utc().isoformat(),
            },
            profile_id=plan.profile_id,
            what="the contribution",
        )

    def contributions(self, plan_id: str, *, section: str | None = None) -> list[Stored]:
        """The plan's contributions, oldest first (a section's only, if given)."""
        plan = self.get(plan_id)
        found = [
            c
            for c in self.context.store.records("plan_contribution", plan.profile_id)
            if c.values.get("plan_id") == plan_id and (section is None or c.values.get("section") == section)
        ]
        return sorted(found, key=lambda c: c.values.get("created_at", ""))

    def mark_used(self, contribution_id: str, *, used: bool = True) -> None:
        """The plan lead has folded this contribution into the plan text (or takes that back)."""
        contribution = self.context.get(contribution_id, "plan_contribution")
        plan = self.get(contribution.values.get("plan_id", ""))
        if not (self.context.can(Capability.EDIT_PLANS) or self.is_lead_of(plan)):
            raise PermissionDenied("Only a lead or the plan's lead may mark contributions used.")
        self.context.write("plan_contribution", "update", {"used": used}, record_id=contribution_id)
