"""Passwords and tokens.

Passwords are hashed with argon2id (argon2-cffi) at the cost set in the settings. Tokens are 256-bit random
strings handed to the device once; the server keeps only their SHA-256, so a copy of the database cannot be
used to sign in.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.core.config import Settings

MIN_PASSWORD_LENGTH = 8


class Passwords:
    """argon2id hashing with the configured cost."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        if stored_hash is None:
            # Verify against a throwaway hash, so that a wrong email takes as long as a wrong password and
            # does not reveal which addresses have accounts.
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_hex(16))
            stored_hash, known = self._dummy, False
        else:
            known = True
        try:
            return self._hasher.verify(stored_hash, password) and known
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    def rehash(self, password: str) -> str:
        """A new hash of a password already accepted (at the current cost settings)."""
        return self._hasher.hash(password)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
