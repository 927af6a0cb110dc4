"""Downloads: a record taken away as a file — an incident's PDF for those whose role allows it
(`Capability.DOWNLOAD_RECORDS`), a Smart Plan's for all who may see plans (`Capability.DOWNLOAD_PLANS`) —
each one audited. Other services' documents (letters) and exports made from many records (an analytics
report's CSV and its printed PDF) are audited here too.

A download happens on the device, possibly offline, so its audit is a record written on the device: an
`audit_event` (action "download", the record and individual it was about, this device, the moment), synced
to the server like every other write. The server accepts it only as its author's own and never sends it back
to devices (docs/permissions.md). The audit is written before the file is handed over: if it cannot be
saved, there is no download.

What goes into the document is chosen here, from the report's own pages and labels (`app.incidents`); how it
looks is `documents`'. File names carry the reference, never a child's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.context import Context
from app.incidents import (
    FIELD_LABELS,
    FIELD_TITLES,
    INCIDENT_PAGE,
    LEARNING_PAGE,
    MOMENTS,
    PHYSICAL_INTERVENTION_PAGE,
    Incidents,
    deescalation_line,
    exclusion_line,
    reference_label,
)
from app.plans import Plans
from app.vocabulary import uk_day
from documents import Document, Fact, Section, Table, csv_bytes, render_pdf
from localdb.queries import Stored
from sync.permissions import Capability
from sync.records import (
    PLAN_SECTIONS,
    ContactMethod,
    ContributorRole,
    DiscriminationCategory,
    Effectiveness,
    IncidentStatus,
    OnBehalfOf,
    PlanStatus,
    PlanType,
    ReportRoute,
    ReviewKind,
    label,
)

PDF = "application/pdf"
#: fields whose "No" is worth printing (for the others, False is simply "not filled in")
_NO_MATTERS = frozenset({"pi_plan_followed"})
#: fields shown elsewhere in the document, or as a table of their own
_NOT_AS_FACTS = frozenset({"pi_deescalation", "pi_techniques", "discriminatory"})


@dataclass(frozen=True)
class Download:
    """A file for the person to save: its suggested name, bytes and media type."""

    file_name: str
    data: bytes
    media_type: str = PDF


class Downloads:
    def __init__(self, context: Context, incidents: Incidents, plans: Plans) -> None:
        self.context = context
        self.incidents = incidents
        self.plans = plans

    def allowed(self) -> bool:
        """Whether the user's role may download records at all (screens offer Download only then)."""
        return self.context.can(Capability.DOWNLOAD_RECORDS)

    def incident(self, record_id: str) -> Download:
        """The incident's PDF: every section filled in, with reference, status and sign-off. Audited."""
        self.context.require(Capability.DOWNLOAD_RECORDS, "download records")
        incident = self.incidents.get(record_id)  # never someone else's draft
        document = self.incident_document(incident)
        data = render_pdf(document)
        self._audit("incident", record_id, incident.profile_id)
        return Download(file_name=document.file_name, data=data)

    def plan(self, plan_id: str) -> Download:
        """One version of a Smart Plan as a PDF: every section filled in, its contributors, agreement and review
        log, the contributions folded into it. For all who may see plans (`Capability.DOWNLOAD_PLANS`). Audited."""
        plan = self.plans.get(plan_id)  # never a deleted plan, for those who may not see it
        return self.document(
            self.plan_document(plan), "smart_plan", plan.id, plan.profile_id, Capability.DOWNLOAD_PLANS
        )

    def document(
        self,
        document: Document,
        kind: str,
        record_id: str,
        profile_id: str | None,
        capability: Capability = Capability.DOWNLOAD_RECORDS,
    ) -> Download:
        """Any other document made from a record (e.g. a letter, `app/letters.py`) as a PDF, audited the same way
        as an incident: the role must allow downloads, and the audit is saved before the file is handed over."""
        self.context.require(capability, "download this")
        data = render_pdf(document)
        self._audit(kind, record_id, profile_id)
        return Download(file_name=document.file_name, data=data)

    def export(
        self, kind: str, file_name: str, data: bytes, media_type: str, *, profile_id: str | None = None
    ) -> Download:
        """A file made from many records (an analytics report's CSV, a register; everything about one individual,
        `profile_id`): the role must allow downloads, and the audit (action `export`, the `kind` of export, no
        single record) is saved before the file is handed over."""
        self.context.require(Capability.DOWNLOAD_RECORDS, "download records")
        self._audit(kind, None, profile_id, action="export")
        return Download(file_name=file_name, data=data, media_type=media_type)

    def export_csv(self, kind: str, file_name: str, text: str) -> Download:
        """CSV text made from many records (an analytics report's table) as the file a spreadsheet opens
        (`documents.csv_bytes`), audited as an export."""
        return self.export(kind, file_name, csv_bytes(text), "text/csv")

    def export_document(self, document: Document, kind: str) -> Download:
        """A document made from many records (an analytics report printed) as a PDF, audited as an export like
        its CSV: the role must allow downloads, and the audit is saved before the file is handed over."""
        self.context.require(Capability.DOWNLOAD_RECORDS, "download records")
        return self.export(kind, document.file_name, render_pdf(document), PDF)

    def _audit(self, kind: str, record_id: str | None, profile_id: str | None, action: str = "download") -> None:
        self.context.audit(
            action, kind, record_id, profile_id, what="the record of this download (so nothing was downloaded)"
        )

    # --- the incident as a document ---------------------------------------------------------------

    def incident_document(self, incident: Stored) -> Document:
        v = incident.values
        staff = self.context.staff_names()
        people = self.context.individual_names()
        individual = people.get(incident.profile_id or "", "Unknown")
        status = v.get("status") or IncidentStatus.DRAFT.value
        reference = reference_label(v.get("reference"), status=status, pending=incident.pending)
        signed = v.get("review_signed_off_by")
        facts = [
            Fact("Organisation", self.context.organisation_name()),
            Fact("Individual", individual),
            Fact("Reference", reference),
            Fact("Status", label(IncidentStatus, status)),
            Fact("When it happened", moment(v.get("occurred_at"))),
            Fact("Recorded by", f"{staff.get(v.get('recorded_by', ''), 'Unknown')}, {moment(v.get('recorded_at'))}"),
            Fact(
                "Signed off",
                f"{staff.get(signed, 'Unknown')}, {moment(v.get('review_signed_off_at'))}" if signed else "Not yet",
            ),
            Fact("Downloaded by", staff.get(self.context.user.id) or self.context.user.name),
        ]
        names = {**people, **staff}
        sections = [Section("Incident", self._facts(v, INCIDENT_PAGE, names) + self._after(v))]
        if v.get("physical_intervention"):
            sections.append(Section("Physical intervention", self._physical(v, names)))
        learning = self._facts(v, LEARNING_PAGE, names)
        if learning:
            sections.append(Section("Post-incident learning", learning))
        if signed:
            sections.append(Section("Review and sign-off", self._review(v, staff)))
        return Document(
            title=f"Incident report {reference}",
            subtitle=individual,
            facts=facts,
            sections=sections,
            file_name=f"{v.get('reference') or 'incident'}.pdf",
        )

    # --- a Smart Plan as a document ---------------------------------------------------------------

    def plan_document(self, plan: Stored) -> Document:
        v = plan.values
        staff = self.context.staff_names()
        individual = self.context.individual_names().get(plan.profile_id or "", "Unknown")
        version = int(v.get("version") or 1)
        facts = [
            Fact("Organisation", self.context.organisation_name()),
            Fact("Individual", individual),
            Fact("Plan", f"{label(PlanType, v.get('plan_type') or PlanType.FULL)}, version {version}"),
            Fact("Status", label(PlanStatus, v.get("status") or PlanStatus.DRAFT)),
            Fact("Plan lead", staff.get(v.get("plan_lead") or "", "Not named")),
            Fact("Published", moment(v.get("published_at")) or "Not yet"),
            Fact("Next review", uk_day(v.get("review_date")) or "Not set"),
            Fact("Downloaded by", staff.get(self.context.user.id) or self.context.user.name),
        ]
        sections = []
        for key, heading, items in PLAN_SECTIONS:
            if key == "header":
                blocks: list[Any] = [Fact(name, text) for name, text in _plan_links(v)]
            elif key == "targets":
                targets = v.get("targets") or []
                blocks = (
                    [
                        Table(
                            ("Target", "How progress is measured"),
                            [(t["target"], t.get("measured_by", "")) for t in targets],
                        )
                    ]
                    if targets
                    else []
                )
            elif key == "agreement":
                blocks = _agreement(v)
            elif key == "review_log":
                reviews = v.get("review_log") or []
                blocks = (
                    [
                        Table(
                            ("Date", "Kind", "What changed", "Reviewed by"),
                            [
                                (
                                    uk_day(r.get("date")),
                                    label(ReviewKind, r.get("kind")),
                                    r.get("changes", ""),
                                    r.get("reviewed_by", ""),
                                )
                                for r in reviews
                            ],
                        )
                    ]
                    if reviews
                    else []
                )
            else:
                blocks = [Fact(text, str(v[name])) for name, text in items if v.get(name)]
            if blocks:
                sections.append(Section(heading, blocks))
        used = [c for c in self.plans.contributions(plan.id) if c.values.get("used")]
        if used:
            sections.append(
                Section(
                    "Contributions folded into this plan",
                    [
                        Table(
                            ("Section", "From", "Contribution"),
                            [
                                (
                                    _section_title(c.values.get("section", "")),
                                    _from(c.values, staff),
                                    c.values.get("text", ""),
                                )
                                for c in used
                            ],
                        )
                    ],
                )
            )
        return Document(
            title=str(v.get("title") or "Smart Plan"),
            subtitle=f"{individual} — version {version}",
            facts=facts,
            sections=sections,
            file_name=f"smart-plan-v{version}-{plan.id[-8:]}.pdf",
        )

    def _facts(self, values: dict[str, Any], fields: tuple[str, ...], names: dict[str, str]) -> list[Any]:
        facts = []
        for name in fields:
            if name in _NOT_AS_FACTS:
                continue
            shown = _shown(name, values.get(name), names)
            if shown:
                facts.append(Fact(title(name), shown))
        return facts

    def _after(self, v: dict[str, Any]) -> list[Any]:
        """The thumbs-up and the flag, set after the report was recorded."""
        facts = []
        if v.get("parents_informed"):
            how = [label(ContactMethod, v.get("parents_informed_method")), moment(v.get("parents_informed_at"))]
            facts.append(Fact("Parents informed", "Yes: " + ", ".join(p for p in how if p) if any(how) else "Yes"))
        elif v.get("parents_informed") is False:
            facts.append(Fact("Parents informed", f"No: {v.get('parents_not_informed_reason') or ''}".strip()))
        if v.get("flagged"):
            facts.append(Fact("Flagged", v.get("flag_reason") or "Yes"))
        return facts

    def _physical(self, v: dict[str, Any], names: dict[str, str]) -> list[Any]:
        blocks: list[Any] = self._facts(v, PHYSICAL_INTERVENTION_PAGE, names)
        deescalation = v.get("pi_deescalation") or []
        if deescalation:
            blocks.append(Fact(title("pi_deescalation"), "\n".join(deescalation_line(d) for d in deescalation)))
        techniques = v.get("pi_techniques") or []
        if techniques:
            blocks.append(
                Table(
                    title=title("pi_techniques"),
                    columns=("Technique", "How effective", "Minutes", "Used by", "Why it was used", "Injuries"),
                    rows=[
                        (
                            t.get("technique", ""),
                            label(Effectiveness, t.get("effectiveness")),
                            "" if t.get("duration_minutes") is None else str(t["duration_minutes"]),
                            ", ".join(names.get(s, "Unknown") for s in t.get("used_by", [])),
                            t.get("reason", ""),
                            t.get("injuries", ""),
                        )
                        for t in techniques
                    ],
                    widths=(3, 2, 1.2, 2.5, 4, 3),
                )
            )
        return blocks

    def _review(self, v: dict[str, Any], staff: dict[str, str]) -> list[Any]:
        child = v.get("review_child_spoken_by")
        return [
            Fact(
                "Signed off as accurate by",
                f"{staff.get(v['review_signed_off_by'], 'Unknown')}, {moment(v.get('review_signed_off_at'))}",
            ),
            Fact("Staff involved spoken to", "Yes" if v.get("review_staff_spoken_to") else "No"),
            Fact(
                "Child spoken to",
                f"Yes: {staff.get(child, 'Unknown')}, {moment(v.get('review_child_spoken_at'))}"
                if child
                else "Not yet",
            ),
            *([Fact("Review notes", v["review_notes"])] if v.get("review_notes") else []),
        ]


def title(field: str) -> str:
    """What the report calls a field: the form's label, the detail's title, or the moment's name."""
    return (
        FIELD_LABELS.get(field) or FIELD_TITLES.get(field) or MOMENTS.get(field) or field.replace("_", " ").capitalize()
    )


def moment(value: str | None) -> str:
    """An ISO moment on this device's clock, the UK way: 'Tue 1 Dec 2026, 09:15'."""
    if not value:
        return ""
    try:
        local = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return value
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def _plan_links(v: dict[str, Any]) -> list[tuple[str, str]]:
    """The other plans this one links to (EHCP, PEP, placement plan, risk assessment), with their notes."""
    links = []
    for field, name in (
        ("link_ehcp", "EHCP"),
        ("link_pep", "PEP"),
        ("link_placement_plan", "Placement plan"),
        ("link_risk_assessment", "Risk assessment"),
    ):
        if v.get(field) is None and not v.get(f"{field}_note"):
            continue
        linked = v.get(field)
        shown = "" if linked is None else ("Yes" if linked else "No")
        note = v.get(f"{field}_note") or ""
        links.append((name, ": ".join(part for part in (shown, note) if part)))
    return links


def _agreement(v: dict[str, Any]) -> list[Any]:
    contributors = v.get("contributors") or []
    blocks: list[Any] = []
    if contributors:
        blocks.append(
            Table(
                ("Name", "Role", "Contributed"),
                [
                    (
                        ", ".join(p for p in (c.get("name", ""), c.get("title", "")) if p),
                        label(ContributorRole, c.get("role")),
                        uk_day(c.get("date")),
                    )
                    for c in contributors
                ],
            )
        )
    for field, who in (("parent_agrees", "The parent or carer agrees"), ("individual_agrees", "The individual agrees")):
        if v.get(field) is not None:
            blocks.append(Fact(who, "Yes" if v[field] else "No"))
    return blocks


def _section_title(key: str) -> str:
    return next((title for k, title, _items in PLAN_SECTIONS if k == key), key)


def _from(values: dict[str, Any], staff: dict[str, str]) -> str:
    author = staff.get(values.get("author_id", ""), "Unknown")
    on_behalf = values.get("on_behalf_of") or OnBehalfOf.SELF
    if on_behalf == OnBehalfOf.SELF:
        return author
    whom = values.get("on_behalf_name") or label(OnBehalfOf, on_behalf)
    return f"{whom} (recorded by {author})"


def _shown(name: str, value: Any, names: dict[str, str]) -> str:
    """A field's value in words ("" when it was not filled in)."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else ("No" if name in _NO_MATTERS else "")
    if name in MOMENTS or name.endswith("_at"):
        return moment(value)
    if name == "discriminatory_categories":
        return ", ".join(label(DiscriminationCategory, c) for c in value)
    if name == "exclusions":
        return "\n".join(exclusion_line(e) for e in value)
    if name == "pi_report_route":
        return label(ReportRoute, value)
    if isinstance(value, list):
        return ", ".join(names.get(str(p), "Unknown") for p in value)
    return str(value)
