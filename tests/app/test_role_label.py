"""The account menu's label says whom the user sees: a lead limited to settings names them, from the staff
and setting records synced to the device (a real encrypted store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.context import Context
from localdb.store import LocalStore
from sync.protocol import UserInfo


@pytest.fixture
def store(tmp_path: Path, memory_keyring) -> LocalStore:  # type: ignore[no-untyped-def]
    opened = LocalStore(tmp_path / "data")
    opened.initialise("label-passcode")
    yield opened
    opened.close()


def context(store: LocalStore, role: str, user_id: str) -> Context:
    return Context(store, UserInfo(id=user_id, organisation_id="org1", name="X", email="x@example.org", role=role))


def test_the_label_says_whom_the_user_sees(store: LocalStore) -> None:
    admin = context(store, "admin", "u-admin")
    school = admin.write("setting", "create", {"name": "Brightwater Academy", "setting_type": "school"})
    home = admin.write("setting", "create", {"name": "Willow House", "setting_type": "childrens_home"})
    limited = {"name": "Dan", "email": "dan@example.org", "role": "lead", "setting_ids": [school]}
    admin.write("staff", "create", limited, record_id="u-dan")
    admin.write("staff", "create", {"name": "Jo", "email": "jo@example.org", "role": "lead"}, record_id="u-jo")
    both = {"name": "Mo", "email": "mo@example.org", "role": "lead", "setting_ids": [school, home]}
    admin.write("staff", "create", both, record_id="u-mo")
    assert context(store, "lead", "u-dan").role_label() == "Lead · Brightwater Academy"
    assert context(store, "lead", "u-mo").role_label() == "Lead · Brightwater Academy, Willow House"
    assert context(store, "lead", "u-jo").role_label() == "Lead · whole organisation"
    assert admin.role_label() == "Admin · whole organisation"
    assert context(store, "staff", "u-sam").role_label() == "Staff"
