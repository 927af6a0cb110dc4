"""The docs say what the code does, and the repository stands alone.

- docs/sync-protocol.md names every message of `sync.protocol` with each of its fields, every op status, the
  clock headers, the limits, every field of the op and of a record state, and every HTTP route;
- docs/architecture.md lists every record kind with its scope;
- docs/admin.md names every `python -m server admin` command and option (read off the parser the command line
  really builds), and README.md or docs/ every `python -m server` command;
- every relative link in README.md and docs/*.md leads to a file (and heading) of the repository, and every
  repository path they name exists;
- no file of the repository points outside it (a design file kept elsewhere, a path on one machine).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

import server.api.routes
import server.cli
import sync.protocol
from sync.merge import Conflict, RecordState
from sync.ops import Op
from sync.records import KINDS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PROTOCOL_DOC = DOCS / "sync-protocol.md"
ARCHITECTURE_DOC = DOCS / "architecture.md"
ADMIN_DOC = DOCS / "admin.md"
#: folders that are not the repository's own (tools' caches, virtualenvs, build output, test artifacts)
NOT_OURS = {".git", ".venv", "__pycache__", "build", "node_modules", "artifacts"}


# --- reading markdown -------------------------------------------------------------------------------


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def sections(text: str) -> dict[str, str]:
    """Each heading's text (without `#`s) -> the text under it, up to the next heading of any level."""
    found: dict[str, str] = {}
    heading = ""
    lines: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and re.match(r"#{1,6} ", line):
            found[heading] = "\n".join(lines)
            heading = line.lstrip("#").strip()
            lines = []
        else:
            lines.append(line)
    found[heading] = "\n".join(lines)
    return found


def section(text: str, heading: str) -> str:
    """The text under `heading`; fails the test, naming the heading, when the document lacks it."""
    found = sections(text)
    assert heading in found, f"no heading {heading!r}; headings: {sorted(h for h in found if h)}"
    return found[heading]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


# --- the protocol -----------------------------------------------------------------------------------


def protocol_messages() -> list[type[BaseModel]]:
    """The public message classes defined in `sync.protocol` (not those it imports, like `Op`)."""
    return [
        value
        for name, value in vars(sync.protocol).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == sync.protocol.__name__
        and not name.startswith("_")
    ]


def test_the_protocol_module_has_messages_to_check():
    names = {m.__name__ for m in protocol_messages()}
    assert {"PushRequest", "PushResponse", "PullResponse", "OpResult", "ErrorBody", "Session"} <= names


@pytest.mark.parametrize("message", protocol_messages(), ids=lambda m: m.__name__)
def test_every_message_has_a_section_naming_each_of_its_fields(message: type[BaseModel]):
    rows = table_keys(section(read(PROTOCOL_DOC), f"`{message.__name__}`"))
    missing = [name for name in message.model_fields if name not in rows]
    assert not missing, f"docs/sync-protocol.md, `{message.__name__}`: no row for the fields {missing}"
    stale = rows - set(message.model_fields)
    assert not stale, f"docs/sync-protocol.md, `{message.__name__}`: {sorted(stale)} are not its fields"


def table_keys(text: str) -> set[str]:
    """The first cell of each table row, where it is one code span: | `applied` | ... |."""
    return set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE))


def test_every_op_status_is_explained():
    statuses = typing.get_args(sync.protocol.OpStatus)
    assert len(statuses) >= 5
    explained = table_keys(section(read(PROTOCOL_DOC), "Op statuses"))
    missing = [s for s in statuses if s not in explained]
    assert not missing, f"docs/sync-protocol.md, Op statuses: no row for {missing}"
    stale = explained - set(statuses)
    assert not stale, f"docs/sync-protocol.md, Op statuses: {sorted(stale)} are not statuses of sync.protocol.OpStatus"


def test_the_clock_headers_are_specified():
    text = section(read(PROTOCOL_DOC), "Clock headers")
    headers = [sync.protocol.DEVICE_TIME_HEADER, sync.protocol.DEVICE_OFFSET_HEADER, sync.protocol.CLOCK_OFFSET_HEADER]
    missing = [h for h in headers if h not in table_keys(text)]
    assert not missing, f"docs/sync-protocol.md, Clock headers: no row for {missing}"


def test_the_limits_are_stated_with_their_values():
    text = section(read(PROTOCOL_DOC), "Limits")
    for name in ("MAX_PUSH_OPS", "MAX_PULL_LIMIT", "DEFAULT_PULL_LIMIT"):
        value = getattr(sync.protocol, name)
        assert f"`{name}` = {value}" in text, f"docs/sync-protocol.md, Limits: `{name}` = {value} not stated"


def test_the_op_has_a_row_per_field():
    rows = table_keys(section(read(PROTOCOL_DOC), "The op"))
    missing = [name for name in Op.model_fields if name not in rows]
    assert not missing, f"docs/sync-protocol.md, The op: no row for the fields {missing}"


@pytest.mark.parametrize("model", [RecordState, Conflict], ids=lambda m: m.__name__)
def test_the_record_state_is_described_field_by_field(model: type[BaseModel]):
    text = section(read(PROTOCOL_DOC), "Record states")
    missing = [name for name in model.model_fields if f"`{name}`" not in text]
    assert not missing, f"docs/sync-protocol.md, Record states: fields of {model.__name__} not described: {missing}"


def server_routes() -> Iterator[tuple[str, str]]:
    """(method, path) of every route the server's routers declare."""
    for info in pkgutil.iter_modules(server.api.routes.__path__):
        module = importlib.import_module(f"{server.api.routes.__name__}.{info.name}")
        router = getattr(module, "router", None)
        for route in getattr(router, "routes", ()):
            for method in sorted(getattr(route, "methods", ()) or ()):
                if method != "HEAD":
                    yield method, route.path


def endpoint(method: str, path: str) -> str:
    """`GET /quarantine/{id}/resolve?x=1` and `GET /quarantine/{item_id}/resolve` name one endpoint."""
    return f"{method} " + re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


def test_every_server_route_is_in_the_endpoint_table():
    routes = {endpoint(method, path) for method, path in server_routes()}
    assert {"POST /sync/push", "GET /sync/pull", "POST /auth/login"} <= routes
    documented = {endpoint(*key.split(" ", 1)) for key in table_keys(section(read(PROTOCOL_DOC), "Endpoints"))}
    missing = sorted(routes - documented)
    assert not missing, f"docs/sync-protocol.md, Endpoints: routes not listed: {missing}"
    stale = sorted(documented - routes)
    assert not stale, f"docs/sync-protocol.md, Endpoints: no such route: {stale}"


# --- the architecture -------------------------------------------------------------------------------


def test_every_record_kind_is_listed_with_its_scope():
    text = section(read(ARCHITECTURE_DOC), "Record kinds")
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| ([a-z]+) \|", text, flags=re.MULTILINE))
    assert len(KINDS) >= 10
    wrong = {name: spec.scope for name, spec in KINDS.items() if rows.get(name) != spec.scope}
    assert not wrong, f"docs/architecture.md, Record kinds: missing or with the wrong scope: {wrong}"
    stale = set(rows) - set(KINDS)
    assert not stale, f"docs/architecture.md, Record kinds: {sorted(stale)} are not kinds of sync.records.KINDS"


# --- the command line -------------------------------------------------------------------------------


class _Parsed(Exception):
    """Carries the parser out of `server.cli.main` at the moment it would parse."""


def server_parser(monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    """The parser exactly as `python -m server` builds it, with every module's commands registered: taken
    from `server.cli.main` as it calls `parse_args`, so the test follows however the parser is put together."""

    def capture(self: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        raise _Parsed(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    with pytest.raises(_Parsed) as parsed:
        server.cli.main([])
    monkeypatch.undo()
    return parsed.value.args[0]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """("behaviours list", its parser), ... for every command that takes no further subcommand."""
    children = subcommands(parser)
    if not children:
        yield " ".join(path), parser
    for name, child in children.items():
        yield from leaves(child, (*path, name))


def test_every_server_command_is_documented(monkeypatch):
    commands = subcommands(server_parser(monkeypatch))
    assert {"serve", "migrate", "admin", "demo"} <= set(commands)
    text = "\n".join(read(path) for path in markdown_files())
    missing = [name for name in commands if f"python -m server {name}" not in text]
    assert not missing, f"README.md and docs/ never show `python -m server` {missing}"


def test_every_admin_command_and_option_is_in_the_admin_guide(monkeypatch):
    admin = subcommands(server_parser(monkeypatch))["admin"]
    commands = dict(leaves(admin))
    assert len(commands) >= 20 and "devices lost" in commands
    text = read(ADMIN_DOC)
    missing = [name for name in commands if f"python -m server admin {name}" not in text]
    assert not missing, f"docs/admin.md never shows `python -m server admin` {missing}"
    options = {
        option: name
        for name, parser in commands.items()
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    undocumented = {option: name for option, name in options.items() if not re.search(rf"{option}(?![\w-])", text)}
    assert not undocumented, f"docs/admin.md never mentions these options (option: a command taking it): {undocumented}"


# --- links and paths --------------------------------------------------------------------------------

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def links() -> Iterator[tuple[Path, str]]:
    for path in markdown_files():
        for target in LINK.findall(read(path)):
            if not re.match(r"[a-z]+:", target):  # http:, https:, mailto: lead outside, on purpose
                yield path, target


def test_the_docs_link_to_each_other():
    found = list(links())
    assert any(target.endswith("sync-protocol.md") for _, target in found)


@pytest.mark.parametrize(("source", "target"), list(links()), ids=lambda v: v if isinstance(v, str) else v.name)
def test_every_relative_link_resolves_in_the_repository(source: Path, target: str):
    file_part, _, anchor = target.partition("#")
    resolved = (source.parent / file_part).resolve() if file_part else source
    assert resolved.is_relative_to(ROOT), f"{source.name}: {target} leads outside the repository"
    assert resolved.exists(), f"{source.name}: {target}: no such file"
    if anchor:
        assert resolved.suffix == ".md", f"{source.name}: {target}: an anchor into a file that is not markdown"
        anchors = {slug(heading) for heading in sections(read(resolved)) if heading}
        assert anchor in anchors, f"{source.name}: {target}: no heading with that anchor in {resolved.name}"


def top_folders() -> list[str]:
    return sorted(
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in NOT_OURS and not p.name.endswith(".egg-info")
    )


def test_every_repository_path_the_docs_name_exists():
    folders = "|".join(map(re.escape, top_folders()))
    named = re.compile(rf"(?<![\w./-])((?:{folders})/[\w./-]*\.(?:py|md|toml|sh|json))(?![\w])")
    missing = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in markdown_files()
        for name in named.findall(read(path))
        if not (ROOT / name).exists()
    ]
    assert not missing, "paths named in the docs that are not in the repository:\n" + "\n".join(missing)


def test_the_readme_layout_table_matches_the_tree():
    text = section(read(ROOT / "README.md"), "Layout")
    rows = table_keys(text)
    listed = {row.rstrip("/") for row in rows if not row.endswith(".py")}  # a top-level module may have a row too
    assert listed == set(top_folders()), f"README.md, Layout: lists {sorted(listed)}, the tree has {top_folders()}"
    test_folders = sorted(p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and (p / "__init__.py").exists())
    missing = [name for name in test_folders if f"`tests/{name}/`" not in text]
    assert not missing, f"README.md, Layout: test folders not named: {missing}"


# --- nothing outside ------------------------------------------------------------------------------

#: what points outside the repository: the design reference kept beside it, or a path on one machine.
#: (Written so that this file does not match itself.)
OUTSIDE = re.compile(r"\bDESIGN(?:\.md|\s*§)|(?<![\w.])/wor[k]/|\.\./share[d]\b")
CHECKED_SUFFIXES = {".py", ".md", ".toml", ".sh", ".cfg", ".ini", ".txt"}


def repository_files() -> Iterator[Path]:
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_OURS and not d.endswith(".egg-info") and d not in {".hypothesis"}]
        dirs[:] = [d for d in dirs if not d.startswith(".") or d == ".ci"]
        for name in files:
            path = Path(folder, name)
            if path.suffix in CHECKED_SUFFIXES or path.parent.name == ".ci":
                yield path


def test_the_outside_pattern_catches_what_it_must():
    samples = ["see DESIGN" + ".md", "(DESIGN" + " §2)", "/wor" + "k/shared/notes/FLET.md", "../sha" + "red/x"]
    assert all(OUTSIDE.search(s) for s in samples)
    assert not OUTSIDE.search("docs/architecture.md, /usr/bin/chromium, homework/x")


def test_nothing_points_outside_the_repository():
    files = list(repository_files())
    assert any(p.name == "README.md" for p in files) and any(p.suffix == ".py" for p in files)
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(read(path).splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert not found, "the repository must stand alone (point at docs/ instead):\n" + "\n".join(found)
