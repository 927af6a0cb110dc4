"""The incident report form, page by page: the incident; physical intervention (when recording an incident
involving Physical Intervention); post-incident learning; then Submit. Every change is saved to the draft
as it is made, so leaving or restarting the app resumes exactly here."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.context import ActionError, StoreLockedError
from app.incidents import FIELD_LABELS as TEXT_FIELDS
from app.incidents import IncidentDraft
from app.vocabulary import (
    EXCLUSION_REASON_LABELS,
    DiscriminationCategory,
    Effectiveness,
    ExclusionType,
    ReportRoute,
    options,
)
from screens.feedback import language_report
from screens.language_check import check_before_submit, with_language_check
from screens.ui import (
    ask,
    date_time_field,
    entry_list,
    error_text,
    fields_in_error,
    heading,
    labelled_toggle,
    muted,
    named,
    page_body,
    people_picker,
    show_error,
)

if TYPE_CHECKING:
    from screens.shell import Shell


class IncidentForm:
    NAME = "incident_form"
    ROUTE = "/drafts/{draft_id}"
    refresh_after_sync = False  # never re-render a form under the user's fingers

    def __init__(self, shell: Shell, draft_id: str) -> None:
        self.shell = shell
        self.params = {"draft_id": draft_id}
        self.incidents = shell.services.incidents
        self.draft: IncidentDraft = self.incidents.draft(draft_id)
        #: typed but not saved yet (the disk was full): still on the screen, saved with the next save
        self.unsaved: dict[str, Any] = {}
        self.error = error_text()
        #: the current page's controls, as built (what `_refused_fields` looks through)
        self.body: list[ft.Control] = []

    # --- saving ---------------------------------------------------------------------------------

    def save(self, **values: Any) -> None:
        """Autosave one change into the draft. A change that could not be saved (a full disk) goes with the
        next save that works, so nothing typed is lost by carrying on or changing page."""
        values = {**self.unsaved, **values}
        draft = self.shell.act(lambda: self.incidents.save_page(self.draft.id, values))
        if draft is not None:
            self.draft = draft
            self.unsaved = {}
        else:
            self.unsaved = values

    def value(self, name: str, default: Any = "") -> Any:
        found = self.draft.values.get(name)
        return default if found is None else found

    def _refused_fields(self) -> bool:
        """Whether a field of this page shows a refused value; if so, say which (the page stays)."""
        flagged = fields_in_error(*self.body)
        if flagged:
            show_error(self.error, f"Put right the field marked in red first: {', '.join(flagged)}.")
            self.shell.page.update()
        return bool(flagged)

    def _go_to(self, page: int) -> None:
        if self._refused_fields():
            return
        draft = self.shell.act(lambda: self.incidents.save_page(self.draft.id, dict(self.unsaved), page=page))
        if draft is not None:
            self.unsaved = {}
            self.shell.show("incident_form", draft_id=self.draft.id)

    def entry_problems(self) -> list[str]:
        """What is missing in the added techniques and exclusions, in plain words. The model's own messages
        ("pi deescalation.0.technique: String should have at least 1 character") mean nothing to a user."""
        values = self.draft.values
        problems = []
        if self.draft.physical_intervention:
            for key, what in (("pi_deescalation", "De-escalation technique"), ("pi_techniques", "Physical technique")):
                for n, item in enumerate(values.get(key) or [], 1):
                    if not str(item.get("technique") or "").strip():
                        problems.append(
                            f"{what} {n} on the Physical intervention page has no name: type it, or remove it."
                        )
        for n, item in enumerate(values.get("exclusions") or [], 1):
            reasons = item.get("reasons") or []
            if not 1 <= len(reasons) <= 3:
                problems.append(f"Suspension or exclusion {n}: choose one to three reasons.")
            if item.get("type") != ExclusionType.PERM.value and not 1 <= (item.get("sessions") or 0) <= 90:
                problems.append(f"Suspension or exclusion {n}: give its length in sessions (1 to 90; a day is 2).")
        return problems

    def _submit(self, _e: Any) -> None:
        if self._refused_fields():
            return
        if not str(self.value("what_happened")).strip() and self.draft.page != 0:
            # The one field a report cannot go without is on the first page: take the writer there to say it.
            self._go_to(0)
            self.shell.toast("Say what happened before submitting the report.", error=True)
            return
        problems = self.entry_problems()
        if problems:
            show_error(self.error, "Before submitting: " + " ".join(problems))
            self.shell.page.update()
            return
        texts = {name: str(self.draft.values.get(name) or "") for name in TEXT_FIELDS}
        if check_before_submit(self.shell, self.draft.id, texts, TEXT_FIELDS, lambda: self._submit(None)):
            return
        if self.shell.act(lambda: self.incidents.amends(self.draft.id)):
            # An edit of a submitted report is an amendment: it is saved with its reason.
            self._ask_reason()
            return
        self._save("")

    def _ask_reason(self) -> None:
        """The reason for an amendment, in a dialog that stays open, saying so, until one is given."""
        reason = ft.TextField(label="Why are you changing it?", multiline=True, autofocus=True)
        problem = error_text()

        def save(_e: Any) -> None:
            if not (reason.value or "").strip():
                show_error(problem, "Say why you are changing the report: the reason is kept with the change.")
                self.shell.page.update()
                return
            self.shell.page.pop_dialog()
            self._save(reason.value or "")

        self.shell.page.show_dialog(
            ft.AlertDialog(
                title=ft.Text("Reason for the amendment"),
                content=ft.Column(
                    [
                        muted("The report has been submitted: the change and its reason are kept in its history."),
                        reason,
                        problem,
                    ],
                    tight=True,
                ),
                actions=[
                    ft.TextButton("Cancel", on_click=lambda _: self.shell.page.pop_dialog()),
                    ft.TextButton("Save amendment", on_click=save),
                ],
            )
        )

    def _save(self, reason: str) -> None:
        try:
            editing = not self.incidents.finishes(self.draft.id)  # asked before: submitting deletes the draft
            record_id = self.incidents.submit(self.draft.id, reason=reason)
        except ActionError as failure:  # shown next to the form; the draft is kept as it was
            show_error(self.error, str(failure))
            self.shell.page.update()
            return
        except StoreLockedError:  # it locked itself while the form was open: the draft waits for the passcode
            self.shell.root.lock()
            return
        self.shell.services.language_review.forget(self.draft.id)
        self.shell.sync.request_sync()
        if reason:  # an amendment: its history shows it; "What next?" is for a report just made
            self.shell.toast("Amendment saved with its reason. It will be in the report's history.")
            self.shell.show("incident", record_id=record_id)
            return
        if editing:  # follow-up, or nothing changed: nobody is notified of it
            self.shell.toast("Changes saved.")
            self.shell.show("incident", record_id=record_id)
            return
        self.shell.toast(
            "Report submitted. Key people will be notified when it syncs.",
            action="AI Support",
            on_action=lambda _: self.shell.show("ai_support", incident_id=record_id),
        )
        self.shell.show("incident", record_id=record_id, just_submitted=True)  # with "What next?"

    def _discard(self, _e: Any) -> None:
        edited = self.draft.record_id  # an edit of a recorded incident: only the edit goes, the incident stays

        def discard() -> None:
            self.shell.act(lambda: self.incidents.discard(self.draft.id))
            if edited is not None:
                self.shell.show("incident", record_id=edited)
            else:
                self.shell.show("record")

        if edited is not None:
            title, content = "Discard these changes?", "The incident stays as it was; only your edit is deleted."
        else:
            title, content = "Discard this report?", "What you have typed will be deleted from this device."
        ask(self.shell.page, title, ft.Text(content), "Discard", discard, cancel="Keep it")

    # --- fields ---------------------------------------------------------------------------------

    def text(self, name: str, *, multiline: bool = True) -> ft.Control:
        """A text field that saves as it is typed; a long one has "Check language" underneath."""
        field = ft.TextField(
            label=TEXT_FIELDS[name],
            value=self.value(name),
            multiline=multiline,
            min_lines=2 if multiline else 1,
            on_change=lambda e: self.save(**{name: e.control.value or ""}),
        )
        if not multiline:
            return field
        return with_language_check(
            field,
            identifier=name.replace("_", "-"),
            on_replaced=lambda text: self.save(**{name: text}),
            report=language_report(self.shell, self.draft.profile_id),
            on_checked=lambda flags: self.shell.services.language_review.saw(self.draft.id, name, flags),
        )

    def save_checked(self, **values: Any) -> str | None:
        """Save a change the service may refuse (a moment in the future); returns the refusal to show by the
        field instead of a toast."""
        try:
            self.draft = self.incidents.save_page(self.draft.id, values)
        except ActionError as failure:
            return str(failure)
        except StoreLockedError:  # it locked itself while the form was open: the draft waits for the passcode
            self.shell.root.lock()
        return None

    def moment(self, name: str, label: str) -> ft.Row:
        return date_time_field(
            label,
            self.value(name, None),
            lambda iso: self.save_checked(**{name: iso}),
            identifier=name.replace("_", "-"),
            latest=dt.date.today(),
            required=name == "occurred_at",
        )

    def people(self, name: str, label: str, people: dict[str, str]) -> ft.Column:
        return people_picker(
            label,
            people,
            list(self.value(name, [])),
            lambda chosen: self.save(**{name: chosen}),
            identifier=name.replace("_", "-"),
        )

    def yes_no(self, name: str, label: str, on_change: Callable[[bool], None] | None = None) -> ft.Control:
        def changed(on: bool) -> None:
            self.save(**{name: on})
            if on_change:
                on_change(on)

        return labelled_toggle(label, bool(self.value(name, False)), changed, switch=True)

    def choose_many(self, name: str, options: dict[str, str]) -> ft.Column:
        chosen = list(self.value(name, []))

        def toggle(key: str, on: bool) -> None:
            if on and key not in chosen:
                chosen.append(key)
            elif not on and key in chosen:
                chosen.remove(key)
            self.save(**{name: list(chosen)})

        return ft.Column(
            [labelled_toggle(label, key in chosen, functools.partial(toggle, key)) for key, label in options.items()],
            spacing=0,
        )

    def dropdown(self, name: str, label: str, options: dict[str, str]) -> ft.Control:
        return named(
            ft.Dropdown(
                label=label,
                value=self.value(name, None),
                options=[ft.DropdownOption(key=k, text=v) for k, v in options.items()],
                on_select=lambda e: self.save(**{name: e.control.value}),
            ),
            name.replace("_", "-"),
            label,
        )

    def entries(
        self, name: str, title: str, make: Callable[[], dict[str, Any]], editor: Callable[..., list[ft.Control]]
    ) -> ft.Column:
        """A list of structured entries (techniques, exclusions): edit, add, remove."""
        return entry_list(
            title,
            self.value(name, []),
            make,
            editor,
            lambda items: self.save(**{name: items}),
            identifier=name.replace("_", "-"),
        )

    # --- the pages ------------------------------------------------------------------------------

    def _incident_page(self) -> list[ft.Control]:
        staff = self.shell.services.context.staff_names()
        me = self.shell.services.context.user.id
        people = {k: v for k, v in self.shell.services.context.individual_names().items() if k != self.draft.profile_id}
        injury_details = ft.Column(
            [self.text("injury_who", multiline=False), self.text("injury_details"), self.text("injury_treatment")],
            visible=bool(self.value("injury", False)),
        )

        def injury_changed(on: bool) -> None:
            injury_details.visible = on
            self.shell.page.update()

        return [
            self.moment("occurred_at", "When did it happen?"),
            self.text("location", multiline=False),
            self.text("what_happened"),
            self.text("what_happened_before"),
            muted("Who was present? They will be notified and invited to collaborate."),
            self.people("staff_present", "Staff present", {k: v for k, v in staff.items() if k != me}),
            muted("Other individuals involved"),
            self.people("other_individuals", "Other individuals", people),
            self.yes_no("injury", "Did an injury occur?", injury_changed),
            injury_details,
        ]

    def _physical_page(self) -> list[ft.Control]:
        def technique_editor(item: dict[str, Any], store: Callable[[], None], physical: bool) -> list[ft.Control]:
            def set_(key: str, value: Any) -> None:
                item[key] = value
                store()

            fields: list[ft.Control] = [
                ft.TextField(
                    label="Technique",
                    value=item.get("technique", ""),
                    on_change=lambda e: set_("technique", e.control.value or ""),
                ),
                named(
                    ft.Dropdown(
                        label="Effectiveness",
                        value=item.get("effectiveness"),
                        options=[ft.DropdownOption(key=k, text=v) for k, v in options(Effectiveness).items()],
                        on_select=lambda e: set_("effectiveness", e.control.value),
                    ),
                    "effectiveness",
                    "Effectiveness",
                ),
            ]
            if physical:
                fields += [
                    ft.TextField(
                        label="Duration (minutes)",
                        value=str(item.get("duration_minutes") or ""),
                        keyboard_type=ft.KeyboardType.NUMBER,
                        on_change=lambda e: set_(
                            "duration_minutes", int(e.control.value) if (e.control.value or "").isdigit() else None
                        ),
                    ),
                    ft.TextField(
                        label="Reason",
                        value=item.get("reason", ""),
                        on_change=lambda e: set_("reason", e.control.value or ""),
                    ),
                    ft.TextField(
                        label="Injuries",
                        value=item.get("injuries", ""),
                        on_change=lambda e: set_("injuries", e.control.value or ""),
                    ),
                ]
            else:
                fields.append(
                    ft.TextField(
                        label="Notes",
                        value=item.get("notes", ""),
                        on_change=lambda e: set_("notes", e.control.value or ""),
                    )
                )
            return fields

        return [
            self.text("pi_behaviours_low"),
            self.text("pi_behaviours_medium"),
            self.text("pi_behaviours_high"),
            self.text("pi_staff_response"),
            self.text("pi_alternative_responses"),
            self.entries(
                "pi_deescalation",
                "De-escalation techniques used, and how effective each was",
                lambda: {"technique": ""},  # how effective it was is the writer's to say: no default
                lambda item, store: technique_editor(item, store, physical=False),
            ),
            self.entries(
                "pi_techniques",
                "Physical techniques used, and how effective each was",
                lambda: {"technique": ""},
                lambda item, store: technique_editor(item, store, physical=True),
            ),
            self.moment("pi_started_at", "Physical intervention started"),
            self.moment("pi_ended_at", "Physical intervention ended"),
            self.text("pi_reason"),
            self.text("pi_steps_to_avoid"),
            self.text("pi_injuries"),
            self.text("pi_medical_treatment"),
            self.yes_no("pi_plan_followed", "The Smart Plan was followed"),
            self.text("pi_support_after"),
            self.dropdown(
                "pi_report_route",
                "Reported to",
                options(ReportRoute),
            ),
            self.text("pi_report_route_reason"),
        ]

    def _learning_page(self) -> list[ft.Control]:
        categories = options(DiscriminationCategory)
        category_box = ft.Column(
            [self.choose_many("discriminatory_categories", categories)],
            visible=bool(self.value("discriminatory", False)),
        )

        def discriminatory_changed(on: bool) -> None:
            category_box.visible = on
            self.shell.page.update()

        def exclusion_editor(item: dict[str, Any], store: Callable[[], None]) -> list[ft.Control]:
            def set_(key: str, value: Any) -> None:
                item[key] = value
                store()

            reasons = list(item.get("reasons", []))

            def toggle(code: str, on: bool) -> None:
                if on and code not in reasons:
                    reasons.append(code)
                elif not on and code in reasons:
                    reasons.remove(code)
                set_("reasons", list(reasons))

            return [
                named(
                    ft.Dropdown(
                        label="Type",
                        value=item.get("type"),
                        options=[
                            ft.DropdownOption(key=ExclusionType.SUSP.value, text="Suspension (SUSP)"),
                            ft.DropdownOption(key=ExclusionType.LNCH.value, text="Lunchtime suspension (LNCH)"),
                            ft.DropdownOption(key=ExclusionType.PERM.value, text="Permanent exclusion (PERM)"),
                        ],
                        on_select=lambda e: set_("type", e.control.value),
                    ),
                    "exclusion-type",
                    "Type of suspension or exclusion",
                ),
                ft.TextField(
                    label="Length in sessions (a day is 2)",
                    value=str(item.get("sessions") or ""),
                    keyboard_type=ft.KeyboardType.NUMBER,
                    on_change=lambda e: set_(
                        "sessions", int(e.control.value) if (e.control.value or "").isdigit() else None
                    ),
                ),
                muted("Reasons (up to three)"),
                ft.Column(
                    [
                        labelled_toggle(
                            f"{code.value} — {label}", code.value in reasons, functools.partial(toggle, code.value)
                        )
                        for code, label in EXCLUSION_REASON_LABELS.items()
                    ],
                    spacing=0,
                ),
            ]

        return [
            self.text("pild_perspective"),
            self.text("pild_feelings"),
            self.text("pild_next_time"),
            self.text("pild_triggers"),
            self.text("pild_adjustments"),
            self.text("pild_comments"),
            self.yes_no(
                "discriminatory", "Discriminatory, prejudiced or other behaviour displayed", discriminatory_changed
            ),
            category_box,
            self.entries(
                "exclusions",
                "Suspensions or permanent exclusions linked to this incident",
                lambda: {"type": ExclusionType.SUSP.value, "sessions": 2, "reasons": []},
                exclusion_editor,
            ),
        ]

    def build(self) -> ft.Control:
        pages = self.draft.pages
        index = min(self.draft.page, len(pages) - 1)
        title, _fields = pages[index]
        body = self.body = {
            "Incident": self._incident_page,
            "Physical intervention": self._physical_page,
            "Post-incident learning": self._learning_page,
        }[title]()
        name = self.shell.services.context.individual_names().get(self.draft.profile_id, "")
        last = index == len(pages) - 1
        finishing = self.incidents.finishes(self.draft.id)  # a new report, or a draft begun on another device
        nav: list[ft.Control] = [
            *([ft.OutlinedButton("Previous Page", on_click=lambda _: self._go_to(index - 1))] if index else []),
            # An edit of a submitted report saves its changes; a new report, or a synced draft, is submitted.
            ft.Button(
                "Submit Report" if finishing else "Save changes",
                icon=ft.Icons.SEND if finishing else ft.Icons.SAVE,
                on_click=self._submit,
            )
            if last
            else ft.Button("Next Page", on_click=lambda _: self._go_to(index + 1)),
            ft.TextButton("Discard", on_click=self._discard),
        ]
        kind = (
            "Edit incident"
            if self.draft.record_id
            else ("Incident involving Physical Intervention" if self.draft.physical_intervention else "Incident Report")
        )
        return page_body(  # its inputs fill the width, as on every other screen
            heading(f"{kind} — {name}"),
            muted(f"Page {index + 1} of {len(pages)}: {title} · saved as you type"),
            *body,
            self.error,
            ft.Row(nav, wrap=True),
        )
