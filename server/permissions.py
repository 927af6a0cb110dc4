"""Who may do what: the server's checks over the one capability table (`sync.permissions.CAPABILITIES`).

Roles give capabilities (the table lives in `sync.permissions`, shared with the client, which only uses it
to hide what a user cannot do). On top of capabilities, `OP_RULES` says what each action on each record kind
needs; `check_op` applies it to every pushed op and `can_read` to every read. Reaching an individual at all
takes an access grant for staff, and nothing more than belonging to the organisation for leads and admins
(a lead limited to some settings reaches the individuals of those settings, and any they hold a grant for).

Each op is checked as what it does, not as what it calls itself: a create naming a record that already
exists merges into it like an edit, so it is checked as an update of the stored record (field groups, owner
fields, the reviewed lock), and kinds that are never edited (taps, responses) refuse it. Who made a record
(`IDENTITY_FIELDS`: an incident's `recorded_by`, a communication's or response's `author_id`, a tap's
`staff_id`) is the op's author on create and can never be changed afterwards, by anyone. Review and
sign-off are a lead's on create as on update; the lead signing off is the one named in
`review_signed_off_by`; and an incident still in draft is its author's and the staff present's until
submitted: nobody else may change it, and it cannot be reviewed.
Once an incident is submitted, a change to what it says is an amendment and must carry its reason
(`Op.reason`, `sync.records.amended_fields`); a submitted incident or a published plan is deleted with a
reason and kept (`removed`), never erased; and while an individual is on legal hold (`legal_hold`, set by
`legal_hold`) no record of theirs may be deleted at all.
The same `check_op` runs for a device's push and for a lead applying a quarantined op, with the op's own
author as the person it must name.
docs/permissions.md is generated from these tables (`permissions_markdown`) and a test keeps it in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.merge import RecordState, field_value
from sync.ops import Op
from sync.permissions import CAPABILITIES, Capability, can, capability_table_markdown
from sync.records import (
    FEEDBACK_RESOLUTION_FIELDS,
    INCIDENT_FOLLOW_UP_FIELDS,
    INCIDENT_RECORDER_FIELDS,
    LEGAL_HOLD_FIELDS,
    PLAN_CONTENT_FIELDS,
    PLAN_LIVE_FIELDS,
    PLAN_REMOVAL_FIELDS,
    REMOVAL_FIELDS,
    FeedbackStatus,
    IncidentStatus,
    PlanStatus,
    Role,
    amended_fields,
)

__all__ = [
    "CAPABILITIES",
    "IDENTITY_FIELDS",
    "INCIDENT_RECORDER_FIELDS",
    "OP_RULES",
    "Actor",
    "Capability",
    "Rule",
    "can",
    "can_read",
    "check_op",
]


@dataclass(frozen=True)
class Actor:
    """The signed-in user behind a request (or an admin service call), and the device it came from."""

    id: str
    org_id: str
    role: str
    device_id: str = "server"
    #: the settings a lead is limited to (their staff record's `setting_ids`); empty: the whole organisation
    settings: frozenset[str] = frozenset()

    def can(self, capability: Capability) -> bool:
        return can(self.role, capability)

    @property
    def org_wide(self) -> bool:
        """Leads and admins reach every individual of their organisation without a grant — unless the lead
        is limited to some settings (then `server.services.access` works out whom they reach)."""
        return self.can(Capability.ALL_INDIVIDUALS) and not self.settings


@dataclass(frozen=True)
class Rule:
    """What one action on one kind needs. `capability=None`: only the server writes it."""

    capability: Capability | None
    #: ...or, without the capability, be the person this field of the stored record names (e.g. your tap)
    owner_field: str | None = None
    #: a created record must name the actor in this field (attribution cannot be forged)
    self_field: str | None = None
    note: str = ""


SERVER = Rule(None, note="server only")
_ADMIN = Rule(Capability.ADMIN)

#: kind -> action -> rule. Profile kinds also need the individual to be reachable (grant or org-wide role).
OP_RULES: dict[str, dict[str, Rule]] = {
    "organisation": {"create": SERVER, "update": _ADMIN, "delete": SERVER},
    "setting": {"create": _ADMIN, "update": _ADMIN, "delete": _ADMIN},
    "staff": {"create": _ADMIN, "update": _ADMIN, "delete": _ADMIN},
    "behaviour_type": {"create": _ADMIN, "update": _ADMIN, "delete": _ADMIN},
    "individual": {"create": _ADMIN, "update": _ADMIN, "delete": _ADMIN},
    "key_contact": {"create": _ADMIN, "update": _ADMIN, "delete": _ADMIN},
    "key_staff": {"create": _ADMIN, "update": _ADMIN, "delete": _ADMIN},
    "access_grant": {"create": _ADMIN, "update": _ADMIN, "delete": _ADMIN},
    "clicker_event": {
        "create": Rule(Capability.RECORD, self_field="staff_id"),
        "delete": Rule(Capability.DELETE_INCIDENTS, owner_field="staff_id", note="or your own tap (undo)"),
    },
    "communication": {
        "create": Rule(Capability.RECORD, self_field="author_id"),
        "update": Rule(Capability.EDIT_INCIDENTS, owner_field="author_id", note="or your own"),
        "delete": Rule(Capability.DELETE_INCIDENTS, owner_field="author_id", note="or your own"),
    },
    "communication_response": {
        "create": Rule(Capability.RECORD, self_field="author_id"),
        "delete": Rule(Capability.DELETE_INCIDENTS, owner_field="author_id", note="or your own"),
    },
    "incident": {
        "create": Rule(Capability.RECORD, self_field="recorded_by"),
        "update": Rule(Capability.EDIT_INCIDENTS, note="per field group, see below"),
        "delete": Rule(Capability.DELETE_INCIDENTS),
    },
    "smart_plan": {
        "create": Rule(Capability.EDIT_PLANS, self_field="created_by", note="as a draft"),
        "update": Rule(Capability.EDIT_PLANS, note="per status and field group, see below"),
        "delete": Rule(Capability.DELETE_PLANS, note="a draft only (a published plan is removed with a reason)"),
    },
    "plan_contribution": {
        "create": Rule(Capability.CONTRIBUTE_PLANS, self_field="author_id", note="to a draft or active plan"),
        "update": Rule(Capability.EDIT_PLANS, note="only `used`, or the plan's lead"),
        "delete": Rule(Capability.DELETE_PLANS, owner_field="author_id", note="or your own"),
    },
    "notification": {
        "create": SERVER,
        "update": Rule(None, note="its recipient may mark it read"),
        "delete": SERVER,
    },
    "output_feedback": {
        "create": Rule(Capability.VIEW, self_field="author_id", note="open, about an output the user was shown"),
        "update": Rule(Capability.REVIEW_FEEDBACK, note="only its resolution, see below"),
        "delete": SERVER,
    },
    "support_request": {
        "create": Rule(Capability.VIEW, self_field="author_id", note="to the besmart team, as themselves"),
        "update": SERVER,
        "delete": SERVER,
    },
    "audit_event": {
        "create": Rule(Capability.VIEW, self_field="actor_id", note="what the user did on this device"),
        "update": SERVER,
        "delete": SERVER,
    },
}

#: what a device may audit itself (a download or export made on it, or a record read on it, perhaps offline:
#: a Smart Plan's view); every other action is audited by the server as it happens
DEVICE_AUDIT_ACTIONS = frozenset({"download", "export", "view"})

#: The reports after a restrictive intervention — the written report to the parents sent, the education
#: authority told — stop their statutory clocks (sync/compliance.py): anyone who may record for the individual
#: may mark them, as themselves, whether or not a lead has signed the incident off.
INCIDENT_REPORT_FIELDS = frozenset(
    {
        "parent_report_sent_by",
        "parent_report_sent_at",
        "parent_report_method",
        "authority_informed_by",
        "authority_informed_at",
    }
)
#: Deciding the parents are not told (it would put the child at risk of significant harm; the local authority
#: is told instead) is a lead's decision, as themselves; once decided, its route and reason are a lead's too.
INCIDENT_WITHHELD_FIELDS = frozenset({"pi_report_route_decided_by", "pi_report_route_decided_at"})
#: the fields naming who did it: the user writing them (or empty)
_INCIDENT_DOER_FIELDS = ("parent_report_sent_by", "authority_informed_by", "pi_report_route_decided_by")


#: kind -> the field naming who made the record: the op's author on create, never changed afterwards
IDENTITY_FIELDS: dict[str, str] = {
    kind: rule.self_field
    for kind, actions in OP_RULES.items()
    if (rule := actions.get("create")) is not None and rule.self_field
}


def _reviewing(op: Op, values: dict[str, object], *, creating: bool) -> set[str]:
    """The review fields this op writes. A device's create carries every field (defaults filled in), so
    on create only the review fields it actually sets count."""
    if creating:
        reviewing = {f for f, v in op.fields.items() if f.startswith("review_") and v not in (None, "", False)}
        if op.fields.get("status") == IncidentStatus.REVIEWED:
            reviewing.add("status")
        return reviewing
    reviewing = {f for f in op.fields if f.startswith("review_")}
    status = op.fields.get("status")
    if status == IncidentStatus.REVIEWED or ("status" in op.fields and values.get("status") == IncidentStatus.REVIEWED):
        reviewing.add("status")
    return reviewing


def _incident(actor: Actor, op: Op, state: RecordState | None, *, creating: bool) -> str | None:
    values = state.values() if state is not None and not state.deleted else {}
    fields = set(op.fields)
    reviewing = _reviewing(op, values, creating=creating)
    if reviewing:
        if not actor.can(Capability.REVIEW_INCIDENTS):
            return "only a lead may review or sign off an incident"
        if not creating and values.get("status", IncidentStatus.DRAFT) == IncidentStatus.DRAFT:
            return "this incident is still a draft: it can be reviewed once its author has submitted it"
        signer = op.fields.get("review_signed_off_by")
        if signer is not None and signer != op.actor_id:
            return "review_signed_off_by must be the lead signing off"
    withholding = {f for f in INCIDENT_WITHHELD_FIELDS if f in fields and (not creating or op.fields[f] is not None)}
    if values.get("pi_report_route_decided_by"):
        withholding |= fields & {"pi_report_route", "pi_report_route_reason"}
    if withholding and not actor.can(Capability.REVIEW_INCIDENTS):
        return "only a lead may decide that the parents are not told (or change that decision)"
    for name in _INCIDENT_DOER_FIELDS:
        if op.fields.get(name) not in (None, op.actor_id):
            return f"{name} must be the person recording it"
    if creating:
        return None if actor.can(Capability.RECORD) else f"your role ({actor.role}) may not create incident records"
    if values.get("removed") and not fields <= REMOVAL_FIELDS:
        return "this incident was deleted (it is kept for leads and audit) and can no longer be changed"
    if fields & REMOVAL_FIELDS and (
        refusal := _removal(actor, op, values, Capability.DELETE_INCIDENTS, "submitted incident", "incidents")
    ):
        return refusal
    amended = amended_fields(op.kind, values, fields)
    if amended and not (op.reason or "").strip():
        return "this incident has been submitted: a change to what it says is an amendment and needs its reason"
    if fields & (INCIDENT_RECORDER_FIELDS | INCIDENT_REPORT_FIELDS) and not actor.can(Capability.RECORD):
        return "your role may not update incidents"
    editing = fields - reviewing - withholding - INCIDENT_RECORDER_FIELDS - INCIDENT_REPORT_FIELDS - REMOVAL_FIELDS
    involved = values.get("recorded_by") == actor.id or actor.id in (values.get("staff_present") or [])
    if values.get("status") == IncidentStatus.DRAFT and not involved:
        # A draft is its author's (and the colleagues they named as present) until it is submitted.
        return "this incident is still a draft: only its author and the staff present may change it"
    if not editing or actor.can(Capability.EDIT_INCIDENTS):
        return None
    if not (actor.can(Capability.EDIT_OWN_INCIDENTS) and involved):
        return "you may edit only incidents you recorded or were present at"
    if values.get("status") == IncidentStatus.REVIEWED:
        return "this incident has been reviewed: only a lead may edit it now"
    return None


def _identity(op: Op, state: RecordState | None, action: str) -> str | None:
    """Who made a record is the op's author on create, and stays as it is afterwards."""
    name = IDENTITY_FIELDS.get(op.kind)
    if name is None or op.action == "delete":
        return None
    if op.action == "create" and op.fields.get(name) != op.actor_id:
        return f"{name} must be the person recording it"
    if action == "update" and name in op.fields:
        # An update arriving before its record exists writes the field first: it must name its author.
        recorded = field_value(state, name) if state is not None else op.actor_id
        if op.fields[name] != recorded:
            return f"who made this {op.kind.replace('_', ' ')} ({name}) cannot be changed"
    return None


def _device_audit(op: Op) -> str | None:
    """A device audits only what its own user did on it: a download, export or view, on this device."""
    if op.fields.get("action") not in DEVICE_AUDIT_ACTIONS:
        return "a device may audit only its own downloads, exports and views"
    if op.fields.get("device_id") != op.device_id:
        return "an audit event must name the device it was made on"
    return None


def _plan_lead(actor: Actor, plan: dict[str, object]) -> bool:
    return bool(plan.get("plan_lead")) and plan.get("plan_lead") == actor.id


def _removal(
    actor: Actor, op: Op, values: dict[str, object], capability: Capability, what: str, kinds: str
) -> str | None:
    """A soft delete (`what`: "published Smart Plan"; `kinds`: "Smart Plans"): by a role that may delete
    them, with a reason, in the deleter's name. The record stays, for leads and audit."""
    if not actor.can(capability):
        return f"your role ({actor.role}) may not delete {kinds}"
    if (
        op.fields.get("removed", values.get("removed"))
        and not str(op.fields.get("removed_reason", values.get("removed_reason")) or "").strip()
    ):
        return f"deleting a {what} needs a reason"
    if op.fields.get("removed_by") not in (None, op.actor_id):
        return "removed_by must be the person deleting it"
    return None


#: kinds whose records a legal hold keeps: while an individual is on hold none of these is deleted (erased,
#: or soft-deleted with a reason) nor destroyed at the end of its retention period
HELD_KINDS = frozenset(
    {"individual", "incident", "smart_plan", "plan_contribution", "communication", "communication_response"}
)


def _held(op: Op, state: RecordState | None, individual: RecordState | None) -> str | None:
    """A legal hold on the individual blocks every deletion of their records."""
    if op.kind not in HELD_KINDS or not field_value(individual, "legal_hold"):
        return None
    if op.action == "delete" or (op.fields.get("removed") and not field_value(state, "removed")):
        return "this individual's records are on legal hold: nothing of theirs may be deleted until it is lifted"
    return None


def _legal_hold(actor: Actor, op: Op) -> str | None:
    """Setting or lifting a legal hold: a lead or admin, with a reason when setting it, in their own name."""
    if not actor.can(Capability.LEGAL_HOLD):
        return f"your role ({actor.role}) may not set or lift a legal hold"
    if op.fields.get("legal_hold") and not str(op.fields.get("legal_hold_reason") or "").strip():
        return "a legal hold needs its reason"
    if op.fields.get("legal_hold_by") not in (None, op.actor_id):
        return "legal_hold_by must be the person setting the hold"
    if set(op.fields) - LEGAL_HOLD_FIELDS and not actor.can(Capability.ADMIN):
        return f"your role ({actor.role}) may change only the legal hold of an individual"
    return None


def _smart_plan(actor: Actor, op: Op, state: RecordState | None, *, creating: bool) -> str | None:
    """A plan is written as a draft by a lead (or its named plan lead); publishing and archiving need
    `publish_plans`; an archived version is read-only; a published one is removed, with a reason, not deleted."""
    values = state.values() if state is not None and not state.deleted else {}
    fields = set(op.fields)
    if creating:
        if not actor.can(Capability.EDIT_PLANS):
            return f"your role ({actor.role}) may not start a Smart Plan"
        if op.fields.get("status", PlanStatus.DRAFT) != PlanStatus.DRAFT and not actor.can(Capability.PUBLISH_PLANS):
            return "a Smart Plan starts as a draft: only a lead may publish it"
        return None
    status = values.get("status", PlanStatus.DRAFT)
    removing = fields & PLAN_REMOVAL_FIELDS
    if removing and (
        refusal := _removal(actor, op, values, Capability.DELETE_PLANS, "published Smart Plan", "Smart Plans")
    ):
        return refusal
    rest = fields - removing
    if not rest:
        return None
    if status == PlanStatus.ARCHIVED or values.get("removed"):
        return "this version of the Smart Plan is archived (or deleted) and can no longer be changed"
    may_edit = actor.can(Capability.EDIT_PLANS) or _plan_lead(actor, values)
    if "status" in rest or "published_at" in rest:
        new_status = op.fields.get("status", status)
        if not actor.can(Capability.PUBLISH_PLANS):
            return "only a lead may publish or archive a Smart Plan"
        if new_status == PlanStatus.DRAFT and status != PlanStatus.DRAFT:
            return "a published Smart Plan cannot go back to draft: start a new version"
        rest -= {"status", "published_at"}
    if not rest:
        return None
    if not may_edit:
        return "only a lead or the plan's lead may edit a Smart Plan"
    if status == PlanStatus.ACTIVE and rest - PLAN_LIVE_FIELDS:
        return "this Smart Plan is published: start a new version to change it"
    if status == PlanStatus.DRAFT and rest - PLAN_CONTENT_FIELDS - {"linked_incident_ids", "linked_communication_ids"}:
        return "a Smart Plan's version, series and author are set when it is started"
    return None


def _contribution(actor: Actor, op: Op, state: RecordState | None, plan: RecordState | None) -> str | None:
    """A contribution is added to a draft or active plan of the same individual; marking it used is the plan
    lead's (or a lead's)."""
    values = plan.values() if plan is not None and not plan.deleted else None
    if values is None or plan is None or plan.kind != "smart_plan" or plan.profile_id != op.profile_id:
        return "unknown Smart Plan for this individual"
    may_fold = actor.can(Capability.EDIT_PLANS) or _plan_lead(actor, values)
    if op.action == "create":
        if values.get("status") == PlanStatus.ARCHIVED or values.get("removed"):
            return "this version of the Smart Plan is archived: contribute to the current one"
        if op.fields.get("used") and not may_fold:
            return "only a lead or the plan's lead may mark a contribution used"
        return None if actor.can(Capability.CONTRIBUTE_PLANS) else f"your role ({actor.role}) may not contribute"
    if op.action == "update" and not may_fold:
        return "only a lead or the plan's lead may mark a contribution used"
    return None


def _feedback(actor: Actor, op: Op, *, creating: bool) -> str | None:
    """A report is made open by whoever was shown the output; afterwards only a lead's (or an administrator's)
    resolution changes, and it names the person resolving it."""
    if creating:
        resolved = {f for f in FEEDBACK_RESOLUTION_FIELDS - {"status"} if op.fields.get(f) not in (None, "")}
        if op.fields.get("status", FeedbackStatus.OPEN) != FeedbackStatus.OPEN or resolved:
            return "a report of a problem with an output is made open: a lead resolves it"
        return None if actor.can(Capability.VIEW) else f"your role ({actor.role}) may not report a problem"
    if not actor.can(Capability.REVIEW_FEEDBACK):
        return "only a lead or an administrator may resolve a report of a problem with an output"
    if set(op.fields) - FEEDBACK_RESOLUTION_FIELDS:
        return "a report of a problem with an output cannot be changed: only its resolution can"
    if op.fields.get("resolved_by") not in (None, op.actor_id):
        return "resolved_by must be the person resolving the report"
    return None


def check_op(
    actor: Actor,
    op: Op,
    state: RecordState | None,
    plan: RecordState | None = None,
    individual: RecordState | None = None,
) -> str | None:
    """Why `actor` may not make this op (None: allowed). Reaching the individual is checked by the caller.

    `state` is the stored record (None: it does not exist): a create over it is checked as the update it
    is. When a lead applies someone else's quarantined op, `actor` is the lead (they must be allowed to do
    it) while the fields naming who made the record must name the op's author (`op.actor_id`). For a plan
    contribution, `plan` is the stored plan it names; `individual` is the stored individual the op's record
    belongs to (its legal hold)."""
    action = "update" if op.action == "create" and state is not None else op.action
    rule = OP_RULES.get(op.kind, {}).get(action)
    if rule is None:
        if action != op.action:
            return f"this {op.kind.replace('_', ' ')} already exists and cannot be changed"
        return f"{op.kind} cannot be {op.action}d"
    if op.kind == "notification" and action == "update":
        recipient = field_value(state, "recipient_id")
        if recipient != actor.id or set(op.fields) - {"read"}:
            return "only its recipient may mark a notification read"
        return None
    if rule is SERVER or (rule.capability is None):
        return f"{op.kind} records are written by the server only"
    if (refusal := _held(op, state, individual)) is not None:
        return refusal
    if op.kind == "individual" and action == "update" and set(op.fields) & LEGAL_HOLD_FIELDS:
        return _legal_hold(actor, op)
    refusal = _identity(op, state, action)
    if refusal:
        return refusal
    if op.kind == "audit_event" and (refusal := _device_audit(op)):
        return refusal
    if op.kind == "incident" and action in ("create", "update"):
        return _incident(actor, op, state, creating=action == "create")
    if op.kind == "smart_plan" and action in ("create", "update"):
        return _smart_plan(actor, op, state, creating=action == "create")
    if (
        op.kind == "incident"
        and action == "delete"
        and field_value(state, "status") not in (None, IncidentStatus.DRAFT)
    ):
        return "a submitted incident is not erased: delete it with a reason (it is kept for leads)"
    if op.kind == "smart_plan" and action == "delete" and field_value(state, "status") not in (None, PlanStatus.DRAFT):
        return "a published Smart Plan is not erased: delete it with a reason (it is kept for leads)"
    if op.kind == "plan_contribution" and action in ("create", "update"):
        return _contribution(actor, op, state, plan)
    if op.kind == "output_feedback" and action in ("create", "update"):
        return _feedback(actor, op, creating=action == "create")
    if actor.can(rule.capability):
        return None
    if rule.owner_field and field_value(state, rule.owner_field) == actor.id:
        return None
    return f"your role ({actor.role}) may not {action} {op.kind.replace('_', ' ')} records"


#: a soft-deleted record of these kinds is kept for the role that may delete them (and hidden from others)
REMOVED_READERS = {"smart_plan": Capability.DELETE_PLANS, "incident": Capability.DELETE_INCIDENTS}


def is_removed(kind: str, state: RecordState) -> bool:
    """Whether a record was soft-deleted (deleted with a reason, kept for leads)."""
    return kind in REMOVED_READERS and bool(field_value(state, "removed"))


def can_read(
    actor: Actor, *, kind: str, scope: str, recipient_id: str | None, reaches_profile: bool, removed: bool = False
) -> bool:
    """Whether `actor` may read a record of their organisation. `reaches_profile`: whether they reach the
    individual the record belongs to or is about (True for a record about none). `removed`: a Smart Plan or an
    incident deleted with a reason, kept for those who may delete them. A report of a problem with an output (it
    may quote a child's record) is its author's (`recipient_id`) and the leads' and administrators' who reach its
    individual."""
    if kind == "audit_event":
        return False
    if kind == "output_feedback":
        return recipient_id == actor.id or (actor.can(Capability.REVIEW_FEEDBACK) and reaches_profile)
    if kind in ("smart_plan", "plan_contribution") and not actor.can(Capability.VIEW_PLANS):
        return False
    if removed and not actor.can(REMOVED_READERS.get(kind, Capability.ADMIN)):
        return False
    if scope == "org":
        return True
    if scope == "recipient":
        return recipient_id == actor.id
    return reaches_profile and actor.can(Capability.VIEW)


def rules_table_markdown() -> str:
    lines = ["| kind | create | update | delete |", "|---|---|---|---|"]

    def cell(rule: Rule | None) -> str:
        if rule is None:
            return "— (append-only)"
        text = rule.capability.value if rule.capability else ""
        own = f"(its `{rule.self_field}` must be the user)" if rule.self_field else ""
        return " ".join(p for p in (text, rule.note, own) if p) or "server only"

    for kind, actions in OP_RULES.items():
        lines.append(f"| {kind} | " + " | ".join(cell(actions.get(a)) for a in ("create", "update", "delete")) + " |")
    return "\n".join(lines)


def permissions_markdown() -> str:
    """The generated part of docs/permissions.md."""
    recorder = ", ".join(sorted(INCIDENT_RECORDER_FIELDS))
    reports = ", ".join(sorted(INCIDENT_REPORT_FIELDS))
    withheld = ", ".join(sorted(INCIDENT_WITHHELD_FIELDS))
    roles = ", ".join(r.value for r in Role)
    return "\n".join(
        [
            f"### Capabilities per role ({roles})",
            "",
            capability_table_markdown(),
            "",
            "### What each op needs",
            "",
            rules_table_markdown(),
            "",
            "Incident updates, per field group:",
            "",
            f"- {recorder}: `record`;",
            f"- {reports}: `record`, at any time (also after review); the `_by` field must be the user;",
            f"- {withheld} (the parents' report withheld), and `pi_report_route` / `pi_report_route_reason` once",
            "  that is decided: `review_incidents`; `pi_report_route_decided_by` must be the user;",
            "- `review_*` fields, and setting or changing status `reviewed`: `review_incidents`, once the",
            "  incident has been submitted (a draft is its author's); `review_signed_off_by` must be the user;",
            "- every other field: `edit_incidents`, or `edit_own_incidents` for an incident the user recorded or",
            "  was present at, until it has been reviewed;",
            "- an incident still in draft: only the person who recorded it and the staff present, until it is",
            "  submitted (nobody may review it before then);",
            "- once submitted, a change to what the incident says is an amendment: the op carries its `reason`",
            "  (refused without one); follow-up fields change without one: "
            + ", ".join(f"`{name}`" for name in sorted(INCIDENT_FOLLOW_UP_FIELDS))
            + ";",
            "- `removed` with `removed_reason` (deleting a submitted incident: it is kept, for leads, and sent to",
            "  others as a tombstone): `delete_incidents`; erasing an incident (a delete op) only while it is a",
            "  draft; a deleted incident can no longer be changed.",
            "",
            "An individual's legal hold (`legal_hold` with `legal_hold_reason`): `legal_hold`; while it is on,",
            "no record of theirs (" + ", ".join(sorted(HELD_KINDS)) + ") may be deleted, erased or destroyed.",
            "",
            "Smart Plan updates, by status and field group:",
            "",
            "- a draft's content: `edit_plans`, or the plan's lead (`plan_lead`); a draft is created with",
            "  `edit_plans` (created active only with `publish_plans`);",
            "- `status` and `published_at` (publish a draft, archive the version it replaces): `publish_plans`;",
            "  a published version never goes back to draft;",
            "- an active version: only "
            + ", ".join(f"`{name}`" for name in sorted(PLAN_LIVE_FIELDS))
            + " (`edit_plans` or the plan's lead); other changes need a new version;",
            "- an archived (or removed) version: read-only;",
            "- `removed` with `removed_reason` (deleting a published plan: it is kept, for leads): `delete_plans`;",
            "  erasing a plan (a delete op) only while it is a draft.",
            "",
            "A plan contribution is added to a draft or active plan of the same individual; only its `used`",
            "changes afterwards, by `edit_plans` or the plan's lead.",
            "",
            "A report of a problem with an output (`output_feedback`) is made open, by its author, about an",
            "individual they reach (if any); afterwards only "
            + ", ".join(f"`{name}`" for name in sorted(FEEDBACK_RESOLUTION_FIELDS))
            + " change (`review_feedback`, `resolved_by` the user). Its author and those with `review_feedback`",
            "who reach its individual receive it; nobody else does.",
            "",
            "Creating a record that already exists is checked as an update of the stored record (and refused",
            "for kinds that are never edited). Who made a record can never be changed: "
            + ", ".join(f"{kind}.`{name}`" for kind, name in IDENTITY_FIELDS.items())
            + ". On create it must be the user; review fields on create need `review_incidents`.",
        ]
    )
