"""The screens render and nothing more: they import only flet, the standard library, `app/` and each other
(docs/architecture.md). Issue #9 turns the whole layer map into import-linter contracts; this test keeps the screens'
part true until then."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SCREENS = Path(__file__).resolve().parents[1] / "screens"
ALLOWED = {"flet", "app", "screens", "__future__"}


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
