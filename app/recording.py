"""Record → Behaviour Clicker and Behaviour Communications.

A tap logs the behaviour with the date and time taken automatically, durably, before `tap` returns; undo is
one call. Communications are Positive / Negative / N/A messages to key staff, who are notified (by the
server) and can respond.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.context import ActionError, Context, PermissionDenied, now_utc
from localdb.queries import CommunicationThread, Stored
from sync.permissions import Capability
from sync.records import Valence


@dataclass(frozen=True)
class BehaviourButton:
    behaviour_type_id: str
    label: str
    valence: str
    level: str
    colour: str
    today: int


@dataclass(frozen=True)
class Tap:
    record_id: str
    label: str
    at: dt.datetime


def start_of_local_day(moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


class Clicker:
    def __init__(self, context: Context) -> None:
        self.context = context

    def buttons(self, profile_id: str, *, now: dt.datetime | None = None) -> list[BehaviourButton]:
        """The catalogue as buttons, each with today's count for this individual."""
        counts = self.today_counts(profile_id, now=now)
        setting_type = self._setting_type(profile_id)
        return [
            BehaviourButton(
                behaviour_type_id=t.id,
                label=t.values["label"],
                valence=t.values["valence"],
                level=t.values.get("level", "low"),
                colour=t.values.get("colour", "#607d8b"),
                today=counts.get(t.id, 0),
            )
            for t in self.context.store.behaviour_types()
            if setting_type is None or setting_type in (t.values.get("setting_types") or [setting_type])
        ]

    def _setting_type(self, profile_id: str) -> str | None:
        """The kind of setting the individual is at (None: not known on this device): it chooses the buttons."""
        store = self.context.store
        individual = store.get(profile_id)
        setting_id = individual.values.get("setting_id") if individual else None
        setting = store.get(setting_id) if setting_id else None
        return setting.values.get("setting_type") if setting else None

    def tap(self, profile_id: str, behaviour_type_id: str, *, at: dt.datetime | None = None) -> Tap:
        self.context.require(Capability.RECORD, "record behaviour")
        behaviour = self.context.get(behaviour_type_id, "behaviour_type")
        moment = at or now_utc()
        record_id = self.context.write(
            "clicker_event",
            "create",
            {
                "behaviour_type_id": behaviour_type_id,
                "staff_id": self.context.user.id,
                "occurred_at": moment.isoformat(),
                "device_id": self.context.store.device_id,
            },
            profile_id=profile_id,
            what="the tap",
        )
        return Tap(record_id, behaviour.values["label"], moment)

    def undo(self, record_id: str) -> None:
        """Take back a tap (only your own)."""
        tap = self.context.get(record_id, "clicker_event")
        if tap.values.get("staff_id") != self.context.user.id:
            raise ActionError("You can only undo your own taps.")
        self.context.write("clicker_event", "delete", record_id=record_id, what="the undo")

    def today_counts(self, profile_id: str, *, now: dt.datetime | None = None) -> dict[str, int]:
        start = start_of_local_day(now or now_utc())
        counts: dict[str, int] = {}
        for event in self.context.store.clicker_events(profile_id, start, start + dt.timedelta(days=1)):
            key = event.values["behaviour_type_id"]
            counts[key] = counts.get(key, 0) + 1
        return counts

    def history(self, profile_id: str, *, days: int = 30, now: dt.datetime | None = None) -> list[Stored]:
        end = now or now_utc()
        return list(reversed(self.context.store.clicker_events(profile_id, end - dt.timedelta(days=days), end)))


#: the vault's key of a communication being typed, by individual
_UNSENT = "communication-unsent:"


class Communications:
    def __init__(self, context: Context) -> None:
        self.context = context

    def threads(self, profile_id: str) -> list[CommunicationThread]:
        return self.context.store.communications(profile_id)

    def author_name(self) -> str:
        """Who a communication is from: always the signed-in person (shown on the form, never chosen)."""
        return self.context.staff_names().get(self.context.user.id) or self.context.user.name

    def unsent(self, profile_id: str) -> dict[str, str]:
        """What was typed into a communication about this individual and not saved yet ("valence", "message"):
        kept encrypted on this device, as an incident's draft is, so leaving the screen loses nothing."""
        return dict(self.context.store.get_secret(_UNSENT + profile_id) or {})

    def keep_unsent(self, profile_id: str, *, valence: str, message: str) -> None:
        """Keep what is being typed (nothing typed: nothing kept) until it is saved with `send`."""
        if message.strip() or valence:
            self.context.store.put_secret(_UNSENT + profile_id, {"valence": valence, "message": message})
        else:
            self.context.store.delete_secret(_UNSENT + profile_id)

    def send(self, profile_id: str, valence: str, message: str) -> str:
        """Send a communication to the individual's key staff, from the signed-in person; returns its id. What was
        kept of it while it was typed goes.

        There is no author to choose: posting under a colleague's name would notify people as if they wrote it."""
        self.context.require(Capability.RECORD, "send communications")
        if valence not in {v.value for v in Valence}:
            raise ActionError("Choose Positive, Negative or N/A.")
        if not message.strip():
            raise ActionError("Type your message first.")
        record_id = self.context.write(
            "communication",
            "create",
            {
                "valence": valence,
                "author_id": self.context.user.id,
                "message": message.strip(),
                "created_at": now_utc().isoformat(),
            },
            profile_id=profile_id,
        )
        self.context.store.delete_secret(_UNSENT + profile_id)
        return record_id

    def can_add_to_plan(self, communication: Stored) -> bool:
        """Whether this person may add the communication to the Smart Plan: its author, or a role that edits
        records (the server's rule for changing a communication, checked there again)."""
        return communication.values.get("author_id") == self.context.user.id or self.context.can(
            Capability.EDIT_INCIDENTS
        )

    def add_to_plan(self, communication_id: str) -> bool:
        """Mark the communication as one for the individual's Smart Plan: the plan builder then suggests its
        lines for the plan (app.plan_builder), so what it says about what helps is not lost. True: it is marked
        (now, or it was already)."""
        communication = self.context.get(communication_id, "communication")
        if not self.can_add_to_plan(communication):
            raise PermissionDenied("Only its author or a lead can add this communication to the Smart Plan.")
        if not communication.values.get("added_to_plan"):
            self.context.write("communication", "update", {"added_to_plan": True}, record_id=communication_id)
        return True

    def respond(self, communication_id: str, message: str) -> str:
        self.context.require(Capability.RECORD, "respond to communications")
        communication = self.context.get(communication_id, "communication")
        if not message.strip():
            raise ActionError("Type your response first.")
        return self.context.write(
            "communication_response",
            "create",
            {
                "communication_id": communication_id,
                "author_id": self.context.user.id,
                "message": message.strip(),
                "created_at": now_utc().isoformat(),
            },
            profile_id=communication.profile_id,
        )
