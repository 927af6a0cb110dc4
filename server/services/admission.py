"""Whether an op may be merged: the one check run on every op a device pushes and on every quarantined op
a lead applies, so that applying a held-back change can never do more than pushing it could have."""

from __future__ import annotations

from server.permissions import Actor, check_op
from server.services.access import Reach
from server.services.records import RecordWriter, destroyed
from sync.ops import Op


def _unreached(writer: RecordWriter, actor: Actor, reach: Reach, profile_id: str) -> str | None:
    """Why the actor may not write about this individual (None: they reach it)."""
    individual = writer.get(profile_id)
    if individual is None or individual.state.kind != "individual" or individual.org_id != actor.org_id:
        return "unknown individual"
    if not reach(profile_id):
        return "you do not have access to this individual (any more)"
    return None


#: why a change to a destroyed individual's records is not kept (retention: services.retention)
DESTROYED_REASON = (
    "this individual's records were destroyed at the end of their retention period: the change was not kept"
)


def destroyed_target(writer: RecordWriter, op: Op) -> str | None:
    """Why an op is refused whole because what it changes was destroyed (None: it was not). A change to a
    destroyed record, or a new record about a destroyed individual — from a device that was offline when
    they were destroyed — would bring back what destruction removed, so it is rejected, not merged into the
    tombstone nor kept in quarantine. A device's audit event is kept: it holds no child's data, and the audit
    log outlives destruction. Tested in tests/server/test_server_records_kept.py."""
    if op.kind == "audit_event":
        return None
    for record_id in (op.record_id, op.profile_id):
        stored = writer.get(record_id) if record_id else None
        if stored is not None and destroyed(stored.state):
            return DESTROYED_REASON
    return None


def op_refusal(writer: RecordWriter, actor: Actor, reach: Reach, op: Op) -> str | None:
    """Why `actor` may not have this validated op merged (None: it may). The record and the individual it
    names must be of the actor's organisation and agree with each other, the actor must reach the
    individual, and the op must be one they may make (`check_op`)."""
    stored = writer.get(op.record_id)
    if stored is not None and stored.org_id != actor.org_id:
        return "the record belongs to another organisation"
    if stored is not None and stored.state.profile_id != op.profile_id:
        return "the record belongs to another individual"
    individual = None
    if op.profile_id:
        individual = writer.get(op.profile_id)  # the individual the record belongs to: its reach, its legal hold
        creating_individual = op.kind == "individual" and individual is None
        if not creating_individual and (refusal := _unreached(writer, actor, reach, op.profile_id)):
            return refusal
    if op.kind == "output_feedback":
        # A report names the individual its output is about: one the author reaches, and so must its resolver.
        about = op.fields.get("profile_id") if op.action == "create" else None
        if about is None and stored is not None:
            about = stored.state.values().get("profile_id")
        if about and (refusal := _unreached(writer, actor, reach, str(about))):
            return refusal
    plan = None
    if op.kind == "plan_contribution":
        # A contribution's plan: the one it names on create, the one it was stored with afterwards.
        plan_id = op.fields.get("plan_id") if op.action == "create" else None
        if plan_id is None and stored is not None:
            plan_id = stored.state.values().get("plan_id")
        found = writer.get(str(plan_id)) if plan_id else None
        plan = found.state if found is not None and found.org_id == actor.org_id else None
    held = individual.state if individual is not None and individual.state.kind == "individual" else None
    return check_op(actor, op, stored.state if stored else None, plan, held)
