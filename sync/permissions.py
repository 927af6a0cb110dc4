"""Roles and what each may do — the one capability table, shared by client and server.

The server enforces it on every op and every read; the client uses the same table only to hide actions a
user cannot take. Staff reach only the individuals they were granted access to; leads and admins reach
every individual in their organisation.
"""

from __future__ import annotations

from enum import StrEnum

from sync.records import Role


class Capability(StrEnum):
    RECORD = "record"  # clicker taps, communications, responses, new incidents
    VIEW = "view"  # see an individual's records
    EDIT_OWN_INCIDENTS = "edit_own_incidents"  # until a lead has reviewed them
    EDIT_INCIDENTS = "edit_incidents"  # anyone's, at any time
    DELETE_INCIDENTS = "delete_incidents"  # a submitted incident: with a reason, kept for leads (soft delete)
    REVIEW_INCIDENTS = "review_incidents"  # manager sign-off, quarantine review
    ANALYTICS = "analytics"
    VIEW_PLANS = "view_plans"  # see the Smart Plans of the individuals they reach
    CONTRIBUTE_PLANS = "contribute_plans"  # add contributions to a draft or active plan
    EDIT_PLANS = "edit_plans"  # start and edit drafts (a plan's named lead may edit it without this)
    PUBLISH_PLANS = "publish_plans"  # make a draft the active version (archiving the one before)
    DELETE_PLANS = "delete_plans"  # delete a draft; remove a published plan with a reason (kept for leads)
    DOWNLOAD_PLANS = "download_plans"  # download a plan as a document (audited)
    #: take a record away as a file (an incident's PDF); every download is audited
    DOWNLOAD_RECORDS = "download_records"
    #: ask the organisation's language model (server-side; which roles may is also a server setting)
    AI_ASSISTANT = "ai_assistant"
    #: see everyone's reports of a problem with a tool's output, and resolve them
    REVIEW_FEEDBACK = "review_feedback"
    #: the Compliance screen: every open statutory clock across the individuals they reach
    COMPLIANCE = "compliance"
    #: put an individual's records on legal hold (or lift it), with a reason: nothing of theirs is then deleted
    LEGAL_HOLD = "legal_hold"
    ADMIN = "admin"  # users, access grants, key staff, behaviour catalogue, devices
    ALL_INDIVIDUALS = "all_individuals"  # organisation-wide access without per-child grants


_STAFF = frozenset(
    {
        Capability.RECORD,
        Capability.VIEW,
        Capability.EDIT_OWN_INCIDENTS,
        Capability.VIEW_PLANS,
        Capability.CONTRIBUTE_PLANS,
        Capability.DOWNLOAD_PLANS,
        Capability.AI_ASSISTANT,
    }
)
_LEAD = _STAFF | {
    Capability.EDIT_INCIDENTS,
    Capability.DELETE_INCIDENTS,
    Capability.REVIEW_INCIDENTS,
    Capability.LEGAL_HOLD,
    Capability.ANALYTICS,
    Capability.EDIT_PLANS,
    Capability.PUBLISH_PLANS,
    Capability.DELETE_PLANS,
    Capability.DOWNLOAD_RECORDS,
    Capability.COMPLIANCE,
    Capability.ALL_INDIVIDUALS,
    Capability.REVIEW_FEEDBACK,
}

CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.STAFF: _STAFF,
    Role.LEAD: frozenset(_LEAD),
    Role.ADMIN: frozenset(_LEAD | {Capability.ADMIN}),
}

#: the same, by the role's text: a role (a StrEnum) or its text finds its entry without building the enum
#: member, which cost a push more than the check itself (it asks for every op)
_BY_NAME: dict[str, frozenset[Capability]] = {role.value: found for role, found in CAPABILITIES.items()}


def can(role: str | Role, capability: Capability) -> bool:
    """Whether a role has a capability (unknown roles have none)."""
    found = _BY_NAME.get(role)
    return found is not None and capability in found


def capability_table_markdown() -> str:
    """The table for the docs, generated so it can never drift from the code."""
    roles = list(CAPABILITIES)
    lines = ["| capability | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for capability in Capability:
        marks = " | ".join("yes" if capability in CAPABILITIES[r] else "" for r in roles)
        lines.append(f"| {capability.value} | {marks} |")
    return "\n".join(lines)
