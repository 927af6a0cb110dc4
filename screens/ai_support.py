"""AI Support: the tools for one incident, one individual or the whole service — suggestions with their evidence
(`app/suggestions.py`), letters (the letters screen), the language check, and, online, the organisation's
language model when it has one. Every output carries the guide's warning and a way to report a problem with it.

Its URL names what it is about (`/ai-support/service`, or the incident's or the individual's id); the other
screens open it with `shell.show("ai_support", incident_id=...)` or `profile_id=...`, or with neither for the
whole service (leads; a staff member is offered their individuals instead)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import flet as ft

from app.assistant import OFFLINE, AssistantService, AssistantUnavailable
from app.context import ActionError, StoreLockedError
from app.suggestions import WARNING, WARNING_SHORT, Suggestion
from app.vocabulary import Capability
from screens.analytics import preparing
from screens.feedback import feedback_link
from screens.language_check import with_language_check
from screens.ui import back_title, card, empty, heading, muted, named, page_body, selectable, warning

if TYPE_CHECKING:
    from screens.shell import Shell

SERVICE = "service"
#: how many incident references a suggestion lists before "and N more"
REFERENCES_SHOWN = 6


def ai_support_button(shell: Shell, *, incident_id: str = "", profile_id: str = "") -> ft.Control:
    """The "AI Support" action other screens place among their own (an incident's, a profile's)."""
    return named(
        ft.OutlinedButton(
            "AI Support",
            icon=ft.Icons.AUTO_AWESOME_OUTLINED,
            on_click=lambda _: shell.show("ai_support", incident_id=incident_id, profile_id=profile_id),
        ),
        "ai-support",
    )


def improve_letter_button(shell: Shell, letter: ft.TextField, individual_id: str | None) -> ft.Control:
    """ "Improve with the language model" for a letter draft being edited (online, for roles that may ask): the
    improved draft replaces the text, to check and edit like any draft; the guide's warning stays above it."""
    if not shell.services.context.can(Capability.AI_ASSISTANT):
        return ft.Container(visible=False)
    note = muted("")

    async def improve(_e: Any) -> None:
        note.value = "Asking the language model…"
        shell.page.update()
        assistant = AssistantService(shell.services.context.store, shell.session.gateway)
        try:
            letter.value = await assistant.improve_letter(letter.value or "", individual_id=individual_id)
        except AssistantUnavailable as error:
            note.value = str(error)
        else:
            note.value = "Improved by the language model: check every word before you use it."
        shell.page.update()

    button = ft.OutlinedButton("Improve with the language model", icon=ft.Icons.AUTO_AWESOME_OUTLINED)
    button.on_click = improve
    return ft.Column([named(button, "letter-improve"), note], spacing=4)


class AiSupportScreen:
    NAME = "ai_support"
    ROUTE = "/ai-support/{about}"
    refresh_after_sync = False  # a sync must not wipe a summary asked for, or text being checked

    def __init__(self, shell: Shell, about: str = "", incident_id: str = "", profile_id: str = "") -> None:
        self.shell = shell
        services = shell.services
        if about and about != SERVICE and not (incident_id or profile_id):
            # From the URL: the id of an incident or of an individual.
            found = services.context.store.get(about)
            if found is not None and found.kind == "incident":
                incident_id = about
            else:
                profile_id = about
        self.incident_id = incident_id
        self.profile_id = profile_id
        if incident_id:
            self.profile_id = services.incidents.get(incident_id).profile_id or ""
        self.params: dict[str, Any] = {"about": incident_id or profile_id or SERVICE}
        self.summary = ft.Column(spacing=8)
        self.suggestion_list = ft.Column([preparing()], spacing=12)

    # --- parts ------------------------------------------------------------------------------------

    def _back(self, _e: Any) -> None:
        if self.incident_id:
            self.shell.show("incident", record_id=self.incident_id)
        elif self.profile_id:
            self.shell.show("profile", profile_id=self.profile_id)
        else:
            self.shell.show("dashboard")

    def _suggestion(self, n: int, suggestion: Suggestion, choices: list[tuple[str, str]]) -> ft.Control:
        services = self.shell.services
        refs: list[ft.Control] = [
            ft.TextButton(reference, on_click=lambda _, i=incident_id: self.shell.show("incident", record_id=i))
            for reference, incident_id in list(zip(suggestion.references, suggestion.incident_ids, strict=True))[
                :REFERENCES_SHOWN
            ]
        ]
        if len(suggestion.references) > REFERENCES_SHOWN:
            refs.append(muted(f"and {len(suggestion.references) - REFERENCES_SHOWN} more"))
        actions: list[ft.Control] = []

        def add(plan_id: str, label: str) -> bool:
            return bool(
                self.shell.act(
                    lambda: services.suggestions.add_to_plan(suggestion, plan_id),
                    done=f"Added to {label} as a contribution, with its evidence.",
                )
            )

        if len(choices) == 1:
            ((plan_id, label),) = choices
            button = ft.OutlinedButton("Add to Smart Plan", icon=ft.Icons.PLAYLIST_ADD)

            def add_once(_e: Any) -> None:
                if add(plan_id, label):  # once: a second tap would add the same contribution again
                    button.content, button.icon, button.disabled = "Added to the Smart Plan", ft.Icons.CHECK, True
                    self.shell.page.update()  # the toast already sent the page: send the button too

            button.on_click = add_once
            actions.append(named(button, f"ai-add-to-plan-{n}"))
        elif choices:
            actions.append(
                named(
                    ft.PopupMenuButton(
                        content=ft.Text("Add to a Smart Plan…"),
                        tooltip="Add to a Smart Plan",
                        items=[
                            ft.PopupMenuItem(content=ft.Text(label), on_click=lambda _, p=p, lb=label: add(p, lb))
                            for p, label in choices
                        ],
                    ),
                    f"ai-add-to-plan-{n}",
                )
            )
        output = f"{suggestion.title}\n{suggestion.text}\n{suggestion.evidence()}"
        actions.append(
            feedback_link(
                self.shell,
                "suggestion",
                output,
                self.incident_id or self.profile_id or None,
                identifier=f"ai-suggestion-report-{n}",
            )
        )
        return named(
            card(
                ft.Text(suggestion.title, weight=ft.FontWeight.BOLD),
                selectable(suggestion.text),
                *[muted(f"{label}: {value:g}") for label, value in suggestion.figures],
                ft.Row(refs, wrap=True, spacing=0) if refs else ft.Container(visible=False),
                muted(WARNING_SHORT),
                ft.Row(actions, wrap=True),
            ),
            f"ai-suggestion-{n}",
        )

    def _worked_out(self) -> list[tuple[Suggestion, list[tuple[str, str]]]]:
        """The scope's suggestions and the plans each may be added to (run in a thread: it reads the record)."""
        found = self.shell.services.suggestions
        if self.incident_id:
            items = found.for_incident(self.incident_id)
        elif self.profile_id:
            items = found.for_individual(self.profile_id)
        else:
            items = found.for_service()
        return [(item, found.plan_choices(item)) for item in items]

    async def _fill_suggestions(self) -> None:
        """Work the suggestions out off the event loop (the first time after unlock decrypts the record), then show
        them in place of "Working out the figures…"."""
        try:
            items = await asyncio.to_thread(self._worked_out)
        except StoreLockedError:
            return  # the lock screen is showing
        except ActionError as error:
            self.suggestion_list.controls = [muted(str(error))]
        else:
            self.suggestion_list.controls = [self._suggestion(n, s, c) for n, (s, c) in enumerate(items, 1)] or [
                empty("Nothing to suggest from the record yet: patterns need a few recorded incidents.")
            ]
        with contextlib.suppress(AssertionError, RuntimeError):  # the page may have been closed meanwhile
            self.shell.page.update()

    def _letters(self) -> list[ft.Control]:
        record_id = self.incident_id or self.profile_id
        if not record_id:
            return [muted("Letters are drafted from an incident or an individual: open AI Support from one.")]
        return [
            muted("Drafted from the record's own data, to edit before you use it. The app never sends a letter."),
            named(
                ft.OutlinedButton(
                    "Draft a letter",
                    icon=ft.Icons.MAIL_OUTLINE,
                    on_click=lambda _: self.shell.show("letter", record_id=record_id),
                ),
                "ai-letter",
            ),
        ]

    def _language(self) -> list[ft.Control]:
        field = ft.TextField(label="Text to check (paste or type)", multiline=True, min_lines=3)
        return [
            muted("Checks any text for emotive language, with neutral wording to choose from. Nothing is sent."),
            with_language_check(field, identifier="ai-language"),
        ]

    def _model(self) -> list[ft.Control]:
        services = self.shell.services
        if not self.profile_id or not services.context.can(Capability.AI_ASSISTANT):
            return []
        if self.shell.sync.status.online is False:
            return [heading("Language model", size=16), muted(OFFLINE)]
        return [
            heading("Language model", size=16),
            muted(
                "If your organisation has set one up, its model can summarise this individual's recent record. "
                "Names and identifiers are replaced before anything leaves the server."
            ),
            named(
                ft.OutlinedButton(
                    "Summarise recent record", icon=ft.Icons.SUMMARIZE_OUTLINED, on_click=self._summarise
                ),
                "ai-summarise",
            ),
            self.summary,
        ]

    async def _summarise(self, _e: Any) -> None:
        self.summary.controls = [muted("Asking the language model…")]
        self.shell.page.update()
        assistant = AssistantService(self.shell.services.context.store, self.shell.session.gateway)
        try:
            text = await assistant.summarise(self.profile_id)
        except AssistantUnavailable as error:
            self.summary.controls = [muted(str(error))]
        else:
            self.summary.controls = [
                warning(WARNING, "ai-summary-warning"),
                named(selectable(text), "ai-summary"),
                feedback_link(self.shell, "summary", text, self.profile_id or None, identifier="ai-summary-report"),
            ]
        self.shell.page.update()

    def _choose_individual(self) -> ft.Control:
        """The whole service is for leads: a staff member picks one of their individuals instead."""
        people = self.shell.services.directory.people()
        return page_body(
            heading("AI Support"),
            muted("Suggestions for the whole service are for leads. Choose one of your individuals:"),
            *[
                ft.ListTile(
                    title=ft.Text(p.name),
                    subtitle=ft.Text(p.group),
                    on_click=lambda _, pid=p.id: self.shell.show("ai_support", profile_id=pid),
                )
                for p in people
            ],
        )

    # --- the screen -------------------------------------------------------------------------------

    def build(self) -> ft.Control:
        services = self.shell.services
        if not (self.incident_id or self.profile_id) and not services.context.can(Capability.ANALYTICS):
            return self._choose_individual()
        name = services.suggestions.scope_name(incident_id=self.incident_id, profile_id=self.profile_id)
        self.shell.root.spawn(self._fill_suggestions)
        what = "this incident" if self.incident_id else ("this individual" if self.profile_id else "the whole service")
        return page_body(
            back_title(f"AI Support — {name}", tooltip="Back", identifier="back-from-ai-support", on_back=self._back),
            warning(WARNING, "ai-warning"),
            # The short tools first: on a phone the suggestions can run to several screens.
            heading("Letters", size=16),
            *self._letters(),
            heading("Language check", size=16),
            *self._language(),
            heading(f"Suggestions for {what}", size=16),
            muted("Worked out on this device from the record, with the figures and incidents behind each."),
            self.suggestion_list,
            *self._model(),
        )
