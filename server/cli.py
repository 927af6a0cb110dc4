"""The `python -m server` command line: a registry of subcommands, plus `serve` and `migrate`.

    python -m server serve [--db URL] [--host H] [--port P] [--smtp-host ...]

Each flag sets one field of `server.core.config.Settings`, over its BESMART_* environment variable (the
table in docs/server.md lists them all). The database defaults to an SQLite file in the server's data
directory; a `postgresql://` URL runs it on PostgreSQL, where several processes may serve one
database. One uvicorn worker per process: to scale, run more processes.

Other modules add subcommands with `@command(...)` (`server.admin`, `server.demo`); `main` imports them so
theirs register.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from server.core.config import Settings, SettingsError, load_settings, settings_reference
from server.db import Database

Run = Callable[[argparse.Namespace], int]

#: seconds an idle keep-alive connection stays open on the server (see `serve`)
KEEP_ALIVE_SECONDS = 30


@dataclass(frozen=True)
class Command:
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Run


COMMANDS: dict[str, Command] = {}


def command(
    name: str, help_text: str, arguments: Callable[[argparse.ArgumentParser], None] = lambda _p: None
) -> Callable[[Run], Run]:
    """Register a subcommand: `@command("name", "what it does", add_arguments)` on `run(args) -> exit code`."""

    def register(run: Run) -> Run:
        COMMANDS[name] = Command(help_text, arguments, run)
        return run

    return register


def add_setting_flag(parser: argparse.ArgumentParser, flag: str) -> None:
    """The flag of one setting; its type, choices and help come from `Settings` (server.core.config)."""
    setting = next(s for s in settings_reference() if s.flag == flag)
    annotation = setting.field.annotation
    choices = get_args(annotation) if get_origin(annotation) is Literal else None
    kind: Callable[[str], Any] = annotation if annotation in (int, float) else str  # type: ignore[assignment]
    parser.add_argument(
        flag,
        dest="_".join(setting.path),
        type=kind,
        choices=choices,
        help=_plain(f"{setting.description} (default: {setting.default}; env {setting.env})"),
    )


def _plain(markdown: str) -> str:
    """Help text from the docs' Markdown (argparse formats `%`)."""
    return markdown.replace("`", "").replace("**", "").replace("%", "%%")


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    add_setting_flag(parser, "--db")


def settings_from(args: argparse.Namespace) -> Settings:
    """Environment settings (BESMART_*) with the command line's flags on top."""
    flags = {"_".join(s.path) for s in settings_reference() if s.flag}
    return load_settings().with_overrides(**{k: v for k, v in vars(args).items() if k in flags})


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    for setting in settings_reference():
        if setting.flag:
            add_setting_flag(parser, setting.flag)


@command("serve", "run the sync server", _serve_arguments)
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.core.logs import configure_logging

    settings = settings_from(args)
    configure_logging(settings.log_level)
    app = create_app(settings)
    # Every push allocates many short-lived objects (merged states, rows) and almost no reference cycles:
    # the default collection threshold (700) makes the cyclic GC scan the heap constantly — a quarter of
    # the server's CPU under load. Collect rarely, and never rescan what exists at start-up.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        workers=1,
        log_level=settings.log_level,
        access_log=settings.log_level == "debug",
        # Longer than a client's idle connection is kept (httpx: 5 s, sync.gateway): at equal times a device
        # could send its next request on a connection the server was closing that instant — "server
        # disconnected" for the client to retry. An idle connection costs the server next to nothing.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # The client's address (sign-in back-off) comes from X-Forwarded-For only when a configured proxy
        # sent it: believed from anyone (uvicorn trusts 127.0.0.1 by default), it lets a guesser pick any
        # address it likes.
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or None,
    )
    return 0


@command("migrate", "apply the database migrations and exit", add_database_argument)
def migrate(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    db = Database(settings.url)
    db.upgrade()
    db.dispose()
    print("database migrated to the latest version")
    return 0


@command(
    "remind-plans",
    "send the Smart Plan review and statutory clock reminders due now (nothing is sent twice)",
    add_database_argument,
)
def remind_plans(args: argparse.Namespace) -> int:
    from server.services.plan_reminders import run_reminders

    settings = settings_from(args)
    db = Database(settings.url)
    db.upgrade()
    made = run_reminders(db, settings)
    db.dispose()
    print(f"{made} reminders sent")
    return 0


def main(argv: list[str] | None = None) -> int:
    # Imported here, not at the top: they register their subcommands with this module's `command`.
    from server import admin, demo  # noqa: F401

    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m server", description="besmart sync server")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, entry in COMMANDS.items():
        child = sub.add_parser(name, help=entry.help)
        entry.arguments(child)
        child.set_defaults(run=entry.run)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as error:  # a bad BESMART_* variable or flag: say which, without a traceback
        parser.exit(2, f"python -m server: {error}\n")
