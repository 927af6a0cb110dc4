"""The key hierarchy: passcode + device secret unlock the data keys; every failure is a clear error."""

from __future__ import annotations

import json
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from localdb import keys
from localdb.crypto import FieldCipher

PLACE = {"table": "incident", "column": "body", "row_id": "row-1"}
PASSPHRASE = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.TEST_FAST_ENV, "1")


@pytest.fixture(params=[fail.Keyring, null.Keyring], ids=["fail", "null"])
def insecure_keyring(request: pytest.FixtureRequest) -> Iterator[keyring.backend.KeyringBackend]:
    previous = keyring.get_keyring()
    backend = request.param()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _secret_username(store_id: str) -> str:
    return f"device-secret:{store_id}"


class PlaintextKeyring(KeyringBackend):
    """Looks like keyrings.alt's file backend to the detection code (that package is not installed)."""

    __module__ = "keyrings.alt.file"
    priority = -1  # never chosen by keyring on its own

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        pass


# --- create / unlock --------------------------------------------------------------------------


def test_create_then_unlock_gives_the_same_key(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    assert set(created.data_keys) == {1}
    assert created.current_key_id == 1
    assert created.policy == "standard"
    assert ("besmart", _secret_username("s1")) in memory_keyring.items

    unlocked = keys.unlock("s1", "123456", created.wrapped)
    assert dict(unlocked.data_keys) == dict(created.data_keys)
    assert len(unlocked.data_keys[1]) == 32


def test_wrapped_key_survives_json(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    stored = json.dumps([w.to_dict() for w in created.wrapped])
    assert created.data_keys[1].hex() not in stored
    records = [keys.WrappedKey.from_dict(item) for item in json.loads(stored)]
    assert records == created.wrapped
    assert dict(keys.unlock("s1", "123456", records).data_keys) == dict(created.data_keys)


def test_wrong_passcode_is_refused(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    with pytest.raises(keys.WrongPasscodeError, match="Wrong passcode"):
        keys.unlock("s1", "654321", created.wrapped)


def test_keys_unlock_field_values(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    blob = created.field_cipher().encrypt(b"note", **PLACE)
    reopened = keys.unlock("s1", "123456", created.wrapped).field_cipher()
    assert reopened.decrypt(blob, **PLACE) == b"note"


def test_short_passcode_refused_even_with_secure_store(memory_keyring) -> None:
    with pytest.raises(keys.WeakPassphraseError, match="at least 6"):
        keys.create("s1", "12345")
    assert memory_keyring.items == {}


def test_device_secret_deleted_makes_store_unopenable(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    memory_keyring.items.clear()
    with pytest.raises(keys.DeviceSecretMissingError, match="cannot be opened on this device"):
        keys.unlock("s1", "123456", created.wrapped)
    # Callers catching the broader error still see it.
    assert issubclass(keys.DeviceSecretMissingError, keys.WrongPasscodeError)


def test_device_secret_of_another_store_does_not_help(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    keys.create("s2", "123456")
    with pytest.raises(keys.WrongPasscodeError):
        keys.unlock("s2", "123456", created.wrapped)


def test_destroy_removes_the_secret_and_is_idempotent(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    keys.destroy("s1")
    assert memory_keyring.items == {}
    keys.destroy("s1")
    with pytest.raises(keys.DeviceSecretMissingError):
        keys.unlock("s1", "123456", created.wrapped)


def test_tampered_record_is_refused(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    record = created.wrapped[0].to_dict()
    record["kdf_n"] = 2**30
    with pytest.raises(keys.KeyRecordError, match="out of range"):
        keys.WrappedKey.from_dict(record)
    with pytest.raises(keys.KeyRecordError):
        keys.WrappedKey.from_dict({**created.wrapped[0].to_dict(), "salt": "not base64!"})
    with pytest.raises(keys.KeyRecordError):
        keys.unlock("s1", "123456", [])


def test_moved_key_id_is_refused(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    record = created.wrapped[0].to_dict()
    record["key_id"] = 7
    with pytest.raises(keys.WrongPasscodeError):
        keys.unlock("s1", "123456", [keys.WrappedKey.from_dict(record)])


# --- passcode change ------------------------------------------------------------------------


def test_passcode_change(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    new_wrapped = keys.rewrap("s1", "123456", "new-passcode", created.wrapped)

    assert new_wrapped[0].salt != created.wrapped[0].salt
    unlocked = keys.unlock("s1", "new-passcode", new_wrapped)
    assert dict(unlocked.data_keys) == dict(created.data_keys)
    with pytest.raises(keys.WrongPasscodeError):
        keys.unlock("s1", "123456", new_wrapped)


def test_passcode_change_needs_the_old_passcode(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    with pytest.raises(keys.WrongPasscodeError):
        keys.rewrap("s1", "000000", "new-passcode", created.wrapped)
    with pytest.raises(keys.WeakPassphraseError):
        keys.rewrap("s1", "123456", "1", created.wrapped)


# --- rotation -------------------------------------------------------------------------------


def test_rotation_without_passcode(memory_keyring) -> None:
    unlocked = keys.create("s1", "123456")
    cipher = unlocked.field_cipher()
    old_blob = cipher.encrypt(b"before", **PLACE)

    record = unlocked.wrap_new_key()
    assert record.key_id == 2
    cipher.add_key(record.key_id, unlocked.data_keys[record.key_id])
    new_blob = cipher.encrypt(b"after", **PLACE)

    assert FieldCipher.key_id_of(old_blob) == 1
    assert FieldCipher.key_id_of(new_blob) == 2
    assert [w.key_id for w in unlocked.wrapped] == [1, 2]

    reopened = keys.unlock("s1", "123456", unlocked.wrapped)
    assert reopened.current_key_id == 2
    again = reopened.field_cipher()
    assert again.decrypt(old_blob, **PLACE) == b"before"
    assert again.decrypt(new_blob, **PLACE) == b"after"

    # A passcode change re-wraps every key, old and new.
    changed = reopened.change_passcode("another-one")
    assert [w.key_id for w in changed] == [1, 2]
    assert dict(keys.unlock("s1", "another-one", changed).data_keys) == dict(reopened.data_keys)


def test_swapped_wrapped_key_is_detected(memory_keyring) -> None:
    first = keys.create("s1", "123456")
    first.wrap_new_key()
    other = keys.create("s2", "123456")
    # Record 2 from another store, same passcode: it does not open under this store's KEK.
    foreign = other.wrap_new_key()
    with pytest.raises(keys.KeyRecordError, match="altered"):
        keys.unlock("s1", "123456", [first.wrapped[0], foreign])


def test_forget_drops_the_keys(memory_keyring) -> None:
    unlocked = keys.create("s1", "123456")
    unlocked.forget()
    with pytest.raises(keys.KeysLockedError):
        _ = unlocked.data_keys
    with pytest.raises(keys.KeysLockedError):
        unlocked.wrap_new_key()
    assert "forgotten" in repr(unlocked)


# --- no secure OS store ---------------------------------------------------------------------


def test_no_secure_store_refuses_weak_passcodes(insecure_keyring) -> None:
    for weak in ("123456", "12345678901234", "short pass"):
        with pytest.raises(keys.WeakPassphraseError, match="no secure key store"):
            keys.create("s1", weak)


def test_no_secure_store_strong_passphrase_works(insecure_keyring, monkeypatch) -> None:
    writes: list[tuple[str, ...]] = []
    monkeypatch.setattr(keyring, "set_password", lambda *args: writes.append(args), raising=True)
    created = keys.create("s1", PASSPHRASE)
    assert created.policy == "strengthened"
    record = created.wrapped[0]
    assert record.policy == "strengthened"
    assert record.uses_device_secret is False
    assert record.kdf_n == keys.KDF_N_TEST_FAST  # the fast override, recorded as used
    assert writes == []

    unlocked = keys.unlock("s1", PASSPHRASE, created.wrapped)
    assert dict(unlocked.data_keys) == dict(created.data_keys)
    with pytest.raises(keys.WrongPasscodeError):
        keys.unlock("s1", PASSPHRASE + "x", created.wrapped)


def test_strengthened_store_still_opens_once_a_secure_store_appears(memory_keyring) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        created = keys.create("s1", PASSPHRASE)
    finally:
        keyring.set_keyring(previous)
    unlocked = keys.unlock("s1", PASSPHRASE, created.wrapped)
    assert dict(unlocked.data_keys) == dict(created.data_keys)
    assert memory_keyring.items == {}


def test_standard_store_cannot_open_without_secure_store(memory_keyring) -> None:
    created = keys.create("s1", "123456")
    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    try:
        with pytest.raises(keys.DeviceSecretMissingError):
            keys.unlock("s1", "123456", created.wrapped)
    finally:
        keyring.set_keyring(previous)


def test_default_kdf_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keys.TEST_FAST_ENV)
    assert keys.kdf_n_for(strengthened=False) == 2**15
    assert keys.kdf_n_for(strengthened=True) == 2**17
    monkeypatch.setenv(keys.TEST_FAST_ENV, "1")
    assert keys.kdf_n_for(strengthened=True) == 2**12


def test_real_parameters_end_to_end(memory_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keys.TEST_FAST_ENV)
    created = keys.create("s1", "123456")
    assert (created.wrapped[0].kdf_n, created.wrapped[0].kdf_r, created.wrapped[0].kdf_p) == (
        2**15,
        8,
        1,
    )
    assert dict(keys.unlock("s1", "123456", created.wrapped).data_keys) == dict(created.data_keys)


# --- secure store detection -----------------------------------------------------------------


def test_secure_keyring_detection(memory_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    assert keys.secure_keyring_available()

    for insecure in (fail.Keyring(), null.Keyring()):
        keyring.set_keyring(insecure)
        assert not keys.secure_keyring_available()

    keyring.set_keyring(PlaintextKeyring())
    assert not keys.secure_keyring_available()

    keyring.set_keyring(chainer.ChainerBackend())
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [memory_keyring])
    assert keys.secure_keyring_available()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [memory_keyring, PlaintextKeyring()])
    assert not keys.secure_keyring_available()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [fail.Keyring()])
    assert not keys.secure_keyring_available()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    assert not keys.secure_keyring_available()


def test_repr_hides_keys(memory_keyring) -> None:
    unlocked = keys.create("s1", "123456")
    assert unlocked.data_keys[1].hex() not in repr(unlocked)
    assert repr(unlocked.data_keys[1]) not in repr(unlocked)
