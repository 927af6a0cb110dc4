"""The Help Centre: help pages drawn from the product's user guide, who to contact, and support requests to the
besmart team — a ticket, or a request for a support call. (Sophie, the help bot, is `app.help_bot`.)

A support request is a `support_request` record: saved on the device (offline too) and sent when it syncs; the
server emails it to the besmart team with what identifies anyone replaced by placeholders
(server/services/support.py) and sends it back to its author alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.context import ActionError, Context, now_utc
from sync.records import SUPPORT_DETAILS_MAX, SUPPORT_SUBJECT_MAX, SupportRequestKind, label


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
        "itself when left idle. To change your password, open the account menu (top right) and choose Change "
        "password: it needs a connection, and your other devices then ask for the new one. Forgotten it? Ask your "
        "besmart administrator to set a new one. Forgotten this device's passcode? On the unlock screen choose "
        "Sign in with another account, sign in with your password (this needs a connection) and choose a new "
        "passcode: your records come down again when it syncs, but changes this device had not synced are lost.",
    ),
    HelpPage(
        "Adding individuals and staff",
        "New individuals and staff, who may see whom and who is key staff are set up by your organisation's "
        "besmart administrator, one by one or imported from your school's or home's records. The Directory lists "
        "only the individuals you have access to: if someone you support is missing, ask your administrator or "
        "safeguarding lead.",
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
        "Open Record & Plan, choose the individual, then Behaviour Clicker, and tap the behaviour. besmart logs "
        'the date and time automatically and says so above the buttons ("Logged On task at 14:02"). Tap Undo beside it '
        "straight away if you tapped the wrong one. Today's counts show on each "
        "button, so patterns can be seen over time.",
    ),
    HelpPage(
        "Behaviour Communications",
        "Open Record & Plan, choose the individual, then Behaviour Communications. Choose Positive, Negative or N/A "
        "and type a clear, factual, child-centred message. It is always from you, the person signed in. What you "
        "type is kept on this device until you save it, even if you leave the screen. Key staff are notified and "
        "can respond. Under a communication of yours, Add to Smart Plan offers what it says to the "
        "individual's Smart Plan: the Smart Plan Builder suggests it for the plan (a lead can add anyone's).",
    ),
    HelpPage(
        "Recording an incident",
        "Open Record & Plan, choose the individual, then Incident Report. Say what happened, where and when (it "
        "starts at now: type a date such as 1/12/2026 09:15, or use the calendar and clock buttons), who was present "
        "(type part of a name and tap it; they are invited to collaborate) and any other individuals involved. If "
        "there was an injury, select Yes and give the details. Every page is saved as a draft as you go.",
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
        "effectiveness of de-escalation and physical techniques, with timings, reasons and injuries. The report "
        "cannot be submitted without the physical technique used, when it started and ended and why it was "
        "necessary, as the law asks; until then it stays a draft. This is about accurate recording and "
        "reflection, not an instruction to use physical intervention.",
    ),
    HelpPage(
        "Managing incidents",
        "Open Incidents and choose an incident reference (for example besmart-10281), or type the reference "
        "into Search and press Enter to go straight to it. Search also finds an individual's name or any "
        "words in the report; Filters narrow the list by status, flagged, parents not informed and dates. "
        "Depending on your role you can confirm parents were informed (thumbs up), flag it for attention, and "
        'view, edit, sign off or delete it. An incident this device has not sent yet says "Waiting for sync" '
        "until it gets its reference. A draft stays with the person writing it (and the staff they named as "
        "present) until it is submitted: nobody else sees it, and only a submitted report can be signed off. A "
        "draft you began on another device shows as a draft here: Continue the report finishes and submits it.",
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
        "Smart Plans are the behaviour support plans of the individuals you support. A lead starts one with Start "
        "a plan (in Smart Plans, or on the individual's profile) and builds it step by step in the Smart Plan "
        "Builder, which offers what the records say for each section; staff add contributions. Review due or "
        "overdue means the plan's next review date is within a week or has passed. Open Smart Plans (under "
        "More on a phone) to see every plan you can see; narrow them by status, or to "
        "those whose review is due or overdue. An individual's profile has a Smart Plans tab too. A plan shows "
        "every section, its versions (choose two and Compare to see what changed) and its contributions: add "
        "yours to a section, or record what a parent or carer, the individual or another professional told you. "
        "Depending on your role you can download it as a PDF, start the next version, publish a draft or delete "
        "a plan with a reason. Opening and downloading a plan are recorded in the audit log.",
    ),
    HelpPage(
        "Letters to parents",
        "On an incident (or a communication, or a profile) press Draft a letter. Choose the letter and its "
        "register (formal or informal): besmart drafts it from the record. Edit it, use Check language, then "
        "Download PDF or Copy. The app sends nothing unless you ask; where your organisation allows it, the "
        "written report after a physical intervention can be emailed to the parents from the letter. Check every "
        "draft and apply your professional judgement before using it.",
    ),
    HelpPage(
        "Printing and downloading",
        "Where your role allows downloads, an incident has Download (its report as a PDF, to print or keep), a "
        "Smart Plan has Download PDF, and a letter draft has Download PDF. In Analytics, each report has Print "
        "(PDF) and Download CSV. Leads open Exports for the restrictive-intervention register and the suspensions "
        "and exclusions list as PDF or CSV, and a subject access download of everything held about one "
        "individual. Every view, download and print is recorded in the audit log; keep the files safe and delete "
        "them when you no longer need them.",
    ),
    HelpPage(
        "Analytics",
        "Leads open Analytics to see the reports on what the device holds: the Global Incident Report and the "
        "intervention, involvement, injuries, communication, clicker, discrimination and equality reports. Narrow "
        "them by dates, individuals, groups, behaviours, levels, locations, staff and more; tap a chart or a row to "
        "show the related incidents; print a report or download its CSV. Analytics works offline.",
    ),
    HelpPage(
        "AI Support",
        "AI Support is after Submit, on an incident, on a profile and, for leads, in the navigation. It drafts "
        "letters, checks language and suggests what to try from the record (patterns, what has worked, follow-ups "
        "due, hot spots, training needs), each with the figures and incidents behind it and, for an individual, a "
        "way to add it to their Smart Plan. It works offline. Everything it gives is information only: check it "
        "before using it.",
    ),
    HelpPage(
        "Statutory deadlines and compliance",
        "An incident with a physical intervention (force, restraint, seclusion) shows its statutory deadlines: "
        "recording it, the written report to parents (or, where telling them would put the child at risk of "
        "significant harm, the local authority), telling the authority where that applies, signing off. The key "
        "staff and leads are notified when it is submitted, and again as a deadline nears or is missed. Mark "
        "each one done from the incident. Leads open Compliance to see every deadline still open, due soon or "
        "overdue, and the registers: the restrictive-intervention register, suspensions and exclusions for the "
        "School Census, and subject access.",
    ),
    HelpPage(
        "Working offline and syncing",
        "besmart works with no connection: taps, communications, incident reports and plans are saved on this "
        "device, encrypted, and sent when it syncs. It syncs by itself when a connection comes back, and when you "
        "press Sync now at the top of the screen. The strip there says whether everything has synced or how many "
        "changes are waiting; an incident not yet sent says Waiting for sync until it gets its reference. Sync at "
        "the end of a shift so that others see what you recorded and you see what they did.",
    ),
    HelpPage(
        "Getting help from the besmart team",
        "In the Help Centre, talk to Sophie, the help bot: she answers from these help files straight away, even "
        "offline. If she cannot help, open a support ticket (a subject and what you need help with; the team "
        "replies to your work email address) or arrange a support call (what you would like to talk about, a phone "
        "number and when suits you). A request is saved on this device and sent when it syncs; the Help Centre "
        "lists yours. Do not include children's names or details: the team does not see your records.",
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


_PHONE = re.compile(r"^[0-9+() -]{6,40}$")


@dataclass(frozen=True)
class SupportItem:
    """One of the person's own support requests, as the Help Centre lists it."""

    id: str
    request: SupportRequestKind
    subject: str
    details: str
    created_at: str
    contact_phone: str
    preferred_times: str
    #: saved on this device, not yet sent
    pending: bool

    @property
    def label(self) -> str:
        return label(SupportRequestKind, self.request)

    @property
    def status(self) -> str:
        if self.pending:
            return "Waiting for sync: it is sent to the besmart team when this device next syncs"
        return "Sent to the besmart team: they reply to your work email address"


class SupportRequests:
    """Open a support ticket or arrange a support call with the besmart team, and see the ones you made."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def request(
        self,
        request: SupportRequestKind,
        subject: str,
        details: str,
        *,
        contact_phone: str = "",
        preferred_times: str = "",
    ) -> str:
        """Save a support request as this user (sent when the device syncs); returns its id. Anything missing
        or malformed: ActionError saying what to put right, nothing saved."""
        subject, details = subject.strip(), details.strip()
        contact_phone, preferred_times = contact_phone.strip(), preferred_times.strip()
        if not subject:
            raise ActionError("Give your request a subject: a few words saying what it is about.")
        if len(subject) > SUPPORT_SUBJECT_MAX:
            raise ActionError(f"Keep the subject to {SUPPORT_SUBJECT_MAX} characters: the details have room for more.")
        if not details:
            raise ActionError(
                "Say what you would like to talk about."
                if request == SupportRequestKind.CALL
                else "Say what you need help with."
            )
        if len(details) > SUPPORT_DETAILS_MAX:
            raise ActionError(f"Keep the details to {SUPPORT_DETAILS_MAX:,} characters.")
        if request == SupportRequestKind.CALL and not contact_phone:
            raise ActionError("Give a phone number the besmart team can call you on.")
        if contact_phone and not _PHONE.match(contact_phone):
            raise ActionError("Type the phone number with digits, spaces and + ( ) - only, like 0113 496 0000.")
        if len(preferred_times) > 500:
            raise ActionError("Keep when suits you to 500 characters.")
        return self.context.write(
            "support_request",
            "create",
            {
                "request": request.value,
                "subject": subject,
                "details": details,
                "author_id": self.context.user.id,
                "created_at": now_utc().isoformat(),
                "contact_phone": contact_phone,
                "preferred_times": preferred_times,
            },
            what="your request",
        )

    def mine(self) -> list[SupportItem]:
        """This person's support requests, newest first (the server sends each back to its author alone)."""
        found = [
            SupportItem(
                id=record.id,
                request=SupportRequestKind(record.values["request"]),
                subject=record.values.get("subject", ""),
                details=record.values.get("details", ""),
                created_at=record.values.get("created_at", ""),
                contact_phone=record.values.get("contact_phone", ""),
                preferred_times=record.values.get("preferred_times", ""),
                pending=record.pending,
            )
            for record in self.context.store.records("support_request")
            if record.values.get("author_id") == self.context.user.id
        ]
        found.sort(key=lambda item: item.created_at, reverse=True)
        return found
