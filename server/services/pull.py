"""Pull: a page of record states after the device's cursor, in the user's scope, plus scope changes.

Scope = the individuals the user reaches (their records), the organisation's reference data (organisation,
settings, staff, behaviour types), the notifications addressed to the user, and the reports of a problem with an
output the user made or may resolve (about an individual they reach, or none). Records are paged by the
sequence number of their last change; the page ends at the counter value read at its start, and every
number up to that value has committed (see `records`), so no later commit can fill a gap behind a cursor.

Scope changes. The server tracks which individuals each device holds (`device_profile`):
- an individual that entered the scope is announced in `added_profiles`, and its records that the device's
  cursor has already passed are sent by rewinding the cursor to just before the oldest of them (records
  sent again are whole states: applying them twice changes nothing);
- an individual that left it is announced in `purge_profiles`;
- a blocked device (lost, revoked, or its user deactivated) gets `wipe: true` and nothing else.

A record deleted with a reason (a published plan, a submitted incident) is kept for the roles that may
delete it; to anyone else an incident so deleted is sent as a tombstone carrying none of its fields, so
their device drops it (`withheld`).

A scope change becomes final only when the device comes back with the cursor that page gave it — proof
that it applied the page. A page lost on the way is therefore announced again, never forgotten. A page
that announces an addition always moves the cursor (a rewound page is cut short of the old cursor if need
be), so that proof is never ambiguous.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, cast, delete, func, insert, or_, select, update
from sqlmodel import Session

from server.db import Database
from server.models import Counter, Device, DeviceProfile, Record
from server.permissions import REMOVED_READERS, Actor, Capability, is_removed
from server.services.access import scope_profiles
from server.services.accounts import Caller
from server.services.audit import audit_entry, write_audit
from server.services.clock import DeviceClock, device_clock_values
from server.services.records import utcnow
from sync.hlc import HybridClock
from sync.merge import FieldValue, RecordState
from sync.records import DELETED_FIELD

RECORD = Record.__table__
DEVICE = Device.__table__
DEVICE_PROFILE = DeviceProfile.__table__
COUNTER = Counter.__table__


def _held(session: Session, device: Any, cursor: int) -> set[str]:
    """The individuals the device holds — with the last page's scope change made final if the device came
    back with that page's cursor."""
    held = {
        row.profile_id
        for row in session.execute(select(DEVICE_PROFILE.c.profile_id).where(DEVICE_PROFILE.c.device_id == device.id))
    }
    if device.pull_issued is None or cursor != device.pull_issued or device.pull_issued == device.pull_from:
        return held
    added = set(json.loads(device.pull_added)) - held
    removed = set(json.loads(device.pull_removed)) & held
    if removed:
        session.execute(
            delete(DEVICE_PROFILE).where(
                DEVICE_PROFILE.c.device_id == device.id, DEVICE_PROFILE.c.profile_id.in_(removed)
            )
        )
    if added:
        session.execute(insert(DEVICE_PROFILE), [{"device_id": device.id, "profile_id": p} for p in sorted(added)])
    return (held - removed) | added


def _state_bytes(session: Session) -> ColumnElement[bytes]:
    """A record's state read as its UTF-8 bytes: the answer is bytes, and decoding a page's thousand ~1 KB
    texts only to encode them again was a tenth of a pull's CPU. (PostgreSQL's CAST to bytea would read
    backslashes in the JSON as escapes: `convert_to` takes the text as it is.)"""
    if session.get_bind().dialect.name == "postgresql":
        return func.convert_to(RECORD.c.state, "UTF8", type_=LargeBinary)
    return cast(RECORD.c.state, LargeBinary)


def _page(session: Session, caller: Caller, scope: set[str], after: int, upto: int, limit: int) -> list[Any]:
    actor = caller.actor
    visible: list[ColumnElement[bool]] = [
        (RECORD.c.scope == "org") & RECORD.c.kind.not_in(("audit_event", "output_feedback")),
        (RECORD.c.scope == "recipient") & (RECORD.c.recipient_id == actor.id),
        # A report of a problem with an output: its author's, and the reviewers' who reach its individual.
        (RECORD.c.kind == "output_feedback") & (RECORD.c.recipient_id == actor.id),
    ]
    if actor.can(Capability.REVIEW_FEEDBACK) and actor.org_wide:
        visible.append(RECORD.c.kind == "output_feedback")
    elif actor.can(Capability.REVIEW_FEEDBACK):
        about = RECORD.c.profile_id.is_(None) | RECORD.c.profile_id.in_(scope)
        visible.append((RECORD.c.kind == "output_feedback") & about)
    if actor.org_wide:
        visible.append(RECORD.c.scope == "profile")
    elif scope:
        visible.append((RECORD.c.scope == "profile") & RECORD.c.profile_id.in_(scope))
    query = (
        select(RECORD.c.seq, RECORD.c.kind, RECORD.c.profile_id, _state_bytes(session).label("state"))
        .where(RECORD.c.org_id == actor.org_id, RECORD.c.seq > after, RECORD.c.seq <= upto, or_(*visible))
        .order_by(RECORD.c.seq)
        .limit(limit + 1)
    )
    return list(session.execute(query).all())  # fetchall: the rows at once, not one fetch per row


#: `"removed"` as the key of a field whose value is false or null: every incident has one (a default)
_NOT_REMOVED = re.compile(r'"removed"\s*:\s*\{\s*"value"\s*:\s*(?:false|null)\s*,')


def _maybe_removed(state: str) -> bool:
    """Whether a stored state may hold a `removed` field that is set — False only when every `"removed"` in
    its JSON is a field's key with a false or null value. Parsing the state to know costs far more, and every
    incident carries the field (false): a staff member's page of incidents was mostly spent parsing them.
    Any other occurrence (a conflict about the field, a nested value) is answered True: the caller parses."""
    count = state.count('"removed"')
    return count > 0 and count != len(_NOT_REMOVED.findall(state))


def withheld(actor: Actor, kind: str, state: str) -> str:
    """The state to send: as stored, or — an incident deleted with a reason, to someone who may not delete
    incidents — a tombstone with none of its fields (their device drops the record)."""
    if kind != "incident" or actor.can(REMOVED_READERS[kind]) or not _maybe_removed(state):
        return state
    record = RecordState.model_validate_json(state)
    if not is_removed(kind, record):
        return state
    removed = record.fields["removed"]
    tombstone = FieldValue(value=True, version=record.version, actor_id=removed.actor_id, device_id=removed.device_id)
    return RecordState(
        id=record.id, kind=kind, profile_id=record.profile_id, fields={DELETED_FIELD: tombstone}
    ).model_dump_json()


def _sent(actor: Actor, kind: str, state: bytes) -> bytes:
    """`withheld` of a state read as bytes: only an incident that may be withheld is decoded."""
    if kind != "incident" or actor.can(REMOVED_READERS[kind]):
        return state
    text = state.decode()
    sent = withheld(actor, kind, text)
    return state if sent is text else sent.encode()


def _response(
    rows: list[Any], cursor: int, more: bool, added: list[str], purge: list[str], wipe: bool, hlc: str, actor: Actor
) -> bytes:
    # The states are stored as the JSON of sync.merge.RecordState: pasted in as they are, not re-encoded, and
    # joined once (a page is ~1 MB: each concatenation or encoding of it is a copy).
    head = json.dumps(
        {"cursor": cursor, "more": more, "added_profiles": added, "purge_profiles": purge, "wipe": wipe, "hlc": hlc}
    ).encode()
    states = b",".join([_sent(actor, kind, state) for _seq, kind, _profile, state in rows])
    return b"".join((b'{"changes":[', states, b"],", head[1:]))


def _sync_audit(
    now: dt.datetime,
    caller: Caller,
    rows: list[Any],
    cursor: int,
    issued: int,
    more: bool,
    added: list[str],
    purge: list[str],
) -> dict[str, Any]:
    """One audit row for a page: what it sent, and whose records."""
    actor = caller.actor
    child_profiles = [profile for _seq, _kind, profile, _state in rows if profile]  # a child's, and reports quoting one
    detail = {
        "records": len(rows),
        "child_records": len(child_profiles),
        "profiles": sorted(set(child_profiles)),
        "added_profiles": added,
        "purge_profiles": purge,
        "cursor": [cursor, issued],
        "more": more,
    }
    return audit_entry(now, actor.org_id, actor.id, actor.device_id, "sync", "pull", None, detail=detail)


def pull(
    db: Database,
    clock: HybridClock,
    caller: Caller,
    cursor: int,
    limit: int,
    *,
    device_clock: DeviceClock | None = None,
) -> bytes:
    """One page for the caller's device, as the JSON of a `sync.protocol.PullResponse`; `device_clock`: the
    device's clock as measured from this request, kept on its row."""
    actor = caller.actor

    def work(session: Session) -> bytes:
        now = utcnow()
        device = session.execute(select(DEVICE).where(DEVICE.c.id == actor.device_id).with_for_update()).first()
        # The clock measurement goes in the one UPDATE of the device's row each path below makes.
        clock_values = device_clock_values(device_clock)
        if caller.blocked or device is None or device.status != "active":
            session.execute(delete(DEVICE_PROFILE).where(DEVICE_PROFILE.c.device_id == actor.device_id))
            session.execute(
                update(DEVICE).where(DEVICE.c.id == actor.device_id).values(last_seen_at=now, **clock_values)
            )
            return _response([], cursor, False, [], [], True, clock.now().encode(), actor)
        held = _held(session, device, cursor)
        scope = scope_profiles(session, actor)
        added, removed = sorted(scope - held), sorted(held - scope)
        start = cursor
        if added:
            oldest = session.execute(select(func.min(RECORD.c.seq)).where(RECORD.c.profile_id.in_(added))).scalar()
            if oldest is not None and oldest - 1 < cursor:
                start = oldest - 1
        top = session.execute(select(COUNTER.c.value).where(COUNTER.c.name == "seq")).scalar_one()
        rows = _page(session, caller, scope, start, top, limit)
        more = len(rows) > limit
        rows = rows[:limit]
        issued = rows[-1].seq if more else max(top, start)
        if start < cursor and issued == cursor:
            # A rewound page must not end exactly at the old cursor, or a lost page and an applied one
            # would look the same when the device comes back: stop one record short.
            if rows and rows[-1].seq == cursor:
                rows.pop()
            issued = rows[-1].seq if rows else start
            more = True
        session.execute(
            update(DEVICE)
            .where(DEVICE.c.id == device.id)
            .values(
                pull_from=cursor,
                pull_issued=issued,
                pull_added=json.dumps(added),
                pull_removed=json.dumps(removed),
                last_seen_at=now,
                **clock_values,
            )
        )
        if rows or added or removed:
            write_audit(session, [_sync_audit(now, caller, rows, cursor, issued, more, added, removed)])
        return _response(rows, issued, more, added, removed, False, clock.now().encode(), actor)

    # A pull writes its device's row and one audit row, and locks nothing a push holds for long: it does not
    # queue behind pushes for a writer slot (PostgreSQL; on SQLite every write transaction queues).
    return db.run(work, queue=False)
