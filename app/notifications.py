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

    def items(self) -> list[InboxItem]:
        """The inbox as the person sees it: one item per event, newest first."""
        groups: dict[tuple[Any, ...], list[Stored]] = {}
        for note in self.inbox():  # newest first, so each group's first is its newest
            groups.setdefault(_event_of(note), []).append(note)
        items = []
        for notes in groups.values():
            newest = notes[0].values
            items.append(
                InboxItem(
                    id=notes[0].id,
                    ids=tuple(n.id for n in notes),
                    subject=newest.get("subject", ""),
                    created_at=newest.get("created_at", ""),
                    read=all(n.values.get("read") for n in notes),
                    record_kind=newest.get("record_kind"),
                    record_id=newest.get("record_id"),
                )
            )
        return items

    def unread_count(self) -> int:
        return sum(1 for item in self.items() if not item.read)

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
