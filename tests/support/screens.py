"""Fixtures and helpers of the in-process screen tests: the real `Root` driven with `tests/support/ui_harness.py`.

No server and no browser: each test gets its own BESMART_HOME with an account already on the device
(created the way `app/session.py` does after an online sign-in) and records seeded through `Context.write`.
The server URL is unreachable, so "Sync now" fails fast and the screens show the offline state.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flet as ft
import pytest

import sync.gateway
from app.config import ClientConfig, load_config
from app.context import Context
from app.session import ClientSession, PendingSignIn, account_dir
from localdb.store import LocalStore
from screens.root import Root
from sync.hlc import Stamp
from sync.merge import apply_op
from sync.ops import Op, validate_op
from sync.protocol import Session, UserInfo
from tests.support.ui_harness import UiHarness

UNREACHABLE = "http://127.0.0.1:9"
PASSCODE = "246810"
STAFF = UserInfo(id="u-staff", organisation_id="org1", name="Sam Staff", email="sam@example.org", role="staff")
LEAD = UserInfo(id="u-lead", organisation_id="org1", name="Lee Lead", email="lee@example.org", role="lead")
#: Root's idle-lock watcher sleeps forever: the harness must not wait for it to finish.
BACKGROUND = ("Root._watch_idle", "not_looked_yet")


# --------------------------------------------------------------------------- set-up


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any) -> ClientConfig:
    """A fresh device: its own BESMART_HOME, an in-memory keyring, an unreachable server, no background sync."""
    monkeypatch.setenv("BESMART_HOME", str(tmp_path / "home"))
    # One quick attempt per request: a failed "Sync now" must not sleep through the gateway's backoff.
    monkeypatch.setattr(sync.gateway, "RetryPolicy", functools.partial(sync.gateway.RetryPolicy, attempts=1))
    return load_config(server_url=UNREACHABLE).model_copy(update={"sync_interval_seconds": 0})


def add_account(config: ClientConfig, user: UserInfo) -> LocalStore:
    """What a first online sign-in leaves on the device: the encrypted store, session, user, accounts.json."""
    session = ClientSession(config)
    tokens = Session(access_token="a", refresh_token="r", expires_in=3600, device_id=f"dev-{user.id}", user=user)
    session.pending = PendingSignIn(user.email, tokens)
    session.create_passcode(PASSCODE, PASSCODE)
    assert session.store is not None and session.store.directory == account_dir(config, user.email)
    return session.store


def server_create(
    store: LocalStore, kind: str, record_id: str, fields: dict[str, Any], *, profile_id: str | None = None
) -> None:
    """The server made a record (e.g. a notification) now; the device pulled it. `profile_id`: the individual
    a profile's record belongs to (an individual's own is its id)."""
    op = validate_op(
        Op(
            op_id=1,
            device_id="server",
            actor_id="server",
            record_id=record_id,
            kind=kind,
            profile_id=profile_id,
            action="create",
            fields=fields,
            hlc=Stamp(int(dt.datetime.now(dt.UTC).timestamp() * 1000), 0, "server").encode(),
        ),
        from_server=True,
    )
    store.apply_pulled([apply_op(None, op)[0]], cursor=store.cursor + 1)


def server_update(store: LocalStore, record_id: str, fields: dict[str, Any], *, seen: bool = True) -> None:
    """The server changed a record (e.g. numbered an incident); the device pulled it. `seen=False`: someone changed
    it at the same time as this device did, without seeing its change (a conflict, kept)."""
    mine = store.get(record_id)
    assert mine is not None and mine.state is not None
    op = validate_op(
        Op(
            op_id=1,
            device_id="server",
            actor_id="server",
            record_id=record_id,
            kind=mine.kind,
            profile_id=mine.profile_id,
            action="update",
            fields=fields,
            base={f: [v] for f in fields if seen and (v := mine.state.field_version(f))},  # the device's version
            hlc=Stamp(Stamp.parse(mine.version).ms + 1000, 0, "server").encode(),
        ),
        from_server=True,
    )
    state, _ = apply_op(mine.state, op)
    store.apply_pulled([state], cursor=store.cursor + 1)


def make_conflict(
    store: LocalStore, user: UserInfo, record_id: str, field: str, mine: str, theirs: str, *, by: str = "u-lead"
) -> None:
    """`user` changed `field` on this device while `by` changed it on another device; the server kept both."""
    current = store.get(record_id)
    assert current is not None
    Context(store, user).write(current.kind, "update", {field: mine}, record_id=record_id)
    current = store.get(record_id)
    assert current is not None and current.state is not None
    op = validate_op(
        Op(
            op_id=1,
            device_id="other",
            actor_id=by,
            record_id=record_id,
            kind=current.kind,
            profile_id=current.profile_id,
            action="update",
            fields={field: theirs},
            hlc=Stamp(Stamp.parse(current.version).ms + 10, 0, "other").encode(),
        )
    )
    server_state, _ = apply_op(current.state, op)
    store.acknowledge(o.op_id for o in store.pending_ops(10_000))
    store.apply_pulled([server_state], cursor=store.cursor + 1)


def seed(store: LocalStore, user: UserInfo) -> dict[str, str]:
    """An organisation's data as it would be after a sync: staff, catalogue, two individuals, incidents."""
    ctx = Context(store, user)
    now = dt.datetime.now(dt.UTC)
    for staff_id, name, role in (
        ("u-staff", "Sam Staff", "staff"),
        ("u-lead", "Lee Lead", "lead"),
        ("u-other", "Ola Other", "staff"),
    ):
        ctx.write(
            "staff", "create", {"name": name, "email": f"{staff_id}@example.org", "role": role}, record_id=staff_id
        )
    for label, valence in (("On task", "positive"), ("Shouting out", "negative")):
        ctx.write("behaviour_type", "create", {"label": label, "valence": valence})
    ada = ctx.write(
        "individual", "create", {"first_name": "Ada", "last_name": "Lovelace", "group": "Year 7", "send": True}
    )
    bo = ctx.write("individual", "create", {"first_name": "Bo", "last_name": "Peep", "group": "Year 8"})
    ctx.write("key_staff", "create", {"staff_id": "u-lead"}, profile_id=ada)
    ctx.write("access_grant", "create", {"staff_id": "u-other"}, profile_id=ada)
    ctx.write(
        "key_contact",
        "create",
        {"name": "Mary Lovelace", "relationship": "Mother", "phone": "01234 567890", "parental_responsibility": True},
        profile_id=ada,
    )
    ctx.write(
        "communication",
        "create",
        {
            "valence": "positive",
            "author_id": "u-lead",
            "message": "Ada helped a classmate",
            "created_at": now.isoformat(),
        },
        profile_id=ada,
    )
    incidents = {}
    for reference, days_ago, location, recorded_by in (
        ("besmart-10281", 2, "Hall", "u-other"),
        ("besmart-10270", 20, "Playground", "u-staff"),
        ("besmart-10001", 200, "Library", "u-other"),
    ):
        incidents[reference] = ctx.write(
            "incident",
            "create",
            {
                "status": "submitted",
                "recorded_by": recorded_by,
                "recorded_at": now.isoformat(),
                "occurred_at": (now - dt.timedelta(days=days_ago)).isoformat(),
                "location": location,
                "what_happened": f"Something in the {location.lower()}",
            },
            profile_id=ada,
        )
    store.acknowledge(op.op_id for op in store.pending_ops(10_000))  # all of it came from / reached the server
    for reference, record_id in incidents.items():
        server_update(store, record_id, {"reference": reference})
    assert store.pending_count() == 0
    assert not any(i.conflicts for i in store.incidents())
    return {"ada": ada, "bo": bo, **incidents}


@pytest.fixture
def device(config: ClientConfig) -> dict[str, str]:
    """Sam (staff) has signed in on this device before; the app is closed (the store locked)."""
    store = add_account(config, STAFF)
    ids = seed(store, STAFF)
    store.close()
    return ids


def open_app(config: ClientConfig, **kw: Any) -> UiHarness:
    async def main(page: ft.Page) -> None:
        await Root(page, config).start()

    return UiHarness(main, background=BACKGROUND, **kw)


@pytest.fixture
def ui(config: ClientConfig, device: dict[str, str]) -> Iterator[UiHarness]:
    """The app, unlocked by Sam, on the dashboard."""
    with open_app(config) as h:
        unlock(h)
        yield h


def unlock(ui: UiHarness, passcode: str = PASSCODE, email: str = STAFF.email) -> None:
    if ui.find_all(ft.TextField, label="Work email address"):  # the web client names no account at first
        ui.type("Work email address", email)
    ui.type("Passcode", passcode)
    ui.click("Unlock")


def root(ui: UiHarness) -> Root:
    assert isinstance(ui.page.data, Root)
    return ui.page.data


def store_of(ui: UiHarness) -> LocalStore:
    store = root(ui).session.store
    assert store is not None
    return store


def status(ui: UiHarness) -> str:
    return ui.find(ft.Semantics, label="sync-status").content.value


def snack(ui: UiHarness) -> ft.SnackBar:
    bars = [d for d in ui.open_dialogs() if isinstance(d, ft.SnackBar)]
    assert bars, f"no snack bar open\n{ui.dump()}"
    return bars[-1]


def pick_individual(ui: UiHarness, name: str) -> None:
    dropdown = ui.find(ft.Dropdown, label="Individual")
    [option] = [o for o in dropdown.options if o.text == name]
    ui.select(dropdown, option.key)


def start_report(ui: UiHarness, kind: str = "Incident Report", individual: str = "Ada Lovelace") -> None:
    ui.navigate_to("Record & Plan")
    pick_individual(ui, individual)
    ui.click(kind)


def toggle(ui: UiHarness, label: str) -> ft.Checkbox | ft.Switch:
    """The checkbox or switch next to `label` (screens.ui.labelled_toggle)."""
    rows = [m for m in ui.find_all(ft.MergeSemantics) if m.content.controls[1].content.value == label]
    assert len(rows) == 1, f"{len(rows)} toggles labelled {label!r}\n{ui.dump()}"
    return rows[0].content.controls[0]


def pick_person(ui: UiHarness, picker: str, typed: str, name: str) -> None:
    """Type into a people picker (screens.ui.people_picker), then tap the match called `name`."""
    ui.type(picker, typed)
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == name))


def chips(ui: UiHarness) -> list[str]:
    return [c.label.value for c in ui.find_all(ft.Chip)]
