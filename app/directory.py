"""Directory and Profile: choose an individual, and everything about them in one place — recent
incidents, incidents, communications with responses, clicker history, details, key contacts, and who has
access."""

from __future__ import annotations

from dataclasses import dataclass

from app.context import Context, display_name
from app.incidents import Incidents, IncidentSummary
from app.recording import Clicker
from localdb.queries import CommunicationThread, Stored


@dataclass(frozen=True)
class PersonSummary:
    id: str
    name: str
    group: str
    flags: list[str]


@dataclass(frozen=True)
class Profile:
    individual: Stored
    name: str
    recent_incidents: list[IncidentSummary]
    incidents: list[IncidentSummary]
    communications: list[CommunicationThread]
    clicker_history: list[Stored]
    key_contacts: list[Stored]
    key_staff: list[str]
    access: list[str]
    behaviour_labels: dict[str, str]


def flags_of(individual: Stored) -> list[str]:
    values = individual.values
    return [
        label
        for key, label in (("send", "SEND"), ("ehc_plan", "EHC plan"), ("looked_after", "Looked after"))
        if values.get(key)
    ]


class Directory:
    def __init__(self, context: Context) -> None:
        self.context = context

    def people(self, search: str = "") -> list[PersonSummary]:
        """Individuals on this device whose name or group contains `search` (any case)."""
        needle = search.strip().lower()
        found = []
        for person in self.context.store.individuals():
            name = display_name(person)
            group = person.values.get("group", "")
            if needle and needle not in f"{name} {person.values.get('first_name', '')} {group}".lower():
                continue
            found.append(PersonSummary(person.id, name, group, flags_of(person)))
        return found

    def profile(self, profile_id: str, *, audit: bool = True) -> Profile:
        """Everything the profile screen shows about one individual. Opening it is a view of the child's
        record and is audited on this device (synced to the server's audit log); `audit=False` for showing it
        again after a change, which is not a new view."""
        individual = self.context.get(profile_id, "individual")
        if audit:
            self.context.audit(
                "view", "individual", profile_id, profile_id, what="the record that you opened this profile"
            )
        staff = self.context.staff_names()
        incidents = Incidents(self.context).list(profile_id=profile_id)
        return Profile(
            individual=individual,
            name=display_name(individual),
            recent_incidents=Incidents(self.context).list(profile_id=profile_id, days=30)[:5],
            incidents=incidents,
            communications=self.context.store.communications(profile_id),
            clicker_history=Clicker(self.context).history(profile_id, days=30),
            key_contacts=self.context.store.records("key_contact", profile_id),
            key_staff=[
                staff.get(k.values["staff_id"], "Unknown") for k in self.context.store.records("key_staff", profile_id)
            ],
            access=[
                staff.get(g.values["staff_id"], "Unknown")
                for g in self.context.store.records("access_grant", profile_id)
            ],
            behaviour_labels={t.id: t.values["label"] for t in self.context.store.behaviour_types(active_only=False)},
        )
