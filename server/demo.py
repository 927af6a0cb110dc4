"""`python -m server demo`: seed a demo organisation with a year of realistic history.

    python -m server demo [--db URL] [--scale 1.0] [--days 365] [--anchor YYYY-MM-DD] [--seed N]

"Brightwater Learning Trust (demo)" has a secondary school (Brightwater Academy, Years 7-11) and a
children's home (Willow House): 30 staff across the roles, about 200 children and young people with key
contacts, key staff and access grants, the default clicker catalogue (with a few buttons for the home's
evenings and weekends; each child's taps use only the buttons that fit their setting), leads who see their
own setting only (the admin sees the whole trust), and a year of history up to the
anchor day (today by default): clicker taps on school days and in the home's mornings and evenings,
communications with responses from key staff, incidents with post-incident learning, physical
interventions (mostly in the home) with de-escalation and techniques, suspensions with DfE census reason
codes, reviews and sign-off, and Smart Plans for the children who need them most.

Everything comes from one `random.Random(seed)`, so the same seed and anchor give the same organisation
(only the record versions, which are the server's clock, differ); another anchor gives the same structure
shifted in time. Records are written through the `RecordWriter` like any other server op, and incidents get
their `besmart-NNNNN` references from the same allocation a push uses (`assign_references`), in large
batches within ONE transaction: a seeding that fails leaves nothing behind. The history notifies nobody and
never queues an email; only the last week's records make in-app notifications, so the demo inbox has
something in it. Run again on the same database it changes nothing: it finds the organisation and prints
the logins again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlmodel import Session

from server.admin import DEFAULT_BEHAVIOURS, list_organisations
from server.cli import add_database_argument, command, settings_from
from server.core.config import Settings, SmtpSettings
from server.core.security import Passwords
from server.db import Database
from server.models import Record, UserAccount
from server.services import organisations as orgs
from server.services.clock import server_clock
from server.services.notifications import deliver_notifications
from server.services.records import RecordWriter
from server.services.references import assign_references
from sync.ops import Action

RECORD = Record.__table__
USER = UserAccount.__table__

DEMO_SEED = 20260301
DEMO_ORG_NAME = "Brightwater Learning Trust (demo)"
DEMO_PASSWORD = "besmart-demo-2026"
DOMAIN = "brightwater.example"
SCHOOL_NAME = "Brightwater Academy"
HOME_NAME = "Willow House"
LONDON = ZoneInfo("Europe/London")
#: ops merged per RecordWriter flush
BATCH = 5000
#: only the records of the last days before the anchor make (in-app) notifications
NOTIFY_DAYS = 7
MIN_PASSWORD = 12
NIGHT_WORKER = "Ravi Kumar"

#: school year groups and the children per year group at scale 1; the home's young people
YEARS = (7, 8, 9, 10, 11)
PER_YEAR = 38
HOME_CHILDREN = 8
#: yearly volumes at scale 1 (the clicker's follow from the per-child daily rates)
SCHOOL_INCIDENTS = 900
HOME_INCIDENTS = 300
SCHOOL_COMMUNICATIONS = 2200
HOME_COMMUNICATIONS = 330


class DemoError(Exception):
    """The demo cannot be seeded here; the message says why."""


# --- the people --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffSpec:
    name: str
    title: str
    role: str
    setting: str  # school | home | org
    #: how colleagues refer to them in records ("Ms Price" at school, first names at the home)
    address: str
    email: str = ""
    years: tuple[int, ...] = ()
    subject: str = ""
    extra: str = ""  # send | complex: extra access beyond their year groups

    @property
    def login(self) -> str:
        if self.email:
            return self.email
        first, last = self.name.lower().split(" ", 1)
        return f"{first}.{last.replace(' ', '')}@{DOMAIN}"


STAFF: list[StaffSpec] = [
    StaffSpec("Gemma Walsh", "Data and systems manager", "admin", "org", "Mrs Walsh", f"admin@{DOMAIN}"),
    StaffSpec(
        "Daniel Mensah",
        "Deputy headteacher (behaviour and attendance)",
        "lead",
        "school",
        "Mr Mensah",
        f"lead@{DOMAIN}",
        subject="history",
    ),
    StaffSpec("Sarah Whitfield", "Designated safeguarding lead", "lead", "school", "Mrs Whitfield", subject="RE"),
    StaffSpec("Imran Chaudhry", "SENCo", "lead", "school", "Mr Chaudhry"),
    StaffSpec(
        "Hannah Price",
        "English teacher and Year 8 tutor",
        "staff",
        "school",
        "Ms Price",
        f"teacher@{DOMAIN}",
        years=(8, 10),
        subject="English",
    ),
    StaffSpec("Tom Gallagher", "Head of Year 7", "staff", "school", "Mr Gallagher", years=(7,), subject="maths"),
    StaffSpec("Aisha Rahman", "Head of Year 8", "staff", "school", "Miss Rahman", years=(8,), subject="science"),
    StaffSpec("Chris Okonkwo", "Head of Year 9", "staff", "school", "Mr Okonkwo", years=(9,), subject="RE"),
    StaffSpec("Lucy Hargreaves", "Head of Year 10", "staff", "school", "Mrs Hargreaves", years=(10,), subject="French"),
    StaffSpec("Mark Bennett", "Head of Year 11", "staff", "school", "Mr Bennett", years=(11,), subject="geography"),
    StaffSpec("Rebecca Lloyd", "Science teacher", "staff", "school", "Dr Lloyd", years=(7, 9, 11), subject="science"),
    StaffSpec("James Whitaker", "Maths teacher", "staff", "school", "Mr Whitaker", years=(8, 9, 10), subject="maths"),
    StaffSpec("Priya Desai", "Geography teacher", "staff", "school", "Ms Desai", years=(7, 8, 11), subject="geography"),
    StaffSpec("Owen Davies", "PE teacher", "staff", "school", "Mr Davies", years=(9, 10, 11), subject="PE"),
    StaffSpec("Natalia Kowalczyk", "Art teacher", "staff", "school", "Ms Kowalczyk", years=(7, 8, 9), subject="art"),
    StaffSpec("Ben Fletcher", "History teacher", "staff", "school", "Mr Fletcher", years=(10, 11), subject="history"),
    StaffSpec("Emma Sinclair", "Drama teacher", "staff", "school", "Miss Sinclair", years=(7, 9), subject="drama"),
    StaffSpec("Yusuf Ali", "Computing teacher", "staff", "school", "Mr Ali", years=(8, 10, 11), subject="computing"),
    StaffSpec("Claire Dunn", "Teaching assistant (SEND)", "staff", "school", "Mrs Dunn", years=(7,), extra="send"),
    StaffSpec("Kwame Boateng", "Learning mentor", "staff", "school", "Mr Boateng", years=(9,), extra="complex"),
    StaffSpec("Megan Hughes", "Pastoral support officer", "staff", "school", "Miss Hughes", years=(10, 11)),
    StaffSpec("Fiona Campbell", "Teaching assistant", "staff", "school", "Mrs Campbell", years=(7, 8)),
    StaffSpec("Marcus Reid", "Registered manager, Willow House", "lead", "home", "Marcus"),
    StaffSpec("Joanne Baxter", "Deputy manager, Willow House", "lead", "home", "Jo"),
    StaffSpec("Kofi Asante", "Residential support worker", "staff", "home", "Kofi", f"carer@{DOMAIN}"),
    StaffSpec("Shannon Doyle", "Senior residential support worker", "staff", "home", "Shannon"),
    StaffSpec("Liam Foster", "Residential support worker", "staff", "home", "Liam"),
    StaffSpec("Bethan Morgan", "Residential support worker", "staff", "home", "Bethan"),
    StaffSpec("Ravi Kumar", "Residential support worker (waking nights)", "staff", "home", "Ravi"),
    StaffSpec("Chloe Simmons", "Residential support worker", "staff", "home", "Chloe"),
]

#: the logins printed after seeding: (who, email). A lead sees their own setting only (`setting_ids`).
LOGINS: list[tuple[str, str]] = [
    (f"staff, {SCHOOL_NAME}", f"teacher@{DOMAIN}"),
    (f"lead, {SCHOOL_NAME}", f"lead@{DOMAIN}"),
    (f"lead, {HOME_NAME}", f"marcus.reid@{DOMAIN}"),
    ("admin, whole organisation", f"admin@{DOMAIN}"),
    (f"staff, {HOME_NAME}", f"carer@{DOMAIN}"),
]

#: clicker buttons the demo adds for the children's home (label, valence, level, colour)
HOME_BEHAVIOURS: list[tuple[str, str, str, str]] = [
    ("Helped around the house", "positive", "low", "#2e7d32"),
    ("Joined in at mealtime", "positive", "low", "#00695c"),
    ("Back on time", "positive", "medium", "#1565c0"),
    ("Refused bedtime routine", "negative", "low", "#a84300"),
    ("Missed curfew", "negative", "medium", "#c62828"),
]
#: the demo's catalogue: the default one and the home's buttons
DEMO_BEHAVIOURS = [*DEFAULT_BEHAVIOURS, *HOME_BEHAVIOURS]
#: default buttons about lessons: never tapped for the home's young people (nor the home's for pupils)
SCHOOL_ONLY_BEHAVIOURS = frozenset({"On task", "Off task", "Late to lesson", "Shouting out", "Talking over others"})


def behaviour_fits(label: str, setting: str) -> bool:
    """Whether a clicker button fits a child of this setting (school | home)."""
    if setting == "home":
        return label not in SCHOOL_ONLY_BEHAVIOURS
    return label not in {h[0] for h in HOME_BEHAVIOURS}


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


@dataclass
class DemoResult:
    org_id: str
    org_name: str
    created: bool
    seconds: float
    counts: dict[str, int]
    #: (who, name, email)
    logins: list[tuple[str, str, str]]
    password: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())


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
        self.anchor = anchor
        self.end = dt.datetime(anchor.year, anchor.month, anchor.day, tzinfo=dt.UTC)
        self.first_day = anchor - dt.timedelta(days=days)
        self.days = [self.first_day + dt.timedelta(days=i) for i in range(days)]
        self.school_days = [d for d in self.days if is_school_day(d)]
        self.scale = scale
        self.writes: list[Write] = []
        self.reference: list[Write] = []
        self._order = 0
        self.org_id = self.new_id(local(self.first_day, 9, 0))
        self.school_id = self.new_id(local(self.first_day, 9, 1))
        self.home_id = self.new_id(local(self.first_day, 9, 2))
        self.staff: list[Staff] = []
        self.kids: list[Kid] = []
        self.behaviours: list[tuple[str, str, str, str]] = []  # (id, label, valence, level)

    # --- helpers --------------------------------------------------------------------------------

    def new_id(self, when: dt.datetime) -> str:
        """A UUIDv7 for a record made at `when`, its random bits from the seeded generator."""
        ms = int(when.timestamp() * 1000)
        rand_a, rand_b = self.ids.getrandbits(12), self.ids.getrandbits(62)
        return str(uuid.UUID(int=(ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b))

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
    ) -> None:
        self._order += 1
        write = Write(when, self._order, kind, action, fields, record_id, profile_id, actor)
        (self.reference if reference else self.writes).append(write)

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
        they, them, their, was = PRONOUNS[kid.pronoun]
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
            self.staff.append(Staff(spec, self.new_id(start), f"demo-{slug}"))
        for label, valence, level, _colour in DEMO_BEHAVIOURS:
            self.behaviours.append((self.new_id(start), label, valence, level))
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
            id=self.new_id(local(since, 8, 30)),
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
            id=self.new_id(local(since, 10, 0)),
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
                    record_id=self.new_id(start),
                    profile_id=kid.id,
                    actor=admin.id,
                    reference=True,
                )
            for staff in kid.access:
                self.add(
                    start,
                    "access_grant",
                    {"staff_id": staff.id, "granted_by": admin.id},
                    record_id=self.new_id(start),
                    profile_id=kid.id,
                    actor=admin.id,
                    reference=True,
                )
            for staff in kid.key_staff:
                self.add(
                    start,
                    "key_staff",
                    {"staff_id": staff.id},
                    record_id=self.new_id(start),
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
        self._clicker()
        self._communications()
        self._incidents()
        self._plans()

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
                        when, "clicker_event", fields, record_id=self.new_id(when), profile_id=kid.id, actor=staff.id
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
        comm_id = self.new_id(when)
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
            reply_bank = SCHOOL_REPLIES if kid.setting == "school" else HOME_REPLIES
            reply = self.say(reply_bank[valence] + reply_bank["any"], self.words(kid, responder))
            self.add(
                moment,
                "communication_response",
                {"communication_id": comm_id, "author_id": responder.id, "message": reply, "created_at": iso(moment)},
                record_id=self.new_id(moment),
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
        incident_id = self.new_id(recorded)
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

    def _incident_time(self, kid: Kid, day: dt.date, cat: dict[str, Any], slot: str | None) -> dt.datetime:
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
                    "effectiveness": self.rng.choices(EFFECTIVENESS, [65, 28, 7])[0],
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
            for version in range(1, versions + 1):
                self._plan(kid, created, version, final=version == versions)
                created += dt.timedelta(days=self.rng.randrange(100, 150))

    def _plan(self, kid: Kid, created: dt.datetime, version: int, *, final: bool) -> None:
        leads = [s for s in self.staff if s.spec.role == "lead" and s.spec.setting == kid.setting]
        author = self.pick(
            leads if kid.setting == "home" or not kid.send else [s for s in leads if "SENCo" in s.spec.title]
        )
        words = self.words(kid, author)
        contact = next((c for c in kid.contacts if c.get("parental_responsibility")), None)
        contributors = [
            {"name": author.spec.name, "role": "staff", "staff_id": author.id},
            *({"name": s.spec.name, "role": "staff", "staff_id": s.id} for s in kid.key_staff if s is not author),
            {"name": f"{kid.name} {kid.last}", "role": "pupil"},
        ]
        if contact:
            contributors.append({"name": contact["name"], "role": "parent"})
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
        top = categories.most_common(1)[0][0] if categories else ""
        fields = {
            "status": status,
            "version": version,
            "title": f"Smart Plan for {kid.name} (v{version})",
            "review_date": review.isoformat(),
            "contributors": contributors,
            "pupil_voice": self.say(bank["voice"], words),
            "strategies": self._lines(bank["strategies"], words, 4),
            "triggers": self._lines(TRIGGER_LINES.get(top, bank["triggers"]) + bank["triggers"], words, 3),
            "early_signs": self._lines(bank["signs"], words, 3),
            "reasonable_adjustments": self._lines(bank["adjustments"], words, 3),
            "agreed_responses": self._lines(bank["responses"], words, 4),
            "communication_follow_up": self.say(bank["follow_up"], words),
            "linked_incident_ids": linked,
            "linked_communication_ids": [i for _w, i, _f in comms],
            "created_by": author.id,
            "created_at": iso(created),
        }
        self.add(created, "smart_plan", fields, record_id=self.new_id(created), profile_id=kid.id, actor=author.id)

    def _lines(self, options: list[str], words: dict[str, Any], count: int) -> str:
        chosen = self.rng.sample(list(dict.fromkeys(options)), min(count, len(set(options))))
        return "\n".join(f"- {line.format_map(words)}" for line in chosen)


def _narrative(entry: str | tuple[Any, ...]) -> tuple[str, str | None, str | None]:
    """A narrative template, with the place it names and the slot of the school day it happens in, if any."""
    if isinstance(entry, str):
        return entry, None, None
    text, place, *slot = entry
    return text, place, slot[0] if slot else None


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


# --- writing -----------------------------------------------------------------------------------------------


def _quiet(settings: Settings) -> Settings:
    """The settings with email switched off: the seeder never queues an email, whatever the environment."""
    return replace(settings, smtp=SmtpSettings())


def _write(session: Session, org_id: str, writes: list[Write], notify: Settings | None) -> None:
    writer = RecordWriter(session, server_clock())
    # One query for the whole batch instead of one per op (new records are then known to be new).
    writer.load([w.record_id for w in writes], lock=False)
    for w in writes:
        writer.server_write(
            w.kind, w.action, w.fields, org_id=org_id, record_id=w.record_id, profile_id=w.profile_id, actor_id=w.actor
        )
    numbered = assign_references(writer)
    if notify is not None:
        deliver_notifications(writer, notify, numbered)
    writer.flush()


def find_demo(session: Session) -> str | None:
    """The id of the demo organisation in this database, if it has been seeded."""
    for org_id, name in list_organisations(session):
        if name == DEMO_ORG_NAME:
            return org_id
    return None


def count_records(session: Session, org_id: str) -> dict[str, int]:
    rows = session.execute(
        select(RECORD.c.kind, func.count())
        .where(RECORD.c.org_id == org_id, RECORD.c.deleted.is_(False))
        .group_by(RECORD.c.kind)
    )
    return {kind: count for kind, count in sorted(rows)}


def _logins() -> list[tuple[str, str, str]]:
    names = {s.login: s.name for s in STAFF}
    return [(who, names[email], email) for who, email in LOGINS]


def seed_demo(
    db: Database,
    settings: Settings,
    *,
    scale: float = 1.0,
    days: int = 365,
    anchor: dt.date | None = None,
    seed: int = DEMO_SEED,
    password: str = DEMO_PASSWORD,
) -> DemoResult:
    """Seed the demo organisation (or find it, if it is already there: nothing is changed then)."""
    started = time.perf_counter()
    if len(password) < MIN_PASSWORD:
        raise DemoError(f"the demo password needs at least {MIN_PASSWORD} characters")
    today = dt.datetime.now(dt.UTC).date()
    anchor = anchor or today
    if anchor > today:
        raise DemoError("the anchor day cannot be in the future")
    with db.read_session() as session:
        existing = find_demo(session)
        if existing is not None:
            return DemoResult(
                existing, DEMO_ORG_NAME, False, 0.0, count_records(session, existing), _logins(), password
            )
        emails = [s.login for s in STAFF]
        taken = session.execute(select(USER.c.email).where(USER.c.email.in_(emails))).scalars().all()
        if taken:
            raise DemoError(f"the demo's emails are taken by another organisation: {', '.join(sorted(taken))}")
    seeder = Seeder(seed=seed, anchor=anchor, days=days, scale=scale)
    seeder.plan_people()
    seeder.plan_reference_data()
    seeder.plan_history()
    password_hash = Passwords(settings).hash(password)
    quiet = _quiet(settings)
    history = sorted(seeder.writes, key=lambda w: (w.when, w.order))
    cutoff = seeder.end - dt.timedelta(days=NOTIFY_DAYS)
    old = [w for w in history if w.when < cutoff]
    recent = [w for w in history if w.when >= cutoff]
    with db.session() as session:
        orgs.create_organisation(
            session,
            DEMO_ORG_NAME,
            incident_prefix="besmart",
            help_email=f"help@{DOMAIN}",
            help_phone="01632 960000",
            org_id=seeder.org_id,
            settings=quiet,
        )
        _write(session, seeder.org_id, seeder.reference, None)
        session.execute(update(USER).where(USER.c.org_id == seeder.org_id).values(password_hash=password_hash))
        for start in range(0, len(old), BATCH):
            _write(session, seeder.org_id, old[start : start + BATCH], None)
        for start in range(0, len(recent), BATCH):
            _write(session, seeder.org_id, recent[start : start + BATCH], quiet)
        counts = count_records(session, seeder.org_id)
    return DemoResult(seeder.org_id, DEMO_ORG_NAME, True, time.perf_counter() - started, counts, _logins(), password)


# --- the command ---------------------------------------------------------------------------------------


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_database_argument(parser)
    parser.add_argument("--scale", type=float, default=1.0, help="children (and history) relative to the full demo")
    parser.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    parser.add_argument("--anchor", help="the day the history ends (YYYY-MM-DD; default today)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed (default: the demo's own)")
    parser.add_argument("--password", default=DEMO_PASSWORD, help=f"the demo accounts' password ({MIN_PASSWORD}+)")


def describe(result: DemoResult) -> str:
    counts = ", ".join(
        f"{kind.replace('_', ' ')} {n:,}" for kind, n in sorted(result.counts.items(), key=lambda i: -i[1])
    )
    if result.created:
        head = f"Seeded {result.org_name!r} in {result.seconds:.1f} s: {result.total:,} records"
    else:
        head = f"The demo organisation {result.org_name!r} is already here (nothing changed): {result.total:,} records"
    width = max(len(who) for who, _n, _e in result.logins)
    email_width = max(len(email) for _w, _n, email in result.logins)
    lines = [head, f"  ({counts})", "", f"Organisation: {result.org_name}", "Demo logins:"]
    lines += [f"  {who.ljust(width)}  {email.ljust(email_width)}  {name}" for who, name, email in result.logins]
    lines.append(f"Password for every demo account: {result.password}")
    if not result.created:
        lines[-1] += " (unless it was seeded with --password)"
    return "\n".join(lines)


@command("demo", "seed a demo organisation with a year of history and print its logins", _arguments)
def demo(args: argparse.Namespace) -> int:
    if not 0 < args.scale <= 5:
        print("error: --scale must be above 0 and at most 5", file=sys.stderr)
        return 2
    if not 1 <= args.days <= 3 * 365:
        print("error: --days must be between 1 and 1095", file=sys.stderr)
        return 2
    try:
        anchor = dt.date.fromisoformat(args.anchor) if args.anchor else None
    except ValueError:
        print(f"error: --anchor {args.anchor!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    settings = settings_from(args)
    db = Database(settings.url, pool_size=2)
    try:
        db.upgrade()
        result = seed_demo(
            db, settings, scale=args.scale, days=args.days, anchor=anchor, seed=args.seed, password=args.password
        )
    except DemoError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(describe(result))
    return 0


# --- words ---------------------------------------------------------------------------------------------------

PRONOUNS = {
    "she": ("she", "her", "her", "was"),
    "he": ("he", "him", "his", "was"),
    "they": ("they", "them", "their", "were"),
}

GIRLS = [
    "Amelia", "Olivia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Grace", "Sophia", "Poppy", "Evie", "Ella",
    "Aisha", "Maryam", "Zara", "Hannah", "Chloe", "Jessica", "Ruby", "Phoebe", "Niamh", "Siobhan", "Priya", "Anaya",
    "Amira", "Fatima", "Layla", "Imani", "Esme", "Matilda", "Daisy", "Scarlett", "Holly", "Kiera", "Leah", "Megan",
    "Caitlin", "Maja", "Zuzanna", "Bethany", "Tia", "Nia", "Ellie", "Harriet", "Jasmine", "Alisha", "Khadija",
    "Sienna", "Maisie", "Abigail", "Rosie", "Alexandra", "Rebecca", "Elizabeth", "Chanelle", "Ayesha", "Mei",
]  # fmt: skip
BOYS = [
    "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Charlie", "Jacob", "Muhammad", "Ibrahim",
    "Yusuf", "Ayaan", "Arjun", "Rohan", "Kai", "Tyler", "Ethan", "Mason", "Callum", "Kieran", "Declan", "Connor",
    "Reuben", "Samuel", "Joshua", "Alfie", "Freddie", "Theo", "Finley", "Louis", "Riley", "Jayden", "Kofi",
    "Oluwatobi", "Dylan", "Rhys", "Owen", "Ewan", "Jakub", "Mateusz", "Luca", "Omar", "Hamza", "Zain", "Elijah",
    "Jamal", "Marcus", "Kian", "Logan", "Archie", "Alexander", "Frederick", "Tomasz", "Daniel", "Bilal", "Ryan",
]  # fmt: skip
NEUTRAL = ["Alex", "Jamie", "Rowan", "Sasha", "Robin", "Frankie", "Morgan", "Charlie", "Ash", "Sam"]
PREFERRED = {
    "Samuel": "Sam", "Joshua": "Josh", "Jessica": "Jess", "Matilda": "Tilly", "Elizabeth": "Lizzie",
    "Harriet": "Hattie", "Zuzanna": "Zuzia", "Abigail": "Abbie", "Rebecca": "Becky", "Callum": "Cal",
    "Oluwatobi": "Tobi", "Alexander": "Alex", "Alexandra": "Lexi", "Frederick": "Freddie", "Jakub": "Kuba",
    "Muhammad": "Mo", "Tomasz": "Tom", "Daniel": "Danny", "Ashley": "Ash",
}  # fmt: skip
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Khan", "Ahmed",
    "Hussain", "Begum", "Ali", "Shah", "Singh", "Kaur", "Okafor", "Mensah", "Adeyemi", "Asante", "Nowak",
    "Kowalski", "Murphy", "O'Brien", "Kelly", "MacDonald", "Campbell", "Stewart", "Hughes", "Edwards", "Lewis",
    "Price", "Griffiths", "Baker", "Harris", "Martin", "Cooper", "Ward", "Turner", "Hill", "Moore", "Clark",
    "Mitchell", "Phillips", "Chen", "Nguyen", "Rahman", "Islam", "Miah", "Bailey", "Carter", "Richards", "Foster",
    "Francis", "Henry", "Grant", "Reid", "Fraser", "Lowe", "Marsh", "Hart", "Pearson", "Barker", "Mills", "Shaw",
    "Dixon", "Owen", "Knight", "Fox", "Sutton", "Gill", "Akhtar", "Mahmood", "Mohamed", "Osei", "Boateng",
    "Wiśniewski", "Lungu", "Popescu", "Da Silva", "Costa", "Brennan", "Doherty", "Quinn", "Wong", "Li",
]  # fmt: skip
ADULT_WOMEN = [
    "Sarah", "Emma", "Claire", "Nicola", "Kelly", "Gemma", "Rachel", "Laura", "Amanda", "Joanne", "Nadia", "Shazia",
    "Funmi", "Agnieszka", "Tracey", "Michelle", "Samina", "Grace", "Leanne", "Donna", "Hayley", "Ruth",
]  # fmt: skip
ADULT_MEN = [
    "David", "Paul", "Mark", "Richard", "Stephen", "Lee", "Gareth", "Imran", "Tariq", "Kwabena", "Piotr", "Craig",
    "Darren", "Wayne", "Neil", "Ahmed", "Simon", "Chris", "Dean", "Graham", "Michael", "Anil",
]  # fmt: skip

SUBJECTS = [
    "English", "maths", "science", "history", "geography", "French", "Spanish", "art", "music", "drama", "PE",
    "computing", "design technology", "food technology", "RE", "PSHE",
]  # fmt: skip
#: subject -> room word ("Year 8 science lab") or a room name (capitalised: used as it is)
ROOMS = {
    "science": "lab", "PE": "Sports hall", "art": "Art room A2", "music": "Music room", "drama": "Drama studio",
    "computing": "Computer room IT3", "design technology": "DT workshop", "food technology": "Food technology room",
}  # fmt: skip
SCHOOL_PLACES = [
    "Corridor outside the library", "Canteen", "Playground", "School field", "Bus bay at the end of the day",
    "Main corridor, ground floor", "Changing rooms", "Outside the Year 11 block", "Lunch queue",
    "Stairwell by the science block", "Toilets near the sports hall", "Library",
]  # fmt: skip
HOME_LOCATIONS = [
    "Lounge", "Kitchen", "Dining room", "Own bedroom", "Upstairs landing", "Garden", "Front door and hallway",
    "Games room", "In the car on the way back from school", "Local park", "Staff office",
    "Outside the front of the house",
]  # fmt: skip

LEVEL_WEIGHTS: dict[str, dict[str, float]] = {
    "positive": {"low": 6, "medium": 3, "high": 1},
    "n/a": {"low": 1, "medium": 1, "high": 1},
    "negative": {"low": 7, "medium": 3, "high": 0.4},
}

SEND_DETAILS = [
    "Has a diagnosis of ADHD and takes medication in the morning; regular movement breaks help {them} focus.",
    "Autistic; prefers advance warning of any change and has a quiet-space pass.",
    "Dyslexic: coloured overlays, printed notes and extra time help.",
    "Speech, language and communication needs: give one instruction at a time and check understanding.",
    "Social, emotional and mental health needs; {their} key adult checks in at the start of the day.",
    "Sensory processing differences: ear defenders in {their} bag; may need to leave busy spaces early.",
    "Moderate learning difficulties; works with a teaching assistant in English and maths.",
]
INTERESTS = [
    "Loves football and plays for a local club. Responds well to praise and a bit of humour.",
    "Enjoys drawing and anime; likes helping to set up the art room.",
    "Young carer for a parent, so may be tired in the mornings.",
    "Speaks Polish at home and is making great progress with English.",
    "Keen baker who wants to be a chef.",
    "Plays the drums and is proud of {their} music.",
    "Into gaming and coding; runs the lunchtime Minecraft club with Mr Ali.",
    "Loves animals and helps look after the school's guinea pigs.",
    "A talented swimmer who trains three mornings a week.",
    "Has type 1 diabetes: see the care plan in the medical room.",
]
HOME_DETAILS = [
    "Enjoys the gym and going for walks with staff. Family time with Mum on alternate Saturdays.",
    "Attends a local alternative provision three days a week and is working towards a college place.",
    "Loves cooking with staff on Sunday evenings. Contact with siblings is arranged by the social worker.",
    "Goes to a local secondary school. Likes to see the staff rota, to know who is on shift.",
    "Enjoys fishing and football; has a trial with the local under-16s team.",
    "Keen on music and art; has a guitar lesson on Wednesdays.",
]

# --- incidents: categories, each with its narratives and what learning from it tends to look like ----------

SCHOOL_PILD = {
    "perspective": [
        "{name} said {they} {was} bored because {they} already understood the work and wanted to help others.",
        "{name} said {they} didn't know what {they} {was} supposed to be doing and didn't want to ask in front of "
        "everyone.",
        "{name} said other people were talking too but {they} {was} the one who got picked on.",
        "{name} said {they} had had a bad morning and couldn't concentrate.",
        "{name} said {they} felt everyone was looking at {them} and {they} just wanted to get out of the room.",
        "{name} said {they} {was} still upset about something that happened at break and it spilled over.",
        "{name} said {they} knew it was wrong straight away but couldn't stop once {they} had started.",
    ],
    "feelings": [
        "Frustrated and a bit embarrassed.",
        "Angry, then sorry afterwards.",
        "Wound up and unable to sit still.",
        "Anxious and overwhelmed.",
        "Upset and misunderstood.",
        "Tired and fed up.",
    ],
    "next_time": [
        "Ask for a movement break using {their} time-out card instead of reacting.",
        "Put {their} hand up, or write the question on a sticky note for the teacher.",
        "Tell {their} form tutor at registration on a bad day.",
        "Walk away and find a member of staff on duty.",
        "Use {their} breathing cards and count to ten before answering back.",
        "Go to the inclusion room with {their} pass rather than leaving the lesson.",
    ],
    "triggers": [
        "Long periods of listening without a task; unclear instructions.",
        "Cover lessons and changes to the usual routine.",
        "Being corrected in front of peers.",
        "Unstructured time at break and lunch; friendship difficulties.",
        "Tiredness; had not eaten breakfast.",
        "Tasks with a lot of reading or writing.",
        "Noise and crowding in the corridors between lessons.",
    ],
    "adjustments": [
        "Chunk tasks into short steps with a checklist on the desk.",
        "Seat {name} near the front, away from distractions.",
        "Give quiet, private reminders rather than correcting in front of the class.",
        "Agree a non-verbal signal {name} can use to ask for help.",
        "Offer a meet-and-greet at the door to settle {them} before the lesson.",
        "Allow {name} to leave lessons two minutes early to avoid the busy corridor.",
        "Breakfast club place offered; check in with {their} key adult each morning.",
    ],
    "comments": [
        "Parents were supportive and will talk with {name} at home.",
        "Part of a pattern this half term; to be discussed at the Year team meeting.",
        "{name} apologised to {adult} at the end of the day.",
        "Restorative conversation held the next morning.",
        "",
        "",
    ],
}
HOME_PILD = {
    "perspective": [
        "{name} said nobody listens to {them} and that staff always take the other young people's side.",
        "{name} said {they} just wanted to see {their} mum and it wasn't fair.",
        "{name} said {they} felt trapped when staff stood near the door.",
        "{name} said {they} couldn't remember much of it and that it felt like {their} head was going to explode.",
        "{name} said {they} {was} worried about being moved again if {they} got into trouble.",
        "{name} said {they} had been thinking about {their} family all day and it came out the wrong way.",
    ],
    "feelings": [
        "Angry, let down and sad.",
        "Scared and out of control.",
        "Embarrassed afterwards and worried staff would be cross.",
        "Lonely and left out.",
        "Exhausted.",
    ],
    "next_time": [
        "Ask for time in the garden, or go to {their} room with music on.",
        "Show staff the red card to ask for space.",
        "Talk to {their} key worker before family time, to know what to expect.",
        "Text {their} key worker or ask to go for a walk with staff.",
        "Use the sensory box in the quiet lounge.",
    ],
    "triggers": [
        "Cancelled or changed family time.",
        "Being told no without an explanation.",
        "Evenings and bedtime; tiredness.",
        "Conflict with another young person in the house.",
        "Anniversaries and reminders of the past.",
        "Noise and crowding in the shared spaces.",
    ],
    "adjustments": [
        "Give {name} advance notice of any change to family time, with {their} key worker present.",
        "Offer choices rather than instructions at bedtime.",
        "Keep the lounge calm in the evenings; stagger dinner times.",
        "Agree a time-out space {name} can go to without asking.",
        "Review the phone agreement with {name} at the next house meeting.",
        "Key worker session each week to plan the week ahead together.",
    ],
    "comments": [
        "Social worker informed the next morning.",
        "{name} helped to tidy up afterwards and apologised to staff.",
        "Discussed in the team handover; consistent approach agreed.",
        "",
    ],
}

#: post-incident learning that fits a kind of incident better than the general bank (merged over it)
DISTRESS_PILD = {
    "perspective": [
        "{name} said the noise made {their} head hurt and {they} couldn't think.",
        "{name} said {they} didn't know the plan had changed and it made {them} panic.",
        "{name} said it felt like everyone was staring and {they} needed to hide.",
    ],
    "feelings": ["Scared and overwhelmed.", "Panicky, then very tired afterwards.", "Anxious and embarrassed."],
    "next_time": [
        "Show {their} time-out card and go to the sensory room.",
        "Put {their} ear defenders on as soon as it gets noisy.",
        "Ask {their} key adult what is happening next when plans change.",
    ],
    "triggers": [
        "Sudden loud noise (bells, alarms).",
        "Unexpected changes to the timetable or seating plan.",
        "Noisy group work.",
    ],
}
PEER_PILD = {
    "perspective": [
        "{name} said {peer} had been saying things about {their} family and {they} snapped.",
        "{name} said it was meant as a joke and {they} didn't realise how much it would upset {peer}.",
        "{name} said everyone was watching and {they} felt {they} couldn't back down.",
        "{name} said {they} and {peer} had been falling out online for days.",
    ],
    "feelings": ["Angry and humiliated.", "Ashamed once {they} had calmed down.", "Defensive at first, then sorry."],
    "next_time": [
        "Walk away and tell a member of staff on duty.",
        "Block and report messages instead of replying, and show {their} Head of Year.",
        "Talk it through with {peer}, with an adult there to help.",
    ],
    "triggers": [
        "Comments about family.",
        "Falling-outs on social media spilling into school.",
        "Unstructured time with a large audience.",
    ],
    "adjustments": [
        "Restorative meeting with {peer}, supported by the Head of Year.",
        "An agreed safe space to go at lunchtime for the next two weeks.",
        "Sessions with the learning mentor on managing conflict.",
    ],
}
PREJUDICE_PILD = {
    **PEER_PILD,
    "adjustments": [
        "Education session with the DSL on the impact of prejudiced language.",
        "Restorative meeting with {peer}, if {peer} wants one.",
        "Work with the PSHE lead on respect and equality.",
    ],
}
ADULT_PILD = {
    "perspective": [
        "{name} said {adult} was having a go at {them} for no reason.",
        "{name} said {they} felt embarrassed being challenged in front of friends and lashed out.",
        "{name} said {they} regretted it as soon as the words came out.",
    ],
    "feelings": ["Embarrassed and angry.", "Cornered.", "Sorry afterwards."],
}
CHOICES_PILD = {
    "perspective": [
        "{name} said lots of people do it and {they} didn't think {they} would get caught.",
        "{name} said {they} {was} sorry and didn't really know why {they} did it.",
    ],
    "feelings": ["Worried about what home would say.", "Embarrassed."],
}

SCHOOL_CATEGORIES: list[dict[str, Any]] = [
    {
        "key": "disruption",
        "weight": 28,
        "reasons": ["DB"],
        "exclusion": 0.01,
        "what": [
            "During {period} {subject}, {name} repeatedly called out across the room and talked over {adult} while "
            "instructions were being given. {adult} used the warning steps and reminded {them} of the expectations. "
            "{name} carried on and was asked to take five minutes outside with the on-call member of staff. {They} "
            "came back calmly and finished the starter.",
            "{name} was throwing small pieces of rubber across the room during {subject} and laughing with friends "
            "when asked to stop. After two reminders {they} {was} moved to a seat at the front. {name} settled for "
            "the rest of the lesson but did not finish the written task.",
            "While the class were working in silence on a {subject} assessment, {name} started tapping loudly on the "
            "desk and making comments to {peer}. {adult} spoke to {them} quietly and offered a movement break, which "
            "{they} refused. The disruption continued and {name} went to the inclusion room for the rest of the "
            "lesson.",
            "{name} arrived at {subject} twelve minutes late without a note and walked round the room talking to "
            "other pupils before sitting down. {They} found it hard to settle and needed several reminders to start.",
            "In {subject}, {name} kept making noises and singing while {adult} was explaining the task, and the class "
            "found it hard to concentrate. {adult} used {their} name and a quiet reminder, then moved {them} next to "
            "the teaching assistant. {name} completed about half of the work.",
        ],
        "before": [
            "The class had a cover teacher for the second lesson running.",
            "{name} had come straight from PE and was still very excitable.",
            "{They} had been involved in a falling-out at break time.",
            "The lesson started late because the previous class overran.",
            "It was the last lesson on a Friday afternoon.",
            "{name} had been given a detention earlier in the day, which {they} felt was unfair.",
            "Nothing unusual was noticed before the lesson.",
        ],
    },
    {
        "key": "refusal",
        "weight": 18,
        "reasons": ["DB"],
        "exclusion": 0.02,
        "what": [
            "{name} refused to start the {subject} task, put {their} head on the desk and said {they} {was}n't doing "
            "it. {adult} gave take-up time and offered to help with the first question. {name} started the work "
            "after about ten minutes.",
            "When asked to move seats in {subject}, {name} refused and said {they} would not move. {adult} gave "
            "{them} take-up time and two choices; {name} stayed put and would not join in with the lesson. A member "
            "of the pastoral team came to the room and {name} agreed to go with them to the inclusion room.",
            "{name} would not hand over {their} phone after it was seen during {subject}, as the school policy asks. "
            "{They} put it in {their} bag and said {they} would only give it to {their} Head of Year, who collected "
            "it later; it was returned at the end of the day.",
            "{name} would not take {their} coat off in {subject} and refused to get out {their} equipment. {They} told "
            "{adult} to leave {them} alone. {adult} left it for a few minutes and came back with a choice of tasks; "
            "{name} chose one and made a start.",
        ],
        "before": [
            "{name} had arrived late to school and missed breakfast.",
            "The seating plan had been changed that morning.",
            "{They} had received a low mark in a test the previous lesson.",
            "{name} had been in an argument with a friend on the way to school.",
            "Nothing unusual was noticed before the lesson.",
        ],
    },
    {
        "key": "leaving",
        "weight": 12,
        "reasons": ["DB"],
        "exclusion": 0.01,
        "what": [
            "{name} walked out of {subject} without permission after being asked to move seats. {They} {was} found "
            "ten minutes later in the toilets by a member of the pastoral team and agreed to go back to the lesson.",
            "{name} left the {subject} lesson saying {they} needed the toilet and did not come back. On-call staff "
            "found {them} on the school field twenty minutes later. {They} said {they} just needed some air.",
            "During {period}, {name} left the classroom and was seen walking round the corridors, knocking on other "
            "classroom doors. On-call staff spoke with {them} and walked with {them} to the inclusion room.",
        ],
        "before": [
            "The lesson was a timed practice paper.",
            "{name} had been told off in front of the class for talking.",
            "{They} had seemed low since registration.",
            "Nothing unusual was noticed before the lesson.",
        ],
    },
    {
        "key": "verbal_adult",
        "pild": ADULT_PILD,
        "weight": 10,
        "reasons": ["VA", "DB"],
        "exclusion": 0.12,
        "serious": True,
        "what": [
            "When {adult} asked {name} to put {their} phone away in {subject}, {name} swore at {adult} in front of "
            "the class and walked to the back of the room. {name} was collected by on-call staff and later talked "
            "it through with {their} Head of Year.",
            "{name} became angry when {adult} challenged {their} uniform in the corridor. {They} shouted and swore at "
            "{adult}, then walked off towards the canteen. {name} was seen later by {their} Head of Year and was "
            "able to talk about what had happened.",
            "In {subject}, {name} told {adult} to shut up and used offensive language after being given a warning "
            "for talking. The rest of the class were visibly unsettled.",
            "{name} made a threatening comment to {adult} after being told {they} would have a detention, saying "
            "{they} would get {adult} back. {name} was removed from the lesson by the on-call member of staff.",
        ],
        "before": [
            "{name} had been given two warnings earlier in the lesson.",
            "{They} had been excluded from a football match at lunch.",
            "There was tension in the class after an incident at break.",
            "{name} had told a teaching assistant that morning that things were difficult at home.",
        ],
    },
    {
        "key": "unkind",
        "pild": PEER_PILD,
        "weight": 10,
        "reasons": ["VP", "BU"],
        "exclusion": 0.05,
        "peer": True,
        "when": "unstructured",
        "what": [
            (
                "{name} made repeated unkind comments about {peer}'s appearance in the lunch queue. {peer} became "
                "upset and told a member of staff on duty, who separated them and spoke to both pupils.",
                "Lunch queue",
                "lunch",
            ),
            (
                "At lunchtime, {name} and a small group of friends were seen following {peer} round the playground and "
                "calling names. Staff on duty stepped in and spoke to both pupils separately. {peer} said it had been "
                "happening for a few days.",
                "Playground",
                "lunch",
            ),
            (
                "{name} threatened {peer} near the bus bay, saying {they} would get {peer} after school, following an "
                "argument about a football game. Staff walked {peer} to the bus and spoke with {name}.",
                "Bus bay at the end of the day",
                "end",
            ),
            (
                "{name} excluded {peer} from a group in the canteen and encouraged others to laugh at {peer}. {peer} "
                "went to the pastoral office in tears.",
                "Canteen",
                "lunch",
            ),
        ],
        "before": [
            "There had been a falling-out in the friendship group over the weekend.",
            "Comments had been made in a group chat the night before.",
            "{name} and {peer} had been in a disagreement during PE.",
            "Nothing unusual was noticed beforehand.",
        ],
    },
    {
        "key": "fight",
        "pild": PEER_PILD,
        "weight": 8,
        "reasons": ["PP", "VP"],
        "exclusion": 0.3,
        "peer": True,
        "serious": True,
        "when": "unstructured",
        "injury": 0.35,
        "pi": 0.07,
        "injury_who": ["{peer} (pupil)", "{name}", "{name} and {peer}"],
        "what": [
            (
                "At lunchtime on the field, {name} and {peer} argued over a football game. {name} pushed {peer} to "
                "the ground and kicked out at {peer}'s legs. Staff on duty separated them and took each to a "
                "different space to calm down.",
                "School field",
                "lunch",
            ),
            (
                "In the corridor between lessons, {name} punched {peer} on the arm after {peer} made a comment about "
                "{their} family. Both pupils were separated and spoken to by the Head of Year.",
                "Main corridor, ground floor",
                "change",
            ),
            (
                "{name} grabbed {peer} by the collar in the queue for the canteen and pushed {peer} against the wall. "
                "A member of staff stepped in and {name} let go when asked.",
                "Lunch queue",
                "lunch",
            ),
            (
                "{name} and {peer} started fighting at the bus bay at the end of the day, with a crowd gathering round "
                "them. Staff on duty moved the crowd on and separated the two pupils.",
                "Bus bay at the end of the day",
                "end",
            ),
        ],
        "before": [
            "There had been comments on social media the evening before.",
            "{name} and {peer} had argued during the morning's lessons.",
            "{name} had been teased about {their} trainers at break.",
            "A game of football had become heated.",
        ],
    },
    {
        "key": "assault_adult",
        "pild": ADULT_PILD,
        "pi_high": ["Kicking and pushing {adult} and trying to leave the site."],
        "pi_reason": ["To prevent further injury to {adult} and to stop {name} leaving the school site."],
        "weight": 2,
        "reasons": ["PA", "VA"],
        "exclusion": 0.6,
        "serious": True,
        "injury": 0.3,
        "pi": 0.3,
        "injury_who": ["{adult} (staff)"],
        "what": [
            "When {adult} stood in the doorway to stop {name} leaving the building, {name} pushed past and shoved "
            "{adult} in the shoulder with both hands. {name} ran to the field and was followed at a distance by "
            "{adult2} until {they} {was} calm enough to talk.",
            "{name} kicked out at {adult} while being guided away from an argument with another pupil. {name} later "
            "said {they} didn't mean to hurt anyone.",
        ],
        "before": [
            "{name} had been in a heated argument with another pupil just before.",
            "{They} had been told {they} could not go on the school trip.",
        ],
    },
    {
        "key": "damage",
        "weight": 6,
        "reasons": ["DM"],
        "exclusion": 0.15,
        "what": [
            "{name} swept everything off the desk in {subject} and kicked over a chair after getting a low mark in "
            "a test. A display board was torn. {adult} cleared the area near {them} and gave {them} time to calm.",
            "{name} wrote graffiti on the toilet walls in permanent marker during {period}. {They} admitted it when "
            "asked by {their} Head of Year and agreed to help the site team clean it off.",
            "{name} deliberately broke a set of {subject} equipment after being told to stop playing with it. {They} "
            "apologised later in the day.",
        ],
        "before": [
            "{name} had been waiting for test results all week.",
            "{They} had been sent out of an earlier lesson.",
            "Nothing unusual was noticed beforehand.",
        ],
    },
    {
        "key": "online",
        "pild": PEER_PILD,
        "weight": 4,
        "reasons": ["MT", "BU"],
        "exclusion": 0.12,
        "peer": True,
        "what": [
            "{name} took a photo of {peer} in {subject} without permission and shared it in a group chat with an "
            "unkind caption. {peer}'s parent contacted the school.",
            "{name} used {their} phone during {subject} to film the lesson; the video was later posted online. {They} "
            "deleted it when asked by {their} Head of Year.",
        ],
        "before": [
            "There had been an ongoing falling-out in a group chat.",
            "Phones had been a problem in this class all week.",
        ],
    },
    {
        "key": "distress",
        "pild": DISTRESS_PILD,
        "pi_high": ["Running out of the building towards the main road."],
        "pi_reason": ["To stop {name} running into the main road."],
        "weight": 9,
        "reasons": [],
        "exclusion": 0.0,
        "pi": 0.03,
        "what": [
            "{name} became very distressed in {subject} when the fire alarm test went off without warning. {They} "
            "covered {their} ears, got under the desk and would not come out. {adult} cleared the nearby tables, "
            "spoke calmly and offered {their} ear defenders. After about fifteen minutes {name} came out and went to "
            "the sensory room with a teaching assistant.",
            "{name} started crying and rocking during {subject} after the seating plan was changed without warning. "
            "{They} {was} supported to go to the calm space, where {they} used {their} breathing cards and came back "
            "for the last part of the lesson.",
            "During group work in {subject}, {name} became overwhelmed by the noise, shouted and ran out to the "
            "stairwell. {adult} followed at a distance, kept talking calmly and waited until {name} was ready to walk "
            "to the inclusion room.",
        ],
        "before": [
            "{name}'s usual teaching assistant was absent.",
            "It was a non-uniform day and the school was noisier than usual.",
            "{name} had told {their} key adult that {they} had not slept well.",
            "The timetable had changed for an assembly.",
        ],
    },
    {
        "key": "discrimination_racist",
        "pild": PREJUDICE_PILD,
        "weight": 1.2,
        "reasons": ["RA"],
        "exclusion": 0.25,
        "peer": True,
        "discriminatory": ["racist"],
        "serious": True,
        "what": [
            "During {subject}, {name} made a racist remark about {peer}'s family background. {adult} challenged the "
            "comment at once and recorded it as a prejudice-related incident. {peer} was upset and was supported "
            "by the Head of Year.",
        ],
        "before": ["{name} and {peer} had argued at break.", "Nothing unusual was noticed beforehand."],
    },
    {
        "key": "discrimination_lgbt",
        "pild": PREJUDICE_PILD,
        "weight": 1.0,
        "reasons": ["LG"],
        "exclusion": 0.2,
        "peer": True,
        "discriminatory": ["homophobic_or_biphobic"],
        "when": "unstructured",
        "what": [
            (
                "{name} used a homophobic term about {peer} in front of other pupils in the changing rooms. Staff "
                "challenged it straight away and {name} was spoken to by the Head of Year about why it was hurtful.",
                "Changing rooms",
                "change",
            ),
        ],
        "before": ["Nothing unusual was noticed beforehand.", "The group had been teasing each other all lesson."],
    },
    {
        "key": "discrimination_disability",
        "pild": PREJUDICE_PILD,
        "weight": 0.6,
        "reasons": ["DS"],
        "exclusion": 0.2,
        "peer": True,
        "discriminatory": ["disability"],
        "when": "unstructured",
        "what": [
            (
                "{name} mimicked the way {peer} speaks and used a disablist word towards {peer} in the canteen queue. "
                "Staff on duty challenged it and {peer} was supported by {their} key adult.",
                "Lunch queue",
                "lunch",
            ),
        ],
        "before": ["Nothing unusual was noticed beforehand."],
    },
    {
        "key": "vaping",
        "pild": CHOICES_PILD,
        "weight": 2,
        "reasons": ["DA"],
        "exclusion": 0.35,
        "when": "unstructured",
        "locations": ["Toilets near the sports hall", "Behind the sports hall", "Year 11 toilets"],
        "what": [
            (
                "{name} was found vaping in the toilets at lunchtime. {They} handed over the vape when asked. The "
                "school's substance-misuse guidance was followed and {name} was offered a session with the school "
                "nurse.",
                "Toilets near the sports hall",
                "lunch",
            ),
        ],
        "before": ["Staff had noticed a group gathering in the toilets at lunch that week."],
    },
    {
        "key": "theft",
        "pild": CHOICES_PILD,
        "weight": 1,
        "reasons": ["TH"],
        "exclusion": 0.2,
        "peer": True,
        "when": "unstructured",
        "locations": ["Changing rooms", "Canteen", "Library"],
        "what": [
            (
                "{peer}'s phone went missing from the PE changing room. It was later found in {name}'s bag. {name} "
                "said {they} had picked it up by mistake; {they} gave it back and apologised.",
                "Changing rooms",
                "change",
            ),
        ],
        "before": ["Nothing unusual was noticed beforehand."],
    },
]

HOME_CATEGORIES: list[dict[str, Any]] = [
    {
        "key": "contact",
        "locations": ["Lounge", "Kitchen", "Own bedroom", "Upstairs landing"],
        "weight": 20,
        "pi": 0.1,
        "injury": 0.05,
        "injury_who": ["{name}"],
        "what": [
            "After a phone call with Mum was cut short, {name} became very upset. {They} shouted, "
            "threw cushions and slammed {their} bedroom door again and again. {adult} stayed nearby, kept {their} "
            "voice low and offered a drink and some time in the garden. After about forty minutes {name} came down "
            "and watched a film with staff.",
            (
                "Family time with Dad was cancelled at short notice. {name} took the news badly, swore at staff and "
                "kicked the kitchen cupboards. Staff gave {them} space, reassured {them} it was not {their} fault, and "
                "{adult2} took {them} for a drive to the shop, which helped {them} calm.",
                "Kitchen",
            ),
            (
                "{name} came back from family time quiet and withdrawn, then became angry when asked about {their} "
                "day. {They} shouted at {adult} and threw {their} shoes down the hallway. Staff gave {them} time and "
                "{name} later talked with {their} key worker about missing home.",
                "Front door and hallway",
            ),
        ],
        "before": [
            "Family time had been rearranged twice that month.",
            "{name} had been looking forward to the visit all week.",
            "{name} had found out that a sibling had been to visit Mum without {them}.",
        ],
    },
    {
        "key": "verbal",
        "locations": ["Kitchen", "Dining room", "Lounge", "Upstairs landing"],
        "weight": 22,
        "pi": 0.02,
        "what": [
            "{name} was asked to hand in {their} phone at the agreed time. {They} refused, shouted at "
            "{adult} and used offensive language for around twenty minutes. Staff stayed calm, reminded {them} of "
            "the house agreement and gave {them} time. {name} handed the phone in forty minutes later.",
            (
                "During dinner, {name} became angry with {peer} over the TV remote and shouted threats across the "
                "table. {adult} asked {peer} to move to the lounge and stayed with {name} in the kitchen until {they} "
                "{was} calmer.",
                "Dining room",
            ),
            "{name} called {adult} names and made threats after being told {they} could not have friends round "
            "on a school night. {adult2} took over and {name} went to {their} room to listen to music.",
        ],
        "before": [
            "{name} had had a difficult day at school.",
            "The house had been noisy all evening.",
            "{name} had been arguing with {peer} since the afternoon.",
            "{They} had been told earlier that a planned trip was postponed.",
        ],
    },
    {
        "key": "damage",
        "weight": 14,
        "pi": 0.08,
        "injury": 0.25,
        "injury_who": ["{name}"],
        "locations": ["Own bedroom", "Kitchen", "Lounge", "Upstairs landing"],
        "what": [
            (
                "{name} punched a hole in {their} bedroom door after an argument with staff about bedtime. {They} hurt "
                "{their} knuckles, which were checked and cleaned by staff.",
                "Own bedroom",
            ),
            (
                "{name} threw a mug at the kitchen wall and it smashed. Nobody was hurt. Staff asked the other young "
                "people to go to the lounge and cleared the broken pieces once {name} had moved away.",
                "Kitchen",
            ),
            (
                "{name} pulled the curtains down in the lounge and tipped over a chair after losing a game online. "
                "{adult} gave {them} space and later {name} helped to put the room back together.",
                "Lounge",
            ),
        ],
        "before": [
            "{name} had been refused extra time on the games console.",
            "It was late and {name} was tired.",
            "{name} had received a message from someone at school that upset {them}.",
        ],
    },
    {
        "key": "aggression",
        "locations": ["Lounge", "Dining room", "Upstairs landing", "Games room", "Garden"],
        "weight": 9,
        "pi": 0.65,
        "injury": 0.3,
        "peer": True,
        "serious": True,
        "injury_who": ["{peer} (young person)", "{name}"],
        "pi_high": ["Swinging a chair towards {peer}.", "Punching {peer} repeatedly and not stopping when asked."],
        "pi_reason": ["To prevent {name} from seriously injuring {peer}."],
        "what": [
            "{name} became very agitated after being told {they} could not go out with friends that evening. {They} "
            "picked up a chair and swung it towards {peer}. {adult} and {adult2} moved {peer} away and asked {name} "
            "to put the chair down. When {name} lunged at {peer} again, staff stepped in to keep everyone safe.",
            (
                "{name} and {peer} argued about borrowing clothes. It escalated to pushing and {name} "
                "began punching {peer}. Staff stepped between them and guided {name} away.",
                "Upstairs landing",
            ),
        ],
        "before": [
            "{name} had been unsettled since a meeting with {their} social worker that afternoon.",
            "Tension had been building between {name} and {peer} all week.",
            "{name} had been refused permission to go to a party.",
        ],
    },
    {
        "key": "aggression_staff",
        "weight": 5,
        "pi": 0.6,
        "injury": 0.3,
        "serious": True,
        "injury_who": ["{adult} (staff)", "{name}"],
        "pi_high": ["Kicking and hitting {adult} repeatedly in the hallway."],
        "pi_reason": ["To prevent serious injury to staff after repeated kicks and punches."],
        "locations": ["Front door and hallway", "Upstairs landing", "Kitchen"],
        "what": [
            (
                "{name} repeatedly kicked and hit out at {adult} in the hallway after being asked to come away from "
                "the front door late in the evening. {adult2} came to help and {name} was guided to the quiet lounge.",
                "Front door and hallway",
            ),
            (
                "{name} threw a plate at {adult} and then punched {adult} on the arm when asked to clear the table. "
                "{adult2} took over and gave {name} space in the garden.",
                "Dining room",
            ),
        ],
        "before": [
            "{name} had been refused permission to go out with friends.",
            "{name} had been on edge all day after a difficult phone call.",
        ],
    },
    {
        "key": "missing",
        "weight": 8,
        "when": "evening",
        "locations": ["Front door and hallway", "Outside the front of the house", "Local park"],
        "what": [
            "{name} left the home without agreement after a disagreement about {their} curfew. Staff "
            "followed the missing-from-care protocol: they searched the local area, tried {their} phone and informed "
            "the police and the on-call manager. {name} came back on {their} own two hours later and was welcomed back "
            "calmly. A return-home interview was arranged.",
            "{name} did not come home at the agreed time and was not answering {their} phone. Staff reported "
            "{them} missing to the police as the protocol requires. {name} was found by police in the town centre "
            "later that night and brought back; {they} said {they} had been with friends.",
        ],
        "before": [
            "{name} had been talking about meeting friends from {their} old area.",
            "{name} had argued with staff about the curfew earlier in the day.",
        ],
    },
    {
        "key": "school_refusal",
        "weight": 10,
        "when": "morning",
        "locations": ["Own bedroom", "Kitchen", "Upstairs landing"],
        "what": [
            (
                "{name} refused to get up for school and told staff to leave {them} alone. {adult} tried again at 8am "
                "and 9am with breakfast and an offer of a lift. {name} stayed at home; school was informed and work "
                "was sent home.",
                "Own bedroom",
            ),
            (
                "{name} got ready for school but refused to get in the car, saying {they} felt sick and didn't want to "
                "see certain people there. {adult} sat with {them} and agreed a late start; {name} went in at 11am.",
                "Outside the front of the house",
            ),
        ],
        "before": [
            "{name} had been anxious about a test at school.",
            "{name} had gone to sleep late after being on {their} phone.",
            "There had been a falling-out with friends at school the day before.",
        ],
    },
    {
        "key": "night",
        "weight": 6,
        "when": "night",
        "locations": ["Own bedroom", "Upstairs landing"],
        "what": [
            (
                "{name} woke in the night very distressed after a nightmare and began banging on the walls and "
                "shouting. Waking night staff sat with {them}, offered a hot drink and {their} weighted blanket, and "
                "{name} settled about an hour and a half later.",
                "Own bedroom",
            ),
            (
                "{name} was up in the night and became upset when asked to go back to bed, shouting and waking the "
                "other young people. Ravi stayed calm, talked quietly with {them} on the landing and {name} went back "
                "to bed.",
                "Upstairs landing",
            ),
        ],
        "before": [
            "{name} had a review meeting coming up and had been worried about it.",
            "It was the anniversary of {name} coming into care.",
        ],
    },
]

INJURY_WHO = ["{name}"]
INJURY_DETAILS = [
    "Graze to the knee.",
    "Red mark on the forearm; no swelling.",
    "Small cut to the knuckles.",
    "Bump to the back of the head; no loss of consciousness.",
    "Scratch on the hand.",
]
INJURY_TREATMENT = [
    "First aid from a trained first-aider; cleaned and a plaster applied.",
    "Ice pack applied; checked again an hour later.",
    "Checked by the school nurse; no further treatment needed.",
    "Head-injury advice given and parents told what to look out for.",
]
NOT_INFORMED = [
    "Tried Mum's mobile twice and left a voicemail; will try again tomorrow morning.",
    "No answer on either number; a letter was sent home.",
    "Dad asked that the school only contact him in writing; an email was sent.",
]
LOOKED_AFTER_NOT_INFORMED = [
    "Contact with birth family is managed by Northshire Children's Services; the social worker was told by phone.",
    "Informing birth parents is not agreed in the placement plan; the social worker was emailed the same day.",
    "The out-of-hours social work team was informed as the allocated social worker was on leave.",
]
FLAG_REASONS = [
    "Third incident at lunchtime this week; for discussion at the pastoral meeting.",
    "Possible safeguarding concern: passed to the DSL.",
    "Escalating pattern; consider reviewing the support plan.",
    "Another young person involved: check their records too.",
]
EFFECTIVENESS = ["effective", "partly_effective", "not_effective"]
DEESCALATION = [
    "Calm, low voice and open body language",
    "Offered choices",
    "Reduced the audience (asked others to leave)",
    "Gave time and space",
    "Distraction with a favourite activity",
    "Change of face (another member of staff took over)",
    "Reassurance and naming the feeling",
    "Moved to a quieter space",
    "Humour",
    "Reminded of the agreed plan and calm-down strategy",
]
TECHNIQUES = [
    "Two-person guided escort",
    "Single-person supportive hold (arm)",
    "Seated supportive hold",
    "Guiding hand on the upper arm",
    "Standing two-person hold",
]
LA_ROUTE_REASONS = [
    "{name} is looked after: the placing authority's social worker was informed, as the placement plan sets out.",
    "Telling Dad would be likely to put {name} at risk of significant harm (see the placement plan); the social "
    "worker at Northshire Children's Services was informed instead.",
]
SCHOOL_PI = {
    "low": ["Pacing, clenched fists and a raised voice.", "Swearing under {their} breath and refusing to talk."],
    "medium": ["Shouting and swearing at staff, kicking chairs.", "Squaring up to {peer} and throwing a bag."],
    "high": ["Punching and kicking {peer} and not stopping when asked."],
    "response": [
        "Staff used a calm voice and asked other pupils to move away. When someone was about to be hurt, two "
        "members of staff stepped in to keep everyone safe.",
    ],
    "alternatives": [
        "Move the crowd on sooner so {name} has less of an audience.",
        "Use {name}'s time-out pass earlier, before things escalate.",
    ],
    "reason": ["To prevent {name} from seriously injuring {peer}."],
    "steps": [
        "Verbal de-escalation, offering time out, asking the crowd to leave and a change of face before any physical "
        "intervention.",
    ],
    "support": [
        "{name} was taken to the medical room, checked for injuries and offered a drink. {Their} Head of Year "
        "talked it through with {them} and parents were phoned the same afternoon.",
    ],
}
HOME_PI = {
    "low": [
        "Pacing, clenched fists, raised voice, refusing to talk.",
        "Swearing under {their} breath and slamming doors.",
        "Going quiet and pulling {their} hood up.",
    ],
    "medium": [
        "Shouting and swearing at staff, throwing cushions, kicking furniture.",
        "Threatening to hit {peer}; squaring up to staff.",
    ],
    "high": [
        "Throwing heavy objects at staff in a small space.",
        "Climbing onto the kitchen worktop and throwing crockery at staff.",
    ],
    "response": [
        "Staff used a calm voice, gave {name} space and offered choices. When {name} kept going, two staff "
        "stepped in to keep everyone safe.",
        "{adult} and {adult2} kept a safe distance, reduced the audience and offered the garden. When {name} "
        "continued to hit out, staff used the least restrictive hold for the shortest time.",
    ],
    "alternatives": [
        "Move the other young people away sooner so {name} has less of an audience.",
        "Offer the garden earlier, before {name} gets to the point of throwing things.",
        "Change of face earlier: {name} responds well to {adult2}.",
    ],
    "reason": [
        "To prevent serious injury to staff from the objects being thrown.",
        "To keep {name} and staff safe from broken crockery.",
    ],
    "steps": [
        "Verbal de-escalation for fifteen minutes; offered time in the garden and a drink; other young people moved "
        "to the lounge; change of face.",
        "Gave space, offered the quiet lounge and music, reminded {name} of {their} plan; called for a second member "
        "of staff.",
    ],
    "support": [
        "Staff sat with {name} afterwards, offered a drink and something to eat and checked for injuries. {Their} "
        "key worker talked it through with {them} the next morning.",
        "{name} was given time alone in {their} room with checks every fifteen minutes, then supper with staff. "
        "The registered manager spoke to {them} the next day.",
    ],
}
SCHOOL_REVIEW_NOTES = [
    "Reviewed with the staff involved. Restorative conversation to be held; no further action.",
    "Read and agreed as accurate. Pattern noted: Head of Year to phone home and update the support plan.",
    "Reviewed. Sanction applied in line with the behaviour policy; reintegration meeting booked.",
    "Discussed with the Head of Year. Restorative meeting arranged with the other pupil.",
    "Reviewed. Referred to the SENCo to look at reasonable adjustments.",
]
HOME_REVIEW_NOTES = [
    "Record read and signed as accurate. Debrief held with the staff involved.",
    "Reviewed with the staff team; the response was proportionate. Triggers added to the behaviour support plan.",
    "Signed off. Spoke with {name}, who said {they} felt listened to afterwards.",
    "Reviewed; the physical intervention was the last resort and the least restrictive option. Social worker informed.",
    "Reviewed at the team meeting: agree a consistent approach to curfew and phones.",
]

SCHOOL_MESSAGES = {
    "positive": [
        "{name} was brilliant in {subject} today: {they} helped {peer} with the practical and stayed on task the "
        "whole lesson.",
        "Really proud of {name} this morning: {they} asked for help instead of walking out when the work got hard.",
        "{name} read aloud in front of the class in {subject} today for the first time this term. A big step!",
        "{name} handed in a lost purse at reception today. Lovely honesty.",
        "{name} has had a fantastic week in {subject}: homework in on time and great contributions in discussions.",
        "{name} used {their} time-out card sensibly in {subject} and came back after five minutes ready to learn.",
        "{name} was kind to a new pupil at lunch and showed them around.",
        "Great effort from {name} in the {subject} assessment today: {their} best mark this year.",
        "{name} stayed calm when {peer} was winding {them} up in {subject} and moved seats on {their} own.",
        "{name} volunteered to help tidy the {subject} room at the end of the day without being asked.",
        "{name} came to {subject} on time every day this week and settled straight away.",
        "{name} gave a thoughtful answer in {subject} about fairness that got the whole class talking.",
        "{name} apologised to {peer} for yesterday without being prompted and they worked well together today.",
        "{name} was a superb team captain in {subject}, encouraging everyone in the group.",
    ],
    "negative": [
        "{name} seemed really tired and withdrawn in {subject} today and had {their} head down for most of the lesson.",
        "{name} had a difficult lunchtime and came to {subject} upset. {They} said something had happened with "
        "friends but didn't want to talk about it.",
        "Three lessons this week without equipment: could we keep a pencil case for {name} in the Year office?",
        "{name} was unkind to {peer} in {subject} today; I've spoken with both of them but wanted key staff to know "
        "in case it carries on.",
        "{name} has missed the last two {subject} homeworks. {They} said it is too noisy to work at home.",
        "{name} was late to {subject} three times this week and seemed anxious when asked about it.",
        "{name} struggled to settle in {subject} after lunch and needed a lot of reminders.",
        "{name} said {they} had not had breakfast and was very hungry by {subject}. I gave {them} a cereal bar.",
        "{name} seemed worried about the trip next week and asked lots of questions about where we will be.",
        "{name} was very quiet today and didn't want to join the group work in {subject}, which isn't like {them}.",
    ],
    "n/a": [
        "{name} mentioned that {their} grandad is in hospital.",
        "{name} has new glasses and is still getting used to them, so may need to sit nearer the board.",
        "{name} asked if {they} could join the lunchtime art club. I said I'd pass it on.",
        "{name} told me {their} family are moving house next month. Sharing so we can plan for the change.",
        "{name} has a hospital appointment on Thursday morning and will be in after lunch.",
        "{name} is fasting this month, so may be more tired in the afternoons.",
        "{name} has a cast on {their} wrist after a fall at the weekend and will need a scribe for a few weeks.",
        "{name} has asked to move tutor groups. Could we talk about it at the Year team meeting?",
    ],
}
HOME_MESSAGES = {
    "positive": [
        "{name} cooked spaghetti bolognese for the house tonight with {adult} and was really proud of it.",
        "Lovely evening: {name} played board games with staff and {peer} and went to bed on time.",
        "{name} went to school on time every day this week. Well done {name}!",
        "{name} talked openly with {their} key worker about how family time went. Good progress.",
        "{name} helped {peer} with {their} homework after tea without being asked.",
        "{name} tidied {their} room and put a wash on without being asked.",
        "Great session at the gym with {name} tonight; {they} chatted the whole way home.",
        "{name} handled a disappointing phone call really well and came to find staff to talk.",
        "{name} got a positive phone call home from school today about {their} effort in English.",
    ],
    "negative": [
        "{name} was quiet and tearful after the phone call with Mum; keep an eye on {them} tomorrow morning.",
        "{name} came back from school in a low mood and didn't eat dinner. Said {they} {was}n't hungry.",
        "{name} was 30 minutes past curfew tonight (came back safely). Talked it through with {them} calmly.",
        "{name} and {peer} have been winding each other up all evening; worth keeping them apart at breakfast.",
        "{name} was up late on {their} phone again; tired and grumpy this morning.",
        "{name} mentioned that someone at school has been sending {them} unkind messages. Please follow up.",
    ],
    "n/a": [
        "{name} has a dentist appointment on Thursday at 3:30pm.",
        "Social worker visit booked for next Tuesday after school.",
        "{name} asked about joining the local football club. Could we look into it?",
        "Reminder: {name}'s review meeting is next week; {they} would like to write down {their} views beforehand.",
        "{name}'s pocket money has been paid and recorded in the book.",
        "{name} would like to redecorate {their} room; ideas are on the office noticeboard.",
    ],
}
CLOSINGS = {
    "positive": ["", "", " Worth a mention at home.", " Just wanted to share!", " Please pass on a well done."],
    "negative": ["", "", " Might be worth a check-in.", " Just flagging in case it links to anything else."],
    "n/a": ["", "", " Just so key staff are aware."],
}
SCHOOL_REPLIES = {
    "positive": [
        "Lovely to hear. I'll pass this on to home; they'll be so pleased.",
        "That's great news, thank you. Shared with the rest of the Year team.",
        "Brilliant. I'll make sure {name} gets a postcard home for this.",
        "Thank you! I'll mention it in assembly feedback on Friday.",
    ],
    "negative": [
        "Thanks for letting me know. I'll check in with {name} at registration tomorrow.",
        "Thank you. I've spoken to {name} and {they} said things are OK, but I'll keep an eye on it.",
        "Noted. I'll raise it at the Year team meeting on Thursday.",
        "Thanks, I've emailed home about this.",
        "Thanks. I've asked the learning mentor to pick this up this week.",
    ],
    "n/a": [
        "Thanks, noted.",
        "Thanks for sharing. I'll let the other staff know.",
        "Thanks, I've updated the register notes.",
    ],
    "any": ["Thanks, I'll add this to {their} plan review."],
}
HOME_REPLIES = {
    "positive": ["Brilliant. I'll mention it at the house meeting.", "So good to hear. Thanks for the update."],
    "negative": [
        "Thanks for the handover. I'll have a chat with {name} after school.",
        "Noted. I'll let the social worker know when we speak on Friday.",
        "Thanks. Let's keep the evening low-key tomorrow.",
    ],
    "n/a": ["Thanks, it's in the diary.", "Noted, I'll sort transport."],
    "any": ["Thanks for the handover."],
}

SCHOOL_PLAN = {
    "voice": [
        "I like it when adults talk to me quietly and give me time. I don't like being told off in front of people.",
        "When I get angry I need space. Please don't stand too close.",
        "I'm good at art and football. Music helps me calm down.",
        "I want people to know I am trying. Sometimes the work is too hard and I don't want to say.",
    ],
    "strategies": [
        "Meet and greet at the door with a calm, friendly start",
        "Time-out card: up to five minutes in the agreed space",
        "Ear defenders available in every classroom",
        "Movement break every twenty minutes in long lessons",
        "Praise privately and specifically",
        "Check-in with {their} key adult at the start of the day",
        "Seat near the door and away from busy areas",
    ],
    "triggers": [
        "Being corrected in front of peers",
        "Unstructured times: break, lunch and the bus bay",
        "Cover lessons and sudden changes",
        "Long written tasks",
    ],
    "signs": [
        "Pacing or tapping",
        "Hood up or head down",
        "Going quiet and refusing eye contact",
        "Swearing under {their} breath",
    ],
    "adjustments": [
        "Leave lessons two minutes early to avoid busy corridors",
        "Printed notes and sentence starters",
        "A named adult {name} can go to at break and lunch",
        "Advance warning of cover lessons and trips",
    ],
    "responses": [
        "Use a calm, low voice and give two clear choices",
        "Offer the time-out space early",
        "Reduce the audience",
        "Change of face if things escalate",
        "Follow up later the same day, not in the moment",
    ],
    "follow_up": [
        "Key adult to talk things through with {name} the same day; phone home after any incident; record it in "
        "besmart and review the plan every half term.",
    ],
}
HOME_PLAN = {
    "voice": [
        "I need people to tell me what is happening with family time, even if it is bad news.",
        "When I'm angry I need space. Don't stand in the doorway.",
        "I like cooking, the gym and going for drives with staff.",
    ],
    "strategies": [
        "Key worker session every week to plan the week ahead",
        "Advance notice of any change to family time, told by someone {name} trusts",
        "Garden or a walk offered at the first signs of stress",
        "Music and the sensory box in the quiet lounge",
        "Consistent bedtime routine with a hot drink",
    ],
    "triggers": [
        "Changes to family time",
        "Being told no without a reason",
        "Evenings and bedtime",
        "Conflict with other young people",
    ],
    "signs": [
        "Pacing and slamming doors",
        "Refusing food",
        "Hood up, going quiet",
        "Raised voice and swearing",
    ],
    "adjustments": [
        "Stagger evening meals to keep the kitchen calm",
        "A time-out space {name} can use without asking",
        "Phone handed in at 10pm with a reminder at 9:30pm",
    ],
    "responses": [
        "Calm voice, open body language, keep a safe distance",
        "Offer choices and time",
        "Move other young people away from the area",
        "Change of face early",
        "Physical intervention only as a last resort, to prevent harm, in line with training",
    ],
    "follow_up": [
        "Staff debrief after every incident; key worker talks it through with {name} within 24 hours; the "
        "registered manager reviews incidents within 48 hours and speaks to {name} within 5 days.",
    ],
}
TRIGGER_LINES = {
    "contact": ["Changes to family time, especially at short notice"],
    "fight": ["Comments about family; tension carried over from social media"],
    "distress": ["Unexpected noise (fire alarms, bells), crowded corridors"],
    "refusal": ["Work that feels too hard; being asked to move seats"],
}
