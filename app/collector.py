"""The client's cyclic garbage-collector settings, set once by the entry point (`main.py`) before the UI starts.

A device holds thousands of decoded records and makes many short-lived objects for each sync page and each
screen, with almost no reference cycles among them. Under Python's defaults (thresholds 700 / 10 / 10) a full
collection walks that whole heap while holding the GIL: 50-130 ms in the middle of an initial sync, during which
the event loop, and so every screen, stood still (`bench/ui_stall.py`; bench/RESULTS.md, "Issue #14, fourth
pass"). So, as the server's `serve` command does: collect what start-up made, freeze it (the modules and
classes are never scanned again), and collect rarely from then on. Cycles are still collected, less often.
"""

from __future__ import annotations

import gc

#: allocations before a young collection; young collections per middle one; middle ones per full one
THRESHOLDS = (50_000, 20, 100)


def settle() -> None:
    """Collect, freeze what survives, and raise the collector's thresholds (`THRESHOLDS`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
