"""Field encryption: round trips, and every way a ciphertext can be moved or altered is refused."""

from __future__ import annotations

import os
import struct

import pytest

from localdb.crypto import FieldCipher, TamperError, UnknownKeyError

PLACE = {"table": "incident", "column": "body", "row_id": "row-1"}


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher({1: os.urandom(32)}, current_key_id=1)


def test_round_trip(cipher: FieldCipher) -> None:
    blob = cipher.encrypt(b"threw a chair", **PLACE)
    assert b"threw a chair" not in blob
    assert cipher.decrypt(blob, **PLACE) == b"threw a chair"


def test_blob_format_header_and_fresh_nonce(cipher: FieldCipher) -> None:
    first = cipher.encrypt(b"same", **PLACE)
    second = cipher.encrypt(b"same", **PLACE)
    assert first[0] == 1
    assert struct.unpack(">I", first[1:5]) == (1,)
    assert len(first) == 1 + 4 + 12 + len(b"same") + 16
    assert first[5:17] != second[5:17]
    assert FieldCipher.key_id_of(first) == 1


def test_empty_plaintext_round_trips(cipher: FieldCipher) -> None:
    assert cipher.decrypt(cipher.encrypt(b"", **PLACE), **PLACE) == b""


def test_json_round_trip_is_compact_and_sorted(cipher: FieldCipher) -> None:
    value = {"b": [1, 2], "a": "é"}
    blob = cipher.encrypt_json(value, **PLACE)
    assert cipher.decrypt_json(blob, **PLACE) == value
    assert cipher.decrypt(blob, **PLACE) == '{"a":"é","b":[1,2]}'.encode()


@pytest.mark.parametrize(
    "moved",
    [
        {"row_id": "row-2"},
        {"column": "notes"},
        {"table": "communication"},
        # Boundaries between parts must not be ambiguous.
        {"table": "incidentb", "column": "ody"},
    ],
    ids=["other-row", "other-column", "other-table", "shifted-boundary"],
)
def test_ciphertext_moved_elsewhere_is_refused(cipher: FieldCipher, moved: dict[str, str]) -> None:
    blob = cipher.encrypt(b"secret", **PLACE)
    with pytest.raises(TamperError, match="failed authentication") as caught:
        cipher.decrypt(blob, **{**PLACE, **moved})
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("index", [0, 4, 5, 16, 17, -1])
def test_flipped_byte_is_refused(cipher: FieldCipher, index: int) -> None:
    blob = bytearray(cipher.encrypt(b"secret", **PLACE))
    blob[index] ^= 0x01
    with pytest.raises(TamperError):
        cipher.decrypt(bytes(blob), **PLACE)


def test_truncated_or_wrong_type_is_refused(cipher: FieldCipher) -> None:
    blob = cipher.encrypt(b"secret", **PLACE)
    for bad in (b"", blob[:20], blob[:32]):
        with pytest.raises(TamperError):
            cipher.decrypt(bad, **PLACE)
    with pytest.raises(TamperError, match="not bytes"):
        cipher.decrypt("text", **PLACE)  # type: ignore[arg-type]


def test_header_key_id_changed_is_refused() -> None:
    cipher = FieldCipher({1: os.urandom(32), 2: os.urandom(32)}, current_key_id=1)
    blob = cipher.encrypt(b"secret", **PLACE)
    relabelled = blob[:1] + struct.pack(">I", 2) + blob[5:]
    with pytest.raises(TamperError, match="failed authentication"):
        cipher.decrypt(relabelled, **PLACE)
    unknown = blob[:1] + struct.pack(">I", 9) + blob[5:]
    with pytest.raises(UnknownKeyError, match="data key 9"):
        cipher.decrypt(unknown, **PLACE)


def test_unknown_version_is_refused(cipher: FieldCipher) -> None:
    blob = cipher.encrypt(b"secret", **PLACE)
    with pytest.raises(TamperError, match="format version 2"):
        cipher.decrypt(b"\x02" + blob[1:], **PLACE)


def test_rotation_keeps_old_values_readable() -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    cipher = FieldCipher({1: old_key}, current_key_id=1)
    old_blob = cipher.encrypt(b"before", **PLACE)

    cipher.add_key(2, new_key)
    new_blob = cipher.encrypt(b"after", **PLACE)

    assert FieldCipher.key_id_of(old_blob) == 1
    assert FieldCipher.key_id_of(new_blob) == 2
    assert cipher.current_key_id == 2
    assert cipher.decrypt(old_blob, **PLACE) == b"before"
    assert cipher.decrypt(new_blob, **PLACE) == b"after"
    # A cipher that only has the old key cannot read the new value.
    with pytest.raises(UnknownKeyError):
        FieldCipher({1: old_key}, current_key_id=1).decrypt(new_blob, **PLACE)


def test_other_store_key_is_refused(cipher: FieldCipher) -> None:
    other = FieldCipher({1: os.urandom(32)}, current_key_id=1)
    with pytest.raises(TamperError):
        other.decrypt(cipher.encrypt(b"secret", **PLACE), **PLACE)


def test_bad_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FieldCipher({1: b"short"}, current_key_id=1)
    with pytest.raises(ValueError, match="current key id"):
        FieldCipher({1: os.urandom(32)}, current_key_id=2)
    cipher = FieldCipher({1: os.urandom(32)}, current_key_id=1)
    with pytest.raises(ValueError, match="already loaded"):
        cipher.add_key(1, os.urandom(32))


def test_repr_shows_no_key_material() -> None:
    key = os.urandom(32)
    text = repr(FieldCipher({1: key}, current_key_id=1))
    assert key.hex() not in text and repr(key) not in text
    assert "key_ids=[1]" in text
