"""Who and what the demo organisation is: its name, password and size, the staff (with their roles, the
settings they work in and how colleagues refer to them), the logins printed after seeding, and the clicker
catalogue (the default one and the children's home's own buttons)."""

from __future__ import annotations

from dataclasses import dataclass

from server.services.organisations import DEFAULT_BEHAVIOURS

DEMO_SEED = 20260301
DEMO_ORG_NAME = "Brightwater Learning Trust (demo)"
DEMO_PASSWORD = "besmart-demo-2026"
MIN_PASSWORD = 12
DOMAIN = "brightwater.example"
SCHOOL_NAME = "Brightwater Academy"
HOME_NAME = "Willow House"
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


def behaviour_setting_types(label: str) -> list[str]:
    """The kinds of setting a demo button is offered in (the record's `setting_types`; empty: every setting)."""
    if label in SCHOOL_ONLY_BEHAVIOURS:
        return ["school", "alternative_provision"]
    if label in {h[0] for h in HOME_BEHAVIOURS}:
        return ["childrens_home"]
    return []


def behaviour_fits(label: str, setting: str) -> bool:
    """Whether a clicker button fits a child of this setting (school | home): what the clicker offers them."""
    types = behaviour_setting_types(label)
    return not types or ("childrens_home" if setting == "home" else "school") in types


def logins() -> list[tuple[str, str, str]]:
    """The logins printed after seeding: (who, name, email)."""
    names = {s.login: s.name for s in STAFF}
    return [(who, names[email], email) for who, email in LOGINS]
