"""The client's start-up: the methods `dataclasses` generates, compiled once and kept beside the bytecode.

Python 3.11's `dataclasses` writes each class's `__init__`, `__repr__`, `__eq__`... as source text and
compiles it with `exec` every time the class is defined, and no bytecode cache holds that code. Flet defines
its controls, events and themes as dataclasses, so a start-up to the Behaviour Clicker compiled ~1,100 such
functions: 22 % of its instructions, most of them before the unlock screen (bench/RESULTS.md, "Issue #14,
fourth pass: start-up").

`install()` — the composition root calls it before it imports flet — gives `dataclasses` an `exec` that finds
the text in a cache of code objects (loaded from `CACHE_FILE`) and compiles it only when it is not there.
`save()` writes what was compiled: at exit, under the rule Python uses for `.pyc` files (not where
`sys.dont_write_bytecode`, silently not where the folder is read-only). So the first start after an install
compiles as before, and the starts after it read the code. (A process killed by a signal runs no exit
handlers: it writes nothing, and the next start compiles again.)

Invariants (tests/app/test_codecache.py):
- the same classes: an entry's key is the whole source text and its value is what `compile` makes of exactly
  that text, executed with the globals `dataclasses` passes — a hit defines the same function a miss does
  (`test_a_cached_dataclass_behaves_as_a_compiled_one`);
- a cache that cannot be read (missing, truncated, another Python's) is ignored, never an error
  (`test_an_unreadable_cache_is_ignored`); nothing is written where bytecode is not
  (`test_nothing_is_written_where_bytecode_is_not`).

Trust: the file sits in the `__pycache__` beside the modules, so whoever can change it can already change the
code itself (as with any `.pyc`); it holds no data of anyone's.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any

#: one file per Python version (code objects are version-specific; MAGIC_NUMBER guards within a version too)
CACHE_FILE = Path(__file__).resolve().parent / "__pycache__" / f"dataclass_code.{sys.implementation.cache_tag}.bin"


class CodeCache:
    """Code objects by their source text, loaded from and saved to one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries = _read(path)
        #: how many texts were compiled since the file was read or written
        self.compiled = 0

    def code(self, source: str) -> CodeType:
        found = self.entries.get(source)
        if found is None:
            # What `exec(source)` compiles: file name "<string>", no __future__ flags of the caller's.
            found = self.entries[source] = compile(source, "<string>", "exec", dont_inherit=True)
            self.compiled += 1
        return found

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """`builtins.exec`, with source text compiled through the cache."""
        builtins.exec(self.code(source) if isinstance(source, str) else source, globals, locals)

    def save(self, *, force: bool = False) -> bool:
        """Write the cache if anything was compiled since it was read; True if written. Not where bytecode is
        not written (`sys.dont_write_bytecode`) unless `force`; a folder that refuses the write is left as it is
        (the next start compiles again, as without a cache)."""
        if not self.compiled or (sys.dont_write_bytecode and not force):
            return False
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(exist_ok=True)
            partial.write_bytes(MAGIC_NUMBER + marshal.dumps(self.entries))
            os.replace(partial, self.path)  # a reader sees the old file or the new one, never half of one
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink()
            return False
        self.compiled = 0
        return True


def _read(path: Path) -> dict[str, CodeType]:
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    if not data.startswith(MAGIC_NUMBER):
        return {}
    try:
        entries = marshal.loads(memoryview(data)[len(MAGIC_NUMBER) :])
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, CodeType)}


_installed: CodeCache | None = None


def install(path: Path = CACHE_FILE) -> CodeCache:
    """Route `dataclasses`' compiling through the cache for the rest of this process (once; later calls return
    the same cache), and save it at exit."""
    global _installed
    if _installed is None:
        _installed = CodeCache(path)
        # `dataclasses` looks `exec` up in its module's globals before the builtins: this name shadows it there.
        vars(dataclasses)["exec"] = _installed.exec
        atexit.register(_installed.save)
    return _installed


def uninstall() -> None:
    """Give `dataclasses` back the builtin `exec` (tests)."""
    global _installed
    if _installed is not None:
        atexit.unregister(_installed.save)
        vars(dataclasses).pop("exec", None)
        _installed = None
