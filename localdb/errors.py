"""The root of every exception the on-device store raises (the tree is in the package docstring,
`localdb/__init__.py`)."""

from __future__ import annotations


class LocalDbError(Exception):
    """Base of every on-device store exception: tampered data, keys that do not open, a store that cannot
    do what was asked."""
