"""An incident's history: every change with who, when, what it replaced and — for an amendment of a
submitted report — why. Read from ops, never from a second copy of the record: the server's op log (online,
`GET /records/{id}/history`) and this device's changes still waiting to sync (its outbox, folded over the
state the server last sent). Offline, the device's own pending changes are shown and the rest waits for a
connection."""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass, field
from enum import StrEnum

from app.context import Context
from app.incidents import FIELD_LABELS, FIELD_TITLES
from app.vocabulary import label, uk_day, uk_when
from sync.gateway import OfflineError, ReauthRequired, ServerError, ServerGateway
from sync.history import history
from sync.protocol import HistoryEntry
from sync.records import kind_spec

OFFLINE = "The full history is on the server: connect to see it. Changes made on this device are below."


@dataclass(frozen=True)
class Change:
    field: str
    title: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryLine:
    """One change to the record, as shown."""

    at: str
    who: str
    what: str  # Recorded, Amended, Changed, Deleted
    reason: str
    changes: list[Change]
    pending: bool = False


@dataclass(frozen=True)
class HistoryView:
    lines: list[HistoryLine] = field(default_factory=list)
    #: why the server's part is missing (offline, refused), "" when it is there
    notice: str = ""
    #: the record's first changes predate the op log keeping them
    complete: bool = True


@functools.cache
def _choices(kind: str, name: str) -> type[StrEnum] | None:
    """The enum a field of `kind` takes its values from (itself, optional, or a list of them), if any."""
    info = kind_spec(kind).model.model_fields.get(name)
    pending = [info.annotation] if info is not None else []
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, StrEnum):
            return annotation
        pending.extend(typing.get_args(annotation))
    return None


def _shown(value: object, enum: type[StrEnum] | None, people: dict[str, str]) -> str:
    """A field's value in words: a choice by its label, a person by name, a moment or a day the UK way."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_shown(item, enum, people) for item in value)
    if isinstance(value, str):
        if enum is not None:
            return label(enum, value)
        if value in people:
            return people[value]
        # Text that is not a moment or a day comes back from these as it was.
        if len(value) > 10 and value[10:11] == "T":
            return uk_when(value, weekday=False)
        if len(value) == 10:
            return uk_day(value)
    return str(value)


class History:
    """The history of the records this person may open (the server checks again, and audits the read)."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def _line(self, entry: HistoryEntry, *, pending: bool = False) -> HistoryLine:
        names = self.context.staff_names()
        people = {**self.context.individual_names(), **names}  # ids a field may hold: staff and individuals
        what = {"create": "Recorded", "delete": "Deleted"}.get(entry.action, "Changed")
        if entry.amendment:
            what = "Amended"
        changes = [
            Change(
                c.field,
                FIELD_LABELS.get(c.field) or FIELD_TITLES.get(c.field) or c.field.replace("_", " ").capitalize(),
                _shown(c.previous, _choices("incident", c.field), people),
                _shown(c.value, _choices("incident", c.field), people),
            )
            for c in entry.changes
        ]
        if any(c.field == "removed" and c.after == "Yes" for c in changes):
            what = "Deleted"
        return HistoryLine(
            at=entry.at,
            who=names.get(entry.actor_id, "Unknown"),
            what=what,
            reason=entry.reason or "",
            changes=changes,
            pending=pending,
        )

    def pending(self, record_id: str) -> list[HistoryLine]:
        """This device's changes to the record not yet on the server, folded over what the server last sent."""
        store = self.context.store
        entries, _state = history(store.pending_ops_of(record_id), store.server_state(record_id))
        return [self._line(e, pending=True) for e in entries]

    async def load(self, record_id: str, gateway: ServerGateway) -> HistoryView:
        """The record's history: the server's (when online), then this device's pending changes."""
        self.context.get(record_id, "incident")  # only a record this person may open here
        local = self.pending(record_id)
        try:
            found = await gateway.for_device(self.context.store).history(record_id)
        except OfflineError:
            return HistoryView(local, OFFLINE, complete=False)
        except (ReauthRequired, ServerError) as error:
            return HistoryView(local, str(error), complete=False)
        return HistoryView([*(self._line(e) for e in found.entries), *local], "", found.complete)
