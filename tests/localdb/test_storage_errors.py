"""A full disk and an unwritable data folder: the write that could not be saved is refused with plain words,
nothing saved earlier is lost, and everything works again once space returns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.config import ClientConfig
from app.context import StorageProblem
from app.services import Services
from app.session import ClientSession, SignInError, account_dir
from localdb.store import LocalStore, StorageFull, StorageUnavailable
from tests.support.disk import fill_disk, free_disk, read_only

TAP_NOT_SAVED = "This device is out of storage: the tap was not saved. Free some space and try again."


# `store` and `services` are the device fixtures of tests/support/device.py; this child has less around it.
@pytest.fixture
def child(services: Services) -> str:
    ctx = services.context
    ctx.write("staff", "create", {"name": "Sam Staff", "email": "sam@example.org"}, record_id="u-staff")
    ctx.write("behaviour_type", "create", {"label": "On task", "valence": "positive"})
    return ctx.write("individual", "create", {"first_name": "Ada", "last_name": "Lovelace", "group": "Year 7"})


def tap_until_full(services: Services, child: str, behaviour: str) -> StorageProblem:
    """Tap on a full disk until a tap needs room the disk does not have (the first usually does; a tap may
    still fit in the space left in a page); each refused tap must leave no trace."""
    for _ in range(50):
        before = services.clicker.today_counts(child)
        pending = services.context.store.pending_count()
        try:
            services.clicker.tap(child, behaviour)
        except StorageProblem as refused:
            assert services.clicker.today_counts(child) == before
            assert services.context.store.pending_count() == pending
            return refused
    raise AssertionError("50 taps fitted on a full disk")


def test_a_tap_on_a_full_disk_is_refused_plainly_and_changes_nothing(store: LocalStore, services: Services, child: str):
    behaviour = services.clicker.buttons(child)[0].behaviour_type_id
    services.clicker.tap(child, behaviour)
    fill_disk(store.db)
    assert str(tap_until_full(services, child, behaviour)) == TAP_NOT_SAVED
    # The store is still usable: it reads, and once space returns it writes again.
    kept = services.clicker.today_counts(child)[behaviour]
    assert len(store.records("clicker_event", child)) == kept
    free_disk(store.db)
    services.clicker.tap(child, behaviour)
    assert services.clicker.today_counts(child) == {behaviour: kept + 1}


def test_a_draft_save_on_a_full_disk_keeps_the_saved_draft(store: LocalStore, services: Services, child: str):
    draft = services.incidents.start(child)
    services.incidents.save_page(draft.id, {"what_happened": "Left the room"})
    fill_disk(store.db)
    account = "Left the room, then the building. " * 400
    saved = "Left the room"
    for length in range(200, len(account), 200):  # saved as typed, until a save needs more room than is left
        try:
            services.incidents.save_page(draft.id, {"what_happened": account[:length]})
        except StorageProblem as refused:
            message = str(refused)
            break
        saved = account[:length]
    assert message.startswith("This device is out of storage: your latest change to the report")
    assert services.incidents.draft(draft.id).values["what_happened"] == saved
    free_disk(store.db)
    services.incidents.save_page(draft.id, {"what_happened": account})
    assert services.incidents.draft(draft.id).values["what_happened"] == account


def test_the_store_raises_storage_full_not_sqlite_errors(store: LocalStore):
    fill_disk(store.db)
    with pytest.raises(StorageFull, match="out of storage"):
        store.put_secret("anything", {"x": "y" * 5000})
    assert store.get_secret("anything") is None
    assert not store.db.in_transaction  # rolled back: nothing half-done holds the write lock


def test_close_releases_the_database_even_when_the_last_checkpoint_fails(store: LocalStore):
    db = store.db
    # A statement still reading on the connection makes SQLite refuse the checkpoint ("database table is locked").
    db.execute("BEGIN")
    db.execute("SELECT * FROM meta").fetchone()
    with pytest.raises(sqlite3.OperationalError):
        store.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")
    assert store.locked


def test_a_read_only_data_folder_is_said_plainly(tmp_path: Path, memory_keyring):
    folder = tmp_path / "data"
    LocalStore(folder).close()
    with read_only(folder), pytest.raises(StorageUnavailable, match="cannot write to its data folder"):
        LocalStore(folder)


def test_unlocking_with_a_read_only_data_folder_says_so_and_changes_nothing(tmp_path: Path, memory_keyring):
    from tests.support.screens import PASSCODE, STAFF, add_account

    config = ClientConfig(server_url="http://127.0.0.1:9", data_dir=tmp_path / "home")
    add_account(config, STAFF).close()
    folder = account_dir(config, STAFF.email)
    session = ClientSession(config)
    with read_only(folder), pytest.raises(SignInError, match="cannot write to its data folder"):
        session.unlock(STAFF.email, PASSCODE)
    assert session.store is None
    session.unlock(STAFF.email, PASSCODE)  # writable again: opens as before, nothing lost
    assert session.state == "unlocked"
    session.store.close()
