"""The notifications inbox: what the server told this user (incidents submitted, invitations to
collaborate, communications and responses, flags, Smart Plan reviews), newest first; read state syncs back.

Also where a record a notification or an email link points at is shown: an email link is
`<public url>/open/<kind>/<record id>` (server/services/notifications.py), and `parse_link` reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.context import ActionError, Context
from app.incidents import Incidents
from localdb.queries import Stored

#: an email link's path: /open/<record kind>/<record id>
_LINK = re.compile(r"^/open/(?P<kind>[a-z_]{1,40})/(?P<record_id>[A-Za-z0-9_.:-]{1,100})/?$")


@dataclass(frozen=True)
class Link:
    """A record an email link points at."""

    kind: str
    record_id: str


def parse_link(route: str | None) -> Link | None:
    """The record in an email link's path (a query string or fragment is ignored); None if it is not one."""
    path = (route or "").split("?", 1)[0].split("#", 1)[0]
    found = _LINK.match(path)
    return Link(found["kind"], found["record_id"]) if found else None


@dataclass(frozen=True)
class Destination:
    """The screen that shows a record, and its parameters."""

    screen: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboxItem:
    """One event told to this user. The server may say the same thing twice (a repeated delivery, a flag
    taken off and put back): those notifications are one item, read when all of them are."""

    id: str  # the newest notification of the event
    ids: tuple[str, ...]
    subject: str
    created_at: str
    read: bool
    record_kind: str | None
    record_id: str | None
    #: the individual it is about, when this person may see them (the device holds them)
    individual: str | None = None
    #: who wrote the communication or response it tells of, when the device holds it
    by: str | None = None
    #: when the thing told of happened (the response written, the incident): the record's own moment when the
    #: device holds it, else when the server made the notification (which may be a sync long after)
    happened_at: str = ""


#: the field holding when a record told of happened, by its kind
_MOMENTS = {"communication": "created_at", "communication_response": "created_at", "incident": "occurred_at"}
#: reminders: what they tell of is due now, so the notification's own time is theirs
_REMINDERS = frozenset({"clock_due", "clock_overdue", "plan_review_due", "plan_review_overdue"})


def _event_of(note: Stored) -> tuple[Any, ...]:
    v = note.values
    if not v.get("record_id"):
        return ("alone", note.id)
    return (v.get("kind"), v.get("record_kind"), v.get("record_id"), v.get("subject"))


class Notifications:
    def __init__(self, context: Context) -> None:
        self.context = context

    def inbox(self, *, unread_only: bool = False) -> list[Stored]:
        """Every notification record, newest first (repeats included: see `items`)."""
        found = self.context.store.notifications(unread_only=unread_only)
        return sorted(found, key=lambda n: n.values.get("created_at", ""), reverse=True)

    def _events(self) -> list[list[Stored]]:
        """The notifications grouped by the event they tell of, newest first (each group's first is its newest)."""
        groups: dict[tuple[Any, ...], list[Stored]] = {}
        for note in self.inbox():
            groups.setdefault(_event_of(note), []).append(note)
        return list(groups.values())

    def items(self) -> list[InboxItem]:
        """The inbox as the person sees it: one item per event, newest first; each says whom it is about and when
        it happened, from the record itself when the device holds it (a sync can bring a week of responses at
        once: their notifications all bear the sync's time and the same words). Events told at the same moment
        are in the order they happened, newest first."""
        names = self.context.individual_names()
        staff = self.context.staff_names()
        items = []
        for notes in self._events():
            newest = notes[0].values
            individual, by, happened_at = self._about(newest, names, staff)
            items.append(
                InboxItem(
                    id=notes[0].id,
                    ids=tuple(n.id for n in notes),
                    subject=newest.get("subject", ""),
                    created_at=newest.get("created_at", ""),
                    read=all(n.values.get("read") for n in notes),
                    record_kind=newest.get("record_kind"),
                    record_id=newest.get("record_id"),
                    individual=individual,
                    by=by,
                    happened_at=happened_at,
                )
            )
        return sorted(items, key=lambda i: (i.created_at, i.happened_at), reverse=True)

    def _record(self, kind: str | None, record_id: str | None) -> Stored | None:
        """The record a notification points at, if this device holds it and this person may see it (never another
        person's draft, nor an incident deleted for those who may not see it)."""
        if not kind or not record_id:
            return None
        record = self.context.store.get(record_id)
        if record is None or record.deleted or record.kind != kind:
            return None
        if kind == "incident" and not Incidents(self.context).visible(record.values):
            return None
        return record

    def _about(
        self, note: dict[str, Any], names: dict[str, str], staff: dict[str, str]
    ) -> tuple[str | None, str | None, str]:
        """Whom a notification is about, who wrote what it tells of, and when that happened (see InboxItem)."""
        told_at = str(note.get("created_at", ""))
        kind, record_id = note.get("record_kind"), note.get("record_id")
        record = self._record(kind, record_id)
        if record is None:
            if kind and record_id and self.context.store.get(record_id) is not None:
                return None, None, told_at  # held, but not for this person's eyes: nothing of it is shown
            profile_id = note.get("profile_id")  # not synced yet: the individual, if this person reaches them
            return names.get(profile_id) if profile_id else None, None, told_at
        profile_id = record.profile_id or note.get("profile_id")
        if not profile_id and kind == "communication_response":
            communication = self.context.store.get(str(record.values.get("communication_id", "")))
            profile_id = communication.profile_id if communication else None
        individual = names.get(profile_id) if profile_id else None
        if kind == "individual":
            individual = names.get(record.id)
        author = record.values.get("author_id") if kind in ("communication", "communication_response") else None
        by = staff.get(str(author)) if author else None
        moment = _MOMENTS.get(str(kind))
        happened_at = told_at
        if moment and note.get("kind") not in _REMINDERS and record.values.get(moment):
            happened_at = str(record.values[moment])
        return individual, by, happened_at

    def unread_count(self) -> int:
        return sum(1 for notes in self._events() if not all(n.values.get("read") for n in notes))

    def mark_read(self, notification_id: str) -> None:
        """Mark a notification read, with every repeat of the same event."""
        note = self.context.get(notification_id, "notification")
        event = _event_of(note)
        for other in self.inbox():
            if _event_of(other) == event and not other.values.get("read"):
                self.context.write("notification", "update", {"read": True}, record_id=other.id)

    def destination(self, kind: str, record_id: str) -> Destination:
        """Where the record a notification or email link points at is shown.

        ActionError (in plain words) if it is not on this device (yet) or is not something that opens."""
        record = self.context.store.get(record_id)
        if record is None or record.deleted or record.kind != kind:
            raise ActionError(
                "That record is not on this device yet. It appears after the next sync, if you may see it."
            )
        if kind == "incident":
            return Destination("incident", {"record_id": record_id})
        if kind == "communication" and record.profile_id:
            return Destination("communications", {"profile_id": record.profile_id})
        if kind == "communication_response":
            communication = self.context.store.get(str(record.values.get("communication_id", "")))
            profile_id = record.profile_id or (communication.profile_id if communication else None)
            if profile_id:
                return Destination("communications", {"profile_id": profile_id})
        if kind == "individual":
            return Destination("profile", {"profile_id": record_id})
        if kind == "smart_plan":  # a review reminder, a plan changed
            return Destination("smart_plan", {"plan_id": record_id})
        if kind == "plan_contribution" and record.values.get("plan_id"):
            return Destination("smart_plan", {"plan_id": str(record.values["plan_id"])})
        raise ActionError("besmart cannot open that kind of record here.")
