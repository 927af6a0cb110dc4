"""One root exception per package: every exception class defined in `sync/`, `localdb/`, `app/` or `server/`
derives from its package's root, and the tree in the package docstring names it.

Each module is imported and its own exception classes checked; modules that must not be imported here (a
`__main__` runs its command, the migrations' `env.py` runs Alembic) are read instead, and may define none."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

from app.errors import AppError
from localdb.errors import LocalDbError
from server.errors import ServerSideError
from sync.errors import SyncError

ROOTS: dict[str, type[Exception]] = {
    "sync": SyncError,
    "localdb": LocalDbError,
    "app": AppError,
    "server": ServerSideError,
}


def _not_imported(name: str) -> bool:
    return name.endswith(".__main__") or name.startswith("server.migrations")


def _modules(package: str) -> tuple[list[ModuleType], list[Path]]:
    """The package's modules, imported, and the files of those that are only read."""
    root = importlib.import_module(package)
    imported = [root]
    read: list[Path] = []
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        if _not_imported(info.name):
            spec = importlib.util.find_spec(info.name)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                read.append(Path(spec.origin))
        else:
            imported.append(importlib.import_module(info.name))
    return imported, read


def _exceptions(package: str) -> list[type[BaseException]]:
    found = []
    for module in _modules(package)[0]:
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_exception_derives_from_its_package_root(package):
    root = ROOTS[package]
    exceptions = _exceptions(package)
    assert root in exceptions, f"{package}'s root {root.__name__} is not defined in {package}/"
    stray = [f"{e.__module__}.{e.__qualname__}" for e in exceptions if not issubclass(e, root)]
    assert not stray, f"derive these from {root.__module__}.{root.__name__}: {stray}"


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_the_package_docstring_lists_every_exception(package):
    documented = importlib.import_module(package).__doc__ or ""
    missing = [e.__name__ for e in _exceptions(package) if not re.search(rf"\b{e.__name__}\b", documented)]
    assert not missing, f"add these to the exception tree in {package}/__init__.py: {missing}"


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_modules_not_imported_here_define_no_classes(package):
    classes = [
        f"{path.name}:{node.lineno} {node.name}"
        for path in _modules(package)[1]
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.ClassDef)
    ]
    assert not classes, f"this test cannot check these (their modules are not imported): {classes}"
