"""Benchmark: analytics on a lead's device holding the whole demo organisation (issue #11).

Prepared once (not timed, `bench/startup.py`'s `prepare`): `python -m server demo` seeds a year of the demo
organisation, the demo lead signs in on a new device and syncs everything with the real engine. Then, on that
device's real encrypted store, right after unlocking:

- (a) the first report after unlock (the Global Incident Report for this school year: the working set's
  incidents and individuals are decrypted here), then the first Clicker Report (every tap decrypted);
- (b) changing a filter: each report again with a location, a group or a valence chosen (median of `--runs`,
  and the slowest of them);
- (c) CSV of every row: each report's underlying rows over all time;
- the working set's memory cost (tracemalloc: what building it allocated and still holds).

    python bench/analytics.py [--runs 5] [--scale 1.0]

Last line: `analytics_filter_ms <the slowest filter change's median>`.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.incident_search import lead_device, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    from app.analytics import REPORTS, Filters

    with lead_device(args.scale, "bench-analytics-") as (_store, services):
        analytics = services.analytics

        started = time.perf_counter()
        first = analytics.report("global", Filters(preset="this_year"))
        first_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        analytics.report("clicker", Filters(preset="this_year"))
        clicker_ms = (time.perf_counter() - started) * 1000
        print(f"(a) first report after unlock (global, this year): {first_ms:7.1f} ms")
        print(f"    ({first.figure('incidents').value:.0f} incidents this year)")
        print(f"    then the first clicker report (every tap decrypted): {clicker_ms:7.1f} ms")

        # The memory cost, measured apart (tracemalloc slows every allocation): the working set rebuilt
        # from nothing, with the rows every report derives from it.
        analytics.working.drop()
        tracemalloc.start()
        started = time.perf_counter()
        analytics.working.warm()
        warm_ms = (time.perf_counter() - started) * 1000
        for key in REPORTS:
            analytics.report(key, Filters(preset="this_year"))
        held, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"    working set: {analytics.working.loaded:,} records, {held / 2**20:.1f} MiB held")
        print(f"    (decrypting all of it under tracemalloc: {warm_ms / 1000:.1f} s)")

        options = analytics.options()
        location = options["locations"][0][0]
        group = options["groups"][0][0]
        changes = {
            "global, a location": ("global", Filters(preset="this_year", locations=frozenset({location}))),
            "global, a group, 30 days": ("global", Filters(preset="30_days", groups=frozenset({group}))),
            "intervention, this term": ("intervention", Filters(preset="this_term")),
            "involvement, a group": ("involvement", Filters(preset="this_year", groups=frozenset({group}))),
            "injuries, all": ("injuries", Filters(preset="all")),
            "communication, negative": ("communication", Filters(preset="this_year", valence=frozenset({"negative"}))),
            "clicker, negative": ("clicker", Filters(preset="this_year", valence=frozenset({"negative"}))),
            "discrimination, all": ("discrimination", Filters(preset="all")),
            "equality, this year": ("equality", Filters(preset="this_year")),
            "dashboard headline, 7 days": ("headline", Filters(preset="7_days")),
        }
        worst = 0.0
        print(f"(b) {'changing a filter':40s} {'first':>10s} {'median':>10s}")
        for name, (key, filters) in changes.items():
            if key == "headline":
                once, median, _ = timed(args.runs, lambda f=filters: analytics.headline(f))  # type: ignore[misc]
            else:
                once, median, _ = timed(args.runs, lambda k=key, f=filters: analytics.report(k, f))  # type: ignore[misc]
            worst = max(worst, median)
            print(f"    {name:40s} {once * 1000:7.1f} ms {median * 1000:7.1f} ms")

        print("(c) CSV of every row")
        total = 0.0
        for key in REPORTS:
            started = time.perf_counter()
            report = analytics.report(key, Filters(preset="all"))
            text = analytics.rows_csv(report)
            spent = time.perf_counter() - started
            total += spent
            print(
                f"    {key:40s} {spent * 1000:7.1f} ms  ({len(report.record_ids):,} rows, {len(text) / 2**10:,.0f} KiB)"
            )
        print(f"    all eight: {total * 1000:.1f} ms")
        print(f"analytics_filter_ms {worst * 1000:.1f}")


if __name__ == "__main__":
    main()
