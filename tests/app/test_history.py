"""An incident's history as the app words it (app/history.py): who and what by name, choices by their labels,
moments the UK way — never the ids, stored values or ISO text the records hold."""

from __future__ import annotations

import datetime as dt

from app.services import Services
from app.vocabulary import uk_when
from tests.support.device import recorded_incident


def test_a_change_is_shown_in_words_not_stored_values(services: Services, child: str) -> None:
    informed_at = dt.datetime(2026, 12, 2, 6, 11, tzinfo=dt.UTC)
    record_id = recorded_incident(services, child, informed_at - dt.timedelta(hours=1), what_happened="Threw a tray")
    services.incidents.parents_informed(record_id, method="phone", informed_at=informed_at)
    services.context.write("incident", "update", {"other_individuals": [child]}, record_id=record_id)
    lines = services.history.pending(record_id)
    changes = {c.field: (c.before, c.after) for line in lines for c in line.changes}
    assert changes["parents_informed_by"] == ("(empty)", "Sam Staff")
    assert changes["parents_informed_method"] == ("(empty)", "Phone")
    assert changes["parents_informed_at"] == ("(empty)", uk_when(informed_at.isoformat(), weekday=False))
    assert changes["other_individuals"] == ("(empty)", "Ada Lovelace")
    assert lines[0].who == "Sam Staff"
