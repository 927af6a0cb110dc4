"""The demo organisation, seeded with a year of realistic history (`python -m server demo`).

"Brightwater Learning Trust (demo)" has a secondary school (Brightwater Academy, Years 7-11) and a
children's home (Willow House): 30 staff across the roles, about 200 children and young people with key
contacts, key staff and access grants, the default clicker catalogue (with a few buttons for the home's
evenings and weekends; each child's taps use only the buttons that fit their setting), leads who see their
own setting only (the admin sees the whole trust), and a year of history up to the anchor day (today by
default): clicker taps on school days and in the home's mornings and evenings, communications with responses
from key staff, incidents with post-incident learning, physical interventions (mostly in the home) with
de-escalation and techniques, suspensions with DfE census reason codes, reviews and sign-off, and Smart Plans
for the children who need them most.

Everything comes from one `random.Random(seed)`, so the same seed and anchor give the same organisation
(only the record versions, which are the server's clock, differ); another anchor gives the same structure
shifted in time. Run again on the same database it changes nothing: it finds the organisation and prints
the logins again.

    cast.py     who and what the organisation is: names, sizes, staff, logins, the clicker catalogue
    words.py    its text, read from data/*.json (names, places, narratives, learning, messages, plans)
    seeder.py   the Seeder: plans people and history in memory, as writes in time order
    story.py    the AI Support story shaped into one child's planned history (what works, what does not)
    seed.py     seed_demo: writes the plan in one transaction (or finds the demo already there)
    audit_trail.py  who opened, downloaded and exported the serious records lately (the audit log's story)
    command.py  the `demo` subcommand of `python -m server`

    from server.demo import seed_demo
    result = seed_demo(db, settings, scale=0.3, days=120)
"""

from server.demo.cast import DEMO_ORG_NAME, DEMO_PASSWORD, DOMAIN
from server.demo.command import describe
from server.demo.seed import DemoResult, seed_demo
from server.demo.seeder import DemoError

__all__ = ["DEMO_ORG_NAME", "DEMO_PASSWORD", "DOMAIN", "DemoError", "DemoResult", "describe", "seed_demo"]
