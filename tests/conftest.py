"""Shared fixtures: an in-memory OS keyring (the outside world) and fast key derivation for tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

# Tests use cheap scrypt parameters; real use never sets this (see localdb/keys.py).
os.environ.setdefault("BESMART_KDF_TEST_FAST", "1")


class MemoryKeyring(KeyringBackend):
    """A stand-in for the OS secure store: keeps secrets in a dict, in memory only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.items[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_secure_keyring() -> Iterator[None]:
    """A machine with no OS secure store (keyring's fail backend, as on headless Linux)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
