"""Incidents: the list (references like besmart-10281; one this device has not sent says it is waiting for
sync), with search (a whole reference opens it) and filters, and one incident — view it all, thumbs-up that
parents were informed, flag, edit, sign off, delete (each only where the role allows), and review conflicts
kept from concurrent edits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.context import ActionError
from app.incidents import (
    FIELD_LABELS as TEXT_FIELDS,
)
from app.incidents import (
    FIELD_TITLES,
    STATUS_CHOICES,
    IncidentFilter,
    date_range,
    deescalation_line,
    exclusion_line,
    reference_label,
)
from app.vocabulary import (
    Capability,
    ContactMethod,
    DiscriminationCategory,
    Effectiveness,
    IncidentStatus,
    ReportRoute,
    label,
)
from screens.ai_support import ai_support_button
from screens.compliance import clocks_panel
from screens.dashboard import WINDOWS, incident_tile
from screens.history import history_button
from screens.plan_builder import what_next
from screens.ui import (
    back_title,
    card,
    conflicts_panel,
    empty,
    error_text,
    heading,
    labelled,
    labelled_toggle,
    muted,
    named,
    page_body,
    show_error,
    when,
)

if TYPE_CHECKING:
    from screens.shell import Shell


def parents_line(values: dict[str, Any]) -> str:
    if values.get("parents_informed"):
        how = [label(ContactMethod, values.get("parents_informed_method")), when(values.get("parents_informed_at"))]
        return "Yes: " + ", ".join(part for part in how if part) if any(how) else "Yes"
    if values.get("parents_informed") is False:
        return f"No: {values.get('parents_not_informed_reason')}"
    return "Not yet"


#: incident fields holding enum values, shown by their labels (e.g. in a conflict)
ENUM_FIELDS = {
    "status": IncidentStatus,
    "parents_informed_method": ContactMethod,
    "pi_report_route": ReportRoute,
    "discriminatory_categories": DiscriminationCategory,
}


def field_title(field: str) -> str:
    """A field's name in words: the form's label, or the detail's, or the name without its section prefix."""
    if field in TEXT_FIELDS or field in FIELD_TITLES:
        return TEXT_FIELDS.get(field) or FIELD_TITLES[field]
    for prefix in ("pild_", "pi_", "review_"):
        field = field.removeprefix(prefix)
    return field.replace("_", " ").capitalize()


def technique_block(use: dict[str, Any], staff: dict[str, str]) -> ft.Control:
    """One physical technique with everything saved about it: how well it worked and for how long, who used
    it, why, and any injuries."""
    how = label(Effectiveness, use.get("effectiveness"))
    if use.get("duration_minutes") is not None:
        how += f", {use['duration_minutes']} min"
    return ft.Container(
        ft.Column(
            [
                ft.Text(use.get("technique", ""), weight=ft.FontWeight.BOLD),
                labelled("How effective", how),
                labelled("Used by", ", ".join(staff.get(s, "Unknown") for s in use.get("used_by", []))),
                labelled("Why it was used", use.get("reason")),
                labelled("Injuries", use.get("injuries")),
            ],
            spacing=4,
        ),
        padding=ft.Padding.only(left=12),
        border=ft.Border.only(left=ft.BorderSide(3, ft.Colors.OUTLINE_VARIANT)),
    )


class IncidentList:
    """The incident list with search (reference, individual, words) and filters, a page at a time."""

    NAME = "incidents"
    ROUTE = "/incidents"
    PAGE = 50

    def __init__(
        self,
        shell: Shell,
        window: str = "all",
        text: str = "",
        status: str = "",
        flagged: bool = False,
        parents_not_informed: bool = False,
        since: str = "",
        until: str = "",
        shown: int = PAGE,
    ) -> None:
        self.shell = shell
        # Kept in params so a refresh after a sync shows the same search.
        self.params: dict[str, Any] = {
            "window": window,
            "text": text,
            "status": status,
            "flagged": flagged,
            "parents_not_informed": parents_not_informed,
            "since": since,
            "until": until,
            "shown": shown,
        }
        self.window = window
        self.search_field = ft.TextField(
            label="Search incidents",
            hint_text="Reference, name or words",
            value=text,
            expand=True,
            on_submit=self._submitted,
        )
        self.status = ft.Dropdown(
            label="Status",
            value=status,
            options=[ft.DropdownOption(key=k, text=t) for k, t in STATUS_CHOICES],
            on_select=lambda _: self._apply(),
            width=200,
        )
        self.flagged = ft.Checkbox(label="Flagged", value=flagged, on_change=lambda _: self._apply())
        self.parents = ft.Checkbox(
            label="Parents not informed", value=parents_not_informed, on_change=lambda _: self._apply()
        )
        self.since = ft.TextField(
            label="From", hint_text="DD/MM/YYYY", value=since, width=150, on_submit=lambda _: self._apply()
        )
        self.until = ft.TextField(
            label="To", hint_text="DD/MM/YYYY", value=until, width=150, on_submit=lambda _: self._apply()
        )
        self.error = error_text()

    @property
    def refresh_after_sync(self) -> bool:
        """A sync re-renders the list, unless a search or date is being typed: that would wipe it."""
        typed = (self.search_field.value or "", self.since.value or "", self.until.value or "")
        return typed == (self.params["text"], self.params["since"], self.params["until"])

    def _inputs(self, **changes: Any) -> dict[str, Any]:
        return {
            **self.params,
            "text": self.search_field.value or "",
            "status": self.status.value or "",
            "flagged": bool(self.flagged.value),
            "parents_not_informed": bool(self.parents.value),
            "since": (self.since.value or "").strip(),
            "until": (self.until.value or "").strip(),
            "shown": self.PAGE,
            **changes,
        }

    def _apply(self, **changes: Any) -> None:
        params = self._inputs(**changes)
        try:
            date_range(params["since"], params["until"])
        except ActionError as error:
            show_error(self.error, str(error))  # the list stays as it was
            return
        self.shell.show(self.NAME, **params)

    def _submitted(self, _e: Any) -> None:
        # A whole reference (e.g. besmart-10283) goes straight to that incident: one step.
        found = self.shell.services.incidents.by_reference(self.search_field.value or "")
        if found is not None:
            self.shell.show("incident", record_id=found)
            return
        self._apply()

    def _clear(self, _e: Any) -> None:
        self.shell.show(self.NAME, window=self.window)

    def _filters(self, p: dict[str, Any], active: bool) -> ft.Control:
        """Folded away unless one is on: on a phone they would push the list off the screen."""
        on = sum(bool(p[k]) for k in ("status", "flagged", "parents_not_informed", "since", "until"))
        return ft.ExpansionTile(
            title=ft.Text(f"Filters ({on} on)" if on else "Filters"),
            leading=ft.Icon(ft.Icons.FILTER_LIST),
            expanded=bool(on) or self.error.visible,
            tile_padding=ft.Padding.symmetric(horizontal=4),
            controls_padding=ft.Padding.only(top=8),  # room for the Status field's floating label
            controls=[
                ft.Row(
                    [
                        named(self.status, "incident-status-filter", "Status"),
                        self.flagged,
                        self.parents,
                        named(self.since, "incident-since"),
                        named(self.until, "incident-until"),
                        *([ft.TextButton("Clear filters", on_click=self._clear)] if active else []),
                    ],
                    wrap=True,
                )
            ],
        )

    def build(self) -> ft.Control:
        _label, days = WINDOWS[self.window]
        p = self.params
        since, until = date_range(p["since"], p["until"])
        query = IncidentFilter(
            text=p["text"],
            status=p["status"],
            flagged=p["flagged"],
            parents_not_informed=p["parents_not_informed"],
            since=since,
            until=until,
            days=days,
        )
        found = self.shell.services.incidents.search(query, limit=max(self.PAGE, int(p["shown"])))
        count = f"{found.total} incident{'' if found.total == 1 else 's'}"
        tiles = [incident_tile(self.shell, i) for i in found.items]
        if not tiles:
            tiles = [
                empty("No incidents match. Try fewer words or clear the filters." if query.active else "No incidents.")
            ]
        if found.more:
            tiles.append(
                ft.TextButton(
                    f"Show {min(found.more, self.PAGE)} more of {found.more}",
                    icon=ft.Icons.EXPAND_MORE,
                    on_click=lambda _: self.shell.show(self.NAME, **{**p, "shown": len(found.items) + self.PAGE}),
                )
            )
        return page_body(
            heading("Incidents"),
            ft.SegmentedButton(
                segments=[ft.Segment(value=k, label=label) for k, (label, _) in WINDOWS.items()],
                selected=[self.window],
                show_selected_icon=False,  # with the tick, "Last 7 days" wraps on a phone
                on_change=lambda e: self._apply(window=e.control.selected[0]),
            ),
            ft.Row(
                [
                    named(self.search_field, "incident-search"),
                    ft.FilledButton("Search", icon=ft.Icons.SEARCH, on_click=lambda _: self._apply()),
                ]
            ),
            self._filters(p, query.active),
            self.error,
            muted(count + (" matches" if found.total == 1 else " match") if query.active else count),
            *tiles,
        )


#: the screens an incident is opened from, as its back arrow names them: it returns to the one it came from
OPENED_FROM = {
    "incidents": "incidents",
    "dashboard": "the dashboard",
    "notifications": "the inbox",
    "profile": "the profile",
    "analytics": "Analytics",
    "analytics_report": "the report",
    "compliance": "Compliance",
}
#: an incident's own screens, which its back arrow passes over (it returns to where the incident was opened)
OWN_SCREENS = ("incident", "incident_form", "letter", "ai_support")


class IncidentDetail:
    NAME = "incident"
    ROUTE = "/incidents/{record_id}"
    refresh_after_sync = True

    def __init__(self, shell: Shell, record_id: str, just_submitted: bool = False, audited: bool = False) -> None:
        self.shell = shell
        #: `audited`: opening the incident was audited (`Incidents.view`); showing it again is not a new view
        self.params = {"record_id": record_id, "just_submitted": just_submitted, "audited": audited}
        self.record_id = record_id

    def _reload(self) -> None:
        self.shell.show("incident", record_id=self.record_id, audited=True)

    async def _download(self, _e: Any) -> None:
        """The incident's PDF (built and audited by app.downloads): a browser download in the web client, a
        save dialog on desktop. The picker is kept on the screen: Flet drops a service nothing refers to."""
        download = self.shell.act(lambda: self.shell.services.downloads.incident(self.record_id))
        if download is None:
            return
        await self.shell.save_file(download, "Save the incident report")

    def _parents_informed(self, _e: Any) -> None:
        method = ft.Dropdown(
            label="How were they informed?",
            value=ContactMethod.PHONE.value,
            options=[ft.DropdownOption(key=m.value, text=label(ContactMethod, m)) for m in ContactMethod],
        )

        content = named(method, "parents-informed-method", "How were they informed?")
        self.shell.ask(
            "Parents informed",
            content,
            "Confirm",
            lambda: self.shell.services.incidents.parents_informed(self.record_id, method=method.value or "phone"),
            done="Recorded: parents informed",
            then=lambda _: self._reload(),
        )

    def _flag(self, flagged: bool) -> None:
        """Flag the incident for a lead, with a reason if the person gives one (app.incidents: it is optional, and
        the report says "Flagged: Yes" without one), or clear the flag."""
        reason = ft.TextField(label="Why does it need attention?", multiline=True)

        def save() -> None:
            self.shell.services.incidents.flag(self.record_id, reason.value or "", flagged=flagged)

        if not flagged:  # clearing the flag needs no reason, and no dialog to close
            self.shell.act(save)
            self._reload()
            return
        self.shell.ask("Flag for attention", reason, "Flag", save, then=lambda _: self._reload())

    def _edit(self, _e: Any) -> None:
        draft = self.shell.act(lambda: self.shell.services.incidents.edit(self.record_id))
        if draft is not None:
            self.shell.show("incident_form", draft_id=draft.id)

    def _sign_off(self, _e: Any) -> None:
        spoken = {"staff": False, "child": False}

        def staff_said(on: bool) -> None:
            spoken["staff"] = on

        def child_said(on: bool) -> None:
            spoken["child"] = on

        notes = ft.TextField(label="Review notes", multiline=True)
        content = ft.Column(
            [
                labelled_toggle("I have spoken to the staff involved", False, staff_said),
                labelled_toggle("The child has been spoken to about it", False, child_said),
                notes,
            ],
            tight=True,
        )
        self.shell.ask(
            "Sign off as accurate",
            content,
            "Sign off",
            lambda: self.shell.services.incidents.sign_off(
                self.record_id,
                staff_spoken_to=spoken["staff"],
                child_spoken_to=spoken["child"],
                notes=notes.value or "",
            ),
            done="Signed off",
            then=lambda _: self._reload(),
        )

    def _delete(self, _e: Any) -> None:
        """Deleting a submitted incident needs a reason: the dialog stays open, saying so, until one is given."""
        reason = ft.TextField(label="Reason for deleting it", multiline=True)
        content = ft.Column(
            [ft.Text("Staff will no longer see it; it is kept for leads and the audit log."), reason], tight=True
        )
        self.shell.ask(
            "Delete this incident?",
            content,
            "Delete",
            lambda: self.shell.services.incidents.delete(self.record_id, reason.value or ""),
            done="Incident deleted",
            then=lambda _: self.shell.show("incidents"),
        )

    def _resolve(self, field: str, value: Any) -> None:
        self.shell.act(
            lambda: self.shell.services.incidents.resolve_conflict(self.record_id, field, value),
            done="Conflict resolved",
        )
        self._reload()

    def build(self) -> ft.Control:
        services = self.shell.services
        incident = (
            services.incidents.get(self.record_id)
            if self.params["audited"]
            else services.incidents.view(self.record_id)
        )
        self.params["audited"] = True
        v = incident.values
        staff = services.context.staff_names()
        people = services.context.individual_names()
        ctx = services.context
        reference = reference_label(v.get("reference"), status=v.get("status"), pending=incident.pending)
        actions: list[ft.Control] = [
            ft.OutlinedButton("Parents informed", icon=ft.Icons.THUMB_UP_OUTLINED, on_click=self._parents_informed),
            ft.OutlinedButton(
                "Remove flag" if v.get("flagged") else "Flag",
                icon=ft.Icons.FLAG_OUTLINED,
                on_click=lambda _: self._flag(not v.get("flagged")),
            ),
        ]
        if services.incidents.can_edit(incident):
            # A draft begun on another device is finished here: its form submits it.
            unfinished = (v.get("status") or IncidentStatus.DRAFT) == IncidentStatus.DRAFT
            edit = "Continue the report" if unfinished else "Edit"
            actions.append(ft.OutlinedButton(edit, icon=ft.Icons.EDIT_OUTLINED, on_click=self._edit))
        if services.incidents.can_sign_off(incident):  # submitted reports only: never a draft
            actions.append(ft.OutlinedButton("Sign off", icon=ft.Icons.VERIFIED_OUTLINED, on_click=self._sign_off))
        if services.downloads.allowed():
            actions.append(ft.OutlinedButton("Download", icon=ft.Icons.DOWNLOAD_OUTLINED, on_click=self._download))
        actions.append(
            ft.OutlinedButton(
                "Draft a letter",
                icon=ft.Icons.MAIL_OUTLINE,
                on_click=lambda _: self.shell.show("letter", record_id=self.record_id),
            )
        )
        actions.append(ai_support_button(self.shell, incident_id=self.record_id))
        actions.append(history_button(self.shell, self.record_id))
        if ctx.can(Capability.DELETE_INCIDENTS) and not v.get("removed"):
            actions.append(ft.OutlinedButton("Delete", icon=ft.Icons.DELETE_OUTLINE, on_click=self._delete))

        came_from = self.shell.came_from(OWN_SCREENS)
        back = came_from if came_from is not None and came_from[0] in OPENED_FROM else ("incidents", {})
        sections: list[ft.Control] = [
            back_title(
                reference,
                tooltip=f"Back to {OPENED_FROM[back[0]]}",
                identifier="back-to-incidents",
                on_back=lambda _: self.shell.show(back[0], **back[1]),
            ),
            muted(
                f"{people.get(incident.profile_id or '', 'Unknown')} · "
                + label(IncidentStatus, v.get("status") or IncidentStatus.DRAFT)
                + (" · waiting for sync" if incident.pending else "")
            ),
            ft.Row(actions, wrap=True),
            *(
                what_next(self.shell, self.record_id, incident.profile_id or "")
                if self.params["just_submitted"]
                else []
            ),
            *clocks_panel(self.shell, self.record_id),
            *([muted(f"Deleted: {v.get('removed_reason', '')}")] if v.get("removed") else []),
        ]
        if incident.conflicts:
            sections.append(
                self._conflicts(
                    incident.conflicts, v, {**people, **staff}, can_resolve=services.incidents.can_edit(incident)
                )
            )
        sections.append(
            card(
                heading("Incident", size=16),
                labelled("When", when(v.get("occurred_at"))),
                labelled("Where", v.get("location")),
                labelled("What happened", v.get("what_happened")),
                labelled("What happened beforehand", v.get("what_happened_before")),
                labelled("Staff present", ", ".join(staff.get(s, "Unknown") for s in v.get("staff_present", []))),
                labelled(
                    "Other individuals", ", ".join(people.get(p, "Unknown") for p in v.get("other_individuals", []))
                ),
                labelled("Injury", v.get("injury")),
                *(
                    [labelled(TEXT_FIELDS[f], v.get(f)) for f in ("injury_who", "injury_details", "injury_treatment")]
                    if v.get("injury")
                    else []
                ),
                labelled(
                    "Recorded by", f"{staff.get(v.get('recorded_by', ''), 'Unknown')}, {when(v.get('recorded_at'))}"
                ),
                labelled("Parents informed", parents_line(v)),
                *([labelled("Flagged", v.get("flag_reason") or "Yes")] if v.get("flagged") else []),
            )
        )
        if v.get("physical_intervention"):
            sections.append(
                card(
                    heading("Physical intervention", size=16),
                    *[
                        labelled(TEXT_FIELDS[f], v.get(f))
                        for f in (
                            "pi_behaviours_low",
                            "pi_behaviours_medium",
                            "pi_behaviours_high",
                            "pi_staff_response",
                            "pi_alternative_responses",
                        )
                    ],
                    labelled("De-escalation", "\n".join(deescalation_line(d) for d in v.get("pi_deescalation", []))),
                    heading("Physical techniques", size=14),
                    *([technique_block(t, staff) for t in v.get("pi_techniques", [])] or [muted("None recorded.")]),
                    labelled("Started", when(v.get("pi_started_at"))),
                    labelled("Ended", when(v.get("pi_ended_at"))),
                    *[
                        labelled(TEXT_FIELDS[f], v.get(f))
                        for f in (
                            "pi_reason",
                            "pi_steps_to_avoid",
                            "pi_injuries",
                            "pi_medical_treatment",
                            "pi_support_after",
                        )
                    ],
                    labelled("Smart Plan followed", v.get("pi_plan_followed")),
                    labelled("Reported to", label(ReportRoute, v.get("pi_report_route"))),
                    *(
                        [labelled(TEXT_FIELDS["pi_report_route_reason"], v["pi_report_route_reason"])]
                        if v.get("pi_report_route_reason")
                        else []
                    ),
                )
            )
        sections.append(
            card(
                heading("Post-incident learning", size=16),
                *[
                    labelled(TEXT_FIELDS[f], v.get(f))
                    for f in (
                        "pild_perspective",
                        "pild_feelings",
                        "pild_next_time",
                        "pild_triggers",
                        "pild_adjustments",
                        "pild_comments",
                    )
                ],
                labelled(
                    "Discriminatory, prejudiced or other behaviour",
                    ", ".join(label(DiscriminationCategory, c) for c in v.get("discriminatory_categories", []))
                    or bool(v.get("discriminatory", False)),
                ),
                labelled(
                    "Suspensions / exclusions",
                    "\n".join(exclusion_line(e) for e in v.get("exclusions", [])),
                ),
            )
        )
        if v.get("review_signed_off_by"):
            sections.append(
                card(
                    heading("Review", size=16),
                    labelled(
                        "Signed off by",
                        f"{staff.get(v['review_signed_off_by'], 'Unknown')}, {when(v.get('review_signed_off_at'))}",
                    ),
                    labelled("Child spoken to", when(v.get("review_child_spoken_at")) or "Not yet"),
                    labelled("Notes", v.get("review_notes")),
                )
            )
        return page_body(*sections)

    def _conflicts(
        self, conflicts: list[Any], values: dict[str, Any], names: dict[str, str], *, can_resolve: bool
    ) -> ft.Control:
        def shown(field: str, value: Any) -> str:
            enum = ENUM_FIELDS.get(field)
            if isinstance(value, bool):
                return "Yes" if value else "No"
            if isinstance(value, list):
                words = (label(enum, v) if enum else names.get(str(v), str(v)) for v in value)
                return ", ".join(words) or "—"
            if value in (None, ""):
                return "—"
            return label(enum, value) if enum else str(value)

        return conflicts_panel(
            conflicts,
            values,
            title_of=field_title,
            shown=shown,
            names=names,
            on_keep=self._resolve if can_resolve else None,
            who_decides="a lead, or the person who recorded it,",
        )
