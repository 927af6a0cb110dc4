"""Field encryption for the on-device store: AES-256-GCM bound to table, column and row.

This module owns the ciphertext format and nothing else: it never touches the database or the
key hierarchy (see ``localdb.keys``). A sensitive value is stored as one blob::

    version (1 byte, = 1) | key id (4 bytes, big-endian) | nonce (12 bytes) | ciphertext + tag

The associated data covers the header (version and key id) and the table, column and row id the
value belongs to, so a blob that is altered, re-labelled with another key id, or copied to another
row, column or table fails authentication instead of decrypting as somebody else's data.
"""

from __future__ import annotations

import functools
import json
import os
import struct
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from localdb.errors import LocalDbError

__all__ = [
    "FORMAT_VERSION",
    "KEY_BYTES",
    "NONCE_BYTES",
    "FieldCipher",
    "TamperError",
    "UnknownKeyError",
]

FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER = struct.Struct(">BI")
_MIN_BLOB = _HEADER.size + NONCE_BYTES + _TAG_BYTES
_MAX_KEY_ID = 2**32 - 1
_AAD_LABEL = b"besmart-field-v1"
#: compact, sorted keys so equal values match; one encoder for every call (json.dumps with options builds a new
#: encoder each time: every tap seals two values)
_JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class TamperError(LocalDbError):
    """A ciphertext failed authentication: altered, truncated, or moved to another place."""


class UnknownKeyError(TamperError):
    """A ciphertext names a data key this store does not hold."""


def _aad(header: bytes, table: str, column: str, row_id: str) -> bytes:
    # Length-prefix every part so ("ab", "c") and ("a", "bc") can never produce the same bytes.
    raw = row_id.encode("utf-8")
    return _aad_prefix(header, table, column) + struct.pack(">I", len(raw)) + raw


@functools.lru_cache(maxsize=64)
def _aad_prefix(header: bytes, table: str, column: str) -> bytes:
    """The part of the associated data before the row id: the same for every value of a column (cached)."""
    parts = [_AAD_LABEL, header]
    for text in (table, column):
        raw = text.encode("utf-8")
        parts.append(struct.pack(">I", len(raw)))
        parts.append(raw)
    return b"".join(parts)


def _where(table: str, column: str) -> str:
    return f"{table}.{column}"


class FieldCipher:
    """Encrypts and decrypts field values with a set of data keys, new values under the current one.

    Old keys stay so values written before a rotation remain readable; ``add_key`` makes a newly
    rotated key current.
    """

    __slots__ = ("_aead", "_current_key_id")

    def __init__(self, data_keys: Mapping[int, bytes], current_key_id: int) -> None:
        # One AESGCM object per key: building it costs more than encrypting a small field.
        self._aead: dict[int, AESGCM] = {}
        for key_id, key in data_keys.items():
            self._aead[key_id] = self._make_aead(key_id, key)
        if current_key_id not in self._aead:
            raise ValueError(f"current key id {current_key_id} is not among the data keys")
        self._current_key_id = current_key_id

    @staticmethod
    def _make_aead(key_id: int, key: bytes) -> AESGCM:
        if not isinstance(key_id, int) or not 0 <= key_id <= _MAX_KEY_ID:
            raise ValueError(f"key id must be an integer in 0..{_MAX_KEY_ID}, got {key_id!r}")
        if len(key) != KEY_BYTES:
            raise ValueError(f"data key {key_id} must be {KEY_BYTES} bytes, got {len(key)}")
        return AESGCM(bytes(key))

    def __repr__(self) -> str:
        # Never show key material, only which keys are loaded.
        return f"FieldCipher(key_ids={sorted(self._aead)}, current_key_id={self._current_key_id})"

    @property
    def current_key_id(self) -> int:
        return self._current_key_id

    @property
    def key_ids(self) -> frozenset[int]:
        return frozenset(self._aead)

    def add_key(self, key_id: int, key: bytes, *, make_current: bool = True) -> None:
        """Load another data key (after a rotation); by default new values use it from now on."""
        if key_id in self._aead:
            raise ValueError(f"data key {key_id} is already loaded")
        self._aead[key_id] = self._make_aead(key_id, key)
        if make_current:
            self._current_key_id = key_id

    def encrypt(self, plaintext: bytes, *, table: str, column: str, row_id: str) -> bytes:
        """Encrypt ``plaintext`` under the current key, bound to ``table``/``column``/``row_id``."""
        key_id = self._current_key_id
        header = _HEADER.pack(FORMAT_VERSION, key_id)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[key_id].encrypt(nonce, plaintext, _aad(header, table, column, row_id))
        return header + nonce + sealed

    def decrypt(self, blob: bytes, *, table: str, column: str, row_id: str) -> bytes:
        """Decrypt a blob made by ``encrypt`` for the same place; raise TamperError otherwise."""
        key_id = self.key_id_of(blob, table=table, column=column)
        aead = self._aead.get(key_id)
        if aead is None:
            raise UnknownKeyError(
                f"Encrypted value in {_where(table, column)} (row {row_id}) uses data key "
                f"{key_id}, which this store does not hold: the value was altered, or it comes "
                "from another store."
            )
        header = bytes(blob[: _HEADER.size])
        nonce = bytes(blob[_HEADER.size : _HEADER.size + NONCE_BYTES])
        sealed = bytes(blob[_HEADER.size + NONCE_BYTES :])
        try:
            return aead.decrypt(nonce, sealed, _aad(header, table, column, row_id))
        except InvalidTag:
            raise TamperError(
                f"Encrypted value in {_where(table, column)} (row {row_id}) failed "
                "authentication: it was altered, or copied from another row, column or table."
            ) from None

    @staticmethod
    def key_id_of(blob: bytes, *, table: str = "?", column: str = "?") -> int:
        """The data key id named in a blob's header (used to find values still on an old key)."""
        if not isinstance(blob, bytes | bytearray | memoryview):
            raise TamperError(f"Encrypted value in {_where(table, column)} is not bytes (got {type(blob).__name__}).")
        if len(blob) < _MIN_BLOB:
            raise TamperError(
                f"Encrypted value in {_where(table, column)} is truncated "
                f"({len(blob)} bytes, at least {_MIN_BLOB} expected)."
            )
        version: int
        key_id: int
        version, key_id = _HEADER.unpack_from(blob)
        if version != FORMAT_VERSION:
            raise TamperError(f"Encrypted value in {_where(table, column)} has unknown format version {version}.")
        return key_id

    def encrypt_json(self, obj: Any, *, table: str, column: str, row_id: str) -> bytes:
        """Encrypt a JSON-serialisable value (compact, sorted keys so equal values match)."""
        return self.encrypt(_JSON.encode(obj).encode("utf-8"), table=table, column=column, row_id=row_id)

    def decrypt_json(self, blob: bytes, *, table: str, column: str, row_id: str) -> Any:
        """Decrypt a value made by ``encrypt_json``."""
        return json.loads(self.decrypt(blob, table=table, column=column, row_id=row_id))
