"""Smart Plans on screen: the list of every plan the user can see (filtered by status and by review due or
overdue), an individual's plans for their profile's tab (`profile_plans`), starting a plan (`start_plan`, opened
in the Smart Plan Builder), and one plan — its header and every
section as the plan holds them, status, version, review log and contributors; Edit, Publish, Delete (with a
reason) and Download PDF as the role allows; its versions compared section by section; and its contributions
thread. What may be done, and what it changes, is app.plans' to decide: these screens only render and ask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.context import ActionError, Stored
from app.plans import REVIEW_CHOICES, SECTION_TITLES, PlanSummary, SectionChange
from app.vocabulary import (
    PLAN_SECTIONS,
    Capability,
    ContributorRole,
    OnBehalfOf,
    PlanStatus,
    PlanType,
    ReviewKind,
    label,
    options,
    uk_day,
)
from screens import registry
from screens.plan_builder import language_checked
from screens.ui import (
    back_title,
    card,
    conflicts_panel,
    empty,
    heading,
    labelled,
    muted,
    name_dropdown,
    named,
    page_body,
    parse_day,
    selectable,
    when,
)

if TYPE_CHECKING:
    from screens.shell import Shell

#: the status filter's choices: (key, label); "" is every status
STATUS_CHOICES: tuple[tuple[str, str], ...] = (("", "Any status"), *options(PlanStatus).items())
#: what the list says about a review date that is near or past
REVIEW_WORDS = {"due": "review due", "overdue": "review overdue"}
#: the sections a contribution may be added to (the header and the review log are the plan lead's own)
CONTRIBUTION_SECTIONS = [key for key, _title, _items in PLAN_SECTIONS if key not in ("header", "review_log")]
BUILDER = "plan_builder"


def _yes_no(value: Any) -> str:
    return "" if value is None else ("Yes" if value else "No")


def item_text(field: str, value: Any, staff: dict[str, str]) -> str:
    """A plan item's value in words ("" when it is not filled in): the same words in the view and the
    comparison."""
    if value is None or value == "" or value == []:
        return ""
    if field == "plan_type":
        return label(PlanType, value)
    if field == "plan_lead":
        return staff.get(str(value), "Someone no longer on this device")
    if field == "review_date":
        return uk_day(value)
    if field == "targets":
        return "\n".join(
            t.get("target", "") + (f" (measured by: {t['measured_by']})" if t.get("measured_by") else "") for t in value
        )
    if field == "contributors":
        return "\n".join(
            ", ".join(p for p in (c.get("name", ""), c.get("title", ""), label(ContributorRole, c.get("role"))) if p)
            + (f" — {uk_day(c.get('date'))}" if c.get("date") else "")
            for c in value
        )
    if field == "review_log":
        return "\n".join(
            f"{uk_day(r.get('date'))}, {label(ReviewKind, r.get('kind'))}, {r.get('reviewed_by', '')}: "
            f"{r.get('changes', '')}"
            for r in value
        )
    if isinstance(value, bool):
        return _yes_no(value)
    return str(value)


def _status_line(summary: PlanSummary) -> str:
    parts = [f"Version {summary.version}", label(PlanStatus, summary.status)]
    if summary.review_date:
        parts.append(f"review {uk_day(summary.review_date)}")
    if summary.review:
        parts.append(REVIEW_WORDS[summary.review])
    if summary.removed:
        parts.append("deleted")
    if summary.conflicts:
        parts.append("needs review: edits made at the same time")
    if summary.unused_contributions:
        parts.append(
            f"{summary.unused_contributions} new contribution{'s' if summary.unused_contributions > 1 else ''}"
        )
    if summary.pending:
        parts.append("waiting for sync")
    return " · ".join(parts)


def plan_tile(shell: Shell, summary: PlanSummary, *, with_name: bool = True) -> ft.Control:
    """One plan in a list: whose, which version and status, its review date; opens the plan."""
    warning = summary.review == "overdue" or summary.conflicts
    return named(
        ft.ListTile(
            leading=ft.Icon(
                ft.Icons.WARNING_AMBER if warning else ft.Icons.ASSIGNMENT_OUTLINED,
                color=ft.Colors.ERROR if warning else None,
            ),
            title=ft.Text(f"{summary.individual} — {summary.title}" if with_name else summary.title),
            subtitle=ft.Text(_status_line(summary)),
            on_click=lambda _: shell.show("smart_plan", plan_id=summary.id),
        ),
        f"plan-{summary.id}",
    )


def open_draft(shell: Shell, plan_id: str) -> None:
    """A draft opens in the Smart Plan Builder, or in the plan's view where this build has no builder."""
    if BUILDER in registry.SCREENS:
        shell.show(BUILDER, plan_id=plan_id)
    else:
        shell.show("smart_plan", plan_id=plan_id)


def start_plan(shell: Shell, profile_id: str) -> None:
    """A new draft (version 1) for the individual, opened in the builder; a plan they have already is said."""
    plan_id = shell.act(lambda: shell.services.plans.start(profile_id), done="Smart Plan started")
    if plan_id:
        open_draft(shell, plan_id)


def profile_plans(shell: Shell, profile_id: str) -> list[ft.Control]:
    """The profile's Smart Plans tab: the individual's plans, newest version first, and "Start a plan"."""
    plans = shell.services.plans
    if not shell.services.context.can(Capability.VIEW_PLANS):
        return [empty("Your role does not include Smart Plans.")]
    found = plans.find(profile_id=profile_id)
    controls: list[ft.Control] = []
    if shell.services.context.can(Capability.EDIT_PLANS):
        controls.append(
            ft.Row(
                [ft.FilledButton("Start a plan", icon=ft.Icons.ADD, on_click=lambda _: start_plan(shell, profile_id))]
            ),
        )
    controls += [plan_tile(shell, s, with_name=False) for s in found] or [empty("No Smart Plans yet.")]
    return controls


class SmartPlans:
    """Every Smart Plan the user can see, by individual, filterable by status and by review date."""

    NAME = "smart_plans"
    ROUTE = "/plans"
    refresh_after_sync = True

    def __init__(self, shell: Shell, status: str = "", review: str = "") -> None:
        self.shell = shell
        self.params = {"status": status, "review": review}

    def _dropdown(self, name: str, text: str, choices: tuple[tuple[str, str], ...]) -> ft.Control:
        def chosen(e: ft.Event[ft.Dropdown]) -> None:
            self.shell.show(self.NAME, **{**self.params, name: e.control.value or ""})

        return named(
            ft.Dropdown(
                label=text,
                value=self.params[name],
                options=[ft.DropdownOption(key=k, text=t) for k, t in choices],
                on_select=chosen,
                width=200,
            ),
            f"plans-{name}-filter",
            text,
        )

    def _start(self, _e: Any) -> None:
        """Start a plan for an individual chosen here (the profile's Smart Plans tab does it for its own)."""
        people = self.shell.services.directory.people()
        content = name_dropdown("Individual", [(p.id, p.name) for p in people], None, identifier="plan-individual")
        individual = content.content
        assert isinstance(individual, ft.Dropdown)
        self.shell.ask(
            "Start a Smart Plan",
            content,
            "Start",
            lambda: self.shell.services.plans.start(individual.value or ""),
            done="Smart Plan started",
            then=lambda plan_id: open_draft(self.shell, plan_id),
        )

    def build(self) -> ft.Control:
        found = self.shell.services.plans.find(status=self.params["status"], review=self.params["review"])
        filtered = any(self.params.values())
        count = f"{len(found)} plan{'' if len(found) == 1 else 's'}"
        tiles = [plan_tile(self.shell, s) for s in found] or [
            empty("No Smart Plans match these filters." if filtered else "No Smart Plans yet.")
        ]
        starting = self.shell.services.context.can(Capability.EDIT_PLANS)
        return page_body(
            ft.Row(
                [
                    ft.Container(heading("Smart Plans"), expand=True),
                    *([ft.FilledButton("Start a plan", icon=ft.Icons.ADD, on_click=self._start)] if starting else []),
                ],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            ft.Row(
                [
                    self._dropdown("status", "Status", STATUS_CHOICES),
                    self._dropdown("review", "Review", REVIEW_CHOICES),
                    *(
                        [ft.TextButton("Clear filters", on_click=lambda _: self.shell.show(self.NAME))]
                        if filtered
                        else []
                    ),
                ],
                wrap=True,
                run_spacing=12,
            ),
            muted(count + ((" matches" if len(found) == 1 else " match") if filtered else "")),
            *tiles,
        )


class SmartPlanView:
    """One version of a Smart Plan: everything in it, what the user may do with it, its versions and its
    contributions. Opening it is audited (`Plans.view`); showing it again after a change or a sync is not a new
    view (`audited`)."""

    NAME = "smart_plan"
    ROUTE = "/plans/{plan_id}"

    def __init__(self, shell: Shell, plan_id: str, audited: bool = False) -> None:
        self.shell = shell
        self.params: dict[str, Any] = {"plan_id": plan_id, "audited": audited}
        self.plan_id = plan_id
        self.comparison = ft.Column(spacing=6)
        #: the contribution being typed, if any
        self.typing: ft.TextField | None = None

    @property
    def refresh_after_sync(self) -> bool:
        """A sync shows what it brought (a colleague's contribution), unless a contribution is being typed or a
        comparison is open: showing the plan again would wipe them."""
        return not (self.typing is not None and self.typing.value) and not self.comparison.controls

    # --- actions --------------------------------------------------------------------------------

    def _done(self, action: Callable[[], Any], message: str) -> Any:
        result = self.shell.act(action, done=message)
        self.shell.show_again()
        return result

    def _publish(self, _e: Any) -> None:
        """Publish, after the language check (as the builder does) and a confirmation: the version becomes the
        plan everyone works to, and is shared as it stands."""

        def published(note: str) -> None:  # `note` is what is still to do, if anything
            self.shell.toast(" ".join(("Published: this is the active version.", note)).strip())
            self.shell.show_again()

        def confirm() -> None:
            self.shell.ask(
                "Publish this version?",
                ft.Text(
                    "It becomes the active Smart Plan: everyone who supports them works to it from their next sync, "
                    "and it can be shared with parents and other professionals."
                ),
                "Publish",
                lambda: self.shell.services.plans.publish(self.plan_id),
                then=published,
            )

        language_checked(self.shell, self.plan_id, confirm)

    def _next_version(self, _e: Any) -> None:
        plan_id = self.shell.act(lambda: self.shell.services.plans.start_next_version(self.plan_id))
        if plan_id:
            self.shell.toast("A new version is being drafted")
            open_draft(self.shell, plan_id)

    async def _download(self, _e: Any) -> None:
        """The plan's PDF (built and audited by app.downloads), delivered the one way screens deliver files."""
        download = self.shell.act(lambda: self.shell.services.downloads.plan(self.plan_id))
        if download is not None:
            await self.shell.save_file(download, "Save the Smart Plan")

    def _delete(self, _e: Any) -> None:
        """Deleting needs a reason: the dialog stays open, saying so, until one is given."""
        reason = ft.TextField(label="Why is it being deleted?", multiline=True, min_lines=2)
        intro = ft.Text(
            "A draft is removed for everyone. A published plan is kept for leads, with your reason. "
            "This is recorded in the audit log."
        )
        self.shell.ask(
            "Delete this Smart Plan?",
            ft.Column([intro, named(reason, "plan-delete-reason")], tight=True),
            "Delete",
            lambda: self.shell.services.plans.delete(self.plan_id, reason.value or ""),
            done="Smart Plan deleted",
            then=lambda _: self.shell.show("smart_plans"),
        )

    def _review(self, _e: Any) -> None:
        """A review: what changed, whether it was scheduled or after an incident, and the next review date."""
        changes = ft.TextField(label="What the review changed", multiline=True, min_lines=2)
        kind = ft.Dropdown(
            label="Review",
            value=ReviewKind.SCHEDULED.value,
            options=[ft.DropdownOption(key=k, text=t) for k, t in options(ReviewKind).items()],
        )
        next_review = ft.TextField(label="Next review date", hint_text="e.g. 8/1/2027")

        def attempt() -> None:
            typed = (next_review.value or "").strip()
            day = parse_day(typed) if typed else None
            if typed and day is None:  # reading what was typed is the screen's; whether the day will do, the plan's
                raise ActionError("Type the next review date like 8/1/2027, or leave it empty.")
            self.shell.services.plans.add_review(
                self.plan_id, changes=changes.value or "", kind=kind.value or "", next_review=day
            )

        self.shell.ask(
            "Add a review",
            ft.Column([named(kind, "review-kind", "Review"), changes, next_review], tight=True),
            "Save",
            attempt,
            done="Review added",
            then=lambda _: self.shell.show_again(),
        )

    def _resolve(self, field: str, value: Any) -> None:
        self._done(lambda: self.shell.services.plans.resolve_conflict(self.plan_id, field, value), "Conflict resolved")

    def _mark_used(self, contribution_id: str, used: bool) -> None:
        self._done(
            lambda: self.shell.services.plans.mark_used(contribution_id, used=used),
            "Marked as used in the plan" if used else "Marked as not used yet",
        )

    # --- the screen -----------------------------------------------------------------------------

    def build(self) -> ft.Control:
        services = self.shell.services
        plans = services.plans
        plan = plans.get(self.plan_id) if self.params["audited"] else plans.view(self.plan_id)
        self.params["audited"] = True
        v = plan.values
        staff = services.context.staff_names()
        individual = services.context.individual_names().get(plan.profile_id or "", "Unknown")
        status = v.get("status") or PlanStatus.DRAFT.value
        summary = [
            f"{individual} · {label(PlanType, v.get('plan_type') or PlanType.FULL)} plan",
            f"Version {v.get('version') or 1} · {label(PlanStatus, status)}",
        ]
        if plan.pending:
            summary.append("waiting for sync")
        controls: list[ft.Control] = [
            back_title(
                str(v.get("title") or "Smart Plan"),
                tooltip="Back to Smart Plans",
                identifier="back-to-plans",
                on_back=lambda _: self.shell.show("smart_plans"),
            ),
            muted(" · ".join(summary)),
            ft.Row(self._actions(plan), wrap=True),
        ]
        if v.get("removed"):
            controls.append(
                self._notice(
                    f"Deleted by {staff.get(v.get('removed_by') or '', 'a lead')}, {when(v.get('removed_at'))}: "
                    f"{v.get('removed_reason', '')}. Kept for leads; no one else sees it."
                )
            )
        elif status == PlanStatus.ARCHIVED.value:
            controls.append(self._notice("An earlier version, archived: it can be read but not changed."))
        if plan.conflicts:
            controls.append(self._conflicts(plan, staff))
        controls += [self._section(key, title, items, v, staff) for key, title, items in PLAN_SECTIONS]
        controls.append(self._versions(plan))
        controls.append(self._contributions(plan, staff))
        body = page_body(*controls)
        body.horizontal_alignment = ft.CrossAxisAlignment.STRETCH  # the sections' cards as wide as the column
        return body

    def _actions(self, plan: Stored) -> list[ft.Control]:
        services = self.shell.services
        ctx = services.context
        status = plan.values.get("status")
        actions: list[ft.Control] = []
        removed = bool(plan.values.get("removed"))
        if status == PlanStatus.DRAFT.value and services.plans.can_edit(plan) and BUILDER in registry.SCREENS:
            actions.append(
                ft.OutlinedButton(
                    "Edit", icon=ft.Icons.EDIT_OUTLINED, on_click=lambda _: open_draft(self.shell, self.plan_id)
                )
            )
        if status == PlanStatus.ACTIVE.value and not removed and ctx.can(Capability.EDIT_PLANS):
            actions.append(
                ft.OutlinedButton(
                    "Edit: start the next version", icon=ft.Icons.EDIT_OUTLINED, on_click=self._next_version
                )
            )
        if status == PlanStatus.DRAFT.value and ctx.can(Capability.PUBLISH_PLANS):
            actions.append(ft.OutlinedButton("Publish", icon=ft.Icons.PUBLISH_OUTLINED, on_click=self._publish))
        if ctx.can(Capability.DOWNLOAD_PLANS):
            actions.append(ft.OutlinedButton("Download PDF", icon=ft.Icons.DOWNLOAD_OUTLINED, on_click=self._download))
        if status == PlanStatus.ACTIVE.value and services.plans.can_edit(plan):
            actions.append(ft.OutlinedButton("Add a review", icon=ft.Icons.RATE_REVIEW_OUTLINED, on_click=self._review))
        if ctx.can(Capability.DELETE_PLANS) and not removed:
            actions.append(ft.OutlinedButton("Delete", icon=ft.Icons.DELETE_OUTLINE, on_click=self._delete))
        return actions

    @staticmethod
    def _notice(text: str) -> ft.Control:
        return ft.Container(selectable(text), bgcolor=ft.Colors.AMBER_50, padding=12, border_radius=8)

    def _section(
        self, key: str, title: str, items: tuple[tuple[str, str], ...], v: dict[str, Any], staff: dict[str, str]
    ) -> ft.Control:
        """A section as the plan holds it: each item filled in, or a line saying nothing is written yet."""
        shown: list[ft.Control] = []
        for field, text in items:
            value = item_text(field, v.get(field), staff)
            if key == "header" and field.endswith("_note"):
                continue  # shown with its yes/no below
            if field.startswith("link_"):
                note = v.get(f"{field}_note") or ""
                value = ": ".join(p for p in (value, note) if p)
            if value:
                shown.append(labelled(text, value))
        return card(heading(title, size=16), *(shown or [muted("Nothing written here yet.")]))

    def _conflicts(self, plan: Stored, staff: dict[str, str]) -> ft.Control:
        """Items two people changed at the same time: both kept until the plan's lead or a lead keeps one."""
        labels = {field: text for _key, _title, items in PLAN_SECTIONS for field, text in items}
        return conflicts_panel(
            plan.conflicts,
            plan.values,
            title_of=lambda field: labels.get(field, field),
            shown=lambda field, value: item_text(field, value, staff) or "—",
            names=staff,
            on_keep=self._resolve if self.shell.services.plans.can_edit(plan) else None,
            who_decides="a lead, or the plan's lead,",
        )

    # --- versions -------------------------------------------------------------------------------

    def _versions(self, plan: Stored) -> ft.Control:
        versions = self.shell.services.plans.versions(self.plan_id)
        tiles: list[ft.Control] = [
            ft.ListTile(
                title=ft.Text(f"Version {p.values.get('version') or 1}"),
                subtitle=ft.Text(
                    label(PlanStatus, p.values.get("status") or PlanStatus.DRAFT)
                    + (
                        f", published {when(p.values.get('published_at'), weekday=False)}"
                        if p.values.get("published_at")
                        else ""
                    )
                    + (", deleted" if p.values.get("removed") else "")
                ),
                selected=p.id == plan.id,
                dense=True,
                on_click=None if p.id == plan.id else (lambda _, pid=p.id: self.shell.show(self.NAME, plan_id=pid)),
            )
            for p in reversed(versions)
        ]
        controls: list[ft.Control] = [heading("Versions", size=16), *tiles]
        if len(versions) > 1:
            choices = [ft.DropdownOption(key=p.id, text=f"Version {p.values.get('version') or 1}") for p in versions]
            index = next(i for i, p in enumerate(versions) if p.id == plan.id)
            older = ft.Dropdown(label="Compare", options=choices, value=versions[max(index - 1, 0)].id, width=150)
            newer = ft.Dropdown(
                label="with",
                options=list(choices),
                value=versions[index if index > 0 else 1].id,
                width=150,
            )

            def compare(_e: Any) -> None:
                changes = self.shell.act(
                    lambda: self.shell.services.plans.compare(older.value or "", newer.value or "")
                )
                if changes is not None:
                    self.comparison.controls = self._changes(changes)
                    self.comparison.update()

            controls += [
                ft.Row(
                    [
                        named(older, "compare-older", "Compare"),
                        named(newer, "compare-newer", "with"),
                        ft.FilledButton("Compare", icon=ft.Icons.COMPARE_ARROWS, on_click=compare),
                    ],
                    wrap=True,
                    run_spacing=8,
                ),
                self.comparison,
            ]
        return card(*controls)

    def _changes(self, changes: list[SectionChange]) -> list[ft.Control]:
        """The comparison, section by section: each changed item before and after; the unchanged sections named."""
        staff = self.shell.services.context.staff_names()
        shown: list[ft.Control] = []
        for section in changes:
            if not section.changed:
                continue
            shown.append(ft.Text(section.title, weight=ft.FontWeight.BOLD))
            for item in section.items:
                if item.changed:
                    shown.append(
                        ft.Container(
                            ft.Column(
                                [
                                    muted(item.label),
                                    selectable(f"Before: {item_text(item.field, item.before, staff) or '—'}"),
                                    selectable(f"After: {item_text(item.field, item.after, staff) or '—'}"),
                                ],
                                spacing=2,
                            ),
                            padding=ft.Padding.only(left=12),
                            border=ft.Border.only(left=ft.BorderSide(3, ft.Colors.OUTLINE_VARIANT)),
                        )
                    )
        same = [s.title for s in changes if not s.changed]
        if not shown:
            return [muted("No differences between these versions.")]
        if same:
            shown.append(muted("Unchanged: " + ", ".join(same) + "."))
        return shown

    # --- contributions --------------------------------------------------------------------------

    def _contributions(self, plan: Stored, staff: dict[str, str]) -> ft.Control:
        services = self.shell.services
        plans = services.plans
        found = plans.contributions(self.plan_id)
        can_mark = services.context.can(Capability.EDIT_PLANS) or plans.is_lead_of(plan)
        controls: list[ft.Control] = [heading("Contributions", size=16)]
        for key in CONTRIBUTION_SECTIONS:
            thread = [c for c in found if c.values.get("section") == key]
            if not thread:
                continue
            controls.append(ft.Text(SECTION_TITLES[key], weight=ft.FontWeight.BOLD))
            for c in thread:
                controls.append(self._contribution(c, staff, can_mark=can_mark))
        if not found:
            controls.append(muted("No contributions yet."))
        open_for_them = plan.values.get("status") != PlanStatus.ARCHIVED.value and not plan.values.get("removed")
        if services.context.can(Capability.CONTRIBUTE_PLANS) and open_for_them:
            controls += self._contribute_form()
        return card(*controls)

    def _contribution(self, c: Stored, staff: dict[str, str], *, can_mark: bool) -> ft.Control:
        v = c.values
        author = staff.get(v.get("author_id", ""), "Unknown")
        on_behalf = v.get("on_behalf_of") or OnBehalfOf.SELF.value
        who = (
            author
            if on_behalf == OnBehalfOf.SELF.value
            else f"{v.get('on_behalf_name') or ''}, recorded by {author} ({label(OnBehalfOf, on_behalf).lower()})"
        )
        used = bool(v.get("used"))
        status: list[ft.Control] = [muted("Used in the plan" if used else "Not used yet")]
        if can_mark:
            status.append(
                ft.TextButton(
                    "Mark not used" if used else "Mark used",
                    on_click=lambda _, cid=c.id, now=not used: self._mark_used(cid, now),
                )
            )
        return ft.Container(
            ft.Column(
                [
                    muted(f"{who} · {when(v.get('created_at'))}" + (" · waiting for sync" if c.pending else "")),
                    selectable(v.get("text", "")),
                    ft.Row(status, wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER),
                ],
                spacing=2,
            ),
            padding=ft.Padding.only(left=12),
            border=ft.Border.only(left=ft.BorderSide(3, ft.Colors.OUTLINE_VARIANT)),
        )

    def _contribute_form(self) -> list[ft.Control]:
        section = ft.Dropdown(
            label="Section",
            value=None,  # chosen by the writer: a default filed contributions under "About me" unnoticed
            options=[ft.DropdownOption(key=k, text=SECTION_TITLES[k]) for k in CONTRIBUTION_SECTIONS],
        )
        whose = ft.Dropdown(
            label="Whose words",
            value=OnBehalfOf.SELF.value,
            options=[ft.DropdownOption(key=k, text=t) for k, t in options(OnBehalfOf).items()],
        )
        name = ft.TextField(label="Their name", visible=False)
        text = self.typing = ft.TextField(label="Contribution", multiline=True, min_lines=2)

        def whose_changed(_e: Any) -> None:
            name.visible = whose.value != OnBehalfOf.SELF.value
            name.update()

        def add(_e: Any) -> None:
            added = self.shell.act(
                lambda: self.shell.services.plans.contribute(
                    self.plan_id,
                    section.value or "",
                    text.value or "",
                    on_behalf_of=whose.value or OnBehalfOf.SELF.value,
                    name=name.value or "",
                ),
                done="Contribution added",
            )
            if added:
                self.shell.show_again()

        whose.on_select = whose_changed
        return [
            heading("Add a contribution", size=14),
            named(section, "contribution-section", "Section"),
            named(whose, "contribution-whose", "Whose words"),
            name,
            named(text, "contribution-text"),
            ft.Row([ft.FilledButton("Add contribution", icon=ft.Icons.ADD_COMMENT_OUTLINED, on_click=add)]),
        ]
