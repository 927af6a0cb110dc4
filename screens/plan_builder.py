"""The Smart Plan Builder: a draft plan walked one step a screen (so it works on a phone) — its details, the four
reflection questions with the individual's figures, each section of text with that section's suggestions from
the record beside it (each showing where it came from, to accept, edit then accept, or dismiss: nothing is added
unasked), its targets, its contributors and agreement — every item kept as it is typed; then Publish (or, for a
plan lead who may not publish, Save draft). Its back arrow returns to the screen it was opened from. Also the
"What next?" panel an incident shows straight after it is submitted: Smart Plan / AI Support.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.context import ActionError, PermissionDenied
from app.plan_builder import Reflection, Suggestion
from app.plans import WRITTEN_ITEMS, review_date_passed, written_items
from app.vocabulary import PLAN_SECTIONS, Capability, ContributorRole, PlanStatus, PlanType, options, uk_day
from screens.feedback import language_report
from screens.language_check import check_before_submit, language_check
from screens.ui import UK, back_title, card, empty, entry_list, heading, muted, named, page_body, picked_date

if TYPE_CHECKING:
    from screens.shell import Shell

REFLECTION = "Reflection"
FINISH = "Publish"
#: (key, title, items) of each step, in order: the plan's details, reflection on the figures, then the plan's
#: sections (its review log is added to once it is published, on the plan itself), then publishing
STEPS: list[tuple[str, str, tuple[tuple[str, str], ...]]] = [
    PLAN_SECTIONS[0],
    ("reflection", REFLECTION, ()),
    *(section for section in PLAN_SECTIONS[1:] if section[0] != "review_log"),
    ("finish", FINISH, ()),
]
#: the steps not made of text items (and how each is shown)
STRUCTURED = ("header", "reflection", "targets", "agreement", "finish")
#: a yes/no item that may not have been answered yet
ANSWERS = {"unknown": "Not recorded", "yes": "Yes", "no": "No"}
LINKS = ("link_ehcp", "link_pep", "link_placement_plan", "link_risk_assessment")
ITEM_LABELS = {name: text for _key, _title, items in PLAN_SECTIONS for name, text in items}


def language_checked(shell: Shell, plan_id: str, then: Callable[[], Any]) -> None:
    """Run `then` (publishing) after the gentle language check of the plan's words, once: what it finds that
    was not seen under the items is shown first, with "Submit anyway" going on to `then`."""
    values = shell.services.plans.get(plan_id).values
    texts = {name: value for name, value in values.items() if name in ITEM_LABELS and isinstance(value, str)}
    if not check_before_submit(shell, plan_id, texts, ITEM_LABELS, then):
        then()


#: how many of a suggestion's sources its card names before "and N more"
SOURCES_SHOWN = 3
#: the screens the builder is opened from, as its back arrow names them; from anywhere else it goes back to the
#: individual's profile
BACK_TO = {
    "profile": "the profile",
    "smart_plans": "Smart Plans",
    "smart_plan": "the plan",
    "incident": "the incident",
    "notifications": "the inbox",
    "dashboard": "the dashboard",
}
#: side by side from a tablet's width; one above the other on a phone
MAIN_COLUMN: dict[str | ft.ResponsiveRowBreakpoint, int | float] = {"xs": 12, "md": 7}
SIDE_COLUMN: dict[str | ft.ResponsiveRowBreakpoint, int | float] = {"xs": 12, "md": 5}


def has_screen(name: str) -> bool:
    """Whether screen `name` is in this build (a screen another part links to may not be yet)."""
    from screens.registry import SCREENS  # here, not at the top: the registry imports this module

    return name in SCREENS


def _weeks(recent: int, before: int) -> str:
    return f"{recent} in the last 4 weeks, {before} in the 4 weeks before"


def _counted(rows: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in rows) or "None recorded"


def item_named(field: str) -> str:
    """A plan item's name inside a sentence ("For “In my own words”"): its label is a heading's words."""
    return f"“{ITEM_LABELS[field]}”"


def where_from(suggestion: Suggestion) -> str:
    """What a suggestion is for and where it came from: every record its words were found in, the newest first."""
    labels = [source.label for source in suggestion.sources]
    if len(labels) == 1:
        return f"For {item_named(suggestion.field)} · from {labels[0]}"
    more = len(labels) - SOURCES_SHOWN
    shown = "; ".join(labels[:SOURCES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    return f"For {item_named(suggestion.field)} · recorded {len(labels)} times: {shown}"


def reflection_cards(figures: Reflection) -> list[ft.Control]:
    """The seed's four questions, each with the individual's figures beside it: for a ResponsiveRow, two a row
    from a tablet's width."""
    behaviours = [muted(f"{name}: {_weeks(*counts)}") for name, counts in figures.behaviours.items()]
    techniques = [
        muted(f"{t.technique}: effective {t.effective}, partly {t.partly_effective}, not effective {t.not_effective}")
        for t in figures.techniques
    ]
    not_followed = [muted(f"{reference}, {uk_day(day)}") for _id, reference, day in figures.plan_not_followed]
    cards = [
        card(
            heading("What behaviours are we seeing?", size=16),
            muted(f"Incidents: {_weeks(*figures.incidents)}"),
            *(behaviours or [muted("No Behaviour Clicker taps in the last 8 weeks.")]),
        ),
        card(
            heading("What triggers are evident?", size=16),
            muted(f"Most frequent triggers: {_counted(figures.triggers)}"),
            muted(f"Times of day: {_counted(figures.times_of_day)}"),
            muted(f"Days: {_counted(figures.days)}"),
            muted(f"Places: {_counted(figures.locations)}"),
        ),
        card(
            heading("What strategies have worked before?", size=16),
            *(techniques or [muted("No techniques rated in the last 8 weeks.")]),
        ),
        card(
            heading("Are we responding consistently?", size=16),
            *(
                [muted("Incidents where the Smart Plan was not followed:"), *not_followed]
                if not_followed
                else [muted("No incident in the last 8 weeks says the Smart Plan was not followed.")]
            ),
        ),
    ]
    for each in cards:
        each.col = {"xs": 12, "md": 6}
    return list(cards)


class PlanBuilderScreen:
    NAME = "plan_builder"
    ROUTE = "/plans/{plan_id}/build"
    refresh_after_sync = False  # never re-render what is being typed

    def __init__(self, shell: Shell, plan_id: str, step: int = 0, audited: bool = False) -> None:
        self.shell = shell
        self.services = shell.services
        self.builder = shell.services.plan_builder
        self.plans = shell.services.plans
        # Opening the builder is a view of the plan (audited once, `Plans.view`); its own steps are not new views.
        self.plan = self.plans.get(plan_id) if audited else self.plans.view(plan_id)
        if not audited and self.shell.act(lambda: self.builder.fill_from_profile(plan_id)):
            self.plan = self.plans.get(plan_id)  # with what the profile answers (an EHC plan)
        status = self.plan.values.get("status")
        if status == PlanStatus.ARCHIVED.value or self.plan.values.get("removed"):
            raise ActionError("This version of the Smart Plan is archived: it can be read but not changed.")
        self.published = status == PlanStatus.ACTIVE.value
        if not self.published and not self.plans.can_edit(self.plan):
            raise PermissionDenied("Only a lead or the plan's lead may build this Smart Plan.")
        self.step = len(STEPS) - 1 if self.published else max(0, min(int(step), len(STEPS) - 1))
        self.params: dict[str, Any] = {"plan_id": plan_id, "step": self.step, "audited": True}
        self.plan_id = plan_id
        #: where the back arrow goes: the screen the builder was opened from (`_back_to`)
        self.back: tuple[str, dict[str, Any]] = ("profile", {"profile_id": self.plan.profile_id})

    # --- acting ---------------------------------------------------------------------------------

    def _ran(self, action: Callable[[], object], done: str | None = None) -> bool:
        """Run a user action through the shell (its error shown in plain words); whether it was done."""

        def run() -> bool:
            action()
            return True

        return self.shell.act(run, done=done) is True

    def _saved(self) -> bool:
        """Write what was typed to the plan; False (and the reason shown) if it could not be."""
        return self._ran(lambda: self.builder.save_typing(self.plan_id))

    def _back_to(self) -> tuple[str, dict[str, Any]]:
        """The screen the builder was opened from (passing over its own steps), as (name, parameters); the
        individual's profile when it was none of `BACK_TO` (opened by its address, say)."""
        came_from = self.shell.came_from((self.NAME,))
        if came_from is None or came_from[0] not in BACK_TO:
            return "profile", {"profile_id": self.plan.profile_id}
        name, params = came_from
        if name == "incident":  # "What next?" is for straight after submitting, not for coming back
            params = {**params, "just_submitted": False}
        return name, params

    def _leave(self) -> None:
        """Back where the builder was opened from, with what was typed written to the draft first."""
        if self.published or self._saved():
            name, params = self.back
            self.shell.show(name, **params)

    def _go(self, step: int) -> None:
        if self._saved():
            self.shell.show(self.NAME, plan_id=self.plan_id, step=step, audited=True)

    def _then_show(self, action: Callable[[], Any], done: str) -> None:
        """Save what was typed, do `action`, and show this step again with the change."""
        if self._saved() and self._ran(action, done):
            self.shell.show(self.NAME, plan_id=self.plan_id, step=self.step, audited=True)

    def _accept(self, suggestion: Suggestion) -> None:
        self._then_show(
            lambda: self.builder.accept(self.plan_id, suggestion), f"Added to {item_named(suggestion.field)}"
        )

    def _edit(self, suggestion: Suggestion) -> None:
        words = ft.TextField(label="Suggestion", value=suggestion.text, multiline=True, min_lines=2)
        content = ft.Column([muted(where_from(suggestion)), words], tight=True)

        def accept() -> None:
            self.builder.save_typing(self.plan_id)  # what was typed first, as `_then_show` does
            self.builder.accept(self.plan_id, suggestion, text=words.value or "")

        self.shell.ask(
            "Edit the suggestion",
            content,
            "Accept edited",
            accept,
            done=f"Added to {item_named(suggestion.field)}",
            then=lambda _: self.shell.show(self.NAME, plan_id=self.plan_id, step=self.step, audited=True),
        )

    def _dismiss(self, suggestion: Suggestion) -> None:
        self._then_show(lambda: self.builder.dismiss(self.plan_id, suggestion), "Suggestion dismissed")

    def _publish(self, _e: Any) -> None:
        """Publish, after the gentle language check once (what it finds that was not seen under the items)."""
        if not self._saved():
            return
        language_checked(self.shell, self.plan_id, self._publish_now)

    def _publish_now(self) -> None:
        note = self.shell.act(lambda: self.plans.publish(self.plan_id))
        if note is not None:  # published; `note` is what is still to do, if anything
            self.shell.sync.request_sync()
            published = "Published: this is now the active Smart Plan. Everyone sees it when they sync."
            self.shell.toast(" ".join((published, note)).strip())
            self.shell.show(self.NAME, plan_id=self.plan_id, step=len(STEPS) - 1, audited=True)

    def _save_draft(self, _e: Any) -> None:
        if self._saved():
            self.shell.toast("Draft saved. A lead publishes it.")
            self._open_plan()

    def _open_plan(self) -> None:
        """The plan's own view (with what was typed written first), where this build has one."""
        if has_screen("smart_plan") and self._saved():
            self.shell.show("smart_plan", plan_id=self.plan_id)

    async def _download(self, _e: Any) -> None:
        """The plan's PDF (built and audited by app.downloads), delivered the one way files are."""
        download = self.shell.act(lambda: self.services.downloads.plan(self.plan_id))
        if download is not None:
            await self.shell.save_file(download, "Save the Smart Plan")

    # --- the steps ------------------------------------------------------------------------------

    def _item(self, name: str, label: str, typed: dict[str, Any]) -> ft.Control:
        """An item's text: kept on the device as it is typed, written to the plan when the person leaves it."""
        field = ft.TextField(
            label=label,
            value=typed.get(name, str(self.plan.values.get(name) or "")),
            multiline=True,
            min_lines=2,
            on_change=lambda e: self._keep(name, e.control.value),
            on_blur=lambda _e: self._saved(),
        )

        def replaced(text: str) -> None:
            self._keep(name, text)
            self._saved()

        check = language_check(
            field,
            identifier=f"plan-{name.replace('_', '-')}",
            on_replaced=replaced,
            report=language_report(self.shell, self.plan.profile_id),
            on_checked=lambda flags: self.services.language_review.saw(self.plan_id, name, flags),
        )
        # As wide as its column: `fit_width` sizes by the window's width, too narrow beside the suggestions.
        return ft.Column([field, check], spacing=0, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def _keep(self, name: str, value: Any) -> None:
        self.shell.act(lambda: self.builder.keep_typing(self.plan_id, name, value))

    def _set(self, name: str, value: Any) -> None:
        """A choice (a dropdown, a date) is written to the plan at once, with what was typed before it."""
        if self._saved():
            self._ran(lambda: self.plans.edit(self.plan_id, {name: value}))

    def _line(self, name: str, typed: dict[str, Any]) -> ft.TextField:
        """A one-line item (the title, a link's note), kept as typed like the others."""
        return ft.TextField(
            label=ITEM_LABELS[name],
            value=typed.get(name, str(self.plan.values.get(name) or "")),
            on_change=lambda e: self._keep(name, e.control.value),
            on_blur=lambda _e: self._saved(),
        )

    def _choice(
        self, name: str, choices: dict[str, str], value: Any, meaning: Callable[[str], Any] | None = None
    ) -> ft.Control:
        """A dropdown for an item; `meaning` turns the key chosen into the value saved (the key itself if None)."""
        return named(
            ft.Dropdown(
                label=ITEM_LABELS[name],
                value=value,
                options=[ft.DropdownOption(key=k, text=t) for k, t in choices.items()],
                on_select=lambda e: self._set(name, meaning(e.control.value) if meaning else e.control.value),
            ),
            f"plan-{name.replace('_', '-')}",
            ITEM_LABELS[name],
        )

    def _answer(self, name: str) -> ft.Control:
        """Yes / No / Not recorded, for an item that is true, false or not yet known."""
        value = self.plan.values.get(name)
        current = "unknown" if value is None else ("yes" if value else "no")
        return self._choice(name, ANSWERS, current, lambda key: {"yes": True, "no": False}.get(key))

    def _review_date(self) -> ft.Control:
        """The next review date, chosen on a calendar (reminders go to the plan lead and key staff before it)."""
        value = self.plan.values.get("review_date")
        day = dt.date.fromisoformat(str(value)) if value else None

        def picked(e: Any) -> None:
            chosen = picked_date(e.control.value if e.control.value is not None else e.data)
            if chosen is not None:
                self._set("review_date", chosen.isoformat())
                self.shell.show(self.NAME, plan_id=self.plan_id, step=self.step, audited=True)

        def choose(_e: Any) -> None:
            today = dt.date.today()
            # A date carried from the version before may have passed: the calendar cannot open before its first day.
            start = day if day is not None and day >= today else today + dt.timedelta(weeks=12)
            self.shell.page.show_dialog(
                ft.DatePicker(
                    value=dt.datetime.combine(start, dt.time()),
                    first_date=dt.datetime.combine(today, dt.time()),
                    last_date=dt.datetime.combine(today + dt.timedelta(days=3 * 366), dt.time()),
                    help_text=ITEM_LABELS["review_date"],
                    locale=UK,
                    on_change=picked,
                )
            )

        shown = uk_day(day) or "Not set"
        if review_date_passed(self.plan.values) is not None:
            shown += " (passed: choose a new one)"
        return ft.Row(
            [
                ft.Text(f"{ITEM_LABELS['review_date']}: {shown}"),
                named(ft.OutlinedButton("Choose", icon=ft.Icons.CALENDAR_MONTH, on_click=choose), "plan-review-date"),
            ],
            wrap=True,
        )

    def _details(self) -> list[ft.Control]:
        typed = self.builder.typing(self.plan_id)
        values = self.plan.values
        controls: list[ft.Control] = [
            self._line("title", typed),
            self._choice("plan_type", options(PlanType), values.get("plan_type") or PlanType.FULL.value),
            self._choice("plan_lead", self.services.context.staff_names(), values.get("plan_lead")),
            self._review_date(),
            muted("Other plans for this individual"),
        ]
        for link in LINKS:
            controls += [self._answer(link), self._line(f"{link}_note", typed)]
        return controls

    def _entries(
        self,
        name: str,
        make: Callable[[], dict[str, Any]],
        editor: Callable[[dict[str, Any], Callable[[], None]], list[ft.Control]],
        required: str,
    ) -> ft.Control:
        """A list item (targets, contributors), kept as typed; an entry still without its `required` part is not
        kept (it would not be a valid entry)."""
        kept = self.builder.typing(self.plan_id).get(name, self.plan.values.get(name) or [])
        return entry_list(
            ITEM_LABELS[name],
            kept,
            make,
            editor,
            lambda items: self._keep(name, [i for i in items if str(i.get(required) or "").strip()]),
            identifier=f"plan-{name}",
            add="Add a target" if name == "targets" else "Add a contributor",
        )

    def _entry_text(
        self, entry: dict[str, Any], key: str, label: str, store: Callable[[], None], *, hint: str | None = None
    ) -> ft.TextField:
        def changed(e: Any) -> None:
            entry[key] = e.control.value or ""
            store()

        return ft.TextField(
            label=label,
            hint_text=hint,
            value=str(entry.get(key) or ""),
            on_change=changed,
            on_blur=lambda _e: self._saved(),
        )

    def _targets(self) -> list[ft.Control]:
        def editor(entry: dict[str, Any], store: Callable[[], None]) -> list[ft.Control]:
            return [
                self._entry_text(entry, "target", "Target", store),
                self._entry_text(entry, "measured_by", "How progress will be measured", store),
            ]

        return [self._entries("targets", lambda: {"target": "", "measured_by": ""}, editor, "target")]

    def _agreement(self) -> list[ft.Control]:
        def editor(entry: dict[str, Any], store: Callable[[], None]) -> list[ft.Control]:
            def role(e: Any) -> None:
                entry["role"] = e.control.value
                store()
                self._saved()

            return [
                self._entry_text(entry, "name", "Name", store),
                named(
                    ft.Dropdown(
                        label="Contributes as",
                        value=entry.get("role") or ContributorRole.STAFF.value,
                        options=[ft.DropdownOption(key=k, text=t) for k, t in options(ContributorRole).items()],
                        on_select=role,
                    ),
                    "contributor-role",
                    "Contributes as",
                ),
                # A label of one line: a long one wraps into the field above it on a phone; the examples are a hint.
                self._entry_text(
                    entry, "title", "What they do", store, hint="e.g. class teacher, mum, educational psychologist"
                ),
            ]

        def make() -> dict[str, Any]:
            return {"name": "", "role": ContributorRole.STAFF.value, "title": "", "date": dt.date.today().isoformat()}

        return [
            self._entries("contributors", make, editor, "name"),
            self._answer("parent_agrees"),
            self._answer("individual_agrees"),
        ]

    def _suggestion(self, suggestion: Suggestion, number: int) -> ft.Control:
        return named(
            card(
                ft.Text(suggestion.text),
                muted(where_from(suggestion)),
                ft.Row(
                    [
                        ft.TextButton("Accept", icon=ft.Icons.CHECK, on_click=lambda _: self._accept(suggestion)),
                        ft.TextButton("Edit", icon=ft.Icons.EDIT_OUTLINED, on_click=lambda _: self._edit(suggestion)),
                        ft.TextButton("Dismiss", icon=ft.Icons.CLOSE, on_click=lambda _: self._dismiss(suggestion)),
                    ],
                    wrap=True,
                    spacing=0,
                ),
            ),
            f"suggestion-{number}",
        )

    def _section(self, key: str, items: tuple[tuple[str, str], ...]) -> list[ft.Control]:
        typed = self.builder.typing(self.plan_id)
        offered = [s for s in self.builder.suggestions(self.plan_id) if s.section == key]
        side: list[ft.Control] = [heading("Suggestions from the record", size=16)]
        side += [self._suggestion(s, n) for n, s in enumerate(offered, 1)] or [
            empty("Nothing new from the record for this section.")
        ]
        count = f"{len(offered)} suggestion{'' if len(offered) == 1 else 's'} from the record" if offered else ""
        return [
            *(
                [
                    muted(
                        f"{count} for this section: accept, edit or dismiss each. The names of the other young "
                        "people this device knows are hidden; check each names no one else before you accept it."
                    )
                ]
                if offered
                else []
            ),
            ft.ResponsiveRow(
                [
                    ft.Column(
                        [self._item(name, label, typed) for name, label in items],
                        col=MAIN_COLUMN,
                        spacing=12,
                        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                    ),
                    ft.Column(side, col=SIDE_COLUMN, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                ],
                spacing=16,
                run_spacing=16,
            ),
        ]

    def _reflection(self) -> list[ft.Control]:
        figures = self.builder.reflection(self.plan.profile_id or "")
        return [
            muted(
                "Talk these through with the people who know the individual: the figures are from their record of "
                "the last 8 weeks. Put what you learn into the plan's sections."
            ),
            ft.ResponsiveRow(reflection_cards(figures), spacing=8, run_spacing=8),
        ]

    def _finish(self) -> list[ft.Control]:
        version = self.plan.values.get("version") or 1
        if self.published:
            actions: list[ft.Control] = []
            if self.services.context.can(Capability.DOWNLOAD_PLANS):
                actions.append(ft.Button("Download PDF", icon=ft.Icons.DOWNLOAD_OUTLINED, on_click=self._download))
            if has_screen("smart_plan"):
                actions.append(
                    ft.OutlinedButton(
                        "Open the plan", icon=ft.Icons.ARTICLE_OUTLINED, on_click=lambda _: self._open_plan()
                    )
                )
            return [muted(f"Version {version} is published: it is the active Smart Plan."), ft.Row(actions, wrap=True)]
        filled, total = written_items(self.plan.values), len(WRITTEN_ITEMS)
        summary = muted(
            f"{filled} of {total} items of the plan's sections written. Publishing makes this version the active plan."
        )
        if self.services.context.can(Capability.PUBLISH_PLANS):
            return [summary, ft.Button("Publish", icon=ft.Icons.PUBLISH, on_click=self._publish)]
        return [
            summary,
            muted("Your role does not publish Smart Plans: save the draft, and a lead publishes it."),
            ft.Button("Save draft", icon=ft.Icons.SAVE_OUTLINED, on_click=self._save_draft),
        ]

    def _conflicts(self) -> list[ft.Control]:
        """Items two people changed at once: both versions are kept, and chosen between on the plan itself."""
        fields = sorted({ITEM_LABELS.get(c.field, c.field) for c in self.plan.conflicts})
        if not fields:
            return []
        where = "Choose one on the plan." if has_screen("smart_plan") else "A lead chooses one."
        return [
            ft.Container(
                ft.Column(
                    [
                        ft.Text(f"Changed by two people at once, both versions kept: {', '.join(fields)}. {where}"),
                        *(
                            [ft.TextButton("Open the plan", on_click=lambda _: self._open_plan())]
                            if has_screen("smart_plan")
                            else []
                        ),
                    ],
                    spacing=4,
                ),
                bgcolor=ft.Colors.AMBER_50,
                padding=12,
                border_radius=8,
            )
        ]

    def build(self) -> ft.Control:
        key, title, items = STEPS[self.step]
        name = self.services.context.individual_names().get(self.plan.profile_id or "", "Unknown")
        self.back = self._back_to()
        where = BACK_TO.get(self.back[0], "the profile")
        top = back_title(
            f"Smart Plan Builder — {name}",
            # Once published there is no draft: what was typed is in the plan.
            tooltip=f"Back to {where}" if self.published else f"Back to {where} (what you typed is kept in the draft)",
            identifier="plan-builder-back",
            on_back=lambda _: self._leave(),
        )
        version = self.plan.values.get("version") or 1
        if self.published:  # nothing left to build: what can be done with it
            return page_body(top, *self._finish())
        shown: dict[str, Callable[[], list[ft.Control]]] = {
            "header": self._details,
            "reflection": self._reflection,
            "targets": self._targets,
            "agreement": self._agreement,
            "finish": self._finish,
        }
        body = shown[key]() if key in STRUCTURED else self._section(key, items)
        nav: list[ft.Control] = [
            *([ft.OutlinedButton("Previous", on_click=lambda _: self._go(self.step - 1))] if self.step else []),
            *([ft.Button("Next", on_click=lambda _: self._go(self.step + 1))] if self.step < len(STEPS) - 1 else []),
        ]
        steps = named(
            ft.Dropdown(
                label="Section",
                value=str(self.step),
                options=[ft.DropdownOption(key=str(n), text=t) for n, (_k, t, _i) in enumerate(STEPS)],
                on_select=lambda e: self._go(int(e.control.value)),
            ),
            "plan-builder-step",
            "Section",
        )
        return page_body(
            top,
            muted(f"Version {version} · step {self.step + 1} of {len(STEPS)}: {title} · kept as you type"),
            *self._conflicts(),
            steps,
            *body,
            ft.Row(nav, wrap=True),
        )


def what_next(shell: Shell, incident_id: str, profile_id: str | None) -> list[ft.Control]:
    """The next step the user guide names after submitting an incident: Smart Plan (the builder on the
    individual's draft, carrying the incident over; or, for those who do not build plans, the plan itself) and
    AI Support. Nothing when neither is open to this person."""
    services = shell.services
    profile_id = profile_id or ""
    actions: list[ft.Control] = []

    def build_plan(_e: Any) -> None:
        plan_id = shell.act(lambda: services.plan_builder.plan_for_incident(incident_id))
        if plan_id is not None:
            shell.show(PlanBuilderScreen.NAME, plan_id=plan_id)

    active = services.plans.active(profile_id) if services.context.can(Capability.VIEW_PLANS) else None
    if services.plan_builder.can_build(profile_id):
        actions.append(ft.Button("Smart Plan", icon=ft.Icons.ASSIGNMENT_OUTLINED, on_click=build_plan))
    elif active is not None and has_screen("smart_plan"):
        actions.append(
            ft.Button(
                "Smart Plan",
                icon=ft.Icons.ASSIGNMENT_OUTLINED,
                on_click=lambda _: shell.show("smart_plan", plan_id=active.id),
            )
        )
    if has_screen("ai_support"):
        actions.append(
            ft.OutlinedButton(
                "AI Support",
                icon=ft.Icons.LIGHTBULB_OUTLINE,
                on_click=lambda _: shell.show("ai_support", incident_id=incident_id),
            )
        )
    if not actions:
        return []
    # Say only what the buttons below offer: a member of staff who may not build the plan sees AI Support alone.
    plan_offered = len(actions) > 1 or not has_screen("ai_support")
    if plan_offered:
        advice = "Bring what this incident taught into the individual's Smart Plan" + (
            ", or ask AI Support for ideas." if has_screen("ai_support") else "."
        )
    else:
        advice = "Ask AI Support for ideas on what this incident taught and how to support the individual."
    return [
        named(
            card(
                heading("What next?", size=16),
                muted(advice),
                ft.Row(actions, wrap=True),
            ),
            "what-next",
        )
    ]
