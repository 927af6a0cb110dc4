"""Benchmark: the pages (WAL frames) and bytes one Behaviour Clicker tap commits, per table and index.

Deterministic, unlike `bench/tap.py`'s wall times: the taps run with every checkpoint off, then the WAL's frame
headers are read (each frame names the page it carries) and each page is named by SQLite's `dbstat` (the
table or index it belongs to). A bare INSERT+COMMIT of a row of the same size, with the same pragmas, is
counted the same way.

    python bench/tap_frames.py [--taps 400] [--prefill 0]

`--prefill N`: first N taps (checkpointed away, not counted), so the b-trees are as deep as a used device's.

Last line: `tap_frames_per_tap <frames>`.
"""

from __future__ import annotations

import argparse
import collections
import os
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BESMART_KDF_TEST_FAST", "1")  # key derivation is not what we measure

import keyring

from bench.tap import _MemoryKeyring, clicker_store
from localdb import checkpoint

_WAL_HEADER = 32
_FRAME_HEADER = 24


def wal_frames(path: Path) -> list[int]:
    """The page number of every frame in a WAL file, in order."""
    raw = Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else b""
    if len(raw) < _WAL_HEADER:
        return []
    page_size = struct.unpack(">I", raw[8:12])[0]
    pages = []
    for offset in range(_WAL_HEADER, len(raw) - _FRAME_HEADER - page_size + 1, _FRAME_HEADER + page_size):
        pages.append(struct.unpack(">I", raw[offset : offset + 4])[0])
    return pages


def owners(db: sqlite3.Connection) -> dict[int, str]:
    """page number -> the table or index it belongs to (page 1 is the schema's)."""
    return {pageno: name for name, pageno in db.execute("SELECT name, pageno FROM dbstat")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=400)
    parser.add_argument("--prefill", type=int, default=0)
    args = parser.parse_args()
    keyring.set_keyring(_MemoryKeyring())
    checkpoint.BackgroundCheckpointer.nudge = lambda self: None  # type: ignore[method-assign]

    with tempfile.TemporaryDirectory(prefix="besmart-bench-") as tmp:
        store, tap = clicker_store(Path(tmp))

        for _ in range(args.prefill + 1):
            tap()
        store.db.execute("PRAGMA wal_autocheckpoint=0")
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with sqlite3.connect(store.path) as probe:
            row_bytes = (
                probe.execute("SELECT length(body) FROM record WHERE kind='clicker_event' LIMIT 1").fetchone()[0]
                + probe.execute("SELECT length(body) FROM outbox LIMIT 1").fetchone()[0]
            )
            page_size = probe.execute("PRAGMA page_size").fetchone()[0]
        for _ in range(args.taps):
            tap()
        frames = wal_frames(store.path)
        named = owners(store.db)
        store.close()

        bare_path = Path(tmp) / "bare.db"
        bare = sqlite3.connect(bare_path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON", "wal_autocheckpoint=0"):
            bare.execute(f"PRAGMA {pragma}")
        bare.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        bare.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        payload = os.urandom(row_bytes)
        for _ in range(args.taps):
            bare.execute("BEGIN")
            bare.execute("INSERT INTO t (body) VALUES (?)", (payload,))
            bare.execute("COMMIT")
        bare_frames = wal_frames(bare_path)
        bare_page_size = bare.execute("PRAGMA page_size").fetchone()[0]
        bare.close()

    by_owner = collections.Counter(named.get(page, "(freelist/new)") for page in frames)
    print(f"{args.taps} taps after {args.prefill} prefill taps, page size {page_size}, row bytes {row_bytes}")
    for name, count in by_owner.most_common():
        print(f"  {name:24s} {count / args.taps:.2f} frames/tap")
    print(f"bytes per tap {len(frames) * (page_size + _FRAME_HEADER) / args.taps:.0f}")
    print(
        f"bare insert {len(bare_frames) / args.taps:.2f} frames/tap, "
        f"{len(bare_frames) * (bare_page_size + _FRAME_HEADER) / args.taps:.0f} bytes/tap"
    )
    print(f"tap_frames_per_tap {len(frames) / args.taps:.2f}")


if __name__ == "__main__":
    main()
