"""The layers hold: the import contracts in pyproject.toml (`[tool.importlinter]`) are kept, they catch the breaks
they are written for, every module of sync/ is placed in the layers on purpose, and the screens import only flet,
the standard library, `app/` and each other (an allow-list import-linter cannot express for outside packages)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "screens"
ALLOWED = {"flet", "flet_charts", "app", "screens", "__future__"}
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("app", "screens", "localdb", "sync", "server", "documents")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(contracts())} kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the code for the break tests (each breaks one file, then puts it back)."""
    copy = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / "pyproject.toml", copy)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "main.py").write_text("import screens.root\n")
    return copy


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("app/services.py", "import screens.shell", "Layers"),
        ("localdb/store.py", "import app.context", "Layers"),
        ("sync/records.py", "import sync.engine", "Layers"),
        ("server/db.py", "import sync.engine", "Layers"),
        ("server/db.py", "import localdb.store", "Layers"),
        ("screens/ui.py", "import localdb.store", "Screens reach the store"),
        ("app/context.py", "import server.db", "Nothing imports the server"),
        ("app/context.py", "import main", "Nothing imports the composition root"),
        ("sync/merge.py", "import httpx", "no network or UI work"),
        ("server/db.py", "import flet", "client's UI"),
        ("documents/__init__.py", "import sync.records", "Documents lay out what they are given"),
    ],
)
def test_a_break_of_the_layers_fails(tree_copy: Path, module: str, line: str, contract: str):
    """The contracts are not vacuous: one wrong import in a copy of the tree breaks the contract named."""
    target = tree_copy / module
    original = target.read_text()
    target.write_text(original + f"\n{line}  # noqa\n")
    try:
        result = lint_imports(tree_copy)
    finally:
        target.write_text(original)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


def test_every_sync_module_has_its_place_in_the_layers():
    """A new module of sync/ is either the pure core (shared with the server) or the client's engine/gateway:
    the layers contract names each one, so nobody adds one without deciding which."""
    [layers] = [c for c in contracts() if c["type"] == "layers"]
    named = {
        name.strip().strip("()")
        for layer in layers["layers"]
        for name in layer.replace("|", ":").split(":")
        if name.strip().startswith("(sync.") or name.strip().startswith("sync.")
    }
    modules = {f"sync.{p.stem}" for p in (ROOT / "sync").glob("*.py") if p.stem != "__init__"}
    assert modules <= named, f"place these in the layers contract of pyproject.toml: {sorted(modules - named)}"


def test_screens_import_only_flet_the_standard_library_and_app():
    found = []
    for path in sorted(SCREENS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in ALLOWED and top not in sys.stdlib_module_names:
                    found.append(f"{path.name}:{node.lineno} imports {name}")
    assert not found, "screens/ must reach the store and the sync core through app/:\n" + "\n".join(found)
