"""Hybrid logical clock: physical milliseconds + counter + node id.

A stamp orders edits across devices whose wall clocks disagree. `HybridClock.now` is strictly monotonic on
one node even when the wall clock goes backwards; `HybridClock.receive` moves the clock past a stamp seen
from another node so that an edit made after seeing a value always sorts after it. Stamps are encoded as
fixed-width strings, so string order is stamp order (in Python and in SQL alike), and the node id at the end
breaks ties between devices.

A device whose wall clock is wrong (days fast or slow) is corrected, so that stamps order edits by when
people really made them: the device keeps the offset the server measured (`HybridClock.offset_ms`, server
time minus device time) and adds it to its wall clock; the server shifts the stamps of a device that has
not applied its offset yet (see `server.services.clock` and docs/server.md, "Device clocks"). Differences
under `CLOCK_TOLERANCE_MS` are network latency and are ignored on both sides.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.errors import SyncError

MAX_COUNTER = 99_999
MAX_MS = 10**13 - 1  # 13 digits: the stamp's fixed width
_STAMP_RE = re.compile(r"^(\d{13})\.(\d{5})\.([A-Za-z0-9_-]{1,64})$")

#: Default bound on how far ahead of our own clock a remote stamp may be (5 minutes).
DEFAULT_MAX_AHEAD_MS = 5 * 60 * 1000

#: Clock differences smaller than this (5 s) are network latency, not a wrong clock: never corrected. Generous,
#: because the measurement includes the one-way latency of a request, which on a busy server or a mobile
#: network can reach seconds; a wrong clock that matters is minutes to years off.
CLOCK_TOLERANCE_MS = 5_000


class ClockError(SyncError, ValueError):
    """A stamp that cannot be accepted: malformed, or too far in the future."""


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, order=True, slots=True)
class Stamp:
    """One HLC reading. Ordered by (ms, counter, node)."""

    ms: int
    counter: int
    node: str

    def encode(self) -> str:
        return f"{self.ms:013d}.{self.counter:05d}.{self.node}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        match = _STAMP_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise ClockError(f"malformed HLC stamp {text!r}: expected 'ms.counter.node'")
        return cls(int(match[1]), int(match[2]), match[3])

    def __str__(self) -> str:
        return self.encode()


def shift(stamp: Stamp, ms: int) -> Stamp:
    """`stamp` moved by `ms` milliseconds (kept within the stamp's range); counter and node unchanged."""
    return Stamp(min(max(stamp.ms + ms, 0), MAX_MS), stamp.counter, stamp.node)


def validate_node_id(node: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", node or ""):
        raise ClockError(f"invalid node id {node!r}: 1-64 letters, digits, '-' or '_'")
    return node


class HybridClock:
    """A node's hybrid logical clock.

    `max_ahead_ms` bounds how far a received stamp may run ahead of our wall clock; beyond it `receive`
    either raises `ClockError` (``on_ahead="reject"``) or ignores the excess (``on_ahead="clamp"``), so one
    device with a fast clock cannot drag everybody's stamps into the future. `None` means no bound: a device
    takes the server's stamps as they are (the server already clamped them), because a device whose own
    clock is slow would otherwise never move past what it has seen.

    `offset_ms` is added to the wall clock: a device sets it to what the server measured its clock to be
    off by (`calibrate`), so its stamps are in the server's time.
    """

    def __init__(
        self,
        node: str,
        *,
        wall: Callable[[], int] = wall_clock_ms,
        max_ahead_ms: int | None = DEFAULT_MAX_AHEAD_MS,
        on_ahead: str = "clamp",
        last: Stamp | None = None,
        offset_ms: int = 0,
    ) -> None:
        if on_ahead not in ("clamp", "reject"):
            raise ValueError("on_ahead must be 'clamp' or 'reject'")
        self.node = validate_node_id(node)
        self._wall = wall
        self.max_ahead_ms = max_ahead_ms
        self.on_ahead = on_ahead
        self.offset_ms = offset_ms
        self._ms = last.ms if last else 0
        self._counter = last.counter if last else 0

    @property
    def last(self) -> Stamp:
        return Stamp(self._ms, self._counter, self.node)

    def wall_ms(self) -> int:
        """The device's own wall clock, uncorrected (what it tells the server)."""
        return self._wall()

    def physical(self) -> int:
        """The wall clock corrected by `offset_ms`: the physical part of new stamps."""
        return self._wall() + self.offset_ms

    def calibrate(self, offset_ms: int, floor: Stamp) -> None:
        """Apply a new offset. `floor` is the newest stamp received from the server: the clock restarts from
        it, because stamps issued with the old offset (a fast clock's, days ahead) were corrected by the
        server, and keeping them as `last` would hold every new stamp days ahead."""
        self.offset_ms = offset_ms
        self._ms, self._counter = floor.ms, floor.counter

    def _advance(self, ms: int, counter: int) -> Stamp:
        if counter > MAX_COUNTER:
            # Counter exhausted within one millisecond: borrow the next millisecond rather than wrap.
            ms, counter = ms + 1, 0
        self._ms, self._counter = ms, counter
        return Stamp(ms, counter, self.node)

    def now(self) -> Stamp:
        """A new stamp, strictly greater than every stamp this clock issued or received."""
        physical = self.physical()
        if physical > self._ms:
            return self._advance(physical, 0)
        return self._advance(self._ms, self._counter + 1)

    def receive(self, remote: Stamp | str) -> Stamp:
        """Merge a stamp seen from another node; returns the new local stamp."""
        if isinstance(remote, str):
            remote = Stamp.parse(remote)
        physical = self.physical()
        remote = self.bound(remote, physical)
        ms = max(physical, self._ms, remote.ms)
        if ms == self._ms == remote.ms:
            counter = max(self._counter, remote.counter) + 1
        elif ms == self._ms:
            counter = self._counter + 1
        elif ms == remote.ms:
            counter = remote.counter + 1
        else:
            counter = 0
        return self._advance(ms, counter)

    def bound(self, stamp: Stamp, physical: int | None = None) -> Stamp:
        """`stamp` if it is not too far ahead; otherwise raise or clamp as configured."""
        if self.max_ahead_ms is None:
            return stamp
        physical = self.physical() if physical is None else physical
        limit = physical + self.max_ahead_ms
        if stamp.ms <= limit:
            return stamp
        if self.on_ahead == "reject":
            raise ClockError(
                f"stamp {stamp} is {stamp.ms - physical} ms ahead of this clock "
                f"(at most {self.max_ahead_ms} ms allowed)"
            )
        return Stamp(limit, stamp.counter, stamp.node)


def clamp_future(stamp: Stamp, clock: HybridClock) -> Stamp:
    """Clamp a stamp that runs too far ahead of `clock`'s wall time (the server's rule).

    A clamped stamp takes a fresh reading of `clock` (unique and monotonic) but keeps the writer's node id,
    so two clamped edits from one device stay distinct and ordered, and a device whose clock is days fast
    cannot win every later edit.
    """
    physical = clock.physical()
    if clock.max_ahead_ms is None or stamp.ms <= physical + clock.max_ahead_ms:
        return stamp
    issued = clock.now()
    return Stamp(issued.ms, issued.counter, stamp.node)
