"""Record ids: UUIDv7 (RFC 9562) — 48 bits of Unix milliseconds, then 74 random bits.

One helper for client and server alike. The time prefix keeps new rows near each other in an index and makes
ids sort by when they were made; the rest is random, so an id reveals nothing about a child but roughly when
its record was created.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

from sync.hlc import wall_clock_ms

_SYSTEM_RANDOM = random.SystemRandom()
_MAX_MS = (1 << 48) - 1
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def uuid7(at: dt.datetime | None = None, rng: random.Random | None = None) -> str:
    """A UUIDv7 for a record made now, or at `at` (a timezone-aware moment, e.g. a seeded record in the past).

    The random bits come from the operating system unless `rng` is given — a seeded generator makes the same
    ids again (the demo seeder does; real records never pass one)."""
    # Whole milliseconds by integer arithmetic: `at.timestamp() * 1000` is a float and can land just below.
    ms = wall_clock_ms() if at is None else (at - _EPOCH) // dt.timedelta(milliseconds=1)
    if not 0 <= ms <= _MAX_MS:
        raise ValueError(f"{at!r} is outside the 48-bit millisecond range of a UUIDv7")
    source = _SYSTEM_RANDOM if rng is None else rng
    # Two draws, 12 bits then 62, in the UUID's field order (rand_a, rand_b).
    rand_a, rand_b = source.getrandbits(12), source.getrandbits(62)
    return str(uuid.UUID(int=ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b))
