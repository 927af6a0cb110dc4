"""Incident references: `<prefix>-<n>`, unique per organisation, numbered from 10001.

A submitted incident (status other than draft) gets its reference the first time it reaches the server in
that state. The number comes from the organisation's counter row (`incident:<org id>`), whose row lock
serialises allocation across server processes; the database's unique (org, reference) constraint is the
backstop. The reference is written by a server op, so it syncs to every device like any other field.

That row lock is held until the transaction commits, so every push of the organisation that numbers an
incident waits for the one before it to commit. A push therefore numbers in two steps (`reserve_references`,
then `Reserved.number`): the reference is first written with a placeholder in place of the number, the
notifications quoting it are built, and only then is the number taken and put in place of the placeholder —
in the incident, the notifications' subjects and their queued emails — just before the transaction writes
its records and commits. Numbers stay unique and gap-free (a transaction that rolls back gives its numbers
back with the counter), and nothing with a placeholder leaves the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.exc import NoResultFound
from sqlmodel import Session

from server.db import insert_new
from server.models import Counter
from server.services.records import RecordWriter
from sync.merge import field_value
from sync.records import IncidentStatus

FIRST_REFERENCE = 10001
DEFAULT_PREFIX = "besmart"
COUNTER = Counter.__table__


def counter_name(org_id: str) -> str:
    return f"incident:{org_id}"


def ensure_counter(session: Session, org_id: str) -> None:
    """Create the organisation's incident counter if it does not exist yet."""
    insert_new(session, COUNTER, {"name": counter_name(org_id), "value": FIRST_REFERENCE - 1})


def _needs_reference(writer: RecordWriter, record_id: str) -> bool:
    stored = writer.get(record_id)
    if stored is None or stored.state.kind != "incident" or stored.state.deleted:
        return False
    state = stored.state
    return not field_value(state, "reference") and field_value(state, "status", "draft") != IncidentStatus.DRAFT


@dataclass
class Reserved:
    """The incidents of one transaction written with a placeholder reference, numbered by `number`."""

    writer: RecordWriter
    #: organisation id -> its incidents to number, in the order they get their numbers
    by_org: dict[str, list[str]] = field(default_factory=dict)
    #: unique to this reservation: no text anyone wrote contains it
    mark: str = field(default_factory=lambda: f"pending{uuid.uuid4().hex}")
    #: how many records the transaction had merged before this reservation: none of those quotes its mark
    since: int = field(init=False)

    def __post_init__(self) -> None:
        self.since = len(self.writer.merged)

    @property
    def ids(self) -> list[str]:
        return [record_id for ids in self.by_org.values() for record_id in ids]

    def placeholder(self, record_id: str) -> str:
        return f"{self.mark}.{record_id}"

    def number(self) -> list[str]:
        """Take the numbers (locking each organisation's counter row until commit) and put them in place of
        the placeholders, wherever this transaction's pending writes quote them; returns the numbered ids."""
        numbers: dict[str, str] = {}
        for org_id, ids in self.by_org.items():
            try:
                top = self.writer.allocate(counter_name(org_id), len(ids))
            except NoResultFound:
                ensure_counter(self.writer.session, org_id)
                top = self.writer.allocate(counter_name(org_id), len(ids))
            for number, record_id in enumerate(ids, start=top - len(ids) + 1):
                numbers[self.placeholder(record_id)] = str(number)
        if numbers:
            self._fill(numbers)
        return self.ids

    def _fill(self, numbers: dict[str, str]) -> None:
        def filled(text: str) -> str:
            for placeholder, number in numbers.items():
                text = text.replace(placeholder, number)
            return text

        # Every record merged since the reservation (the incidents, the notifications quoting them); those
        # merged before it (a push's own ops, up to thousands) cannot quote a mark made after them.
        for record_id in {merged.op.record_id for merged in self.writer.merged[self.since :]}:
            fields = self.writer.existing(record_id).state.fields
            for name, current in list(fields.items()):
                if isinstance(current.value, str) and self.mark in current.value:
                    fields[name] = current.model_copy(update={"value": filled(current.value)})
        for email in self.writer.pending.emails:
            for key in ("subject", "body"):
                if self.mark in email[key]:
                    email[key] = filled(email[key])


def reserve_references(writer: RecordWriter) -> Reserved:
    """Write a placeholder reference into every incident merged in this transaction that was submitted and
    has no reference yet; `Reserved.number` takes their numbers. Takes no lock."""
    reserved = Reserved(writer)
    for merged in writer.merged:
        record_id = merged.op.record_id
        if merged.op.kind == "incident" and _needs_reference(writer, record_id):
            ids = reserved.by_org.setdefault(writer.existing(record_id).org_id, [])
            if record_id not in ids:
                ids.append(record_id)
    for org_id, ids in reserved.by_org.items():
        organisation = writer.get(org_id)
        prefix = field_value(organisation.state if organisation else None, "incident_prefix") or DEFAULT_PREFIX
        for record_id in ids:
            writer.server_write(
                "incident",
                "update",
                {"reference": f"{prefix}-{reserved.placeholder(record_id)}"},
                org_id=org_id,
                record_id=record_id,
                profile_id=writer.existing(record_id).state.profile_id,
            )
    return reserved


def assign_references(writer: RecordWriter) -> list[str]:
    """Number every incident merged in this transaction that was submitted and has no reference yet, at
    once; returns their ids."""
    return reserve_references(writer).number()
