"""The root of every exception the sync layer raises (the tree is in the package docstring, `sync/__init__.py`).

Catching `SyncError` catches anything `sync/` refuses or fails at, and nothing else."""

from __future__ import annotations


class SyncError(Exception):
    """Base of every sync-layer exception: a record, stamp or op refused, or a sync round that failed."""
