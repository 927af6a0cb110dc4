"""Stand-ins for the operating system's secure key store: in memory, or in a file several processes share."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring
from jaraco.classes import properties
from keyring.backend import KeyringBackend

#: where `FileKeyring()` keeps its secrets when made with no path (as keyring makes the backend that
#: PYTHON_KEYRING_BACKEND names: `PYTHON_KEYRING_BACKEND=tests.support.keyring.FileKeyring`)
FILE_KEYRING_ENV = "BESMART_KEYRING_FILE"


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


class FileKeyring(KeyringBackend):
    """A stand-in for the OS secure store shared by processes (bench/startup.py prepares a device in one and
    times its start-ups in others): the secrets are in a JSON file."""

    @properties.classproperty
    def priority(cls) -> float:
        """Viable only where the environment names the file: keyring's own search for a backend (in any process
        that set none, e.g. the tests') passes over it."""
        if FILE_KEYRING_ENV not in os.environ:
            raise RuntimeError(f"{FILE_KEYRING_ENV} names no file")
        return 1

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = path or Path(os.environ[FILE_KEYRING_ENV])

    def _items(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self.path.write_text(json.dumps({**self._items(), f"{service}/{username}": password}))

    def delete_password(self, service: str, username: str) -> None:
        items = self._items()
        items.pop(f"{service}/{username}", None)
        self.path.write_text(json.dumps(items))
