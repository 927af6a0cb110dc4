"""A device with one account, for service tests: an unlocked encrypted store, the app services as Sam (staff),
and one child with key staff, a key contact and two behaviours (fixtures `store`, `services`, `child`); and
`recorded_incident`, a submitted incident written straight to the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.context import Context
from app.services import Services
from localdb.store import LocalStore
from sync.merge import FieldValue
from sync.protocol import UserInfo

PASSCODE = "services-passcode"


def user(role: str = "staff", user_id: str = "u-staff") -> UserInfo:
    return UserInfo(id=user_id, organisation_id="org1", name="Sam Staff", email="sam@example.org", role=role)


@pytest.fixture
def store(tmp_path: Path, memory_keyring) -> Iterator[LocalStore]:
    opened = LocalStore(tmp_path / "data")
    opened.initialise(PASSCODE)
    yield opened
    opened.close()


@pytest.fixture
def services(store: LocalStore) -> Services:
    return Services.of(Context(store, user()))


@pytest.fixture
def child(services: Services) -> str:
    ctx = services.context
    ctx.write("staff", "create", {"name": "Sam Staff", "email": "sam@example.org"}, record_id="u-staff")
    ctx.write("staff", "create", {"name": "Lee Lead", "email": "lee@example.org", "role": "lead"}, record_id="u-lead")
    for label, valence in (("On task", "positive"), ("Shouting out", "negative")):
        ctx.write("behaviour_type", "create", {"label": label, "valence": valence})
    person = ctx.write("individual", "create", {"first_name": "Ada", "last_name": "Lovelace", "group": "Year 7"})
    ctx.write("key_staff", "create", {"staff_id": "u-lead"}, profile_id=person)
    ctx.write(
        "key_contact", "create", {"name": "Mum", "relationship": "Mother", "phone": "01234 567890"}, profile_id=person
    )
    return person


def recorded_incident(services: Services, profile_id: str, when: dt.datetime, **fields: object) -> str:
    """A submitted incident; with `reference`, numbered as the server numbers it (arriving with a pull)."""
    reference = fields.pop("reference", None)
    store = services.context.store
    record_id = services.context.write(
        "incident",
        "create",
        {
            "recorded_by": services.context.user.id,
            "recorded_at": when.isoformat(),
            "occurred_at": when.isoformat(),
            "status": "submitted",
            **fields,
        },
        profile_id=profile_id,
    )
    if reference:
        state = store.get(record_id).state
        assert state is not None
        numbered = FieldValue(value=reference, version=state.version, actor_id="server", device_id="server")
        store.apply_pulled([state.model_copy(update={"fields": {**state.fields, "reference": numbered}})], 1)
    return record_id


def force_essentials(minutes_ago: int = 30, *, technique: str = "Single elbow") -> dict[str, object]:
    """What a new physical intervention report cannot be submitted without (`app.incidents.PI_REQUIRED`): the
    technique used, when it started and ended (`minutes_ago`, lasting 5 minutes) and why it was necessary."""
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return {
        "pi_techniques": [{"technique": technique, "effectiveness": "effective", "used_by": ["u-staff"]}],
        "pi_started_at": started.isoformat(),
        "pi_ended_at": (started + dt.timedelta(minutes=5)).isoformat(),
        "pi_reason": "To stop a chair hitting a pupil.",
    }
