"""The seeder: plans the whole demo organisation in memory from one `random.Random(seed)` — its people (staff,
children, key contacts, access grants, key staff), its reference data (settings, the clicker catalogue), then
a year of history (clicker taps, communications, incidents with learning, physical interventions and
suspensions, reviews, Smart Plans; then the patterns a lead finds in Analytics, `server.demo.patterns`) — as
`Write`s in time order, for `server.demo.seed` to write.

Who is in it comes from `server.demo.cast`, every sentence from the text files (`server.demo.words`).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from server.demo.cast import (
    DEMO_BEHAVIOURS,
    DOMAIN,
    HOME_CHILDREN,
    HOME_COMMUNICATIONS,
    HOME_INCIDENTS,
    HOME_NAME,
    NIGHT_WORKER,
    PER_YEAR,
    SCHOOL_COMMUNICATIONS,
    SCHOOL_INCIDENTS,
    SCHOOL_NAME,
    STAFF,
    YEARS,
    StaffSpec,
    behaviour_fits,
    behaviour_setting_types,
)
from server.demo.feedback import plan_feedback
from server.demo.patterns import plan_patterns
from server.demo.support import plan_support_requests
from server.demo.words import (
    ADULT_MEN,
    ADULT_WOMEN,
    BOYS,
    CLOSINGS,
    DEESCALATION,
    FLAG_REASONS,
    GIRLS,
    HOME_CATEGORIES,
    HOME_DETAILS,
    HOME_LOCATIONS,
    HOME_MESSAGES,
    HOME_PI,
    HOME_PILD,
    HOME_PLAN,
    HOME_REPLIES,
    HOME_REVIEW_NOTES,
    INJURY_DETAILS,
    INJURY_TREATMENT,
    INJURY_WHO,
    INTERESTS,
    LA_ROUTE_REASONS,
    LOOKED_AFTER_NOT_INFORMED,
    NEUTRAL,
    NOT_INFORMED,
    PLAN_CONTRIBUTIONS,
    PLAN_SECTION_WORDS,
    PREFERRED,
    PRONOUNS,
    ROOMS,
    SCHOOL_CATEGORIES,
    SCHOOL_MESSAGES,
    SCHOOL_PI,
    SCHOOL_PILD,
    SCHOOL_PLACES,
    SCHOOL_PLAN,
    SCHOOL_REPLIES,
    SCHOOL_REVIEW_NOTES,
    SEND_DETAILS,
    SUBJECTS,
    SURNAMES,
    TECHNIQUE_EFFECTIVENESS,
    TECHNIQUES,
    TRIGGER_LINES,
)
from server.errors import ServerSideError
from sync.ids import uuid7
from sync.ops import Action

LONDON = ZoneInfo("Europe/London")
#: how the clicker's taps of each valence spread over the levels
LEVEL_WEIGHTS: dict[str, dict[str, float]] = {
    "positive": {"low": 6, "medium": 3, "high": 1},
    "n/a": {"low": 1, "medium": 1, "high": 1},
    "negative": {"low": 7, "medium": 3, "high": 0.4},
}
EFFECTIVENESS = ["effective", "partly_effective", "not_effective"]


class DemoError(ServerSideError):
    """The demo cannot be seeded here; the message says why."""


@dataclass(frozen=True)
class Staff:
    spec: StaffSpec
    id: str
    device: str

    @property
    def first(self) -> str:
        return self.spec.name.split(" ")[0]


@dataclass
class Kid:
    id: str
    first: str
    last: str
    preferred: str
    pronoun: str
    setting: str  # school | home
    group: str
    year: int | None
    born: dt.date
    send: bool
    ehc: bool
    looked_after: bool
    since: dt.date
    positivity: float
    tap_rate: float
    incident_weight: float
    communication_weight: float
    access: list[Staff] = field(default_factory=list)
    key_staff: list[Staff] = field(default_factory=list)
    #: who records about them, weighted (repeats)
    recorders: list[Staff] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[tuple[dt.datetime, str, str]] = field(default_factory=list)  # (when, id, category)
    communications: list[tuple[dt.datetime, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.preferred or self.first


@dataclass
class Write:
    """One op of the seeding, in time order."""

    when: dt.datetime
    order: int
    kind: str
    action: Action
    fields: dict[str, Any]
    record_id: str
    profile_id: str | None
    actor: str
    #: an amendment's reason (`sync.ops.Op.reason`)
    reason: str | None = None


# --- calendar ------------------------------------------------------------------------------------------

#: approximate English school holidays, as (month, day) ranges
HOLIDAYS = [
    ((1, 1), (1, 3)),
    ((2, 14), (2, 20)),
    ((3, 30), (4, 12)),
    ((5, 25), (5, 29)),
    ((7, 22), (9, 2)),
    ((10, 26), (10, 30)),
    ((12, 20), (12, 31)),
]
#: the unstructured times of a school day: (hour, minute, minutes it may run on)
SLOTS = {
    "break": [(10, 50, 20)],
    "lunch": [(12, 10, 50)],
    "end": [(15, 0, 20)],
    "change": [(9, 45, 10), (11, 5, 10), (13, 55, 10)],
}
LESSONS = [("period 1", 8, 50), ("period 2", 9, 50), ("period 3", 11, 10), ("period 4", 13, 0), ("period 5", 14, 0)]


def is_school_day(day: dt.date) -> bool:
    if day.weekday() >= 5:
        return False
    key = (day.month, day.day)
    return not any(start <= key <= end for start, end in HOLIDAYS)


def academic_year(day: dt.date) -> int:
    """The calendar year the academic year containing `day` started in (September)."""
    return day.year if day.month >= 9 else day.year - 1


def local(day: dt.date, hour: int, minute: int) -> dt.datetime:
    """A UK wall-clock time on `day` (minutes may run past 59), as an aware UTC moment."""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=LONDON)
    return (midnight + dt.timedelta(hours=hour, minutes=minute)).astimezone(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- the seeder ------------------------------------------------------------------------------------------


class Seeder:
    """Plans the whole organisation in memory (people, then history), then writes it."""

    def __init__(self, *, seed: int, anchor: dt.date, days: int, scale: float) -> None:
        self.rng = random.Random(seed)
        self.ids = random.Random(seed + 1)
        #: the statutory reports' own draws, so adding them left the rest of the story as it was
        self.reports_rng = random.Random(seed + 2)
        #: the patterns' draws (`server.demo.patterns`): the story a lead finds in Analytics, on top of the rest
        self.patterns_rng = random.Random(seed + 3)
        #: the schools' uses of force: (kid, incident id, recorder, when recorded, report route, words)
        self.school_force: list[tuple[Kid, str, Staff, dt.datetime, str, dict[str, Any]]] = []
        self.anchor = anchor
        self.end = dt.datetime(anchor.year, anchor.month, anchor.day, tzinfo=dt.UTC)
        self._active_plans = 0
        self.first_day = anchor - dt.timedelta(days=days)
        self.days = [self.first_day + dt.timedelta(days=i) for i in range(days)]
        self.school_days = [d for d in self.days if is_school_day(d)]
        self.scale = scale
        self.writes: list[Write] = []
        self.reference: list[Write] = []
        self._order = 0
        self.org_id = uuid7(local(self.first_day, 9, 0), self.ids)
        self.school_id = uuid7(local(self.first_day, 9, 1), self.ids)
        self.home_id = uuid7(local(self.first_day, 9, 2), self.ids)
        self.staff: list[Staff] = []
        self.kids: list[Kid] = []
        self.behaviours: list[tuple[str, str, str, str]] = []  # (id, label, valence, level)

    # --- helpers --------------------------------------------------------------------------------

    def add(
        self,
        when: dt.datetime,
        kind: str,
        fields: dict[str, Any],
        *,
        record_id: str,
        profile_id: str | None,
        actor: str,
        action: Action = "create",
        reference: bool = False,
        reason: str | None = None,
    ) -> None:
        self._order += 1
        write = Write(when, self._order, kind, action, fields, record_id, profile_id, actor, reason)
        (self.reference if reference else self.writes).append(write)

    @contextmanager
    def drawing_from(self, rng: random.Random) -> Iterator[None]:
        """Every draw (values and record ids) from `rng` for a while: a part of the story planned this way
        leaves the draws of the rest as they were, whatever it adds."""
        saved = self.rng, self.ids
        self.rng = self.ids = rng
        try:
            yield
        finally:
            self.rng, self.ids = saved

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: list[Any] | tuple[Any, ...]) -> Any:
        return items[self.rng.randrange(len(items))]

    def poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def words(self, kid: Kid, adult: Staff, **extra: Any) -> dict[str, Any]:
        pronoun = PRONOUNS[kid.pronoun]
        they, them, their, was = pronoun["they"], pronoun["them"], pronoun["their"], pronoun["was"]
        return {
            "name": kid.name,
            "they": they,
            "them": them,
            "their": their,
            "was": was,
            "They": they.capitalize(),
            "Their": their.capitalize(),
            "adult": adult.spec.address,
            "adult2": adult.spec.address,
            "peer": "another pupil" if kid.setting == "school" else "another young person",
            "subject": "the lesson",
            "period": "the lesson",
            "year": f"Year {kid.year}" if kid.year else "",
            **extra,
        }

    def say(self, options: list[str] | tuple[str, ...], words: dict[str, Any]) -> str:
        return self.pick(options).format_map(words)

    # --- people ---------------------------------------------------------------------------------

    def plan_people(self) -> None:
        start = local(self.first_day, 9, 5)
        for spec in STAFF:
            slug = spec.name.lower().replace(" ", "-")
            self.staff.append(Staff(spec, uuid7(start, self.ids), f"demo-{slug}"))
        for label, valence, level, _colour in DEMO_BEHAVIOURS:
            self.behaviours.append((uuid7(start, self.ids), label, valence, level))
        ay = academic_year(self.anchor - dt.timedelta(days=1))
        used: set[tuple[str, ...]] = set()
        for year in YEARS:
            for _ in range(max(2, round(PER_YEAR * self.scale))):
                self.kids.append(self._school_kid(year, ay, used))
        for _ in range(max(3, round(HOME_CHILDREN * self.scale))):
            self.kids.append(self._home_kid(used))
        self._link_staff()

    def _name(self, used: set[tuple[str, ...]], group: str) -> tuple[str, str, str, str]:
        """(first, last, preferred, pronoun): nobody shares a full name, and nobody in a group (a year
        group, the home) shares the name they go by, so narratives never mix two children up (while the name
        lists last: at a large --scale only full names stay unique)."""
        for attempt in range(10_000):
            pronoun = self.rng.choices(["she", "he", "they"], [48, 48, 4])[0]
            first = self.pick(GIRLS if pronoun == "she" else BOYS if pronoun == "he" else NEUTRAL)
            last = self.pick(SURNAMES)
            preferred = PREFERRED.get(first, "") if self.chance(0.5) else ""
            keys = [(first, last), (group, first), (group, preferred or first)]
            if not any(key in used for key in (keys if attempt < 300 else keys[:1])):
                used.update(keys)
                return first, last, preferred, pronoun
        raise DemoError("ran out of names: use a smaller --scale")

    def _born(self, earliest: dt.date, latest: dt.date) -> dt.date:
        return earliest + dt.timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def _school_kid(self, year: int, ay: int, used: set[tuple[str, ...]]) -> Kid:
        first, last, preferred, pronoun = self._name(used, f"Year {year}")
        born = self._born(dt.date(ay - year - 5, 9, 1), dt.date(ay - year - 4, 8, 31))
        send = self.chance(0.16)
        looked_after = self.chance(0.02)
        since = self.first_day
        if year == 7:
            since = max(self.first_day, dt.date(ay, 9, 3))
        elif self.chance(0.03):
            since = self.pick(self.days[: len(self.days) * 3 // 4])  # an in-year admission
        weight = self.rng.gammavariate(0.6, 1.0) * (1.7 if send else 1.0) * (1.6 if looked_after else 1.0)
        weight *= 1.25 if year in (9, 10) else 1.0
        return Kid(
            id=uuid7(local(since, 8, 30), self.ids),
            first=first,
            last=last,
            preferred=preferred,
            pronoun=pronoun,
            setting="school",
            group=f"Year {year}",
            year=year,
            born=born,
            send=send,
            ehc=send and self.chance(0.28),
            looked_after=looked_after,
            since=since,
            positivity=self.rng.betavariate(6, 2.5),
            tap_rate=self.rng.gammavariate(2.0, 0.42) * (1.3 if send else 1.0),
            incident_weight=weight,
            communication_weight=0.6 + weight + self.rng.gammavariate(2.0, 0.4),
        )

    def _home_kid(self, used: set[tuple[str, ...]]) -> Kid:
        first, last, preferred, pronoun = self._name(used, HOME_NAME)
        born = self._born(self.anchor - dt.timedelta(days=int(17.5 * 365)), self.anchor - dt.timedelta(days=11 * 365))
        since = self.first_day
        if self.chance(0.25):
            since = self.pick(self.days[30 : len(self.days) * 2 // 3])  # moved in during the year
        send = self.chance(0.6)
        return Kid(
            id=uuid7(local(since, 10, 0), self.ids),
            first=first,
            last=last,
            preferred=preferred,
            pronoun=pronoun,
            setting="home",
            group=HOME_NAME,
            year=None,
            born=born,
            send=send,
            ehc=send and self.chance(0.6),
            looked_after=True,
            since=since,
            positivity=self.rng.betavariate(4, 3),
            tap_rate=self.rng.gammavariate(2.0, 0.6),
            incident_weight=self.rng.gammavariate(2.5, 1.0),
            communication_weight=1.0 + self.rng.gammavariate(2.0, 0.5),
        )

    def _link_staff(self) -> None:
        school = [k for k in self.kids if k.setting == "school"]
        complex_kids = {k.id for k in sorted(school, key=lambda k: -k.incident_weight)[: max(3, len(school) // 7)]}
        by_role = {s.spec.name: s for s in self.staff}
        leads = {
            "school": [s for s in self.staff if s.spec.setting == "school" and s.spec.role == "lead"],
            "home": [s for s in self.staff if s.spec.setting == "home" and s.spec.role == "lead"],
        }
        home_staff = [s for s in self.staff if s.spec.setting == "home" and s.spec.role == "staff"]
        for kid in self.kids:
            if kid.setting == "home":
                kid.access = list(home_staff)
                workers = self.rng.sample(home_staff, 2)
                kid.key_staff = workers
                kid.recorders = home_staff + workers * 2 + leads["home"]
            else:
                kid.access = [
                    s
                    for s in self.staff
                    if s.spec.role == "staff"
                    and s.spec.setting == "school"
                    and (
                        kid.year in s.spec.years
                        or (s.spec.extra == "send" and kid.send)
                        or (s.spec.extra == "complex" and kid.id in complex_kids)
                    )
                ]
                head_of_year = next(s for s in kid.access if s.spec.title == f"Head of Year {kid.year}")
                kid.key_staff = [head_of_year]
                if kid.send:
                    kid.key_staff.append(self.pick([by_role["Claire Dunn"], by_role["Imran Chaudhry"]]))
                if kid.id in complex_kids:
                    kid.key_staff.append(by_role["Kwame Boateng"])
                if kid.looked_after:
                    kid.key_staff.append(by_role["Sarah Whitfield"])
                teachers = [s for s in kid.access if s.spec.subject]
                kid.recorders = teachers * 3 + kid.access + leads["school"]
            kid.contacts = self._contacts(kid)

    def _contacts(self, kid: Kid) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []

        def parent(relationship: str, pool: list[str], responsibility: bool) -> None:
            first = self.pick(pool)
            last = kid.last if self.chance(0.8) else self.pick(SURNAMES)
            found.append(
                {
                    "name": f"{first} {last}",
                    "relationship": relationship,
                    "phone": f"07700 900{self.rng.randrange(1000):03d}",
                    **({"email": _email(first, last, "example.com")} if self.chance(0.7) else {}),
                    "parental_responsibility": responsibility,
                }
            )

        def professional(relationship: str) -> None:
            first, last = self.pick(ADULT_WOMEN + ADULT_MEN), self.pick(SURNAMES)
            found.append(
                {
                    "name": f"{first} {last}",
                    "relationship": relationship,
                    "phone": f"01632 960{self.rng.randrange(1000):03d}",
                    "email": _email(first, last, "northshire.example"),
                    "parental_responsibility": False,
                }
            )

        if kid.setting == "home":
            professional("Social worker, Northshire Children's Services")
            if self.chance(0.7):
                parent("Mother", ADULT_WOMEN, True)
            if self.chance(0.5):
                professional("Independent reviewing officer")
            return found
        if kid.looked_after:
            parent("Foster carer", ADULT_WOMEN, False)
            professional("Social worker, Northshire Children's Services")
            return found
        relationships = self.rng.choices(
            [("Mother", ADULT_WOMEN, True), ("Father", ADULT_MEN, True), ("Grandmother", ADULT_WOMEN, False)],
            [60, 33, 7],
        )[0]
        parent(*relationships)
        if self.chance(0.55):
            second = self.rng.choices(
                [("Father", ADULT_MEN, True), ("Stepfather", ADULT_MEN, False), ("Aunt", ADULT_WOMEN, False)],
                [70, 20, 10],
            )[0]
            if second[0] != relationships[0]:
                parent(*second)
        return found

    def plan_reference_data(self) -> None:
        start = local(self.first_day, 9, 0)
        admin = next(s for s in self.staff if s.spec.role == "admin")
        self.add(
            start,
            "setting",
            {"name": SCHOOL_NAME, "setting_type": "school"},
            record_id=self.school_id,
            profile_id=None,
            actor=admin.id,
            reference=True,
        )
        self.add(
            start,
            "setting",
            {"name": HOME_NAME, "setting_type": "childrens_home"},
            record_id=self.home_id,
            profile_id=None,
            actor=admin.id,
            reference=True,
        )
        for staff in self.staff:
            fields = {"name": staff.spec.name, "email": staff.spec.login, "role": staff.spec.role, "active": True}
            if staff.spec.role == "lead":
                # A lead sees their own setting: the school's leads its pupils, the home's its residents.
                fields["setting_ids"] = [self.school_id if staff.spec.setting == "school" else self.home_id]
            self.add(start, "staff", fields, record_id=staff.id, profile_id=None, actor=admin.id, reference=True)
        for position, (bid, label, valence, level) in enumerate(self.behaviours, start=1):
            colour = next(c for lab, _v, _l, c in DEMO_BEHAVIOURS if lab == label)
            fields = {"label": label, "valence": valence, "level": level, "colour": colour, "sort_order": position * 10}
            if setting_types := behaviour_setting_types(label):
                fields["setting_types"] = setting_types
            self.add(start, "behaviour_type", fields, record_id=bid, profile_id=None, actor=admin.id, reference=True)
        for kid in self.kids:
            fields = {
                "first_name": kid.first,
                "last_name": kid.last,
                "preferred_name": kid.preferred,
                "date_of_birth": kid.born.isoformat(),
                "group": kid.group,
                "setting_id": self.school_id if kid.setting == "school" else self.home_id,
                "send": kid.send,
                "ehc_plan": kid.ehc,
                "looked_after": kid.looked_after,
                "details": self._details(kid),
            }
            self.add(start, "individual", fields, record_id=kid.id, profile_id=kid.id, actor=admin.id, reference=True)
            for contact in kid.contacts:
                self.add(
                    start,
                    "key_contact",
                    contact,
                    record_id=uuid7(start, self.ids),
                    profile_id=kid.id,
                    actor=admin.id,
                    reference=True,
                )
            for staff in kid.access:
                self.add(
                    start,
                    "access_grant",
                    {"staff_id": staff.id, "granted_by": admin.id},
                    record_id=uuid7(start, self.ids),
                    profile_id=kid.id,
                    actor=admin.id,
                    reference=True,
                )
            for staff in kid.key_staff:
                self.add(
                    start,
                    "key_staff",
                    {"staff_id": staff.id},
                    record_id=uuid7(start, self.ids),
                    profile_id=kid.id,
                    actor=admin.id,
                    reference=True,
                )

    def _details(self, kid: Kid) -> str:
        words = self.words(kid, self.staff[0], month=f"{kid.since:%B %Y}")
        parts = []
        if kid.setting == "home":
            parts.append(self.say(HOME_DETAILS, words))
            if kid.since > self.first_day:
                parts.append("Moved to Willow House in {month}.".format_map(words))
        if kid.send:
            parts.append(self.say(SEND_DETAILS, words))
        if self.chance(0.6):
            parts.append(self.say(INTERESTS, words))
        if kid.looked_after and kid.setting == "school":
            parts.append("Looked after by Northshire; lives with a foster family. Designated teacher: Mrs Whitfield.")
        return " ".join(parts)

    # --- history -------------------------------------------------------------------------------

    def plan_history(self) -> None:
        # Imported here: that module builds on this one (its Seeder, its helpers).
        from server.demo.records_kept import plan_records_kept

        self._clicker()
        self._communications()
        self._incidents()
        self._plans()
        plan_records_kept(self)
        plan_feedback(self)  # it draws only record ids, so the history before it is unchanged
        plan_support_requests(self)  # likewise
        plan_patterns(self)  # from its own generator, so nothing before it changes

    def _days_for(self, kid: Kid) -> list[dt.date]:
        days = self.school_days if kid.setting == "school" else self.days
        return [d for d in days if d >= kid.since]

    def _behaviour(self, kid: Kid) -> str:
        roll = self.rng.random()
        valence = "positive" if roll < kid.positivity else "n/a" if roll < kid.positivity + 0.07 else "negative"
        options = [
            (bid, level)
            for bid, label, v, level in self.behaviours
            if v == valence and behaviour_fits(label, kid.setting)
        ]
        weights = LEVEL_WEIGHTS[valence]
        return self.rng.choices([bid for bid, _ in options], [weights[level] for _, level in options])[0]

    def _clicker(self) -> None:
        for kid in self.kids:
            for day in self._days_for(kid):
                rate = kid.tap_rate * (1.5 if kid.setting == "home" and day.weekday() >= 5 else 1.0)
                for _ in range(self.poisson(rate)):
                    when = self._clicker_time(kid, day)
                    staff = self._on_shift(kid, when)
                    fields = {
                        "behaviour_type_id": self._behaviour(kid),
                        "staff_id": staff.id,
                        "occurred_at": iso(when),
                        "device_id": staff.device,
                    }
                    self.add(
                        when,
                        "clicker_event",
                        fields,
                        record_id=uuid7(when, self.ids),
                        profile_id=kid.id,
                        actor=staff.id,
                    )

    def _clicker_time(self, kid: Kid, day: dt.date) -> dt.datetime:
        if kid.setting == "school":
            _period, hour, minute = self.pick(LESSONS)
            return local(day, hour, minute + self.rng.randrange(55))
        if day.weekday() < 5 and self.chance(0.2):
            return local(day, 7, self.rng.randrange(75))
        if day.weekday() < 5:
            return local(day, 16 + self.rng.randrange(6), self.rng.randrange(60))
        return local(day, 9 + self.rng.randrange(13), self.rng.randrange(60))

    def _on_shift(self, kid: Kid, when: dt.datetime) -> Staff:
        """Who records about the child at this time (the waking-night worker works nights only)."""
        night = kid.setting == "home" and not 6 <= when.astimezone(LONDON).hour < 22
        for _ in range(20):
            staff = self.pick(kid.recorders)
            if (staff.spec.name == NIGHT_WORKER) == night or (staff.spec.role == "lead" and not night):
                return staff
        return staff

    # communications -----------------------------------------------------------------------

    def _communications(self) -> None:
        for setting, total in (("school", SCHOOL_COMMUNICATIONS), ("home", HOME_COMMUNICATIONS)):
            kids = [k for k in self.kids if k.setting == setting]
            base = PER_YEAR * len(YEARS) if setting == "school" else HOME_CHILDREN
            count = round(total * len(kids) / base)
            chosen = self.rng.choices(kids, [k.communication_weight for k in kids], k=count)
            for kid in chosen:
                days = self._days_for(kid)
                if days:
                    self._communication(kid, self.pick(days))

    def _communication(self, kid: Kid, day: dt.date) -> None:
        when = self._clicker_time(kid, day) + dt.timedelta(minutes=self.rng.randrange(5, 90))
        author = self._on_shift(kid, when)
        valence = self.rng.choices(["positive", "negative", "n/a"], [52, 33, 15])[0]
        bank = (SCHOOL_MESSAGES if kid.setting == "school" else HOME_MESSAGES)[valence]
        words = self.words(kid, author, peer=self._peer(kid)[0], subject=self._subject(author))
        message = self.say(bank, words) + self.say(CLOSINGS[valence], words)
        comm_id = uuid7(when, self.ids)
        fields = {
            "valence": valence,
            "author_id": author.id,
            "message": message,
            "created_at": iso(when),
            "added_to_plan": False,
        }
        self.add(when, "communication", fields, record_id=comm_id, profile_id=kid.id, actor=author.id)
        kid.communications.append((when, comm_id, fields))
        responders = [s for s in kid.key_staff if s is not author]
        replies = self.rng.choices([0, 1, 2], [30, 55, 15])[0]
        moment = when
        for responder in self.rng.sample(responders, min(replies, len(responders))):
            moment = moment + dt.timedelta(minutes=self.rng.randrange(20, 26 * 60))
            if moment >= self.end:
                break
            replies_bank = SCHOOL_REPLIES if kid.setting == "school" else HOME_REPLIES
            reply = self.say(replies_bank[valence] + replies_bank["any"], self.words(kid, responder))
            self.add(
                moment,
                "communication_response",
                {"communication_id": comm_id, "author_id": responder.id, "message": reply, "created_at": iso(moment)},
                record_id=uuid7(moment, self.ids),
                profile_id=kid.id,
                actor=responder.id,
            )

    def _subject(self, staff: Staff) -> str:
        return staff.spec.subject or self.pick(SUBJECTS)

    def _peer(self, kid: Kid) -> tuple[str, str | None]:
        """Another child's name for the narrative, and their id when they are one of ours."""
        same = [k for k in self.kids if k.setting == kid.setting and k.group == kid.group and k is not kid]
        if same and self.chance(0.85):
            other = self.pick(same)
            return other.name, other.id
        return self.pick([n for n in GIRLS + BOYS if n not in (kid.first, kid.name)]), None

    # incidents -------------------------------------------------------------------------------

    def _incidents(self) -> None:
        for setting, total in (("school", SCHOOL_INCIDENTS), ("home", HOME_INCIDENTS)):
            kids = [k for k in self.kids if k.setting == setting]
            base = PER_YEAR * len(YEARS) if setting == "school" else HOME_CHILDREN
            count = round(total * len(kids) / base)
            categories = SCHOOL_CATEGORIES if setting == "school" else HOME_CATEGORIES
            chosen = self.rng.choices(kids, [k.incident_weight for k in kids], k=count)
            for kid in chosen:
                days = self._days_for(kid)
                if not days:
                    continue
                category = self.rng.choices(categories, [c["weight"] * _affinity(c, kid) for c in categories])[0]
                self._incident(kid, self.pick(days), category)
        # A few drafts in the last days, not yet submitted (no reference), by the demo staff logins.
        for email in (f"teacher@{DOMAIN}", f"carer@{DOMAIN}"):
            author = next(s for s in self.staff if s.spec.login == email)
            recent = {
                k.id: days
                for k in self.kids
                if author in k.access
                and (days := [d for d in self._days_for(k) if d >= self.anchor - dt.timedelta(days=6)])
            }
            mine = [k for k in self.kids if k.id in recent]  # every demo shows each login's unfinished drafts
            for _ in range(max(1, round(2 * self.scale)) if mine else 0):
                kid = self.pick(mine)
                categories = SCHOOL_CATEGORIES if kid.setting == "school" else HOME_CATEGORIES
                self._incident(kid, self.pick(recent[kid.id]), self.pick(categories[:3]), author=author, draft=True)
        self._written_reports()

    def _incident(self, kid: Kid, day: dt.date, cat: dict[str, Any], *, author: Staff | None = None,
                  draft: bool = False) -> None:  # fmt: skip
        school = kid.setting == "school"
        narrative, place, slot = _narrative(self.pick(cat["what"]))
        when = self._incident_time(kid, day, cat, slot)
        recorder = author or self._on_shift(kid, when)
        if cat["key"] == "night":
            recorder = next(s for s in kid.access if s.spec.name == NIGHT_WORKER)
        recorded = when + dt.timedelta(minutes=self.rng.randrange(15, 240 if school else 600))
        if recorded >= self.end:
            recorded = when + dt.timedelta(minutes=10)
        period, subject = self._lesson(when, recorder)
        peer_name, peer_id = self._peer(kid)
        colleagues = [s for s in dict.fromkeys(kid.recorders) if s is not recorder]
        if draft:  # an unfinished report is shared with the colleagues who were there, not yet with a lead
            colleagues = [s for s in colleagues if s.spec.role != "lead"] or colleagues
        present = self.rng.sample(colleagues, min(len(colleagues), self.rng.choices([0, 1, 2], [45, 40, 15])[0]))
        pi = not draft and self.chance(cat.get("pi", 0.0))
        if pi and not present:
            present = [self.pick(colleagues)]
        adult2 = present[0] if present else recorder
        words = self.words(kid, recorder, adult2=adult2.spec.address, peer=peer_name, subject=subject, period=period)
        incident_id = uuid7(recorded, self.ids)
        location = place or self._location(kid, cat, subject, words)
        fields: dict[str, Any] = {
            "status": "draft" if draft else "submitted",
            "recorded_by": recorder.id,
            "recorded_at": iso(recorded),
            "occurred_at": iso(when),
            "location": location,
            "what_happened": narrative.format_map(words),
            "what_happened_before": self.say(cat["before"], words),
            "staff_present": [s.id for s in present],
            "other_individuals": [peer_id] if peer_id and cat.get("peer") and self.chance(0.8) else [],
        }
        if draft:
            self.add(recorded, "incident", fields, record_id=incident_id, profile_id=kid.id, actor=recorder.id)
            return
        if self.chance(cat.get("injury", 0.0)):
            fields.update(
                injury=True,
                injury_who=self.say(cat.get("injury_who", INJURY_WHO), words),
                injury_details=self.say(INJURY_DETAILS, words),
                injury_treatment=self.say(INJURY_TREATMENT, words),
            )
        fields.update(self._parents(kid, recorder, when))
        if self.chance(0.035 if school else 0.05):
            fields.update(flagged=True, flag_reason=self.say(FLAG_REASONS, words))
        if self.chance(0.78 if school else 0.9):
            bank = {**(SCHOOL_PILD if school else HOME_PILD), **cat.get("pild", {})}
            fields.update(
                pild_perspective=self.say(bank["perspective"], words),
                pild_feelings=self.say(bank["feelings"], words),
                pild_next_time=self.say(bank["next_time"], words),
                pild_triggers=self.say(bank["triggers"], words),
                pild_adjustments=self.say(bank["adjustments"], words),
                pild_comments=self.say(bank["comments"], words),
            )
        if cat.get("discriminatory"):
            fields.update(discriminatory=True, discriminatory_categories=list(cat["discriminatory"]))
        if school and self.chance(cat.get("exclusion", 0.0)):
            fields["exclusions"] = [self._exclusion(day, cat)]
        if pi:
            fields.update(self._physical_intervention(kid, cat, when, recorder, present, fields, words))
        self.add(recorded, "incident", fields, record_id=incident_id, profile_id=kid.id, actor=recorder.id)
        kid.incidents.append((when, incident_id, cat["key"]))
        self._review(kid, incident_id, recorder.id, when, pi, words)
        if pi and school:
            self.school_force.append((kid, incident_id, recorder, recorded, fields["pi_report_route"], words))

    def _incident_time(self, kid: Kid, day: dt.date, cat: dict[str, Any], slot: str | None) -> dt.datetime:
        if "at" in cat:  # a pattern's own times: (hour, minute, minutes it may run on)
            hour, minute, spread = self.pick(cat["at"])
            return local(day, hour, minute + self.rng.randrange(spread))
        when = cat.get("when", "lesson")
        if kid.setting == "school":
            if when == "unstructured":
                hour, minute, spread = self.pick(SLOTS[slot or self.pick(list(SLOTS))])
                return local(day, hour, minute + self.rng.randrange(spread))
            _period, hour, minute = self.pick(LESSONS)
            return local(day, hour, minute + self.rng.randrange(55))
        if when == "night":
            return local(day, self.rng.randrange(0, 4), self.rng.randrange(60))
        if when == "morning" or (day.weekday() < 5 and self.chance(0.12)):
            return local(day, 7, self.rng.randrange(80))
        if day.weekday() < 5:
            return local(day, self.rng.choices(range(15, 24), [3, 6, 8, 10, 10, 9, 8, 5, 3])[0], self.rng.randrange(60))
        return local(day, self.rng.randrange(10, 23), self.rng.randrange(60))

    def _lesson(self, when: dt.datetime, recorder: Staff) -> tuple[str, str]:
        clock = when.astimezone(LONDON)
        period = "the lesson"
        for name, hour, minute in LESSONS:
            if (clock.hour, clock.minute) >= (hour, minute):
                period = name
        return period, self._subject(recorder)

    def _location(self, kid: Kid, cat: dict[str, Any], subject: str, words: dict[str, Any]) -> str:
        if kid.setting == "home":
            return self.say(cat.get("locations", HOME_LOCATIONS), words)
        if cat.get("when", "lesson") == "unstructured":
            return self.say(cat.get("locations", SCHOOL_PLACES), words)
        room = ROOMS.get(subject, "classroom")
        return f"Year {kid.year} {subject} {room}" if not room[0].isupper() else room

    def _parents(self, kid: Kid, recorder: Staff, when: dt.datetime) -> dict[str, Any]:
        later = when + dt.timedelta(minutes=self.rng.randrange(40, 6 * 60))
        if later >= self.end or self.chance(0.05):
            return {}
        method = self.rng.choices(["phone", "in_person", "email", "app_message", "letter"], [60, 10, 15, 10, 5])[0]
        if kid.looked_after and (kid.setting == "home" or self.chance(0.5)):
            if kid.setting == "home" and any(c["relationship"] == "Mother" for c in kid.contacts) and self.chance(0.4):
                return {"parents_informed": True, "parents_informed_by": recorder.id,
                        "parents_informed_at": iso(later), "parents_informed_method": "phone"}  # fmt: skip
            return {"parents_informed": False, "parents_not_informed_reason": self.pick(LOOKED_AFTER_NOT_INFORMED)}
        if self.chance(0.08):
            return {"parents_informed": False, "parents_not_informed_reason": self.pick(NOT_INFORMED)}
        return {"parents_informed": True, "parents_informed_by": recorder.id, "parents_informed_at": iso(later),
                "parents_informed_method": method}  # fmt: skip

    def _exclusion(self, day: dt.date, cat: dict[str, Any]) -> dict[str, Any]:
        start = day + dt.timedelta(days=1)
        while not is_school_day(start) and start < day + dt.timedelta(days=60):
            start += dt.timedelta(days=1)
        reasons = list(cat["reasons"][:1])
        for extra in cat["reasons"][1:]:
            if len(reasons) < 3 and self.chance(0.35):
                reasons.append(extra)
        if cat.get("when") == "unstructured" and self.chance(0.2):
            return {"type": "LNCH", "sessions": 1, "start_date": start.isoformat(), "reasons": reasons}
        sessions = self.rng.choices([1, 2, 4, 6, 10], [10, 45, 25, 15, 5])[0]
        return {"type": "SUSP", "sessions": sessions, "start_date": start.isoformat(), "reasons": reasons}

    def _physical_intervention(
        self,
        kid: Kid,
        cat: dict[str, Any],
        when: dt.datetime,
        recorder: Staff,
        present: list[Staff],
        incident: dict[str, Any],
        words: dict[str, Any],
    ) -> dict[str, Any]:
        bank = HOME_PI if kid.setting == "home" else SCHOOL_PI
        reason = self.say(cat.get("pi_reason", bank["reason"]), words)
        injured = bool(incident.get("injury"))
        started = when + dt.timedelta(minutes=self.rng.randrange(3, 20))
        techniques = []
        total = 0
        staff_ids = [recorder.id, *(s.id for s in present)]
        for technique in self.rng.sample(TECHNIQUES, self.rng.choices([1, 2], [65, 35])[0]):
            minutes = self.rng.choices([1, 2, 3, 5, 8], [25, 30, 25, 15, 5])[0]
            total += minutes
            techniques.append(
                {
                    "technique": technique,
                    "effectiveness": self.rng.choices(EFFECTIVENESS, _rated(technique))[0],
                    "used_by": staff_ids[:2],
                    "duration_minutes": minutes,
                    "reason": reason,
                    "injuries": "",
                }
            )
        deescalation = [
            {"technique": t, "effectiveness": self.rng.choices(EFFECTIVENESS, [25, 45, 30])[0], "notes": ""}
            for t in self.rng.sample(DEESCALATION, self.rng.randrange(2, 5))
        ]
        route = "parents"
        route_reason = ""
        if kid.looked_after and self.chance(0.5):
            route = "local_authority"
            route_reason = self.pick(LA_ROUTE_REASONS).format_map(words)
        return {
            "physical_intervention": True,
            "pi_behaviours_low": self.say(bank["low"], words),
            "pi_behaviours_medium": self.say(bank["medium"], words),
            "pi_behaviours_high": self.say(cat.get("pi_high", bank["high"]), words),
            "pi_staff_response": self.say(bank["response"], words),
            "pi_alternative_responses": self.say(bank["alternatives"], words),
            "pi_deescalation": deescalation,
            "pi_techniques": techniques,
            "pi_started_at": iso(started),
            "pi_ended_at": iso(started + dt.timedelta(minutes=total)),
            "pi_reason": reason,
            "pi_steps_to_avoid": self.say(bank["steps"], words),
            "pi_injuries": f"{incident['injury_who']}: {incident['injury_details']}" if injured else "None.",
            "pi_medical_treatment": incident["injury_treatment"] if injured else "None needed.",
            "pi_plan_followed": self.chance(0.85),
            "pi_support_after": self.say(bank["support"], words),
            "pi_report_route": route,
            "pi_report_route_reason": route_reason,
        }

    def _review(
        self, kid: Kid, incident_id: str, recorder_id: str, when: dt.datetime, pi: bool, words: dict[str, Any]
    ) -> None:
        home = kid.setting == "home"
        if not self.chance(0.92 if home or pi else 0.7):
            return
        hours = self.rng.randrange(3, 44) if self.chance(0.9 if home else 0.75) else self.rng.randrange(49, 120)
        signed = when + dt.timedelta(hours=hours, minutes=self.rng.randrange(60))
        if signed >= self.end:
            return
        leads = [s for s in self.staff if s.spec.role == "lead" and s.spec.setting == kid.setting]
        if not home and not kid.send:
            leads = [s for s in leads if s.spec.name != "Imran Chaudhry"]
        lead = self.pick([s for s in leads if s.id != recorder_id] or leads)
        fields: dict[str, Any] = {
            "status": "reviewed",
            "review_signed_off_by": lead.id,
            "review_signed_off_at": iso(signed),
            "review_staff_spoken_to": self.chance(0.93),
            "review_notes": self.say(HOME_REVIEW_NOTES if home else SCHOOL_REVIEW_NOTES, words),
        }
        if home or pi or self.chance(0.5):
            spoken = when + dt.timedelta(hours=self.rng.randrange(4, 100 if self.chance(0.9) else 170))
            if spoken < self.end:
                by = self.pick([*kid.key_staff, lead])
                fields.update(review_child_spoken_by=by.id, review_child_spoken_at=iso(spoken))
        self.add(signed, "incident", fields, record_id=incident_id, profile_id=kid.id, actor=lead.id, action="update")

    def _written_reports(self) -> None:
        """The written report to the parents after force (a school's statutory clock): mostly sent within hours,
        now and then the next day (late); the two latest not yet — the Compliance screen's overdue clocks. A
        report withheld (the local authority told instead) is a lead's recorded decision; the third latest is
        one, so every demo shows that path."""
        rng = self.reports_rng
        leads = [s for s in self.staff if s.spec.role == "lead" and s.spec.setting == "school"]
        forced = sorted(self.school_force, key=lambda f: f[3])
        # Every change comes after the report was recorded: a create fills in the fields it does not name.
        for number, (kid, incident_id, recorder, when, route, words) in enumerate(reversed(forced)):
            if number < 2:
                continue
            if number == 2 and route != "local_authority":
                route = "local_authority"
                fields = {
                    "pi_report_route": route,
                    # the risk-of-harm reason (the other says the child is looked after, which this one may not be)
                    "pi_report_route_reason": LA_ROUTE_REASONS[-1].format_map(words),
                }
                self.add(when + dt.timedelta(minutes=20), "incident", fields, record_id=incident_id,
                         profile_id=kid.id, actor=recorder.id, action="update")  # fmt: skip
            if route == "local_authority":
                lead = rng.choice(leads)
                decided = min(when + dt.timedelta(minutes=rng.randrange(30, 240)), self.end - dt.timedelta(minutes=1))
                fields = {"pi_report_route_decided_by": lead.id, "pi_report_route_decided_at": iso(decided)}
                self.add(decided, "incident", fields, record_id=incident_id, profile_id=kid.id, actor=lead.id,
                         action="update")  # fmt: skip
                continue
            late = rng.random() < 0.08
            sent = when + (
                dt.timedelta(hours=rng.randrange(18, 30)) if late else dt.timedelta(minutes=rng.randrange(40, 300))
            )
            sent = min(sent, self.end - dt.timedelta(minutes=1))
            sender = recorder if rng.random() < 0.7 else rng.choice(leads)
            fields = {
                "parent_report_sent_by": sender.id,
                "parent_report_sent_at": iso(sent),
                "parent_report_method": rng.choice(["email", "email", "letter", "app_message"]),
            }
            self.add(
                sent, "incident", fields, record_id=incident_id, profile_id=kid.id, actor=sender.id, action="update"
            )

    # smart plans -----------------------------------------------------------------------------

    def _plans(self) -> None:
        ranked = sorted(self.kids, key=lambda k: -len(k.incidents))
        for kid in ranked:
            if len(kid.incidents) < (8 if kid.setting == "school" else 10):
                continue
            incidents = sorted(kid.incidents)
            created = incidents[min(3, len(incidents) - 1)][0] + dt.timedelta(days=self.rng.randrange(2, 10))
            if created >= self.end:
                continue
            versions = 2 if self.chance(0.35) and created + dt.timedelta(days=120) < self.end else 1
            if versions == 2 and created + dt.timedelta(days=260) < self.end and self.chance(0.5):
                versions = 3  # a plan with a longer history
            series: str | None = None
            reviews: list[dict[str, Any]] = []
            for version in range(1, versions + 1):
                series = self._plan(kid, created, version, final=version == versions, series=series, reviews=reviews)
                created += dt.timedelta(days=self.rng.randrange(100, 130))

    def _plan(
        self,
        kid: Kid,
        created: dt.datetime,
        version: int,
        *,
        final: bool,
        series: str | None,
        reviews: list[dict[str, Any]],
    ) -> str:
        """One version of a kid's plan (all its sections); returns the series id. The final version is active
        (its review due soon, overdue or later) or, when recent, a draft; the versions before are archived."""
        leads = [s for s in self.staff if s.spec.role == "lead" and s.spec.setting == kid.setting]
        author = self.pick(
            leads if kid.setting == "home" or not kid.send else [s for s in leads if "SENCo" in s.spec.title]
        )
        words = self.words(kid, author)
        contact = next((c for c in kid.contacts if c.get("parental_responsibility")), None)
        day = created.date().isoformat()
        contributors = [
            {"name": author.spec.name, "role": "staff", "staff_id": author.id, "title": author.spec.title, "date": day},
            *(
                {"name": s.spec.name, "role": "staff", "staff_id": s.id, "title": s.spec.title, "date": day}
                for s in kid.key_staff
                if s is not author
            ),
            {"name": f"{kid.name} {kid.last}", "role": "pupil", "date": day},
        ]
        if contact:
            parent = {"name": contact["name"], "role": "parent", "title": contact["relationship"], "date": day}
            contributors.append(parent)
        linked = [i for w, i, _c in sorted(kid.incidents) if w < created][-6:]
        comms = [(w, i, f) for w, i, f in kid.communications if w < created and f["valence"] != "n/a"][-2:]
        for _w, _i, comm_fields in comms:
            comm_fields["added_to_plan"] = True
        categories = Counter(c for w, _i, c in kid.incidents if w < created)
        bank = HOME_PLAN if kid.setting == "home" else SCHOOL_PLAN
        status = "active" if final else "archived"
        if final and created > self.end - dt.timedelta(days=10) and self.chance(0.5):
            status = "draft"
        review = (created + dt.timedelta(weeks=12)).date()
        if status == "active":
            # Some reviews are due within the week, some overdue, the rest later: the reminders have work.
            review = self.end.date() + dt.timedelta(days=REVIEW_OFFSETS[self._active_plans % len(REVIEW_OFFSETS)])
            self._active_plans += 1
        top = categories.most_common(1)[0][0] if categories else ""
        record_id = uuid7(created, self.ids)
        sections = {name: self.say(options, words) for name, options in PLAN_SECTION_WORDS.items() if name != "targets"}
        fields = {
            "status": status,
            "version": version,
            "series_id": series,
            "plan_type": "interim" if version == 1 and not final else "full",
            "title": f"Smart Plan for {kid.name}",
            "plan_lead": author.id,
            "review_date": review.isoformat(),
            "link_ehcp": kid.ehc,
            "link_ehcp_note": "Outcomes in section E reflected in the targets" if kid.ehc else "",
            "link_pep": kid.looked_after,
            "link_placement_plan": kid.setting == "home",
            "link_risk_assessment": True,
            "link_risk_assessment_note": "Reviewed alongside this plan",
            "contributors": contributors,
            "parent_agrees": True if contact else None,
            "individual_agrees": self.chance(0.8),
            "pupil_voice": self.say(bank["voice"], words),
            "strategies": self._lines(bank["strategies"], words, 4),
            "triggers": self._lines(TRIGGER_LINES.get(top, bank["triggers"]) + bank["triggers"], words, 3),
            "early_signs": self._lines(bank["signs"], words, 3),
            "reasonable_adjustments": self._lines(bank["adjustments"], words, 3),
            "agreed_responses": self._lines(bank["responses"], words, 4),
            "communication_follow_up": self.say(bank["follow_up"], words),
            **sections,
            "targets": [
                {"target": target.format_map(words), "measured_by": measure}
                for target, measure in self.rng.sample(PLAN_SECTION_WORDS["targets"], 2)
            ],
            "review_log": list(reviews),
            "linked_incident_ids": linked,
            "linked_communication_ids": [i for _w, i, _f in comms],
            "created_by": author.id,
            "created_at": iso(created),
        }
        if status != "draft":
            fields["published_at"] = iso(created + dt.timedelta(days=1))
        self.add(created, "smart_plan", fields, record_id=record_id, profile_id=kid.id, actor=author.id)
        reviews.append(
            {
                "date": review.isoformat(),
                "kind": "after_incident" if self.chance(0.4) else "scheduled",
                "changes": "Triggers and the amber strategies updated from recent incidents; targets reviewed.",
                "reviewed_by": author.spec.name,
            }
        )
        if final:
            self._contributions(kid, record_id, created, author, contact)
        return series or record_id

    def _contributions(
        self, kid: Kid, plan_id: str, created: dt.datetime, lead: Staff, contact: dict[str, Any] | None
    ) -> None:
        """Contributions to the current version: staff's own, and recorded on behalf of a parent and the pupil;
        the older ones already folded in by the plan lead (used)."""
        when = created + dt.timedelta(hours=3)
        for on_behalf, options in PLAN_CONTRIBUTIONS.items():
            if on_behalf == "parent_carer" and contact is None:
                continue
            author = self.pick(kid.key_staff or [lead])
            section, text = self.pick(options)
            when += dt.timedelta(days=self.rng.randrange(1, 4))
            if when >= self.end:
                return
            name = {"parent_carer": (contact or {}).get("name", ""), "individual": kid.name}.get(on_behalf, "")
            record_id = uuid7(when, self.ids)
            fields = {
                "plan_id": plan_id,
                "section": section,
                "text": text.format_map(self.words(kid, author)),
                "author_id": author.id,
                "on_behalf_of": "self" if on_behalf == "self" else on_behalf,
                "on_behalf_name": name,
                "created_at": iso(when),
            }
            self.add(when, "plan_contribution", fields, record_id=record_id, profile_id=kid.id, actor=author.id)
            used_at = when + dt.timedelta(days=2)
            if self.chance(0.5) and used_at < self.end:
                self.add(
                    used_at,
                    "plan_contribution",
                    {"used": True},
                    record_id=record_id,
                    profile_id=kid.id,
                    actor=lead.id,
                    action="update",
                )

    def _lines(self, options: list[str], words: dict[str, Any], count: int) -> str:
        chosen = self.rng.sample(list(dict.fromkeys(options)), min(count, len(set(options))))
        return "\n".join(f"- {line.format_map(words)}" for line in chosen)


#: days from the demo's last day to the next review of its active plans, in turn: overdue, due this week, later
REVIEW_OFFSETS = (-3, 4, 30, -9, 2, 45, 60)


def _rated(technique: str) -> list[float]:
    """How staff rate a technique (one stands out as mostly not effective: a pattern for a lead to find)."""
    return TECHNIQUE_EFFECTIVENESS.get(technique, TECHNIQUE_EFFECTIVENESS["default"])


def _narrative(entry: str | dict[str, str]) -> tuple[str, str | None, str | None]:
    """A narrative template, with the place it names and the slot of the school day it happens in, if any."""
    if isinstance(entry, str):
        return entry, None, None
    return entry["text"], entry.get("place"), entry.get("slot")


def _affinity(category: dict[str, Any], kid: Kid) -> float:
    """How likely a category is for this child (distress for SEND, aggression for the most complex...)."""
    weight = 1.0
    if category["key"] in ("distress", "night") and kid.send:
        weight *= 3.0
    if category.get("serious") and kid.incident_weight > 1.5:
        weight *= 1.8
    if category["key"] == "vaping" and (kid.year or 0) < 9:
        weight *= 0.1
    return weight


def _email(first: str, last: str, domain: str) -> str:
    plain = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore").decode()
    clean = "".join(ch for ch in plain if ch.isalnum() or ch == ".")
    return f"{clean}@{domain}"
