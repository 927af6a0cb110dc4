"""The demo's support requests to the besmart team (`support_request`): the teacher login asked, in a ticket, how
to add a clicker button for a new class, and the school's lead login asked for a call about training new staff.
Each comes back to its author alone, so each login finds its own in the Help Centre, sent. The demo is seeded
with no email (server/demo/seed.py), so neither reaches the team's address."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sync.ids import uuid7

if TYPE_CHECKING:
    from server.demo.seeder import Seeder

#: (login's email prefix, days before the demo's "now", the request's fields)
REQUESTS = (
    (
        "teacher@",
        6,
        {
            "request": "ticket",
            "subject": "Adding a clicker button for my new group",
            "details": "I have started a nurture group on Thursday afternoons. Can a button such as 'Used a "
            "calm-down strategy' be added for that group only, or does every button show for everyone?",
        },
    ),
    (
        "lead@",
        3,
        {
            "request": "call",
            "subject": "Training for new staff in January",
            "details": "Four new teaching assistants start in January. We would like a short session on the "
            "clicker, incident reports with post-incident learning, and Smart Plans.",
            "contact_phone": "0113 496 0123",
            "preferred_times": "Any weekday after 3:30, or Friday morning",
        },
    ),
)


def plan_support_requests(seeder: Seeder) -> None:
    """Add the two requests to the seeder's history (for the logins the demo has)."""
    for prefix, days_ago, fields in REQUESTS:
        author = next((s for s in seeder.staff if s.spec.email.startswith(prefix)), None)
        if author is None:
            continue
        made = seeder.end - dt.timedelta(days=days_ago, hours=2)
        seeder.add(
            made,
            "support_request",
            {**fields, "author_id": author.id, "created_at": made.isoformat()},
            record_id=uuid7(made, seeder.ids),
            profile_id=None,
            actor=author.id,
        )
