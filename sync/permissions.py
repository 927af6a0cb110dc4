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
    DELETE_INCIDENTS = "delete_incidents"
    REVIEW_INCIDENTS = "review_incidents"  # manager sign-off, quarantine review
    ANALYTICS = "analytics"
    MANAGE_PLANS = "manage_plans"
    #: take a record away as a file (an incident's PDF); every download is audited
    DOWNLOAD_RECORDS = "download_records"
    #: ask the organisation's language model (server-side; which roles may is also a server setting)
    AI_ASSISTANT = "ai_assistant"
    ADMIN = "admin"  # users, access grants, key staff, behaviour catalogue, devices
    ALL_INDIVIDUALS = "all_individuals"  # organisation-wide access without per-child grants


_STAFF = frozenset({Capability.RECORD, Capability.VIEW, Capability.EDIT_OWN_INCIDENTS, Capability.AI_ASSISTANT})
_LEAD = _STAFF | {
    Capability.EDIT_INCIDENTS,
    Capability.DELETE_INCIDENTS,
    Capability.REVIEW_INCIDENTS,
    Capability.ANALYTICS,
    Capability.MANAGE_PLANS,
    Capability.DOWNLOAD_RECORDS,
    Capability.ALL_INDIVIDUALS,
}

CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.STAFF: _STAFF,
    Role.LEAD: frozenset(_LEAD),
    Role.ADMIN: frozenset(_LEAD | {Capability.ADMIN}),
}


def can(role: str | Role, capability: Capability) -> bool:
    """Whether a role has a capability (unknown roles have none)."""
    try:
        return capability in CAPABILITIES[Role(role)]
    except ValueError:
        return False


def capability_table_markdown() -> str:
    """The table for the docs, generated so it can never drift from the code."""
    roles = list(CAPABILITIES)
    lines = ["| capability | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for capability in Capability:
        marks = " | ".join("yes" if capability in CAPABILITIES[r] else "" for r in roles)
        lines.append(f"| {capability.value} | {marks} |")
    return "\n".join(lines)
