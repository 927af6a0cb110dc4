"""The record kinds of besmart and their fields, as typed, validated models (docs/architecture.md).

Every kind is a pydantic model that forbids unknown fields and rejects out-of-range values with a message
naming the field. `KINDS` maps each kind's wire name to a `KindSpec`: its model, whether it belongs to an
individual (`scope="profile"`), to the organisation (`"org"`) or to one recipient (`"recipient"`), whether it
is append-only, and which field holds the time the record is about (stored in the clear on the device so
screens can query time ranges without decrypting everything).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sync.errors import SyncError

# --- value types -------------------------------------------------------------------------------------

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
#: the largest integer a database BIGINT holds: op ids, cursors and row ids must stay within it
INT64_MAX = 2**63 - 1


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold the NUL character: refused here, with a clear message, not by the database.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


#: a string stored as database text (no NUL character)
NoNul = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=20_000)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Phone = Annotated[str, Field(max_length=40, pattern=r"^[0-9+() -]*$")]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


def _aware_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("must include a timezone (e.g. 2026-11-23T10:15:00Z)")
    return value.astimezone(dt.UTC)


#: A timezone-aware moment, normalised to UTC.
AwareMoment = Annotated[dt.datetime, AfterValidator(_aware_utc)]


class Valence(StrEnum):
    """Whether a behaviour or communication is positive, negative or neither (N/A)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NA = "n/a"


class BehaviourLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class SettingType(StrEnum):
    SCHOOL = "school"
    ALTERNATIVE_PROVISION = "alternative_provision"
    CHILDRENS_HOME = "childrens_home"


class Jurisdiction(StrEnum):
    """Whose law a setting answers to (it chooses the statutory clocks and the bank holidays)."""

    ENGLAND = "england"
    SCOTLAND = "scotland"


class ClockRule(StrEnum):
    """A duty with a deadline after a restrictive intervention: one statutory clock (sync/compliance.py)."""

    RECORDED = "recorded"
    STAFF_SPOKEN_TO_AND_SIGNED = "staff_spoken_to_and_signed"
    CHILD_SPOKEN_TO = "child_spoken_to"
    PARENTS_WRITTEN_REPORT = "parents_written_report"
    PARENTS_TOLD = "parents_told"
    AUTHORITY_TOLD = "authority_told"


class ClockUnit(StrEnum):
    """How a clock's deadline is counted (sync/compliance.py, in Europe/London time)."""

    SAME_DAY = "same_day"  # by the end of the day it started
    HOURS = "hours"  # elapsed hours
    DAYS = "days"  # calendar days, the same time of day
    WORKING_DAYS = "working_days"  # by the end of the nth working day after (weekends, bank holidays skipped)


class Role(StrEnum):
    """Staff roles. Capabilities per role live with the server's permission table."""

    STAFF = "staff"
    LEAD = "lead"  # senior / safeguarding lead
    ADMIN = "admin"


class IncidentStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class ExclusionType(StrEnum):
    """DfE School Census exclusion categories."""

    PERM = "PERM"  # permanent exclusion
    SUSP = "SUSP"  # suspension
    LNCH = "LNCH"  # lunchtime suspension


class ExclusionReason(StrEnum):
    """DfE School Census reason codes for suspensions and permanent exclusions."""

    PP = "PP"  # physical assault against a pupil
    PA = "PA"  # physical assault against an adult
    VP = "VP"  # verbal abuse or threatening behaviour against a pupil
    VA = "VA"  # verbal abuse or threatening behaviour against an adult
    BU = "BU"  # bullying
    RA = "RA"  # racist abuse
    LG = "LG"  # abuse against sexual orientation and gender identity
    DS = "DS"  # abuse relating to disability
    SM = "SM"  # sexual misconduct
    DA = "DA"  # drug and alcohol related
    DM = "DM"  # damage to property
    TH = "TH"  # theft
    DB = "DB"  # persistent or general disruptive behaviour
    MT = "MT"  # inappropriate use of social media or online technology
    OW = "OW"  # use or threat of use of an offensive weapon or prohibited item
    PH = "PH"  # wilful and repeated breach of public-health measures


EXCLUSION_REASON_LABELS: dict[ExclusionReason, str] = {
    ExclusionReason.PP: "Physical assault against a pupil",
    ExclusionReason.PA: "Physical assault against an adult",
    ExclusionReason.VP: "Verbal abuse or threatening behaviour against a pupil",
    ExclusionReason.VA: "Verbal abuse or threatening behaviour against an adult",
    ExclusionReason.BU: "Bullying",
    ExclusionReason.RA: "Racist abuse",
    ExclusionReason.LG: "Abuse against sexual orientation and gender identity",
    ExclusionReason.DS: "Abuse relating to disability",
    ExclusionReason.SM: "Sexual misconduct",
    ExclusionReason.DA: "Drug and alcohol related",
    ExclusionReason.DM: "Damage to property",
    ExclusionReason.TH: "Theft",
    ExclusionReason.DB: "Persistent or general disruptive behaviour",
    ExclusionReason.MT: "Inappropriate use of social media or online technology",
    ExclusionReason.OW: "Use or threat of use of an offensive weapon or prohibited item",
    ExclusionReason.PH: "Wilful and repeated breach of public-health measures",
}


class DiscriminationCategory(StrEnum):
    """Kinds of discriminatory or prejudiced behaviour (protected characteristics, plus bullying)."""

    RACIST = "racist"
    RELIGION_OR_BELIEF = "religion_or_belief"
    SEXIST = "sexist"
    SEXUAL_HARASSMENT = "sexual_harassment"
    HOMOPHOBIC_OR_BIPHOBIC = "homophobic_or_biphobic"
    TRANSPHOBIC = "transphobic"
    DISABILITY = "disability"
    PREJUDICE_BASED_BULLYING = "prejudice_based_bullying"
    OTHER = "other"


class Effectiveness(StrEnum):
    EFFECTIVE = "effective"
    PARTLY_EFFECTIVE = "partly_effective"
    NOT_EFFECTIVE = "not_effective"


class ContactMethod(StrEnum):
    PHONE = "phone"
    IN_PERSON = "in_person"
    EMAIL = "email"
    LETTER = "letter"
    APP_MESSAGE = "app_message"


class ReportRoute(StrEnum):
    """Who a use of force was reported to: the parents, or the local authority when telling the
    parents would likely cause the child significant harm."""

    PARENTS = "parents"
    LOCAL_AUTHORITY = "local_authority"


class ContributorRole(StrEnum):
    STAFF = "staff"
    PARENT = "parent"
    PUPIL = "pupil"
    OTHER = "other"


class PlanType(StrEnum):
    INTERIM = "interim"
    FULL = "full"


class ReviewKind(StrEnum):
    SCHEDULED = "scheduled"
    AFTER_INCIDENT = "after_incident"


class FeedbackStatus(StrEnum):
    """Where a report about a tool's output stands: open until a lead or an administrator resolves it."""

    OPEN = "open"
    RESOLVED = "resolved"


class SupportRequestKind(StrEnum):
    """What a person asks the besmart team for from the Help Centre: an answer in writing, or a call."""

    TICKET = "ticket"
    CALL = "call"


class OnBehalfOf(StrEnum):
    """Whose words a plan contribution records: the author's own, or someone they spoke with."""

    SELF = "self"
    PARENT_CARER = "parent_carer"
    INDIVIDUAL = "individual"
    OTHER_PROFESSIONAL = "other_professional"


# --- labels: what a person sees for each stored value ------------------------------------------------

#: The user-facing label of every stored enum value: the one place that maps them, so no screen shows a raw
#: value such as "local_authority" or "other". `tests/app/test_incident_lists.py` checks every member has one.
ENUM_LABELS: dict[type[StrEnum], dict[str, str]] = {
    Valence: {Valence.POSITIVE: "Positive", Valence.NEGATIVE: "Negative", Valence.NA: "Neither"},
    BehaviourLevel: {BehaviourLevel.LOW: "Low", BehaviourLevel.MEDIUM: "Medium", BehaviourLevel.HIGH: "High"},
    SettingType: {
        SettingType.SCHOOL: "School",
        SettingType.ALTERNATIVE_PROVISION: "Alternative provision",
        SettingType.CHILDRENS_HOME: "Children's home",
    },
    Jurisdiction: {Jurisdiction.ENGLAND: "England", Jurisdiction.SCOTLAND: "Scotland"},
    ClockRule: {
        ClockRule.RECORDED: "Recorded in writing",
        ClockRule.STAFF_SPOKEN_TO_AND_SIGNED: "Staff spoken to and record signed",
        ClockRule.CHILD_SPOKEN_TO: "Child spoken to",
        ClockRule.PARENTS_WRITTEN_REPORT: "Written report to the parents",
        ClockRule.PARENTS_TOLD: "Parents told",
        ClockRule.AUTHORITY_TOLD: "Education authority told",
    },
    ClockUnit: {
        ClockUnit.SAME_DAY: "The same day",
        ClockUnit.HOURS: "Hours",
        ClockUnit.DAYS: "Days",
        ClockUnit.WORKING_DAYS: "Working days",
    },
    Role: {Role.STAFF: "Staff", Role.LEAD: "Lead", Role.ADMIN: "Administrator"},
    IncidentStatus: {
        IncidentStatus.DRAFT: "Draft",
        IncidentStatus.SUBMITTED: "Submitted",
        IncidentStatus.REVIEWED: "Reviewed and signed off",
    },
    PlanStatus: {PlanStatus.DRAFT: "Draft", PlanStatus.ACTIVE: "Active", PlanStatus.ARCHIVED: "Archived"},
    ExclusionType: {
        ExclusionType.PERM: "Permanent exclusion",
        ExclusionType.SUSP: "Suspension",
        ExclusionType.LNCH: "Lunchtime suspension",
    },
    ExclusionReason: {reason: text for reason, text in EXCLUSION_REASON_LABELS.items()},
    DiscriminationCategory: {
        DiscriminationCategory.RACIST: "Racist",
        DiscriminationCategory.RELIGION_OR_BELIEF: "Religion or belief",
        DiscriminationCategory.SEXIST: "Sexist",
        DiscriminationCategory.SEXUAL_HARASSMENT: "Sexual harassment",
        DiscriminationCategory.HOMOPHOBIC_OR_BIPHOBIC: "Homophobic or biphobic",
        DiscriminationCategory.TRANSPHOBIC: "Transphobic",
        DiscriminationCategory.DISABILITY: "Disability",
        DiscriminationCategory.PREJUDICE_BASED_BULLYING: "Prejudice-based bullying",
        DiscriminationCategory.OTHER: "Other discriminatory or prejudiced behaviour",
    },
    Effectiveness: {
        Effectiveness.EFFECTIVE: "Effective",
        Effectiveness.PARTLY_EFFECTIVE: "Partly effective",
        Effectiveness.NOT_EFFECTIVE: "Not effective",
    },
    ContactMethod: {
        ContactMethod.PHONE: "Phone",
        ContactMethod.IN_PERSON: "In person",
        ContactMethod.EMAIL: "Email",
        ContactMethod.LETTER: "Letter",
        ContactMethod.APP_MESSAGE: "App message",
    },
    ReportRoute: {ReportRoute.PARENTS: "Parents", ReportRoute.LOCAL_AUTHORITY: "Local authority"},
    ContributorRole: {
        ContributorRole.STAFF: "Staff",
        ContributorRole.PARENT: "Parent or carer",
        ContributorRole.PUPIL: "The individual",
        ContributorRole.OTHER: "Other",
    },
    PlanType: {PlanType.INTERIM: "Interim", PlanType.FULL: "Full"},
    FeedbackStatus: {FeedbackStatus.OPEN: "Open", FeedbackStatus.RESOLVED: "Resolved"},
    SupportRequestKind: {SupportRequestKind.TICKET: "Support ticket", SupportRequestKind.CALL: "Support call"},
    ReviewKind: {ReviewKind.SCHEDULED: "Scheduled review", ReviewKind.AFTER_INCIDENT: "Review after an incident"},
    OnBehalfOf: {
        OnBehalfOf.SELF: "My own words",
        OnBehalfOf.PARENT_CARER: "On behalf of a parent or carer",
        OnBehalfOf.INDIVIDUAL: "On behalf of the individual",
        OnBehalfOf.OTHER_PROFESSIONAL: "On behalf of another professional",
    },
}


def label(enum: type[StrEnum], value: Any) -> str:
    """The user-facing label of a stored enum value ("" for none). A value the enum does not know (from a
    newer version of the app) is shown as words rather than hidden."""
    if value is None or value == "":
        return ""
    labels = ENUM_LABELS[enum]
    if value in labels:
        return labels[value]
    return str(value).replace("_", " ").capitalize()


# --- nested values -----------------------------------------------------------------------------------


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Exclusion(_Value):
    """A suspension or permanent exclusion linked to an incident (DfE census fields)."""

    type: ExclusionType
    sessions: int | None = Field(default=None, ge=1, le=90, description="a school day is 2 sessions")
    start_date: dt.date | None = None
    reasons: list[ExclusionReason] = Field(min_length=1, max_length=3)

    def model_post_init(self, _context: Any) -> None:
        if self.type != ExclusionType.PERM and self.sessions is None:
            raise ValueError("a suspension needs its length in sessions (a day is 2 sessions)")
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError("each exclusion reason may be given once")


class DeescalationUse(_Value):
    technique: Name
    effectiveness: Effectiveness
    notes: LongText = ""


class PhysicalTechniqueUse(_Value):
    technique: Name
    effectiveness: Effectiveness
    used_by: list[Id] = Field(default_factory=list, max_length=50)
    duration_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    reason: LongText = ""
    injuries: LongText = ""


class ClockOverride(_Value):
    """An admin's change to one statutory clock of a setting: another deadline, or the clock turned off."""

    rule: ClockRule
    unit: ClockUnit
    amount: int = Field(default=0, ge=0, le=24 * 31, description="0 for the same day")
    enabled: bool = True

    def model_post_init(self, _context: Any) -> None:
        if (self.unit == ClockUnit.SAME_DAY) != (self.amount == 0):
            raise ValueError("a deadline is the same day (amount 0) or a number of hours or days (amount 1 or more)")
        if self.unit != ClockUnit.HOURS and self.amount > 31:
            raise ValueError("a deadline in days is at most 31 days")


def _one_per_rule(overrides: list[ClockOverride]) -> list[ClockOverride]:
    rules = [o.rule for o in overrides]
    if len(set(rules)) != len(rules):
        raise ValueError("each clock may be overridden once")
    return overrides


class Contributor(_Value):
    name: Name
    role: ContributorRole
    staff_id: Id | None = None
    #: what they do (class teacher, mum, educational psychologist), and when they contributed
    title: ShortText = ""
    date: dt.date | None = None


class PlanTarget(_Value):
    target: Annotated[str, Field(min_length=1, max_length=2_000)]
    measured_by: LongText = ""


class PlanReview(_Value):
    """One entry of a plan's review log."""

    date: dt.date
    kind: ReviewKind = ReviewKind.SCHEDULED
    incident_id: Id | None = None  # the incident that prompted a review after an incident
    changes: LongText = ""
    reviewed_by: Name


# --- record kinds ------------------------------------------------------------------------------------

#: fields that soft-delete a published plan or a submitted incident (deleted with a reason, kept for leads)
REMOVAL_FIELDS = frozenset({"removed", "removed_reason", "removed_by", "removed_at"})


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)


class Organisation(_Record):
    name: Name
    incident_prefix: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,19}$")] = "besmart"
    help_email: Email | None = None
    help_phone: Phone = ""
    #: an admin allows the written report to parents to be emailed by the server (off by default)
    parent_report_email: bool = False


class Setting(_Record):
    """A school, alternative provision or children's home within an organisation."""

    name: Name
    setting_type: SettingType
    jurisdiction: Jurisdiction = Jurisdiction.ENGLAND
    #: an admin's changes to the statutory clocks (sync/compliance.py); empty: the statutory deadlines
    clock_overrides: Annotated[list[ClockOverride], AfterValidator(_one_per_rule)] = Field(
        default_factory=list, max_length=len(ClockRule)
    )


class StaffUser(_Record):
    name: Name
    email: Email
    role: Role = Role.STAFF
    active: bool = True
    #: a lead limited to some of the organisation's settings reaches only their individuals (empty: all)
    setting_ids: list[Id] = Field(default_factory=list, max_length=50)


class Individual(_Record):
    """A child or young person (a profile)."""

    first_name: Name
    last_name: Name
    preferred_name: ShortText = ""
    date_of_birth: dt.date | None = None
    group: ShortText = ""  # year / class / house / home
    setting_id: Id | None = None
    send: bool = False
    ehc_plan: bool = False
    looked_after: bool = False
    details: LongText = ""
    #: a legal hold (set by a lead or admin, with its reason) blocks deleting and destroying their records
    legal_hold: bool = False
    legal_hold_reason: LongText = ""
    legal_hold_by: Id | None = None
    legal_hold_at: AwareMoment | None = None


class KeyContact(_Record):
    name: Name
    relationship: ShortText
    phone: Phone = ""
    email: Email | None = None
    parental_responsibility: bool = False


class KeyStaff(_Record):
    """A member of staff named as key staff for an individual (notified of their records)."""

    staff_id: Id


class AccessGrant(_Record):
    """Permission for a member of staff to see and record for an individual."""

    staff_id: Id
    granted_by: Id | None = None


class BehaviourType(_Record):
    """One button of the Behaviour Clicker catalogue."""

    label: Name
    valence: Valence
    level: BehaviourLevel = BehaviourLevel.LOW
    colour: Colour = "#607d8b"
    icon: ShortText = ""
    active: bool = True
    sort_order: int = Field(default=0, ge=0, le=10_000)
    #: the kinds of setting whose individuals the clicker offers it to ("Missed curfew" in a children's home,
    #: "Late to lesson" in schools); empty: every setting
    setting_types: list[SettingType] = Field(default_factory=list, max_length=len(SettingType))


class ClickerEvent(_Record):
    behaviour_type_id: Id
    staff_id: Id
    occurred_at: AwareMoment
    device_id: Id


class Communication(_Record):
    valence: Valence
    author_id: Id
    message: Annotated[str, Field(min_length=1, max_length=20_000)]
    created_at: AwareMoment
    added_to_plan: bool = False


class CommunicationResponse(_Record):
    communication_id: Id
    author_id: Id
    message: Annotated[str, Field(min_length=1, max_length=20_000)]
    created_at: AwareMoment


class Incident(_Record):
    """An incident report: the incident, post-incident learning (pild_*), physical intervention (pi_*)
    and review (review_*). Sections are flat fields so that two people completing different parts of the
    same report offline never conflict."""

    reference: ShortText | None = None  # assigned by the server: "<prefix>-<n>"
    status: IncidentStatus = IncidentStatus.DRAFT
    recorded_by: Id
    recorded_at: AwareMoment
    occurred_at: AwareMoment
    location: ShortText = ""
    what_happened: LongText = ""
    what_happened_before: LongText = ""
    staff_present: list[Id] = Field(default_factory=list, max_length=50)
    other_individuals: list[Id] = Field(default_factory=list, max_length=50)
    injury: bool = False
    injury_who: ShortText = ""
    injury_details: LongText = ""
    injury_treatment: LongText = ""
    parents_informed: bool | None = None
    parents_informed_by: Id | None = None
    parents_informed_at: AwareMoment | None = None
    parents_informed_method: ContactMethod | None = None
    parents_not_informed_reason: LongText = ""
    flagged: bool = False
    flag_reason: ShortText = ""
    # Post-incident learning (PILD)
    pild_perspective: LongText = ""
    pild_feelings: LongText = ""
    pild_next_time: LongText = ""
    pild_triggers: LongText = ""
    pild_adjustments: LongText = ""
    pild_comments: LongText = ""
    discriminatory: bool = False
    discriminatory_categories: list[DiscriminationCategory] = Field(default_factory=list)
    exclusions: list[Exclusion] = Field(default_factory=list, max_length=5)
    # Physical intervention
    physical_intervention: bool = False
    pi_behaviours_low: LongText = ""
    pi_behaviours_medium: LongText = ""
    pi_behaviours_high: LongText = ""
    pi_staff_response: LongText = ""
    pi_alternative_responses: LongText = ""
    pi_deescalation: list[DeescalationUse] = Field(default_factory=list, max_length=30)
    pi_techniques: list[PhysicalTechniqueUse] = Field(default_factory=list, max_length=30)
    pi_started_at: AwareMoment | None = None
    pi_ended_at: AwareMoment | None = None
    pi_reason: LongText = ""
    pi_steps_to_avoid: LongText = ""
    pi_injuries: LongText = ""
    pi_medical_treatment: LongText = ""
    pi_plan_followed: bool | None = None
    pi_support_after: LongText = ""
    pi_report_route: ReportRoute | None = None
    pi_report_route_reason: LongText = ""
    # who decided the parents are not told (the local authority is instead), and when: the withheld report
    pi_report_route_decided_by: Id | None = None
    pi_report_route_decided_at: AwareMoment | None = None
    # Reports after a restrictive intervention (their clocks: sync/compliance.py)
    parent_report_sent_by: Id | None = None  # the written report to the parents
    parent_report_sent_at: AwareMoment | None = None
    parent_report_method: ContactMethod | None = None
    authority_informed_by: Id | None = None  # the education authority (Scotland)
    authority_informed_at: AwareMoment | None = None
    # Review and sign-off
    review_signed_off_by: Id | None = None
    review_signed_off_at: AwareMoment | None = None
    review_staff_spoken_to: bool = False
    review_child_spoken_by: Id | None = None
    review_child_spoken_at: AwareMoment | None = None
    review_notes: LongText = ""
    #: the clock reminders the server has sent ("parents_written_report:due"): server only
    reminders_sent: list[ShortText] = Field(default_factory=list, max_length=100)
    # A submitted incident is never erased: deleting it with a reason hides it from all but leads
    removed: bool = False
    removed_reason: LongText = ""
    removed_by: Id | None = None
    removed_at: AwareMoment | None = None

    def model_post_init(self, _context: Any) -> None:
        if self.pi_started_at and self.pi_ended_at and self.pi_ended_at < self.pi_started_at:
            raise ValueError("physical intervention ends before it starts")


#: Incident fields anyone who may record for the individual may set: the parents-informed thumbs-up and
#: flagging for a lead's attention.
INCIDENT_RECORDER_FIELDS = frozenset(
    {
        "parents_informed",
        "parents_informed_by",
        "parents_informed_at",
        "parents_informed_method",
        "parents_not_informed_reason",
        "flagged",
        "flag_reason",
    }
)
#: Incident fields that record what was done after the report (status, review and sign-off, the reports to
#: parents and the authority, who was told, the flag, a deletion with its reason, the server's clock
#: reminders): changing them once the
#: incident is submitted is follow-up, not an amendment of what the report says happened.
INCIDENT_FOLLOW_UP_FIELDS = (
    INCIDENT_RECORDER_FIELDS
    | REMOVAL_FIELDS
    | {"status", "reference", "reminders_sent"}
    | {
        name
        for name in Incident.model_fields
        if name.startswith(("review_", "parent_report_", "authority_informed_", "pi_report_route"))
    }
)


def amended_fields(kind: str, stored: dict[str, Any] | None, fields: Iterable[str]) -> set[str]:
    """The fields an update amends: what a submitted (or reviewed) incident says happened. Such a change is
    an amendment and needs a reason (`Op.reason`); a draft, and follow-up fields, change freely."""
    if kind != "incident" or not stored or stored.get("status", IncidentStatus.DRAFT) == IncidentStatus.DRAFT:
        return set()
    return set(fields) - INCIDENT_FOLLOW_UP_FIELDS


class SmartPlan(_Record):
    """One version of a behaviour support plan. Each section item is its own field, so that two people editing
    different parts never conflict (`PLAN_SECTIONS` lists them in order). The versions of one plan share a
    `series_id` (the first version's id; empty on the first version itself). Older names kept from the first
    plans (`pupil_voice`, `strategies`, `triggers`, `early_signs`, `reasonable_adjustments`, `agreed_responses`,
    `communication_follow_up`) are items of their sections, so plans recorded before stay valid."""

    # Header
    status: PlanStatus = PlanStatus.DRAFT
    version: int = Field(default=1, ge=1)
    series_id: Id | None = None
    plan_type: PlanType = PlanType.FULL
    title: ShortText = "Smart Plan"
    plan_lead: Id | None = None
    review_date: dt.date | None = None  # the next review
    link_ehcp: bool | None = None
    link_ehcp_note: ShortText = ""
    link_pep: bool | None = None
    link_pep_note: ShortText = ""
    link_placement_plan: bool | None = None
    link_placement_plan_note: ShortText = ""
    link_risk_assessment: bool | None = None
    link_risk_assessment_note: ShortText = ""
    # About me
    about_strengths: LongText = ""
    about_what_matters: LongText = ""
    about_finds_hard: LongText = ""
    about_communication: LongText = ""
    strategies: LongText = ""  # what helps them feel safe and regulated
    pupil_voice: LongText = ""  # in their own words
    about_views_gathered: LongText = ""
    # Understanding behaviour
    behaviours_of_concern: LongText = ""
    setting_events: LongText = ""
    triggers: LongText = ""
    behaviour_function: LongText = ""
    early_signs: LongText = ""
    # Proactive (green)
    reasonable_adjustments: LongText = ""
    green_environment: LongText = ""
    green_skills: LongText = ""
    green_reinforce: LongText = ""
    green_phrases_help: LongText = ""
    green_phrases_avoid: LongText = ""
    # When anxiety rises (amber)
    amber_signs: LongText = ""
    amber_helps: LongText = ""
    amber_avoid: LongText = ""
    # Crisis (red)
    agreed_responses: LongText = ""  # least-restrictive first
    red_techniques_agreed: LongText = ""
    red_techniques_ruled_out: LongText = ""  # for medical reasons
    red_why_restrictive: LongText = ""
    red_reduce_aim: LongText = ""
    # After an incident
    after_recovery: LongText = ""
    after_repair: LongText = ""
    after_debrief: LongText = ""
    after_parents_told: LongText = ""
    communication_follow_up: LongText = ""  # follow-up
    # Targets
    targets: list[PlanTarget] = Field(default_factory=list, max_length=50)
    # Contributors and agreement
    contributors: list[Contributor] = Field(default_factory=list, max_length=50)
    parent_agrees: bool | None = None
    individual_agrees: bool | None = None
    # Review log
    review_log: list[PlanReview] = Field(default_factory=list, max_length=200)
    # Where it came from
    linked_incident_ids: list[Id] = Field(default_factory=list, max_length=500)
    linked_communication_ids: list[Id] = Field(default_factory=list, max_length=500)
    created_by: Id
    created_at: AwareMoment
    published_at: AwareMoment | None = None
    # A published plan is never erased: deleting it with a reason hides it from all but leads
    removed: bool = False
    removed_reason: LongText = ""
    removed_by: Id | None = None
    removed_at: AwareMoment | None = None
    #: the review reminders the server has sent for this version ("plan_review_due:2027-01-10"): server only
    reminders_sent: list[ShortText] = Field(default_factory=list, max_length=100)


#: The plan's sections in order: (key, title, ((field, label), ...)). Targets, contributors and the review log
#: are lists; the header's fields are the plan's own (status, version, lead...).
PLAN_SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "header",
        "Plan details",
        (
            ("plan_type", "Plan type"),
            ("title", "Title"),
            ("plan_lead", "Plan lead"),
            ("review_date", "Next review date"),
            ("link_ehcp", "EHCP"),
            ("link_ehcp_note", "EHCP note"),
            ("link_pep", "PEP"),
            ("link_pep_note", "PEP note"),
            ("link_placement_plan", "Placement plan"),
            ("link_placement_plan_note", "Placement plan note"),
            ("link_risk_assessment", "Risk assessment"),
            ("link_risk_assessment_note", "Risk assessment note"),
        ),
    ),
    (
        "about_me",
        "About me",
        (
            ("about_strengths", "My strengths and interests"),
            ("about_what_matters", "What matters to me"),
            ("about_finds_hard", "What I find hard"),
            ("about_communication", "How I communicate"),
            ("strategies", "What helps me feel safe and regulated"),
            ("pupil_voice", "In my own words"),
            ("about_views_gathered", "How my views were gathered"),
        ),
    ),
    (
        "understanding",
        "Understanding my behaviour",
        (
            ("behaviours_of_concern", "Behaviours of concern"),
            ("setting_events", "Setting events"),
            ("triggers", "Triggers"),
            ("behaviour_function", "What the behaviour may be communicating"),
            ("early_signs", "Early warning signs"),
        ),
    ),
    (
        "green",
        "Proactive (green)",
        (
            ("reasonable_adjustments", "Reasonable adjustments"),
            ("green_environment", "Environment and routines"),
            ("green_skills", "Skills to teach"),
            ("green_reinforce", "What to praise and reinforce"),
            ("green_phrases_help", "Phrases that help"),
            ("green_phrases_avoid", "Phrases to avoid"),
        ),
    ),
    (
        "amber",
        "When anxiety rises (amber)",
        (
            ("amber_signs", "Signs"),
            ("amber_helps", "What helps"),
            ("amber_avoid", "What to avoid"),
        ),
    ),
    (
        "red",
        "Crisis (red)",
        (
            ("agreed_responses", "Agreed responses, least restrictive first"),
            ("red_techniques_agreed", "Physical techniques agreed"),
            ("red_techniques_ruled_out", "Techniques ruled out for medical reasons"),
            ("red_why_restrictive", "Why restrictive practice might be needed"),
            ("red_reduce_aim", "Our aim to reduce it"),
        ),
    ),
    (
        "after",
        "After an incident",
        (
            ("after_recovery", "Recovery"),
            ("after_repair", "Repair and restorative conversation"),
            ("after_debrief", "Debrief for the individual and staff"),
            ("after_parents_told", "How and when parents or carers are told"),
            ("communication_follow_up", "Follow-up"),
        ),
    ),
    ("targets", "Targets", (("targets", "Targets and how progress is measured"),)),
    (
        "agreement",
        "Contributors and agreement",
        (
            ("contributors", "Contributors"),
            ("parent_agrees", "The parent or carer agrees with the plan"),
            ("individual_agrees", "The individual agrees with the plan"),
        ),
    ),
    ("review_log", "Review log", (("review_log", "Reviews"),)),
)

#: field -> the key of its section
PLAN_FIELD_SECTION: dict[str, str] = {name: key for key, _title, items in PLAN_SECTIONS for name, _label in items}
#: the fields a plan's author writes (its content): everything in a section
PLAN_CONTENT_FIELDS = frozenset(PLAN_FIELD_SECTION)
#: fields that may still change once a version is published (active): its review date, agreement and review log
PLAN_LIVE_FIELDS = frozenset({"review_date", "review_log", "contributors", "parent_agrees", "individual_agrees"})
PLAN_REMOVAL_FIELDS = REMOVAL_FIELDS
#: an individual's legal hold: while it is on, none of their records may be deleted or destroyed
LEGAL_HOLD_FIELDS = frozenset({"legal_hold", "legal_hold_reason", "legal_hold_by", "legal_hold_at"})


class PlanContribution(_Record):
    """A contribution to one section of a plan (append-only: only `used` changes, when the plan lead has folded
    it into the plan text)."""

    plan_id: Id
    section: Annotated[str, Field(min_length=1, max_length=40)]
    text: Annotated[str, Field(min_length=1, max_length=20_000)]
    author_id: Id
    on_behalf_of: OnBehalfOf = OnBehalfOf.SELF
    on_behalf_name: ShortText = ""  # whom it was recorded on behalf of
    created_at: AwareMoment
    used: bool = False

    def model_post_init(self, _context: Any) -> None:
        if self.section not in {key for key, _title, _items in PLAN_SECTIONS}:
            raise ValueError(f"section: unknown plan section {self.section!r}")
        if self.on_behalf_of != OnBehalfOf.SELF and not self.on_behalf_name.strip():
            raise ValueError("on_behalf_name: say whom the contribution was recorded on behalf of")


class Notification(_Record):
    recipient_id: Id
    kind: Literal[
        "incident_submitted",
        "invited_to_collaborate",
        "incident_flagged",
        "communication",
        "communication_response",
        "plan_updated",
        "plan_review_due",
        "plan_review_overdue",
        "plan_review_after_incident",
        "clock_due",
        "clock_overdue",
    ]
    subject: ShortText
    body: LongText = ""
    record_id: Id | None = None
    record_kind: ShortText | None = None
    profile_id: Id | None = None
    created_at: AwareMoment
    read: bool = False


#: the longest output a report of a problem with it keeps
FEEDBACK_OUTPUT_MAX = 20_000


class OutputFeedback(_Record):
    """A report that an output of a tool (a letter draft, a language check, an AI Support suggestion) looks
    wrong or raises a concern: the output as the person saw it, their note, and a lead's resolution. The
    output may quote a child's record, so only its author and the leads and administrators who reach the
    individual it is about receive it (server.permissions)."""

    tool: Annotated[str, Field(min_length=1, max_length=100)]
    output: Annotated[str, Field(min_length=1, max_length=FEEDBACK_OUTPUT_MAX)]
    note: Annotated[str, Field(min_length=1, max_length=20_000)]
    author_id: Id
    created_at: AwareMoment
    #: the record the output was made from (an incident, a communication, an individual), if any
    record_id: Id | None = None
    record_kind: ShortText | None = None
    #: the individual the output is about, if any: who may read the report depends on it
    profile_id: Id | None = None
    status: FeedbackStatus = FeedbackStatus.OPEN
    #: the lead who resolved it (their staff id), or "cli:NAME" for an operator at the server's command line
    resolved_by: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    resolved_at: AwareMoment | None = None
    resolution: LongText = ""


#: the fields that resolve a report (all a lead may change after it was made)
FEEDBACK_RESOLUTION_FIELDS = frozenset({"status", "resolved_by", "resolved_at", "resolution"})


#: the longest subject and details a support request keeps (the Help Centre's form says so before saving)
SUPPORT_SUBJECT_MAX = 200
SUPPORT_DETAILS_MAX = 20_000


class SupportRequest(_Record):
    """A support ticket, or a request for a support call, to the besmart team, made in the Help Centre. The
    server emails it to the team when it arrives (server.services.support); it comes back to its author alone
    (scope "recipient": `author_id`). Append-only: a request is sent as it was written."""

    request: SupportRequestKind
    subject: Annotated[str, Field(min_length=1, max_length=SUPPORT_SUBJECT_MAX)]
    details: Annotated[str, Field(min_length=1, max_length=SUPPORT_DETAILS_MAX)]
    author_id: Id
    created_at: AwareMoment
    #: where the team can call back: needed for a call
    contact_phone: Phone = ""
    #: for a call: when suits the person, in their own words ("Tuesday or Wednesday after 3:30")
    preferred_times: ShortText = ""

    def model_post_init(self, _context: Any) -> None:
        if self.request == SupportRequestKind.CALL and not self.contact_phone.strip():
            raise ValueError("contact_phone: a support call needs a number to call")


class AuditEvent(_Record):
    actor_id: Id
    action: Literal["view", "create", "update", "delete", "download", "export", "login"]
    record_kind: ShortText
    record_id: Id | None = None
    profile_id: Id | None = None
    device_id: Id | None = None
    at: AwareMoment


# --- the registry ------------------------------------------------------------------------------------

Scope = Literal["org", "profile", "recipient"]


@dataclass(frozen=True)
class KindSpec:
    name: str
    model: type[BaseModel]
    scope: Scope
    append_only: bool = False
    time_field: str | None = None
    #: fields only the server may set (a device that sends them is rejected)
    server_fields: frozenset[str] = frozenset()
    #: the fields an append-only record may still change after it was created (e.g. a contribution's `used`)
    mutable_fields: frozenset[str] = frozenset()


KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec("organisation", Organisation, "org"),
        KindSpec("setting", Setting, "org"),
        KindSpec("staff", StaffUser, "org"),
        KindSpec("behaviour_type", BehaviourType, "org"),
        KindSpec("individual", Individual, "profile"),
        KindSpec("key_contact", KeyContact, "profile"),
        KindSpec("key_staff", KeyStaff, "profile"),
        KindSpec("access_grant", AccessGrant, "profile"),
        KindSpec("clicker_event", ClickerEvent, "profile", append_only=True, time_field="occurred_at"),
        KindSpec("communication", Communication, "profile", time_field="created_at"),
        KindSpec(
            "communication_response",
            CommunicationResponse,
            "profile",
            append_only=True,
            time_field="created_at",
        ),
        KindSpec(
            "incident",
            Incident,
            "profile",
            time_field="occurred_at",
            server_fields=frozenset({"reference", "reminders_sent"}),
        ),
        KindSpec(
            "smart_plan",
            SmartPlan,
            "profile",
            time_field="created_at",
            server_fields=frozenset({"reminders_sent"}),
        ),
        KindSpec(
            "plan_contribution",
            PlanContribution,
            "profile",
            append_only=True,
            time_field="created_at",
            mutable_fields=frozenset({"used"}),
        ),
        KindSpec("notification", Notification, "recipient", time_field="created_at"),
        KindSpec("output_feedback", OutputFeedback, "org", time_field="created_at"),
        KindSpec("support_request", SupportRequest, "recipient", append_only=True, time_field="created_at"),
        KindSpec("audit_event", AuditEvent, "org", append_only=True, time_field="at"),
    )
}

#: The field that marks a record deleted (a tombstone); merged like any other field.
DELETED_FIELD = "_deleted"


class RecordError(SyncError, ValueError):
    """A record or field value that does not fit its kind. The message names the field."""


def kind_spec(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise RecordError(f"unknown record kind {kind!r}") from None


def _describe(error: ValidationError, kind: str, field: str | None = None) -> str:
    parts = []
    for item in error.errors():
        loc = (field, *item.get("loc", ())) if field else item.get("loc", ())
        where = ".".join(str(p) for p in loc) or "record"
        if item.get("type") == "extra_forbidden":
            parts.append(f"{where}: unknown field for {kind}")
        else:
            parts.append(f"{where}: {item.get('msg', 'invalid value')}")
    return f"invalid {kind}: " + "; ".join(parts)


def validate_record(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a whole record; returns its JSON-ready field values (defaults filled in)."""
    spec = kind_spec(kind)
    try:
        return spec.model.model_validate(values).model_dump(mode="json")
    except ValidationError as error:
        raise RecordError(_describe(error, kind)) from None
    except ValueError as error:  # raised from model_post_init
        raise RecordError(f"invalid {kind}: {error}") from None


_FIELD_ADAPTERS: dict[tuple[str, str], TypeAdapter[Any]] = {}


def _field_adapter(spec: KindSpec, name: str) -> TypeAdapter[Any]:
    key = (spec.name, name)
    adapter = _FIELD_ADAPTERS.get(key)
    if adapter is None:
        info = spec.model.model_fields.get(name)
        if info is None:
            raise RecordError(f"invalid {spec.name}: {name}: unknown field for {spec.name}")
        # A type expression built at run time (the field's type with its constraints): the checker cannot
        # follow it, so it is typed as what it is to the checker, any type.
        annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        adapter = _FIELD_ADAPTERS[key] = TypeAdapter(annotation)
    return adapter


def validate_fields(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial update field by field; returns JSON-ready values."""
    spec = kind_spec(kind)
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == DELETED_FIELD:
            if not isinstance(value, bool):
                raise RecordError(f"invalid {kind}: {DELETED_FIELD} must be true or false")
            clean[name] = value
            continue
        adapter = _field_adapter(spec, name)
        try:
            clean[name] = adapter.dump_python(adapter.validate_python(value), mode="json")
        except ValidationError as error:
            raise RecordError(_describe(error, kind, name)) from None
        except ValueError as error:
            raise RecordError(f"invalid {kind}: {name}: {error}") from None
    return clean
