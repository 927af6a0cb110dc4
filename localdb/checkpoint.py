"""Moving committed pages from the store's write-ahead log into the database file, off the write path.

SQLite checkpoints a WAL database by itself once the log reaches 1,000 pages, inside the commit that crossed
the line: with four pages per clicker tap that was one tap in ~250 waiting for a few hundred pages to be copied
and the database file to be fsynced (10-30 ms, the taps' p99). `BackgroundCheckpointer` copies the log in a
thread of its own, on its own connection, shortly after writes (a PASSIVE checkpoint: it never waits for, nor
blocks, a writer or a reader). SQLite's own checkpoint stays on as the backstop that lets the log start over:
when it comes, the pages are already in the database and it has next to nothing left to copy.

Nothing here changes durability: a transaction is durable once its commit is in the fsynced log (WAL,
`synchronous=FULL`); a checkpoint only moves pages that are already safe, and is itself crash-safe.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

#: how long after a write the log is copied: taps in a burst share one checkpoint
DEFAULT_DELAY_S = 0.2


class BackgroundCheckpointer:
    """A daemon thread that checkpoints one database's WAL after writes; `nudge` after each commit."""

    def __init__(self, path: Path, *, delay_s: float = DEFAULT_DELAY_S) -> None:
        self._path = path
        self._delay_s = delay_s
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def nudge(self) -> None:
        """A transaction committed: copy the log soon (the thread starts with the first nudge)."""
        if self._thread is None:
            with self._start_lock:
                if self._thread is None and not self._stopping:
                    self._thread = threading.Thread(target=self._run, name="besmart-checkpoint", daemon=True)
                    self._thread.start()
        if not self._wake.is_set():  # a burst of taps sets it once
            self._wake.set()

    def stop(self) -> None:
        """End the thread and close its connection (before the database is closed or deleted)."""
        with self._start_lock:
            self._stopping = True
            thread = self._thread
        self._stopped.set()
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return  # the directory went away: the writer's own checkpoints still run
        try:
            with contextlib.suppress(sqlite3.Error):
                db.execute("PRAGMA synchronous=FULL")
            while True:
                self._wake.wait()
                # Let the burst of writes that woke us go on: one copy for all of them.
                if self._stopped.wait(self._delay_s):
                    return
                self._wake.clear()
                # Busy with the writer's own checkpoint, or the disk is full: the next write tries again.
                with contextlib.suppress(sqlite3.Error):
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if self._stopped.is_set():
                    return  # `stop` came after the wait above: the wake it set may have just been cleared
        finally:
            db.close()
