"""The server's hybrid logical clock, and what it knows of each device's clock.

The clock (node "server"): one per process, shared by every request, so the server's own stamps are strictly
increasing and always after every device stamp it has accepted.

Device clocks: a device sends its wall clock with each push and pull (`sync.protocol.DEVICE_TIME_HEADER`)
and the offset it already adds to its stamps (`DEVICE_OFFSET_HEADER`). `read_device_clock` measures the
offset (server time minus device time) and what part of it the pushed stamps still lack (`skew_ms`); the
push shifts each op's stamp by that before clamping and merging, so that edits are ordered by when people
made them, not by whose clock runs fast. The assumption: the device's clock was off by the same amount when
the ops were stamped as it is now (a clock set wrong stays wrong; a clock corrected between an edit and the
next sync misplaces that edit, and the 5-minute clamp still bounds it). Differences within
`CLOCK_TOLERANCE_MS` are network latency and are ignored.

One case cannot be told apart: a clock that went slow since the device's last sync stamps its edits with the
server's last answer (a hybrid clock never goes back), not with its own wall clock, until the wall clock
catches up. Such a stamp — no later than the device's previous contact — is left as it is: the edit was
made after it, so it may sort a little early, never after an edit made later.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import Session

from server.db import Database
from server.models import Device
from server.services.errors import ServiceError
from server.services.records import SERVER_NODE
from sync.hlc import CLOCK_TOLERANCE_MS, DEFAULT_MAX_AHEAD_MS, MAX_MS, HybridClock, Stamp, shift, wall_clock_ms
from sync.protocol import DEVICE_OFFSET_HEADER, DEVICE_TIME_HEADER

_lock = threading.Lock()
_clock: HybridClock | None = None


class _LockedClock(HybridClock):
    """HybridClock is not thread-safe; requests run on a thread pool."""

    def __init__(self, max_ahead_ms: int) -> None:
        super().__init__(SERVER_NODE, max_ahead_ms=max_ahead_ms)
        self._mutex = threading.Lock()

    def now(self) -> Stamp:
        with self._mutex:
            return super().now()

    def receive(self, remote: Stamp | str) -> Stamp:
        with self._mutex:
            return super().receive(remote)


def server_clock(max_ahead_ms: int | None = None) -> HybridClock:
    """The process's clock; `max_ahead_ms` (first call wins; later calls may change it) bounds device
    stamps that run ahead."""
    global _clock
    with _lock:
        if _clock is None:
            _clock = _LockedClock(DEFAULT_MAX_AHEAD_MS if max_ahead_ms is None else max_ahead_ms)
        elif max_ahead_ms is not None:
            _clock.max_ahead_ms = max_ahead_ms
        return _clock


@dataclass(frozen=True)
class DeviceClock:
    """One measurement of a device's clock."""

    #: server time minus the device's wall clock (ms): positive for a slow clock, negative for a fast one
    offset_ms: int
    #: what the stamps of this request's ops are shifted by: the offset minus what the device already
    #: applied, 0 when within the tolerance
    skew_ms: int
    #: when the server last measured this device's clock (ms since 1970), if ever
    previous_ms: int | None = None

    def correct(self, stamp: Stamp) -> Stamp:
        """`stamp` (made on this device) in the server's time."""
        if self.skew_ms > 0 and self.previous_ms is not None and stamp.ms <= self.previous_ms + CLOCK_TOLERANCE_MS:
            # A slow clock's stamp no later than our last answer came from that answer, not from the clock.
            return stamp
        return shift(stamp, self.skew_ms)


def _millis(header: str, raw: str, *, low: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if not low <= value <= MAX_MS:
        raise ServiceError(
            400, "bad_device_time", f"The {header} header must be a whole number of milliseconds, not {raw[:40]!r}."
        )
    return value


def read_device_clock(
    device_time: str | None,
    applied: str | None,
    *,
    now_ms: int | None = None,
    previous_ms: int | None = None,
    previous_offset_ms: int | None = None,
) -> DeviceClock | None:
    """Measure a device's clock from its request headers (None: it sent no time). Refuses malformed values
    with a 400 before anything is written. A measurement within the tolerance of the previous one keeps the
    previous one: latency jitter must not move the stamps of one device's pushes by different amounts (an
    edit of its own edit in the next batch names the first edit's stamp, corrected alike)."""
    if device_time is None:
        return None
    now_ms = wall_clock_ms() if now_ms is None else now_ms
    device_ms = _millis(DEVICE_TIME_HEADER, device_time, low=0)
    applied_ms = 0 if applied is None else _millis(DEVICE_OFFSET_HEADER, applied, low=-MAX_MS)
    offset = now_ms - device_ms
    if previous_offset_ms is not None and abs(offset - previous_offset_ms) <= CLOCK_TOLERANCE_MS:
        offset = previous_offset_ms
    skew = offset - applied_ms
    return DeviceClock(offset_ms=offset, skew_ms=skew if abs(skew) > CLOCK_TOLERANCE_MS else 0, previous_ms=previous_ms)


def device_clock(
    db: Database,
    device_id: str,
    device_time: str | None,
    applied: str | None,
    now_ms: int | None = None,
    *,
    last: tuple[dt.datetime | None, int | None] | None = None,
) -> DeviceClock | None:
    """`read_device_clock` for a registered device, knowing its previous measurement; `now_ms`: when the
    request arrived; `last`: the previous measurement (when and the offset) if the caller has read it
    already (the sign-in check reads the device's row anyway: reading it again was a transaction of its own
    for every push and pull)."""
    if device_time is None:
        return None
    now_ms = wall_clock_ms() if now_ms is None else now_ms
    reading = read_device_clock(device_time, applied, now_ms=now_ms)  # refuses bad values before the query
    if last is None:
        table = Device.__table__
        with db.read_session() as session:
            row = session.execute(
                select(table.c.clock_checked_at, table.c.clock_offset_ms).where(table.c.id == device_id)
            ).first()
        last = (row.clock_checked_at, row.clock_offset_ms) if row else (None, None)
    checked, offset = last
    if checked is None:
        return reading
    checked = checked.replace(tzinfo=dt.UTC) if checked.tzinfo is None else checked
    return read_device_clock(
        device_time, applied, now_ms=now_ms, previous_ms=int(checked.timestamp() * 1000), previous_offset_ms=offset
    )


def note_device_clock(session: Session, device_id: str, reading: DeviceClock) -> None:
    """Keep the measurement on the device's row (for people looking into a device's sync), in the push's or
    pull's own transaction: a transaction of its own was a second commit for every request."""
    table = Device.__table__
    session.execute(update(table).where(table.c.id == device_id).values(**device_clock_values(reading)))


def device_clock_values(reading: DeviceClock | None) -> dict[str, object]:
    """The device row's columns that keep a measurement (none without one), for a statement that updates the
    row anyway (a pull)."""
    if reading is None:
        return {}
    return {"clock_offset_ms": reading.offset_ms, "clock_checked_at": dt.datetime.now(dt.UTC)}
