"""Benchmark: finding an incident on a lead's device holding the whole demo organisation.

Prepared once (not timed, `bench/startup.py`'s `prepare`): `python -m server demo` seeds a year of the demo
organisation, the demo lead (lead@brightwater.example, who sees every individual) signs in on a new device
and syncs everything with the real engine. Then, on that device's real encrypted store, each search the
Incidents screen makes is timed: the first run (which decrypts every row it reads) and the median of
`--runs` (rows already decoded are reused while unchanged): the first page of the whole list, a reference
typed in full (what opens it in one step), a few digits of a reference, an individual's name, a word of
the narrative, flagged, parents not informed, a date range.

    python bench/incident_search.py [--runs 5] [--scale 1.0]

Last line: `incident_search_p50_s <slowest search's median>`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.startup import PASSCODE, prepare  # noqa: E402

if TYPE_CHECKING:
    from app.services import Services
    from localdb.store import LocalStore

LEAD_EMAIL = "lead@brightwater.example"


@contextmanager
def lead_device(scale: float, prefix: str) -> Iterator[tuple[LocalStore, Services]]:
    """The demo lead's device, synced with the whole demo organisation (not timed) and unlocked: its store
    and services. Shared by the benchmarks that measure what a lead's device does with that much data."""
    from app.config import load_config
    from app.context import Context
    from app.services import Services
    from app.session import ClientSession

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        data_dir, server_url, counts = prepare(Path(tmp), scale, LEAD_EMAIL)
        print(f"records on the lead's device: {sum(counts.values()):,} ({counts.get('incident', 0):,} incidents)")
        session = ClientSession(load_config(server_url=server_url, data_dir=str(data_dir)))
        session.unlock(LEAD_EMAIL, PASSCODE)
        store = session.require_store()
        assert session.user is not None
        try:
            yield store, Services.of(Context(store, session.user))
        finally:
            store.close()


T = TypeVar("T")


def timed(runs: int, action: Callable[[], T]) -> tuple[float, float, T]:
    """(first run, median of the runs, the last run's result); `runs` is at least 1."""
    times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    from app.incidents import IncidentFilter

    with lead_device(args.scale, "bench-search-") as (store, services):
        newest = services.incidents.search(IncidentFilter(), limit=200).items
        reference = next(i.reference for i in newest[120:] if i.reference)
        someone = newest[7].individual
        today = dt.date.today()
        cases = {
            "whole list, first page": IncidentFilter(),
            f"reference in full ({reference})": IncidentFilter(text=reference),
            f"digits of a reference ({reference[-4:]})": IncidentFilter(text=reference[-4:]),
            f"individual ({someone})": IncidentFilter(text=someone),
            "a word of the narrative (chair)": IncidentFilter(text="chair"),
            "flagged": IncidentFilter(flagged=True),
            "parents not informed": IncidentFilter(parents_not_informed=True),
            "last 30 days by dates": IncidentFilter(since=today - dt.timedelta(days=30), until=today),
        }
        worst = 0.0
        print(f"{'search':45s} {'first':>10s} {'median':>10s}")
        for name, query in cases.items():
            store.forget_decoded()  # the first run is cold: every row decrypted, as after unlocking
            first, median, page = timed(args.runs, functools.partial(services.incidents.search, query))
            worst = max(worst, median)
            total = page.total
            print(f"{name:45s} {first * 1000:7.1f} ms {median * 1000:7.1f} ms  ({total:,} match)")
        store.forget_decoded()
        first, median, found = timed(args.runs, lambda: services.incidents.by_reference(reference))
        assert found is not None
        print(f"{'open by reference (by_reference)':45s} {first * 1000:7.1f} ms {median * 1000:7.1f} ms")
        print(f"incident_search_p50_s {worst:.3f}")


if __name__ == "__main__":
    main()
