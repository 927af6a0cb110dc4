"""`python -m server demo`: seed the demo organisation and print its logins (see `server.demo`).

    python -m server demo [--db URL] [--scale 1.0] [--days 365] [--anchor YYYY-MM-DD] [--seed N] [--password P]

`./dev.sh up` runs it and keeps what it prints (the login lines included) for the developer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from server.cli import add_database_argument, command, settings_from
from server.db import Database
from server.demo.cast import DEMO_PASSWORD, DEMO_SEED, MIN_PASSWORD
from server.demo.seed import DemoResult, seed_demo
from server.demo.seeder import DemoError


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_database_argument(parser)
    parser.add_argument("--scale", type=float, default=1.0, help="children (and history) relative to the full demo")
    parser.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    parser.add_argument("--anchor", help="the day the history ends (YYYY-MM-DD; default today)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed (default: the demo's own)")
    parser.add_argument("--password", default=DEMO_PASSWORD, help=f"the demo accounts' password ({MIN_PASSWORD}+)")


def describe(result: DemoResult) -> str:
    counts = ", ".join(
        f"{kind.replace('_', ' ')} {n:,}" for kind, n in sorted(result.counts.items(), key=lambda i: -i[1])
    )
    if result.created:
        head = f"Seeded {result.org_name!r} in {result.seconds:.1f} s: {result.total:,} records"
    else:
        head = f"The demo organisation {result.org_name!r} is already here (nothing changed): {result.total:,} records"
    width = max(len(who) for who, _n, _e in result.logins)
    email_width = max(len(email) for _w, _n, email in result.logins)
    lines = [head, f"  ({counts})", "", f"Organisation: {result.org_name}", "Demo logins:"]
    lines += [f"  {who.ljust(width)}  {email.ljust(email_width)}  {name}" for who, name, email in result.logins]
    lines.append(f"Password for every demo account: {result.password}")
    if not result.created:
        lines[-1] += " (unless it was seeded with --password)"
    return "\n".join(lines)


@command("demo", "seed a demo organisation with a year of history and print its logins", _arguments)
def demo(args: argparse.Namespace) -> int:
    if not 0 < args.scale <= 5:
        print("error: --scale must be above 0 and at most 5", file=sys.stderr)
        return 2
    if not 1 <= args.days <= 3 * 365:
        print("error: --days must be between 1 and 1095", file=sys.stderr)
        return 2
    try:
        anchor = dt.date.fromisoformat(args.anchor) if args.anchor else None
    except ValueError:
        print(f"error: --anchor {args.anchor!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    settings = settings_from(args)
    db = Database(settings.url, pool_size=2)
    try:
        db.upgrade()
        result = seed_demo(
            db, settings, scale=args.scale, days=args.days, anchor=anchor, seed=args.seed, password=args.password
        )
    except DemoError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(describe(result))
    return 0
