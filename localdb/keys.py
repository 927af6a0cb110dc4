"""The key hierarchy of the on-device store: passcode + device secret -> KEK -> wrapped data keys.

This module owns how data keys are made, wrapped, unwrapped and destroyed; it never touches the
database (the store persists ``WrappedKey.to_dict()`` in its meta table) and never encrypts fields
(that is ``localdb.crypto``).

- **Data keys**: random 256-bit AES keys, numbered from 1. Rotation adds a key with the next id;
  older keys stay so values written under them remain readable.
- **Device secret**: 32 random bytes kept in the OS secure store through ``keyring`` (service
  ``"besmart"``, username ``"device-secret:<store id>"``, base64). A copied database plus an
  offline search over a 6-digit PIN is then not enough: the secret never leaves the device's store.
- **KEK**: ``HKDF-SHA256(scrypt(passcode, salt) || device_secret, info=b"besmart-kek-v1")``, held
  only in memory while the store is unlocked (``UnlockedKeys``), dropped by ``forget()``.
- **WrappedKey**: a data key sealed with AES-256-GCM under the KEK, associated data
  ``b"besmart-dek|" + key id (4 bytes, big-endian)``. It holds salt, KDF parameters, nonce and
  ciphertext only, so it can be stored as plain JSON.

Policy when the OS has no secure store (``keyring``'s fail or null backend, or any ``keyrings.alt``
backend, which keeps the "secret" in a file next to the data): we never store a secret in plaintext
and never fall back silently. Instead the passcode must be a strong passphrase (at least 12
characters, not only digits: ``WeakPassphraseError`` otherwise), scrypt is strengthened from
n=2**15 to n=2**17, and there is no device secret (empty bytes go into the KEK). The choice is
recorded in every ``WrappedKey`` (``uses_device_secret=False`` and ``kdf_n``), so unlock uses the
same parameters even if a secure store appears later. With a secure store any passcode of at least
6 characters is accepted and scrypt uses n=2**15, r=8, p=1.

Tests may set ``BESMART_KDF_TEST_FAST=1`` to use n=2**12 under both policies. Never set it for real
use: the n is recorded in the store and stays that weak until the passcode is changed.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from localdb.crypto import KEY_BYTES, NONCE_BYTES, FieldCipher
from localdb.errors import LocalDbError

__all__ = [
    "KDF_N_STANDARD",
    "KDF_N_STRENGTHENED",
    "KDF_N_TEST_FAST",
    "KEYRING_SERVICE",
    "DeviceSecretMissingError",
    "KeyRecordError",
    "KeysError",
    "KeysLockedError",
    "SecureStoreError",
    "UnlockedKeys",
    "WeakPassphraseError",
    "WrappedKey",
    "WrongPasscodeError",
    "check_passcode",
    "create",
    "destroy",
    "kdf_n_for",
    "rewrap",
    "secure_keyring_available",
    "unlock",
]

KEYRING_SERVICE = "besmart"
KDF_N_STANDARD = 2**15
KDF_N_STRENGTHENED = 2**17
KDF_N_TEST_FAST = 2**12
KDF_R = 8
KDF_P = 1
TEST_FAST_ENV = "BESMART_KDF_TEST_FAST"
MIN_PASSCODE_CHARS = 6
MIN_PASSPHRASE_CHARS = 12

_SALT_BYTES = 16
_DEVICE_SECRET_BYTES = 32
_KEK_INFO = b"besmart-kek-v1"
_DEK_AAD_PREFIX = b"besmart-dek|"
_RECORD_FORMAT = 1
# Bounds on parameters read back from disk: a tampered record must not make unlock allocate
# gigabytes (n=2**20, r=8 is already 1 GiB).
_KDF_N_MIN, _KDF_N_MAX = KDF_N_TEST_FAST, 2**20
_WRAPPED_BYTES = KEY_BYTES + 16

Policy = Literal["standard", "strengthened"]


class KeysError(LocalDbError):
    """Base class of key-hierarchy errors."""


class WeakPassphraseError(KeysError, ValueError):
    """The passcode is too weak for this device's policy."""


class WrongPasscodeError(KeysError):
    """The passcode did not unlock the data keys."""


class DeviceSecretMissingError(WrongPasscodeError):
    """The device secret this store needs is not in the OS secure store: it cannot open here."""


class SecureStoreError(KeysError):
    """The OS secure store exists but refused the operation (locked, access denied, ...)."""


class KeyRecordError(KeysError):
    """Wrapped-key records are malformed, inconsistent, or were altered."""


class KeysLockedError(KeysError):
    """The keys were forgotten (store locked); unlock again."""


# --- policy -----------------------------------------------------------------------------------


# keyring is imported where it is used, not with this module: its import (jaraco's helpers, urllib.request,
# http.client, email) was a tenth of a client's start-up before its unlock screen, and unlocking a store that
# a passphrase alone opens never asks the OS key store (bench/RESULTS.md, "Issue #14, fourth pass: start-up").


def _is_insecure_backend(backend: object) -> bool:
    from keyring.backends import fail as keyring_fail
    from keyring.backends import null as keyring_null

    if isinstance(backend, keyring_fail.Keyring | keyring_null.Keyring):
        return True
    # keyrings.alt backends keep the secret in a file beside the data (plaintext or with a
    # well-known key), which protects nothing against someone holding a copy of the disk.
    return type(backend).__module__.startswith("keyrings.alt")


def secure_keyring_available() -> bool:
    """True when keyring's active backend is a real OS secure store.

    A chained backend counts only if it has members and all of them are secure: writes go to the
    first member that accepts them, so one insecure member could receive the device secret.
    """
    import keyring
    from keyring.backends import chainer as keyring_chainer

    backend = keyring.get_keyring()
    if isinstance(backend, keyring_chainer.ChainerBackend):
        members = list(backend.backends)
        return bool(members) and not any(_is_insecure_backend(m) for m in members)
    return not _is_insecure_backend(backend)


def kdf_n_for(*, strengthened: bool) -> int:
    """The scrypt n for new wrappings under a policy (read each call so tests can switch it)."""
    if os.environ.get(TEST_FAST_ENV) == "1":
        return KDF_N_TEST_FAST
    return KDF_N_STRENGTHENED if strengthened else KDF_N_STANDARD


def _normalize(passcode: str) -> bytes:
    if not isinstance(passcode, str):
        raise TypeError(f"passcode must be str, got {type(passcode).__name__}")
    # The same passcode typed on two keyboards may arrive composed or decomposed.
    return unicodedata.normalize("NFC", passcode).encode("utf-8")


def check_passcode(passcode: str, *, strengthened: bool) -> None:
    """Raise WeakPassphraseError if ``passcode`` is not acceptable under the policy."""
    text = _normalize(passcode).decode("utf-8")
    if strengthened:
        if len(text) < MIN_PASSPHRASE_CHARS or all(ch.isdigit() or ch.isspace() for ch in text):
            raise WeakPassphraseError(
                "This device has no secure key store, so a PIN is not enough: choose a "
                f"passphrase of at least {MIN_PASSPHRASE_CHARS} characters that is not only digits."
            )
    elif len(text) < MIN_PASSCODE_CHARS:
        raise WeakPassphraseError(f"The passcode must be at least {MIN_PASSCODE_CHARS} characters.")


# --- wrapped key records ----------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise KeyRecordError(f"wrapped key field {name!r} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRecordError(f"wrapped key field {name!r} is not valid base64") from None


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """One data key sealed under the KEK, with what is needed to re-derive that KEK.

    Nothing here is secret: it is safe to persist as plain JSON.
    """

    key_id: int
    salt: bytes
    kdf_n: int
    nonce: bytes
    ciphertext: bytes
    uses_device_secret: bool
    kdf_r: int = KDF_R
    kdf_p: int = KDF_P

    @property
    def policy(self) -> Policy:
        """ "standard" (passcode + device secret) or "strengthened" (passphrase only)."""
        return "standard" if self.uses_device_secret else "strengthened"

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": _RECORD_FORMAT,
            "kdf": "scrypt",
            "key_id": self.key_id,
            "salt": _b64(self.salt),
            "kdf_n": self.kdf_n,
            "kdf_r": self.kdf_r,
            "kdf_p": self.kdf_p,
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
            "uses_device_secret": self.uses_device_secret,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WrappedKey:
        if not isinstance(data, Mapping):
            raise KeyRecordError("wrapped key record must be a JSON object")
        if data.get("format") != _RECORD_FORMAT or data.get("kdf") != "scrypt":
            raise KeyRecordError(
                f"unsupported wrapped key record (format={data.get('format')!r}, kdf={data.get('kdf')!r})"
            )
        ints = {}
        for name in ("key_id", "kdf_n", "kdf_r", "kdf_p"):
            value = data.get(name)
            if type(value) is not int:
                raise KeyRecordError(f"wrapped key field {name!r} must be an integer")
            ints[name] = value
        uses_device_secret = data.get("uses_device_secret")
        if type(uses_device_secret) is not bool:
            raise KeyRecordError("wrapped key field 'uses_device_secret' must be true or false")
        record = cls(
            salt=_unb64(data.get("salt"), "salt"),
            nonce=_unb64(data.get("nonce"), "nonce"),
            ciphertext=_unb64(data.get("ciphertext"), "ciphertext"),
            uses_device_secret=uses_device_secret,
            **ints,
        )
        record.validate()
        return record

    def validate(self) -> None:
        """Raise KeyRecordError if the record could not have been written by this module."""
        n = self.kdf_n
        if not (_KDF_N_MIN <= n <= _KDF_N_MAX and n & (n - 1) == 0):
            raise KeyRecordError(f"wrapped key {self.key_id}: scrypt n={n} is out of range")
        if not (1 <= self.kdf_r <= 32 and 1 <= self.kdf_p <= 16):
            raise KeyRecordError(f"wrapped key {self.key_id}: scrypt r/p out of range")
        if not 1 <= self.key_id <= 2**32 - 1:
            raise KeyRecordError(f"wrapped key id {self.key_id} is out of range")
        if len(self.salt) < _SALT_BYTES or len(self.nonce) != NONCE_BYTES:
            raise KeyRecordError(f"wrapped key {self.key_id}: bad salt or nonce length")
        if len(self.ciphertext) != _WRAPPED_BYTES:
            raise KeyRecordError(f"wrapped key {self.key_id}: bad ciphertext length")


@dataclass(frozen=True, slots=True)
class _KekParams:
    salt: bytes
    kdf_n: int
    kdf_r: int
    kdf_p: int
    uses_device_secret: bool

    @classmethod
    def of(cls, record: WrappedKey) -> _KekParams:
        return cls(record.salt, record.kdf_n, record.kdf_r, record.kdf_p, record.uses_device_secret)

    @classmethod
    def fresh(cls, *, uses_device_secret: bool) -> _KekParams:
        return cls(
            salt=os.urandom(_SALT_BYTES),
            kdf_n=kdf_n_for(strengthened=not uses_device_secret),
            kdf_r=KDF_R,
            kdf_p=KDF_P,
            uses_device_secret=uses_device_secret,
        )


def _derive_kek(passcode: bytes, params: _KekParams, device_secret: bytes) -> bytes:
    stretched = Scrypt(salt=params.salt, length=32, n=params.kdf_n, r=params.kdf_r, p=params.kdf_p).derive(passcode)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEK_INFO).derive(stretched + device_secret)


def _dek_aad(key_id: int) -> bytes:
    return _DEK_AAD_PREFIX + struct.pack(">I", key_id)


def _wrap(kek: bytes, params: _KekParams, key_id: int, data_key: bytes) -> WrappedKey:
    nonce = os.urandom(NONCE_BYTES)
    return WrappedKey(
        key_id=key_id,
        salt=params.salt,
        kdf_n=params.kdf_n,
        nonce=nonce,
        ciphertext=AESGCM(kek).encrypt(nonce, data_key, _dek_aad(key_id)),
        uses_device_secret=params.uses_device_secret,
        kdf_r=params.kdf_r,
        kdf_p=params.kdf_p,
    )


# --- device secret ----------------------------------------------------------------------------


def _username(store_id: str) -> str:
    if not isinstance(store_id, str) or not store_id:
        raise ValueError("store_id must be a non-empty string")
    return f"device-secret:{store_id}"


_MISSING_SECRET = (
    "This store cannot be opened on this device: its device secret is missing from the OS "
    "secure store (the store was copied from another device, or the OS key store was reset). "
    "Wipe it and sync again from the server."
)


def _load_device_secret(store_id: str) -> bytes:
    import keyring.errors

    if not secure_keyring_available():
        raise DeviceSecretMissingError(_MISSING_SECRET)
    try:
        encoded = keyring.get_password(KEYRING_SERVICE, _username(store_id))
    except keyring.errors.NoKeyringError:
        raise DeviceSecretMissingError(_MISSING_SECRET) from None
    except keyring.errors.KeyringError as exc:
        raise SecureStoreError(f"The OS secure store could not be read: {exc}") from None
    if encoded is None:
        raise DeviceSecretMissingError(_MISSING_SECRET)
    try:
        secret = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise DeviceSecretMissingError(_MISSING_SECRET) from None
    if len(secret) != _DEVICE_SECRET_BYTES:
        raise DeviceSecretMissingError(_MISSING_SECRET)
    return secret


def _save_device_secret(store_id: str, secret: bytes) -> None:
    import keyring.errors

    try:
        keyring.set_password(KEYRING_SERVICE, _username(store_id), _b64(secret))
    except keyring.errors.KeyringError as exc:
        raise SecureStoreError(f"The OS secure store refused the device secret: {exc}") from None
    # A backend that accepts writes but drops them would leave a store nobody can ever open.
    if _load_device_secret(store_id) != secret:
        raise SecureStoreError("The OS secure store did not keep the device secret.")


# --- the hierarchy ----------------------------------------------------------------------------


class UnlockedKeys:
    """The data keys of an unlocked store, and the KEK so keys can be added without the passcode.

    Call ``forget()`` when the store locks. Python cannot wipe ``bytes``, so this drops references
    and lets the memory be reclaimed; it is the best the runtime allows.
    """

    def __init__(
        self,
        store_id: str,
        data_keys: dict[int, bytes],
        wrapped: list[WrappedKey],
        kek: bytes,
        params: _KekParams,
    ) -> None:
        self._store_id = store_id
        self._data_keys: dict[int, bytes] | None = data_keys
        self._wrapped = wrapped
        self._kek: bytes | None = kek
        self._params = params

    def __repr__(self) -> str:
        state = "forgotten" if self._data_keys is None else f"key_ids={sorted(self._data_keys)}"
        return f"UnlockedKeys(store_id={self._store_id!r}, {state})"

    def _keys(self) -> dict[int, bytes]:
        if self._data_keys is None:
            raise KeysLockedError("The store is locked: unlock it with the passcode first.")
        return self._data_keys

    @property
    def store_id(self) -> str:
        return self._store_id

    @property
    def data_keys(self) -> Mapping[int, bytes]:
        """Read-only view of key id -> 32-byte data key."""
        return MappingProxyType(self._keys())

    @property
    def current_key_id(self) -> int:
        """The newest key: new values are encrypted under it."""
        return max(self._keys())

    @property
    def wrapped(self) -> list[WrappedKey]:
        """The records to persist (one per data key)."""
        return list(self._wrapped)

    @property
    def policy(self) -> Policy:
        return "standard" if self._params.uses_device_secret else "strengthened"

    def field_cipher(self) -> FieldCipher:
        """A FieldCipher holding every data key, encrypting under the current one."""
        keys = self._keys()
        return FieldCipher(dict(keys), max(keys))

    def wrap_new_key(self) -> WrappedKey:
        """Rotate: make a data key with the next id and wrap it under the same KEK.

        The caller persists the returned record, then loads the key into its cipher with
        ``cipher.add_key(record.key_id, unlocked.data_keys[record.key_id])``.
        """
        keys = self._keys()
        assert self._kek is not None
        key_id = max(keys) + 1
        data_key = AESGCM.generate_key(bit_length=256)
        record = _wrap(self._kek, self._params, key_id, data_key)
        keys[key_id] = data_key
        self._wrapped.append(record)
        return record

    def change_passcode(self, new_passcode: str) -> list[WrappedKey]:
        """Re-wrap every data key under a KEK from ``new_passcode`` and a new salt.

        The data keys (and so every encrypted field) are unchanged; the device-secret policy of
        the store is kept. Returns the records that replace all stored ones.
        """
        keys = self._keys()
        uses_device_secret = self._params.uses_device_secret
        check_passcode(new_passcode, strengthened=not uses_device_secret)
        device_secret = _load_device_secret(self._store_id) if uses_device_secret else b""
        params = _KekParams.fresh(uses_device_secret=uses_device_secret)
        kek = _derive_kek(_normalize(new_passcode), params, device_secret)
        wrapped = [_wrap(kek, params, key_id, keys[key_id]) for key_id in sorted(keys)]
        self._kek, self._params, self._wrapped = kek, params, wrapped
        return list(wrapped)

    def forget(self) -> None:
        """Drop the data keys and the KEK (on lock). Later use raises KeysLockedError."""
        if self._data_keys is not None:
            self._data_keys.clear()
        self._data_keys = None
        self._kek = None


def create(store_id: str, passcode: str) -> UnlockedKeys:
    """Make the keys for a new store: data key 1, and a device secret if a secure store exists.

    Without a secure store the strengthened policy applies (see the module docstring) and nothing
    is written to keyring. A device secret left under the same store id by an earlier store is
    replaced, which makes that earlier store unreadable.
    """
    _username(store_id)
    secure = secure_keyring_available()
    check_passcode(passcode, strengthened=not secure)
    device_secret = os.urandom(_DEVICE_SECRET_BYTES) if secure else b""
    params = _KekParams.fresh(uses_device_secret=secure)
    kek = _derive_kek(_normalize(passcode), params, device_secret)
    data_key = AESGCM.generate_key(bit_length=256)
    wrapped = [_wrap(kek, params, 1, data_key)]
    if secure:
        _save_device_secret(store_id, device_secret)
    return UnlockedKeys(store_id, {1: data_key}, wrapped, kek, params)


def unlock(store_id: str, passcode: str, wrapped: Iterable[WrappedKey]) -> UnlockedKeys:
    """Unwrap every data key of a store. Reads keyring only; writes nothing anywhere.

    Raises WrongPasscodeError (DeviceSecretMissingError if the device secret is gone), or
    KeyRecordError if the records are malformed or were altered.
    """
    records = list(wrapped)
    if not records:
        raise KeyRecordError("The store has no wrapped data keys.")
    for record in records:
        record.validate()
    if len({r.key_id for r in records}) != len(records):
        raise KeyRecordError("The store's wrapped data keys repeat a key id.")
    secret = _normalize(passcode)
    device_secret = _load_device_secret(store_id) if any(r.uses_device_secret for r in records) else b""

    keks: dict[_KekParams, bytes] = {}
    data_keys: dict[int, bytes] = {}
    failed: list[int] = []
    for record in records:
        params = _KekParams.of(record)
        if params not in keks:
            keks[params] = _derive_kek(secret, params, device_secret if params.uses_device_secret else b"")
        try:
            data_keys[record.key_id] = AESGCM(keks[params]).decrypt(
                record.nonce, record.ciphertext, _dek_aad(record.key_id)
            )
        except InvalidTag:
            failed.append(record.key_id)
    if not data_keys:
        raise WrongPasscodeError("Wrong passcode.")
    if failed:
        # The passcode opened some keys, so the others were altered or swapped in.
        raise KeyRecordError(
            f"Wrapped data key(s) {sorted(failed)} failed authentication: the key records were altered."
        )
    newest = max(records, key=lambda r: r.key_id)
    return UnlockedKeys(
        store_id,
        data_keys,
        sorted(records, key=lambda r: r.key_id),
        keks[_KekParams.of(newest)],
        _KekParams.of(newest),
    )


def rewrap(store_id: str, old_passcode: str, new_passcode: str, wrapped: Iterable[WrappedKey]) -> list[WrappedKey]:
    """Change the passcode: unlock with the old one, re-wrap the same data keys under the new."""
    unlocked = unlock(store_id, old_passcode, wrapped)
    try:
        return unlocked.change_passcode(new_passcode)
    finally:
        unlocked.forget()


def destroy(store_id: str) -> None:
    """Delete the store's device secret from the OS secure store; absent is fine.

    With the secret gone the wrapped keys can never be opened again: this is the wipe.
    """
    import keyring.errors

    username = _username(store_id)
    try:
        keyring.delete_password(KEYRING_SERVICE, username)
    except (keyring.errors.PasswordDeleteError, keyring.errors.NoKeyringError):
        pass
    except keyring.errors.KeyringError as exc:
        raise SecureStoreError(f"The OS secure store could not delete the device secret: {exc}") from None
