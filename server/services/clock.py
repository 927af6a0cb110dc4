"""The server's hybrid logical clock (node "server"): one per process, shared by every request, so the
server's own stamps are strictly increasing and always after every device stamp it has accepted."""

from __future__ import annotations

import threading

from server.services.records import SERVER_NODE
from sync.hlc import DEFAULT_MAX_AHEAD_MS, HybridClock, Stamp

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
