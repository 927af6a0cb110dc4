"""Passwords and tokens.

Passwords are hashed with argon2id (argon2-cffi) at the cost set in the settings. Tokens are 256-bit random
strings handed to the device once; the server keeps only their SHA-256, so a copy of the database cannot be
used to sign in.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import threading
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.core.config import Settings
from server.services.errors import ServiceError

MIN_PASSWORD_LENGTH = 8
T = TypeVar("T")


class HashingBusy(ServiceError):
    """Every password-hashing slot stayed taken for the whole wait: answered 503 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            503,
            "busy",
            "The server is busy signing other people in. Try again in a few seconds.",
            retry_after=retry_after,
        )


def hashing_slots(settings: Settings) -> int:
    """How many hashes may run at once: the setting, or one per CPU (argon2 is CPU-bound, and each hash
    holds `argon2_memory_kib` of memory while it runs)."""
    return settings.hash_concurrency if settings.hash_concurrency > 0 else max(1, os.cpu_count() or 1)


class Passwords:
    """argon2id hashing with the configured cost, at most `hashing_slots` at a time.

    Each hash takes `argon2_memory_kib` (64 MiB by default) while it runs: unbounded, a burst of sign-ins
    made the server's memory grow by that much per request (29 at once took it past 1.3 GB)."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._dummy: str | None = None
        self._slots = threading.BoundedSemaphore(hashing_slots(settings))
        self._wait = settings.hash_wait_seconds

    def _bounded(self, work: Callable[[], T]) -> T:
        if not self._slots.acquire(timeout=self._wait):
            raise HashingBusy(retry_after=max(1, math.ceil(self._wait)))
        try:
            return work()
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        return self._bounded(lambda: self._hasher.hash(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        if stored_hash is None:
            # Verify against a throwaway hash, so that a wrong email takes as long as a wrong password and
            # does not reveal which addresses have accounts.
            if self._dummy is None:
                self._dummy = self._bounded(lambda: self._hasher.hash(secrets.token_hex(16)))
            stored_hash, known = self._dummy, False
        else:
            known = True
        return self._bounded(lambda: self._check(stored_hash, password)) and known

    def _check(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    def rehash(self, password: str) -> str:
        """A new hash of a password already accepted (at the current cost settings)."""
        return self._bounded(lambda: self._hasher.hash(password))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
