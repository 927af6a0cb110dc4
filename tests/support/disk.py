"""A full disk and a read-only data folder, for real, without root tricks that only work on one machine.

`full_disk` caps the database at the pages it has (SQLite's `max_page_count`, the limit SQLite enforces
exactly as it does a full file system: SQLITE_FULL, "database or disk is full") and fills what room is left
in them, as another app filling the device would. `read_only` makes a folder unwritable: chmod, and as root
(who ignores permission bits) the immutable attribute.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FILLER = "zz_other_apps_files"


def fill_disk(db: sqlite3.Connection) -> None:
    """Leave no room in the database: cap its size and fill the free pages and the slack in used ones."""
    db.execute(f"CREATE TABLE IF NOT EXISTS {FILLER} (junk BLOB)")
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    for size in (4000, 1000, 200, 50, 10, 1):
        while True:
            try:
                db.execute(f"INSERT INTO {FILLER} VALUES (zeroblob(?))", (size,))
            except sqlite3.OperationalError as error:
                assert error.sqlite_errorcode & 0xFF == 13, error  # SQLITE_FULL
                break


def free_disk(db: sqlite3.Connection) -> None:
    """Space returns: the other app's files go and the cap is lifted."""
    db.execute(f"DROP TABLE IF EXISTS {FILLER}")
    db.execute("PRAGMA max_page_count = 1073741823")


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """The folder and its files cannot be written (nor files created in it) while inside the block."""
    paths = [folder, *folder.iterdir()]
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        p.chmod(0o500 if p.is_dir() else 0o400)
    immutable = os.geteuid() == 0  # root writes through permission bits
    if immutable:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", *map(str, paths)], check=False).returncode:
            for p, mode in modes.items():
                p.chmod(mode)
            pytest.skip("running as root without a working chattr: cannot make a folder read-only")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        for p, mode in modes.items():
            p.chmod(mode)
