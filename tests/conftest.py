"""Shared fixtures: an in-memory OS keyring (the outside world), fast key derivation for tests, and the server
fixtures of `tests/support/fixtures.py`. Helpers live in `tests/support/`."""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

from tests.support.keyring import MemoryKeyring

# Tests use cheap scrypt parameters; real use never sets this (see localdb/keys.py).
os.environ.setdefault("BESMART_KDF_TEST_FAST", "1")

#: fixtures for every folder: a server and its database, a device with one account, the screens in-process
pytest_plugins = ["pytester", "tests.support.fixtures", "tests.support.device", "tests.support.screens"]


#: The longest files, run first. `./dev.sh test` hands files to its two workers in collection order
#: (`--dist loadfile --no-loadscope-reorder`; xdist's own order puts the files with the most tests first, so
#: the convergence test and the browser tests, a few long tests each, ran last and one worker waited for the
#: other). Longest first, the many short files fill in at the end.
LONGEST_FIRST = ("tests/sync/test_client_convergence.py", "tests/e2e/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((n for n, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: each file's tests stay together and in order


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
