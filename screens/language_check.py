""" "Check language" under a long text field: runs the emotive language scan (`app/language_scan`) when asked and
lists what it found — the phrase highlighted in its sentence, its category, why it matters and neutral
alternatives as chips. Tapping a chip puts that wording in place of the phrase (and saves it as typing would);
nothing changes unless the writer taps. Words inside a quotation are shown as a quote, with no alternatives:
a record keeps what someone said in their own words. A screen that passes `report` gets "Report a problem with
this output" under each finding (screens/feedback.py).

`check_before_submit` is the gentle check once before a long-text form is submitted: what the scan finds that
the writer has not seen yet is listed in a dialog, to review or submit anyway (`app/language_review.py`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import flet as ft

from app.language_scan import Flag, lexicon, replace, scan
from screens.ui import fit_width, muted, named

if TYPE_CHECKING:
    from screens.shell import Shell

CONTEXT_CHARS = 40  # of the text either side of a phrase, to show it in its sentence
HIGHLIGHT = ft.TextStyle(weight=ft.FontWeight.BOLD, bgcolor=ft.Colors.AMBER_100, color=ft.Colors.BLACK)


def _around(text: str, flag: Flag) -> tuple[str, str]:
    """The text just before and just after the phrase, with "…" where it goes on."""
    start = max(0, flag.start - CONTEXT_CHARS)
    end = min(len(text), flag.end + CONTEXT_CHARS)
    return ("…" if start else "") + text[start : flag.start], text[flag.end : end] + ("…" if end < len(text) else "")


def _in_context(text: str, flag: Flag) -> ft.Text:
    before, after = _around(text, flag)
    return ft.Text(
        spans=[ft.TextSpan(before), ft.TextSpan(flag.phrase, style=HIGHLIGHT), ft.TextSpan(after)],
        semantics_label=f"{before}«{flag.phrase}»{after}",
    )


def finding_text(text: str, flag: Flag) -> str:
    """A finding as words (what a report of a problem with it carries): the phrase in its sentence, its
    category, why it matters and the alternatives offered."""
    before, after = _around(text, flag)
    name = lexicon().categories[flag.category]["name"]
    lines = [f"“{flag.phrase}” in: {before}{flag.phrase}{after}", name + (" (in a quotation)" if flag.quoted else "")]
    lines.append(flag.rationale)
    if flag.alternatives and not flag.quoted:
        lines.append("Alternatives offered: " + "; ".join(flag.alternatives))
    return "\n".join(lines)


def language_check(
    field: ft.TextField,
    *,
    identifier: str,
    on_replaced: Callable[[str], None] | None = None,
    report: Callable[[str, str], ft.Control] | None = None,
    on_checked: Callable[[list[Flag]], None] | None = None,
) -> ft.Column:
    """The "Check language" action and its findings, to place right under `field`. `on_replaced` receives the
    field's new text after an alternative was tapped (a programmatic change fires no `on_change`); `on_checked`
    the flags the writer was shown (so the check before submit does not show them again). `report` makes the
    "Report a problem with this output" link of one finding (from its text and an identifier)."""
    findings = ft.Column(spacing=8, visible=False)

    def check(note: str = "") -> None:
        text = field.value or ""
        flags = scan(text)
        if on_checked is not None:
            on_checked(flags)
        findings.controls = [muted(note)] if note else []
        if not flags:
            findings.controls.append(muted("No emotive language found."))
        else:
            findings.controls.append(
                muted(
                    f"{len(flags)} to look at. These are suggestions: you decide. Words in [brackets] are for you "
                    "to fill in."
                )
            )
            findings.controls += [finding(text, flag, n) for n, flag in enumerate(flags, 1)]
        findings.visible = True

    def use(flag: Flag, choice: str) -> None:
        try:
            field.value = replace(field.value or "", flag, choice)
        except ValueError:  # the text was edited after the check: offsets no longer hold
            check("The text changed since the check, so it was checked again.")
            return
        if on_replaced is not None:
            on_replaced(field.value)
        check(f"Replaced “{flag.phrase}” with “{choice}”.")

    def finding(text: str, flag: Flag, n: int) -> ft.Control:
        name = lexicon().categories[flag.category]["name"]  # loaded on the first check, not with the screen
        rows: list[ft.Control] = [
            _in_context(text, flag),
            ft.Text(
                f"{name} — in a quotation" if flag.quoted else name,
                weight=ft.FontWeight.BOLD,
                size=13,
            ),
            muted(flag.rationale),
        ]
        if flag.quoted:
            rows.append(muted("These are someone's own words: keep them as they were said."))
        else:
            rows.append(
                ft.Row(
                    [
                        ft.Chip(label=ft.Text(choice), on_click=lambda _e, c=choice: use(flag, c))
                        for choice in flag.alternatives
                    ],
                    wrap=True,
                    spacing=6,
                    run_spacing=6,
                )
            )
        if report is not None:
            rows.append(report(finding_text(text, flag), f"{identifier}-report-{n}"))
        return named(
            ft.Container(
                ft.Column(rows, spacing=4),
                padding=8,
                border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                border_radius=8,
            ),
            f"{identifier}-finding-{n}",
        )

    def tapped(_e: Any) -> None:
        check()

    button = ft.TextButton("Check language", icon=ft.Icons.SPELLCHECK, on_click=tapped)
    return ft.Column([named(button, f"{identifier}-check"), findings], spacing=4)


def with_language_check(
    field: ft.TextField,
    *,
    identifier: str,
    on_replaced: Callable[[str], None] | None = None,
    report: Callable[[str, str], ft.Control] | None = None,
    on_checked: Callable[[list[Flag]], None] | None = None,
) -> ft.Column:
    """`field` (as wide as the screen allows, like every input: `fit_width`) with "Check language" underneath."""
    check = language_check(field, identifier=identifier, on_replaced=on_replaced, report=report, on_checked=on_checked)
    return ft.Column([fit_width(field), check], spacing=0)


def check_before_submit(
    shell: Shell, form: str, texts: Mapping[str, str], labels: Mapping[str, str], submit: Callable[[], Any]
) -> bool:
    """The gentle check once before submit: True when it showed the writer what the scan found in `texts` that
    they have not seen (the caller then waits: "Submit anyway" calls `submit`, "Review" goes back to the form);
    False when there is nothing new to show, or it was shown for `form` already (never blocks twice). A
    suggestion's blank still in the text is the exception: True, with a message, every time until it is filled."""
    review = shell.services.language_review
    blanks = review.blanks_left(texts, labels)
    if blanks:
        lines = "; ".join(f"{label}: “{blank}”" for label, blank in blanks)
        shell.toast(f"Put what happened in place of the suggestion’s blank before saving ({lines}).", error=True)
        return True
    found = review.before_submit(form, texts, labels)
    if not found:
        return False
    page = shell.page
    names = lexicon().categories

    def anyway(_e: Any) -> None:
        page.pop_dialog()
        submit()

    rows: list[ft.Control] = [
        muted(
            "The language check found words you may want to change before this is submitted. These are "
            "suggestions: you decide. Use “Check language” under each field to see alternatives."
        )
    ]
    for n, item in enumerate(found, 1):
        rows.append(
            named(
                ft.Column(
                    [
                        ft.Text(
                            spans=[
                                ft.TextSpan(f"{item.label}: "),
                                ft.TextSpan(item.flag.phrase, style=HIGHLIGHT),
                            ],
                            semantics_label=f"{item.label}: «{item.flag.phrase}»",
                        ),
                        muted(f"{names[item.flag.category]['name']} — {item.flag.rationale}"),
                    ],
                    spacing=2,
                ),
                f"submit-check-flag-{n}",
            )
        )
    page.show_dialog(
        ft.AlertDialog(
            title=ft.Text("Check the language before you submit?"),
            content=ft.Column(rows, spacing=8, scroll=ft.ScrollMode.AUTO, tight=True),
            actions=[
                named(ft.TextButton("Review", on_click=lambda _: page.pop_dialog()), "submit-check-review"),
                named(ft.TextButton("Submit anyway", on_click=anyway), "submit-check-submit"),
            ],
        )
    )
    return True
