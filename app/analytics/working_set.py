"""The analytics working set: the records analytics reads, decrypted once per unlock into plain rows, kept
current by re-reading only the records whose ciphertext changed since (after a write or a sync; the store's
change count says whether anything was written at all), and dropped when the store locks. Kinds are loaded
the first time a report needs them, so the first report after unlock does not wait for every clicker tap.
Times are converted to the organisation's time zone (`TIME_ZONE`) here, once."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from app.context import StoreLockedError
from localdb.queries import PlainRecord
from localdb.store import LocalStore

#: where the organisation's days and hours are counted (English schools and homes)
TIME_ZONE = ZoneInfo("Europe/London")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LEVELS = ("low", "medium", "high")
UNRECORDED = "unrecorded"

# --- rows --------------------------------------------------------------------------------


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(TIME_ZONE)


@dataclass(frozen=True)
class IncidentRow:
    id: str
    profile_id: str
    reference: str
    status: str
    occurred_at: dt.datetime  # in TIME_ZONE
    location: str
    recorded_by: str
    staff_present: tuple[str, ...]
    other_individuals: tuple[str, ...]
    #: the highest behaviour level described in the physical intervention section ("unrecorded" if none)
    level: str
    injury: bool
    injury_who: str
    injury_treatment: bool
    physical_intervention: bool
    #: (technique, effectiveness, duration in minutes or None, staff ids)
    techniques: tuple[tuple[str, str, int | None, tuple[str, ...]], ...]
    #: (technique, effectiveness)
    deescalation: tuple[tuple[str, str], ...]
    pi_minutes: float | None
    pi_plan_followed: bool | None
    discriminatory: bool
    categories: tuple[str, ...]
    #: (type, sessions or None, reason codes)
    exclusions: tuple[tuple[str, int | None, tuple[str, ...]], ...]
    flagged: bool
    parents_informed: bool | None

    @classmethod
    def of(cls, record: PlainRecord) -> IncidentRow:
        v = record.values
        level = next((lv for lv in reversed(LEVELS) if str(v.get(f"pi_behaviours_{lv}") or "").strip()), UNRECORDED)
        started, ended = _moment(v.get("pi_started_at")), _moment(v.get("pi_ended_at"))
        occurred = _moment(v.get("occurred_at")) or dt.datetime.min.replace(tzinfo=dt.UTC)
        return cls(
            id=record.id,
            profile_id=record.profile_id or "",
            reference=v.get("reference") or "",
            status="removed" if v.get("removed") else v.get("status") or "draft",
            occurred_at=occurred,
            location=(v.get("location") or "").strip(),
            recorded_by=v.get("recorded_by") or "",
            staff_present=tuple(v.get("staff_present") or ()),
            other_individuals=tuple(v.get("other_individuals") or ()),
            level=level,
            injury=bool(v.get("injury")),
            injury_who=(v.get("injury_who") or "").strip(),
            injury_treatment=bool(str(v.get("injury_treatment") or "").strip()),
            physical_intervention=bool(v.get("physical_intervention")),
            techniques=tuple(
                (t["technique"], t["effectiveness"], t.get("duration_minutes"), tuple(t.get("used_by") or ()))
                for t in v.get("pi_techniques") or ()
            ),
            deescalation=tuple((d["technique"], d["effectiveness"]) for d in v.get("pi_deescalation") or ()),
            pi_minutes=(ended - started).total_seconds() / 60 if started and ended else None,
            pi_plan_followed=v.get("pi_plan_followed"),
            discriminatory=bool(v.get("discriminatory")),
            categories=tuple(v.get("discriminatory_categories") or ()),
            exclusions=tuple(
                (e["type"], e.get("sessions"), tuple(e.get("reasons") or ())) for e in v.get("exclusions") or ()
            ),
            flagged=bool(v.get("flagged")),
            parents_informed=v.get("parents_informed"),
        )

    @property
    def staff(self) -> set[str]:
        """Everyone on staff involved: the recorder, those present and those who used a technique."""
        return {self.recorded_by, *self.staff_present, *(s for t in self.techniques for s in t[3])} - {""}


@dataclass(frozen=True)
class ClickRow:
    id: str
    profile_id: str
    occurred_at: dt.datetime
    behaviour_type_id: str
    staff_id: str


@dataclass(frozen=True)
class CommunicationRow:
    id: str
    profile_id: str
    created_at: dt.datetime
    valence: str
    author_id: str
    added_to_plan: bool
    #: when the first response came (None: none yet) and how many there are
    first_response_at: dt.datetime | None
    responses: int


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    group: str
    setting_id: str
    send: bool
    ehc_plan: bool
    looked_after: bool


#: the kinds the working set holds
WORKING_KINDS = (
    "individual",
    "staff",
    "behaviour_type",
    "setting",
    "incident",
    "communication",
    "communication_response",
    "clicker_event",
)


class WorkingSet:
    """The decrypted rows analytics reads, for one unlocked store (see the module docstring)."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self._records: dict[str, dict[str, PlainRecord]] = {}
        self._prints: dict[str, dict[str, bytes]] = {}
        self._seen_changes: dict[str, int] = {}
        #: moves whenever the rows change: reports computed for an older version are stale
        self.version = 0
        self._derived: dict[str, Any] = {}
        self._drops = 0
        #: one refresh at a time (a screen and the dashboard may ask at once)
        self._guard = threading.RLock()
        mine = weakref.ref(self)

        def forget() -> None:
            # weakly held: a working set of an earlier unlock must not be kept alive by the store
            working = mine()
            if working is not None:
                working.drop()

        store.on_forget(forget)

    def drop(self) -> None:
        """Forget every decrypted value (the store is locking)."""
        # Takes no lock of its own: it runs inside the store's lock, which a refresh may be waiting for.
        self._drops += 1
        self._records.clear()
        self._prints.clear()
        self._seen_changes.clear()
        self._derived.clear()
        self.version += 1

    @property
    def loaded(self) -> int:
        """How many records are held in memory now."""
        return sum(len(records) for records in self._records.values())

    def _kind(self, kind: str) -> dict[str, PlainRecord]:
        with self._guard:
            drops = self._drops
            if self.store.locked:
                self.drop()
                raise StoreLockedError("besmart is locked: unlock it to continue.")
            count = self.store.change_count
            if self._seen_changes.get(kind) != count:
                changes = self.store.record_changes([kind], self._prints.get(kind, {}))
                records = self._records.setdefault(kind, {})
                for gone in changes.gone:
                    records.pop(gone, None)
                for record in changes.changed:
                    records[record.id] = record
                self._prints[kind] = changes.fingerprints
                self._seen_changes[kind] = count
                if changes.changed or changes.gone:
                    self.version += 1
            if self._drops != drops:
                # The store locked while this was read: what was just put back must go too.
                self.drop()
                raise StoreLockedError("besmart is locked: unlock it to continue.")
            return self._records[kind]

    def warm(self) -> None:
        """Decrypt every kind analytics reads now (e.g. in the background after unlock), so no report waits."""
        for kind in WORKING_KINDS:
            self._kind(kind)

    def _cached(self, key: str, kinds: Sequence[str], build: Callable[[], Any]) -> Any:
        """`build()` once per version of the rows it reads."""
        with self._guard:
            for kind in kinds:
                self._kind(kind)
            hit = self._derived.get(key)
            if hit is not None and hit[0] == self.version:
                return hit[1]
            value = build()
            self._derived[key] = (self.version, value)
            return value

    def incidents(self) -> list[IncidentRow]:
        """Submitted and reviewed incidents (not deleted ones), oldest first."""

        def build() -> list[IncidentRow]:
            rows = (IncidentRow.of(r) for r in self._kind("incident").values())
            # A deleted incident (kept with its reason, for leads) is not counted: it was recorded in error.
            return sorted(
                (r for r in rows if r.status not in ("draft", "removed")), key=lambda r: (r.occurred_at, r.id)
            )

        result: list[IncidentRow] = self._cached("incidents", ["incident"], build)
        return result

    def clicks(self) -> list[ClickRow]:
        def build() -> list[ClickRow]:
            rows = []
            for r in self._kind("clicker_event").values():
                at = _moment(r.values.get("occurred_at"))
                if at is not None:
                    rows.append(
                        ClickRow(
                            r.id,
                            r.profile_id or "",
                            at,
                            r.values.get("behaviour_type_id", ""),
                            r.values.get("staff_id", ""),
                        )
                    )
            return sorted(rows, key=lambda r: (r.occurred_at, r.id))

        result: list[ClickRow] = self._cached("clicks", ["clicker_event"], build)
        return result

    def communications(self) -> list[CommunicationRow]:
        def build() -> list[CommunicationRow]:
            firsts: dict[str, list[dt.datetime]] = defaultdict(list)
            for r in self._kind("communication_response").values():
                at = _moment(r.values.get("created_at"))
                if at is not None:
                    firsts[r.values.get("communication_id", "")].append(at)
            rows = []
            for r in self._kind("communication").values():
                at = _moment(r.values.get("created_at"))
                if at is None:
                    continue
                answers = firsts.get(r.id, [])
                rows.append(
                    CommunicationRow(
                        r.id,
                        r.profile_id or "",
                        at,
                        r.values.get("valence", ""),
                        r.values.get("author_id", ""),
                        bool(r.values.get("added_to_plan")),
                        min(answers) if answers else None,
                        len(answers),
                    )
                )
            return sorted(rows, key=lambda r: (r.created_at, r.id))

        result: list[CommunicationRow] = self._cached(
            "communications", ["communication", "communication_response"], build
        )
        return result

    def people(self) -> dict[str, Person]:
        def build() -> dict[str, Person]:
            people = {}
            for r in self._kind("individual").values():
                v = r.values
                name = f"{v.get('preferred_name') or v.get('first_name', '')} {v.get('last_name', '')}".strip()
                people[r.id] = Person(
                    r.id,
                    name,
                    (v.get("group") or "").strip(),
                    v.get("setting_id") or "",
                    bool(v.get("send")),
                    bool(v.get("ehc_plan")),
                    bool(v.get("looked_after")),
                )
            return people

        result: dict[str, Person] = self._cached("people", ["individual"], build)
        return result

    def names(self, kind: str, field_name: str) -> dict[str, str]:
        """id -> name (or label) of the org records of one kind (staff, behaviour_type, setting)."""
        return {r.id: str(r.values.get(field_name, "")) for r in self._kind(kind).values()}

    def behaviour_types(self) -> dict[str, dict[str, Any]]:
        return {r.id: r.values for r in self._kind("behaviour_type").values()}
