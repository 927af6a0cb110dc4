"""Finding incidents and reading them (issue #8 items 12, 15, 22), as services and as screens in-process.

- 12: another member of staff's draft is theirs (and their invited collaborators') until submitted: it is not
  in anyone else's lists, cannot be opened or signed off; "Waiting for sync" means this device has not sent it.
- 15: every stored enum value has one user-facing label, and the incident shows them (never "parents" or
  "other"), with each physical-intervention technique's reason, injuries and who used it.
- 22: search by reference, individual or text, filters (status, flagged, parents not informed, dates), paged.
"""

# The fixtures are imported from the service and screen tests (reused, not copied); their names are
# then fixture parameters here, which ruff reads as redefinitions.

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
from typing import Any

import flet as ft
import pytest

import sync.records
from app.context import ActionError, Context
from app.incidents import IncidentFilter
from app.services import Services
from localdb.store import LocalStore, StoreLockedError
from sync.hlc import Stamp
from sync.merge import apply_op
from sync.ops import Op, validate_op
from sync.records import ENUM_LABELS, label
from tests.support.device import user
from tests.support.screens import (
    LEAD,
    STAFF,
    add_account,
    open_app,
    root,
    seed,
    server_update,
    store_of,
    unlock,
)
from tests.support.ui_harness import UiHarness

NOW = dt.datetime.now(dt.UTC)


def incident(ctx: Context, person: str, *, recorded_by: str = "u-staff", days_ago: float = 1, **fields: Any) -> str:
    """An incident as it arrives from the server (as if recorded on another device)."""
    values = {
        "status": "submitted",
        "recorded_by": recorded_by,
        "recorded_at": NOW.isoformat(),
        "occurred_at": (NOW - dt.timedelta(days=days_ago)).isoformat(),
        "what_happened": "Shouted in class",
        **fields,
    }
    return ctx.write("incident", "create", values, profile_id=person)


def synced(store: LocalStore) -> None:
    """Everything written so far reached the server."""
    store.acknowledge(op.op_id for op in store.pending_ops(100_000))


# --------------------------------------------------------------------------- 15: labels


def test_every_stored_enum_value_has_a_label():
    enums = [
        obj
        for _, obj in inspect.getmembers(sync.records, inspect.isclass)
        if issubclass(obj, enum.StrEnum) and obj is not enum.StrEnum and obj.__module__ == "sync.records"
    ]
    assert set(enums) == set(ENUM_LABELS)
    for enum_cls in enums:
        for member in enum_cls:
            shown = label(enum_cls, member.value)
            assert shown and shown[0].isupper() and "_" not in shown, (enum_cls, member)
    assert label(sync.records.ReportRoute, "parents") == "Parents"
    assert label(sync.records.DiscriminationCategory, "other") == "Other discriminatory or prejudiced behaviour"
    assert label(sync.records.ContactMethod, None) == ""
    # a value from a newer app version is still words, not hidden
    assert label(sync.records.ContactMethod, "carrier_pigeon") == "Carrier pigeon"


# --------------------------------------------------------------------------- 12: drafts are their author's


def test_another_staff_members_draft_is_not_listed_opened_or_signed_off(store: LocalStore, services: Services, child):
    ctx = services.context
    theirs = incident(ctx, child, recorded_by="u-other", status="draft")
    invited = incident(ctx, child, recorded_by="u-other", status="draft", staff_present=["u-staff"])
    submitted = incident(ctx, child, recorded_by="u-other")
    synced(store)

    assert {i.id for i in services.incidents.list()} == {invited, submitted}
    assert {i.id for i in services.directory.profile(child).incidents} == {invited, submitted}
    with pytest.raises(ActionError, match="draft"):
        services.incidents.get(theirs)
    with pytest.raises(ActionError, match="draft"):
        services.incidents.flag(theirs, "Look")
    assert store.get(theirs).values.get("flagged") is False  # nothing changed
    labels = {i.id: i.label for i in services.incidents.list()}
    assert labels[invited] == "Draft (not submitted)"  # this device sent everything: not "Waiting for sync"

    lead = Services.of(Context(store, user("lead", "u-lead")))
    assert {i.id for i in lead.incidents.list()} == {submitted}
    with pytest.raises(ActionError, match="draft"):
        lead.incidents.sign_off(theirs, staff_spoken_to=True, child_spoken_to=False)
    with pytest.raises(ActionError, match="draft"):
        lead.incidents.edit(theirs)  # a lead may edit any incident, but a draft is not one yet
    assert lead.incidents.drafts() == []
    assert store.get(theirs).values["status"] == "draft"
    # a lead invited to a colleague's draft may read it, but not sign it off
    lead_invited = incident(ctx, child, recorded_by="u-other", status="draft", staff_present=["u-lead"])
    assert not lead.incidents.can_sign_off(lead.incidents.get(lead_invited))
    with pytest.raises(ActionError, match="Only a submitted report can be signed off"):
        lead.incidents.sign_off(lead_invited, staff_spoken_to=True, child_spoken_to=False)
    assert store.get(lead_invited).values["status"] == "draft"
    assert lead.incidents.can_sign_off(lead.incidents.get(submitted))


def test_waiting_for_sync_means_this_device_has_not_sent_it(store: LocalStore, services: Services, child):
    draft = services.incidents.start(child)
    services.incidents.save_page(draft.id, {"what_happened": "Kicked a door"})
    record_id = services.incidents.submit(draft.id)
    [summary] = services.incidents.list()
    assert (summary.id, summary.label) == (record_id, "Waiting for sync")
    synced(store)
    assert services.incidents.list()[0].label == "Not yet numbered"
    server_update(store, record_id, {"reference": "besmart-10283"})
    assert services.incidents.list()[0].label == "besmart-10283"


# --------------------------------------------------------------------------- 22: search and filters


@pytest.fixture
def many(store: LocalStore, services: Services, child) -> dict[str, str]:
    """120 submitted incidents for Ada and Bob, numbered besmart-10200 upwards, one a day, some flagged."""
    ctx = services.context
    bob = ctx.write("individual", "create", {"first_name": "Bob", "last_name": "Zed"})
    ids: dict[str, str] = {"bob": bob}
    for n in range(120):
        ids[f"besmart-{10200 + n}"] = incident(
            ctx,
            bob if n % 3 == 0 else child,
            days_ago=n + 0.5,
            location="Dining hall" if n == 83 else "Classroom",
            what_happened="Threw a chair at the window" if n == 83 else "Shouted in class",
            flagged=n % 10 == 0,
            **({"parents_informed": True, "parents_informed_method": "phone"} if n % 4 else {}),
        )
    synced(store)
    for reference, record_id in ids.items():
        if reference.startswith("besmart-"):
            server_update(store, record_id, {"reference": reference})
    return ids


def test_search_by_reference_individual_and_text(services: Services, many: dict[str, str]):
    search = services.incidents.search
    assert [i.reference for i in search(IncidentFilter(text="besmart-10283")).items] == ["besmart-10283"]
    assert [i.reference for i in search(IncidentFilter(text="10283")).items] == ["besmart-10283"]
    assert services.incidents.by_reference(" BESMART-10283 ") == many["besmart-10283"]
    assert services.incidents.by_reference("10283") is None  # only a whole reference opens it directly
    assert services.incidents.by_reference("besmart-99999") is None
    assert [i.reference for i in search(IncidentFilter(text="chair window")).items] == ["besmart-10283"]
    assert [i.reference for i in search(IncidentFilter(text="dining")).items] == ["besmart-10283"]
    bob = search(IncidentFilter(text="bob zed"), limit=None)
    assert bob.total == 40 and {i.individual for i in bob.items} == {"Bob Zed"}
    nothing = search(IncidentFilter(text="trampoline"))
    assert (nothing.items, nothing.total) == ([], 0)


def test_filters_and_pages(services: Services, many: dict[str, str]):
    search = services.incidents.search
    first = search(IncidentFilter(), limit=50)
    assert (len(first.items), first.total, first.more) == (50, 120, 70)
    assert first.items[0].reference == "besmart-10200"  # newest first
    last = search(IncidentFilter(), offset=100, limit=50)
    assert (len(last.items), last.more, last.items[-1].reference) == (20, 0, "besmart-10319")

    flagged = search(IncidentFilter(flagged=True), limit=None).items
    assert len(flagged) == 12 and all(i.flagged for i in flagged)
    not_informed = search(IncidentFilter(parents_not_informed=True), limit=None).items
    assert len(not_informed) == 30 and not any(i.parents_informed for i in not_informed)
    both = search(IncidentFilter(flagged=True, parents_not_informed=True, text="bob"), limit=None).items
    assert [i.reference for i in both] == ["besmart-10200", "besmart-10260"]  # n % 20 == 0, and Bob's

    assert search(IncidentFilter(status="reviewed")).total == 0
    assert search(IncidentFilter(status="submitted")).total == 120
    today = dt.datetime.now().date()
    week = search(IncidentFilter(since=today - dt.timedelta(days=6)), limit=None).items
    assert 6 <= len(week) <= 7 and all(i.occurred_at >= (NOW - dt.timedelta(days=8)).isoformat() for i in week)
    old = search(IncidentFilter(until=today - dt.timedelta(days=100)), limit=None).items
    assert old and all(i.reference >= "besmart-10299" for i in old)
    # bad input changes nothing and narrows to nothing rather than failing
    assert search(IncidentFilter(since=today, until=today - dt.timedelta(days=1))).total == 0
    assert search(IncidentFilter(), offset=-5, limit=3).items == first.items[:3]


# --------------------------------------------------------------------------- screens, in-process


def _open(ui: UiHarness, title: str) -> None:
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == title))
    assert ui.find(ft.Text, text=title, where=lambda t: t.size == 20)


def test_incidents_screen_search_filter_and_open_a_reference(config, memory_keyring):
    store = add_account(config, STAFF)
    ids = seed(store, STAFF)
    ctx = Context(store, STAFF)
    other_draft = incident(ctx, ids["ada"], recorded_by="u-other", status="draft", location="Gym")
    flagged = incident(ctx, ids["bo"], recorded_by="u-other", flagged=True, location="Library")
    synced(store)
    server_update(store, flagged, {"reference": "besmart-10283"})
    store.close()
    with open_app(config) as ui:
        unlock(ui)
        # the dashboard does not list someone else's draft either
        assert not ui.find_all(
            ft.ListTile, where=lambda t: t.title.value in ("Waiting for sync", "Draft (not submitted)")
        )
        ui.navigate_to("Incidents")
        titles = [t.title.value for t in ui.find_all(ft.ListTile)]
        assert titles == ["besmart-10283", "besmart-10281", "besmart-10270", "besmart-10001"]
        assert other_draft not in str(ui.dump())

        ui.find(ft.Checkbox, label="Flagged")
        ui.set_value(ui.find(ft.Checkbox, label="Flagged"), True)
        assert [t.title.value for t in ui.find_all(ft.ListTile)] == ["besmart-10283"]
        assert ui.has_text("1 incident matches")
        ui.set_value(ui.find(ft.Checkbox, label="Flagged"), False)

        ui.type("Search incidents", "library")
        ui.click("Search")
        assert [t.title.value for t in ui.find_all(ft.ListTile)] == ["besmart-10283", "besmart-10001"]
        ui.type("Search incidents", "nothing like this")
        ui.click("Search")
        assert ui.has_text(re.compile("^No incidents match")) and not ui.find_all(ft.ListTile)

        # a whole reference opens the incident in one step
        ui.type("Search incidents", "besmart-10283", submit=True)
        assert ui.find(ft.Text, text="besmart-10283", where=lambda t: t.size == 20)


def test_incidents_screen_pages_with_show_more(config, memory_keyring):
    store = add_account(config, STAFF)
    ids = seed(store, STAFF)
    ctx = Context(store, STAFF)
    for n in range(60):
        incident(ctx, ids["bo"], days_ago=300 + n, location=f"Room {n}")
    synced(store)
    store.close()
    with open_app(config) as ui:
        unlock(ui)
        ui.navigate_to("Incidents")
        assert len(ui.find_all(ft.ListTile)) == 50 and ui.has_text("63 incidents")
        ui.click(re.compile(r"^Show 13 more"))
        assert len(ui.find_all(ft.ListTile)) == 63


def test_a_lead_is_not_offered_sign_off_on_a_draft_and_labels_are_words(config, memory_keyring):
    store = add_account(config, LEAD)
    ids = seed(store, LEAD)
    ctx = Context(store, LEAD)
    pi = incident(
        ctx,
        ids["ada"],
        recorded_by="u-other",
        staff_present=["u-lead"],
        physical_intervention=True,
        pi_report_route="parents",
        pi_report_route_reason="",
        pi_plan_followed=True,
        pi_techniques=[
            {
                "technique": "Two-person escort",
                "effectiveness": "partly_effective",
                "used_by": ["u-lead", "u-other"],
                "duration_minutes": 4,
                "reason": "To stop him running into the road",
                "injuries": "Graze to left elbow",
            }
        ],
        pi_deescalation=[{"technique": "Calm talk", "effectiveness": "not_effective", "notes": "He covered his ears"}],
        discriminatory=True,
        discriminatory_categories=["other", "racist"],
        parents_informed=True,
        parents_informed_method="app_message",
        parents_informed_at=NOW.isoformat(),
        exclusions=[{"type": "SUSP", "sessions": 2, "reasons": ["PA"]}],
    )
    draft = incident(ctx, ids["ada"], recorded_by="u-other", status="draft", staff_present=["u-lead"])
    synced(store)
    server_update(store, pi, {"reference": "besmart-10290"})
    store.close()
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        ui.navigate_to("Incidents")
        _open(ui, "Draft (not submitted)")
        assert not ui.find_all(ft.OutlinedButton, text="Sign off")
        assert ui.has_text(re.compile(r"Draft"))
        assert store_values(ui, draft)["status"] == "draft"

        ui.navigate_to("Incidents")
        _open(ui, "besmart-10290")
        assert ui.find_all(ft.OutlinedButton, text="Sign off")
        texts = ui.texts()
        raw = {"parents", "other", "app_message", "partly_effective", "not_effective", "SUSP", "submitted"}
        assert not raw & {t.strip() for text in texts for t in re.split(r"[,;:()·]", text)}
        for shown in (
            "Parents",
            "Other discriminatory or prejudiced behaviour, Racist",
            "Two-person escort",
            "Partly effective, 4 min",
            "To stop him running into the road",
            "Graze to left elbow",
            "Lee Lead, Ola Other",
            "Calm talk: Not effective. He covered his ears",
            "Suspension, 2 sessions: Physical assault against an adult (PA)",
        ):
            assert any(shown in t for t in texts), (shown, texts)
        assert any(t.startswith("Yes: App message, ") for t in texts)


def store_values(ui: UiHarness, record_id: str) -> dict[str, Any]:
    return store_of(ui).get(record_id).values


def test_search_reuses_decoded_rows_until_they_change_and_forgets_them_on_lock(
    store: LocalStore, services: Services, many: dict[str, str]
):
    search = services.incidents.search
    assert search(IncidentFilter(text="trampoline")).total == 0
    assert sum(stored.kind == "incident" for _key, stored in store._decoded.values()) == 120
    # an edit and a new incident are found at once: a changed row is decoded again
    services.incidents.flag(many["besmart-10250"], "Trampoline in the hall")
    assert [i.reference for i in search(IncidentFilter(text="trampoline")).items] == ["besmart-10250"]
    assert search(IncidentFilter(text="trampoline")).items[0].pending
    store.lock()
    assert store._decoded == {}  # nothing decrypted stays in memory once locked
    with pytest.raises(StoreLockedError):
        search(IncidentFilter(text="trampoline"))


def test_a_sync_does_not_wipe_a_search_being_typed(config, memory_keyring):
    store = add_account(config, STAFF)
    seed(store, STAFF)
    store.close()
    with open_app(config) as ui:
        unlock(ui)
        ui.navigate_to("Incidents")
        ui.type("Search incidents", "libr")
        root(ui).shell.refresh()  # what a finished background sync does
        assert ui.find(ft.TextField, label="Search incidents").value == "libr"
        ui.submit("Search incidents")
        assert [t.title.value for t in ui.find_all(ft.ListTile)] == ["besmart-10001"]
        root(ui).shell.refresh()  # nothing typed since: the list is rendered afresh, the search kept
        assert [t.title.value for t in ui.find_all(ft.ListTile)] == ["besmart-10001"]


def test_a_wrong_date_says_how_to_write_it_and_keeps_the_list_and_a_uk_date_is_read(config, memory_keyring):
    store = add_account(config, STAFF)
    seed(store, STAFF)
    store.close()
    with open_app(config) as ui:
        unlock(ui)
        ui.navigate_to("Incidents")
        before = [t.title.value for t in ui.find_all(ft.ListTile)]
        ui.type("From", "31/13/2026", submit=True)
        assert ui.has_text("Give the From date as day/month/year, for example 23/11/2026.")
        assert [t.title.value for t in ui.find_all(ft.ListTile)] == before
        ui.type("From", "31/12/2026")  # the UK way, as the incident form takes dates
        ui.type("To", "2026-01-01", submit=True)
        assert ui.has_text("The From date is after the To date.")
        assert [t.title.value for t in ui.find_all(ft.ListTile)] == before
        ui.type("From", "")
        ui.type("To", f"{dt.date.today() - dt.timedelta(days=100):%d/%m/%Y}", submit=True)
        assert [t.title.value for t in ui.find_all(ft.ListTile)] == ["besmart-10001"]
        assert ui.has_text("Filters (1 on)")


def test_a_conflict_shows_the_field_and_both_values_in_words(config, memory_keyring):
    store = add_account(config, LEAD)
    ids = seed(store, LEAD)
    record_id = ids["besmart-10270"]
    Context(store, LEAD).write("incident", "update", {"pi_report_route": "parents"}, record_id=record_id)
    current = store.get(record_id)
    theirs = validate_op(
        Op(
            op_id=1,
            device_id="other",
            actor_id="u-staff",
            record_id=record_id,
            kind="incident",
            profile_id=current.profile_id,
            action="update",
            fields={"pi_report_route": "local_authority"},
            hlc=Stamp(Stamp.parse(current.version).ms + 10, 0, "other").encode(),
        )
    )
    server_state, _ = apply_op(current.state, theirs)
    synced(store)
    store.apply_pulled([server_state], cursor=store.cursor + 1)
    store.close()
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        ui.navigate_to("Incidents")
        _open(ui, "besmart-10270")
        assert ui.has_text("Reported to") and ui.has_text("Now: Local authority")
        assert ui.has_text("Lee Lead's: Parents")
        assert not ui.has_text(re.compile("local_authority|Pi report route"))
