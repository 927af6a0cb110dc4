"""The Help Centre: help pages drawn from the product's user guide, and who to contact."""

from __future__ import annotations

from dataclasses import dataclass

from app.context import Context


@dataclass(frozen=True)
class HelpPage:
    title: str
    body: str


PAGES: tuple[HelpPage, ...] = (
    HelpPage(
        "Signing in and unlocking",
        "Sign in with your work email address and besmart password. The first time on a device you need a "
        "connection; you then choose a passcode for this device (a passphrase of at least 12 characters where "
        "the device has no secure key store: the screens then say passphrase). After that, unlock with it — "
        "with or without a connection; in a web browser, type your work email address too. besmart locks "
        "itself when left idle.",
    ),
    HelpPage(
        "The dashboard",
        "See incidents from the last 7 days, 30 days or all of them, open one to review it, read your "
        "notifications and see whether everything has synced.",
    ),
    HelpPage(
        "Viewing an individual's profile",
        "Open Directory and choose the individual. Their profile shows recent incidents, all incidents, "
        "communications, clicker logs, their details, key contacts and who has access to the profile.",
    ),
    HelpPage(
        "Behaviour Clicker",
        "Record → Behaviour Clicker, choose the individual, then tap the behaviour. besmart logs the date "
        'and time automatically and says so above the buttons ("Logged On task at 14:02"). Tap Undo beside it '
        "straight away if you tapped the wrong one. Today's counts show on each "
        "button, so patterns can be seen over time.",
    ),
    HelpPage(
        "Behaviour Communications",
        "Record → Behaviour Communications. Choose Positive, Negative or N/A and type a clear, factual, "
        "child-centred message. It is always from you, the person signed in. Key staff are notified and can "
        "respond. Under a communication of yours, Add to Smart Plan offers what it says to the individual's Smart "
        "Plan: the Smart Plan Builder suggests it for the plan (a lead can add anyone's).",
    ),
    HelpPage(
        "Recording an incident",
        "Record & Plan → Incident Report. Say what happened, where and when (it starts at now: type a date "
        "such as 1/12/2026 09:15, or use the calendar and clock buttons), who was present (type part of a name "
        "and tap it; they are invited to collaborate) and any other individuals involved. If there was an "
        "injury, select Yes and give the details. Every page is saved as a draft as you go.",
    ),
    HelpPage(
        "Post-incident learning",
        "Record the individual's perspective, how it made them feel, what they could do next time they feel "
        "that way, likely triggers, reasonable adjustments and any other comments. Select Yes for any "
        "discriminatory or prejudiced behaviour, and add any suspension or permanent exclusion with its "
        "census reasons. Then submit: key people are notified.",
    ),
    HelpPage(
        "Incidents involving physical intervention",
        "Choose Record incident involving Physical Intervention. Record the low, medium and high level "
        "behaviours displayed, how staff responded, alternative responses to try next time, and the "
        "effectiveness of de-escalation and physical techniques, with timings, reasons and injuries. This is "
        "about accurate recording and reflection, not an instruction to use physical intervention.",
    ),
    HelpPage(
        "Managing incidents",
        "Open Incidents and choose an incident reference (for example besmart-10281), or type the reference "
        "into Search and press Enter to go straight to it. Search also finds an individual's name or any "
        "words in the report; Filters narrow the list by status, flagged, parents not informed and dates. "
        "Depending on your role you can confirm parents were informed (thumbs up), flag it for attention, and "
        'view, edit, sign off or delete it. An incident this device has not sent yet says "Waiting for sync" '
        "until it gets its reference. A draft stays with the person writing it (and the staff they named as "
        "present) until it is submitted: nobody else sees it, and only a submitted report can be signed off.",
    ),
    HelpPage(
        "Reporting a problem with an output",
        "Under a letter draft and under each finding of Check language there is Report a problem with this "
        "output. Use it when an output looks inaccurate or raises a concern: say what looks wrong, then Send "
        "report. It is saved on this device (even offline) and reaches your leads when you sync. Leads see the "
        "reports in the Help Centre, open ones first, and resolve each one saying what was done; you see the "
        "answer on your device.",
    ),
    HelpPage(
        "Smart Plans",
        "Open Smart Plans (under More on a phone) to see every plan you can see; narrow them by status, or to "
        "those whose review is due or overdue. An individual's profile has a Smart Plans tab too. A plan shows "
        "every section, its versions (choose two and Compare to see what changed) and its contributions: add "
        "yours to a section, or record what a parent or carer, the individual or another professional told you. "
        "Depending on your role you can download it as a PDF, start the next version, publish a draft or delete "
        "a plan with a reason. Opening and downloading a plan are recorded in the audit log.",
    ),
    HelpPage(
        "Good practice, safeguarding and data protection",
        "Keep records factual, respectful and child-centred. Only record what you are authorised to record "
        "and never share reports with anyone without permission. If in doubt, speak with your safeguarding lead.",
    ),
)


@dataclass(frozen=True)
class Contact:
    organisation: str
    email: str | None
    phone: str


class HelpCentre:
    def __init__(self, context: Context | None = None) -> None:
        self.context = context

    def pages(self) -> tuple[HelpPage, ...]:
        return PAGES

    def contact(self) -> Contact:
        """Your organisation's besmart contact, as synced from the server."""
        if self.context is not None:
            for organisation in self.context.store.records("organisation"):
                values = organisation.values
                return Contact(values.get("name", ""), values.get("help_email"), values.get("help_phone", ""))
        return Contact("besmart", None, "")
