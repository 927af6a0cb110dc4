"""Who may do what: the server's checks over the one capability table (`sync.permissions.CAPABILITIES`).

Roles give capabilities (the table lives in `sync.permissions`, shared with the client, which only uses it
to hide what a user cannot do). On top of capabilities, `OP_RULES` says what each action on each record kind
needs; `check_op` applies it to every pushed op and `can_read` to every read. Reaching an individual at all
takes an access grant for staff, and nothing more than belonging to the organisation for leads and admins.
docs/permissions.md is generated from these tables (`permissions_markdown`) and a test keeps it in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.merge import RecordState
from sync.ops import Op
from sync.permissions import CAPABILITIES, Capability, can, capability_table_markdown
from sync.records import IncidentStatus, Role

__all__ = ["CAPABILITIES", "OP_RULES", "Actor", "Capability", "Rule", "can", "can_read", "check_op"]


@dataclass(frozen=True)
class Actor:
    """The signed-in user behind a request (or an admin service call), and the device it came from."""

    id: str
    org_id: str
    role: str
    device_id: str = "server"

    def can(self, capability: Capability) -> bool:
        return can(self.role, capability)

    @property
    def org_wide(self) -> bool:
        """Leads and admins reach every individual of their organisation without a grant."""
        return self.can(Capability.ALL_INDIVIDUALS)


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
_PLANS = Rule(Capability.MANAGE_PLANS)

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
        "create": Rule(Capability.RECORD),
        "update": Rule(Capability.EDIT_INCIDENTS, owner_field="author_id", note="or your own"),
        "delete": Rule(Capability.DELETE_INCIDENTS, owner_field="author_id", note="or your own"),
    },
    "communication_response": {
        "create": Rule(Capability.RECORD, self_field="author_id"),
        "delete": Rule(Capability.DELETE_INCIDENTS, owner_field="author_id", note="or your own"),
    },
    "incident": {
        "create": Rule(Capability.RECORD),
        "update": Rule(Capability.EDIT_INCIDENTS, note="per field group, see below"),
        "delete": Rule(Capability.DELETE_INCIDENTS),
    },
    "smart_plan": {"create": _PLANS, "update": _PLANS, "delete": _PLANS},
    "notification": {
        "create": SERVER,
        "update": Rule(None, note="its recipient may mark it read"),
        "delete": SERVER,
    },
    "audit_event": {"create": SERVER, "update": SERVER, "delete": SERVER},
}

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


def _value(state: RecordState | None, name: str) -> object:
    found = state.fields.get(name) if state is not None else None
    return None if found is None else found.value


def _incident_update(actor: Actor, op: Op, state: RecordState | None) -> str | None:
    values = state.values() if state is not None and not state.deleted else {}
    fields = set(op.fields)
    reviewing = {f for f in fields if f.startswith("review_")}
    status = op.fields.get("status")
    if status == IncidentStatus.REVIEWED or ("status" in fields and values.get("status") == IncidentStatus.REVIEWED):
        reviewing.add("status")
    if reviewing and not actor.can(Capability.REVIEW_INCIDENTS):
        return "only a lead may review or sign off an incident"
    if fields & INCIDENT_RECORDER_FIELDS and not actor.can(Capability.RECORD):
        return "your role may not update incidents"
    editing = fields - reviewing - INCIDENT_RECORDER_FIELDS
    if not editing or actor.can(Capability.EDIT_INCIDENTS):
        return None
    involved = values.get("recorded_by") == actor.id or actor.id in (values.get("staff_present") or [])
    if not (actor.can(Capability.EDIT_OWN_INCIDENTS) and involved):
        return "you may edit only incidents you recorded or were present at"
    if values.get("status") == IncidentStatus.REVIEWED:
        return "this incident has been reviewed: only a lead may edit it now"
    return None


def check_op(actor: Actor, op: Op, state: RecordState | None, *, own_op: bool = True) -> str | None:
    """Why `actor` may not make this op (None: allowed). Reaching the individual is checked by the caller.

    `own_op=False`: a lead applying someone else's quarantined op — the op keeps its author, so the check
    that it names its author is skipped."""
    rule = OP_RULES.get(op.kind, {}).get(op.action)
    if rule is None:
        return f"{op.kind} cannot be {op.action}d"
    if op.kind == "notification" and op.action == "update":
        recipient = _value(state, "recipient_id")
        if recipient != actor.id or set(op.fields) - {"read"}:
            return "only its recipient may mark a notification read"
        return None
    if rule is SERVER or (rule.capability is None):
        return f"{op.kind} records are written by the server only"
    if op.kind == "incident" and op.action == "update":
        return _incident_update(actor, op, state)
    if own_op and rule.self_field and op.fields.get(rule.self_field) != actor.id:
        return f"{rule.self_field} must be the person recording it"
    if actor.can(rule.capability):
        return None
    if rule.owner_field and _value(state, rule.owner_field) == actor.id:
        return None
    return f"your role ({actor.role}) may not {op.action} {op.kind.replace('_', ' ')} records"


def can_read(actor: Actor, *, kind: str, scope: str, recipient_id: str | None, reaches_profile: bool) -> bool:
    """Whether `actor` may read a record of their organisation."""
    if kind == "audit_event":
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
            "- `review_*` fields, and setting or changing status `reviewed`: `review_incidents`;",
            "- every other field: `edit_incidents`, or `edit_own_incidents` for an incident the user recorded or",
            "  was present at, until it has been reviewed.",
        ]
    )
