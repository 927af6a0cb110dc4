"""Group commit on SQLite: the write transactions queued for the one writer run in one transaction, one fsync.

SQLite has one writer at a time, and with `synchronous=FULL` each commit waits for the disk. Under load,
pushes queue for the writer lock one behind the other and each pays its own commit. Here, the transactions
that queue while one group is being written are applied by the next leader (one of the waiting threads)
in ONE transaction, each inside its own SAVEPOINT, with ONE durable COMMIT for the whole group:

- a piece of work that fails rolls back only its savepoint, and its caller gets its own error; the others
  of the group are unaffected;
- nothing is answered before the group's commit returned: a crash loses the whole unanswered group, never
  half of it (the commit is atomic), and every answer given is on disk;
- the works of a group run one after the other in the transaction, each seeing the ones before it, as if
  they had been committed one by one in that order: sequence numbers are handed out in that order, and a
  reader sees the whole group or none of it (pull never skips a committed record);
- should the group's transaction fail as a whole (its BEGIN or its COMMIT), nothing of it was written and
  each work is run again alone (`Database.run`, with its retries), so each gets the answer it would have had.

Only SQLite groups: on PostgreSQL several writers run at once, and `Database.run` is used directly.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from server.db import Database
from server.errors import ServerSideError

log = logging.getLogger("besmart.server.group_commit")

T = TypeVar("T")

#: a group stops taking works at this much weight (a push's weight is its number of ops): bounds how long
#: one transaction holds the writer, and so how long the last work of a group waits for its answer
MAX_GROUP_WEIGHT = 2000


@dataclass(eq=False)
class _Entry(Generic[T]):
    """One caller's work, waiting for its group."""

    work: Callable[[Session], T]
    weight: int
    wake: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    result: Any = None
    error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        result: T = self.result
        return result


class GroupCommit:
    """One database's queue of write transactions, applied in groups by a leader among the waiting threads."""

    def __init__(self, db: Database, *, max_weight: int = MAX_GROUP_WEIGHT) -> None:
        self.db = db
        self.max_weight = max_weight
        self._mutex = threading.Lock()
        self._queue: list[_Entry[Any]] = []
        self._leading = False
        #: groups committed and works in them, since start (for the benchmark and the tests)
        self.groups = 0
        self.works = 0

    @property
    def waiting(self) -> int:
        """Works queued for the next group (not counting the group being written)."""
        with self._mutex:
            return len(self._queue)

    def run(self, work: Callable[[Session], T], *, weight: int = 1) -> T:
        """Run `work` in a write transaction shared with the others queued at the same time; its result (or
        its exception) once that transaction has committed."""
        entry: _Entry[T] = _Entry(work, max(1, weight))
        with self._mutex:
            self._queue.append(entry)
            lead = not self._leading
            self._leading = True
        if not lead:
            entry.wake.wait()  # set when our group committed, or when it is our turn to lead
        if not entry.done:
            self._lead()
        return entry.outcome()

    def _lead(self) -> None:
        """Take the queue's head (this thread's own entry first) up to the weight limit, apply it, answer it,
        then hand the lead to the first of those still waiting."""
        with self._mutex:
            group: list[_Entry[Any]] = []
            weight = 0
            while self._queue and (not group or weight + self._queue[0].weight <= self.max_weight):
                entry = self._queue.pop(0)
                group.append(entry)
                weight += entry.weight
        try:
            self._apply(group)
        except BaseException as error:  # an interrupt: nobody may be left waiting for an answer
            for entry in group:
                if not entry.done and entry.error is None:
                    entry.error = error
            raise
        finally:
            with self._mutex:
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
            for entry in group:
                entry.done = True
                entry.wake.set()
            if successor is not None:
                successor.wake.set()

    def _apply(self, group: list[_Entry[Any]]) -> None:
        try:
            with self.db.session() as session:
                for entry in group:
                    entry.result, entry.error = None, None
                    try:
                        with session.begin_nested():
                            entry.result = entry.work(session)
                    except Exception as error:
                        entry.error = error  # its savepoint is rolled back: the group goes on without it
                        if not _in_transaction(session):
                            raise _GroupLost from error
            self.groups += 1
            self.works += len(group)
            return
        except Exception as error:
            log.warning("a group of %d failed as a whole (%s); each runs alone", len(group), type(error).__name__)
        # Nothing of the group was written: each work again, alone, with the retries of a single transaction.
        for entry in group:
            entry.result, entry.error = None, None
            try:
                entry.result = self.db.run(entry.work)
            except Exception as error:
                entry.error = error


class _GroupLost(ServerSideError):
    """SQLite ended the group's transaction itself."""


def _in_transaction(session: Session) -> bool:
    """Whether the group's transaction is still open. After some errors (a full disk, an I/O error) SQLite
    rolls the whole transaction back on its own; the works after it would then each commit alone, outside
    the group, and be run a second time by the fallback. So the group stops there and goes to the fallback."""
    driver = session.connection().connection.driver_connection
    return bool(getattr(driver, "in_transaction", True))


_groups: weakref.WeakKeyDictionary[Database, GroupCommit] = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


def group_commit(db: Database) -> GroupCommit:
    """The database's group committer (one per `Database`, as its writer lock is)."""
    with _groups_lock:
        found = _groups.get(db)
        if found is None:
            found = _groups[db] = GroupCommit(db)
        return found
