"""The cache of the code `dataclasses` generates (app/codecache.py): the same classes, read back, never in the way."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import codecache


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[codecache.CodeCache]:
    codecache.uninstall()  # a process that installed it earlier (none should) must not hide this test's
    installed = codecache.install(tmp_path / "__pycache__" / "code.bin")
    try:
        yield installed
    finally:
        codecache.uninstall()


def make_point() -> type:
    @dataclasses.dataclass(frozen=True, order=True)
    class Point:
        x: int
        y: int = 2
        tags: list[str] = dataclasses.field(default_factory=list)

    return Point


def test_a_cached_dataclass_behaves_as_a_compiled_one(cache: codecache.CodeCache, monkeypatch) -> None:
    first = make_point()
    assert cache.compiled > 0  # init, repr, eq, order, frozen setattr/delattr, hash: compiled through the cache
    assert cache.save(force=True)
    reread = codecache.CodeCache(cache.path)
    assert set(reread.entries) == set(cache.entries)
    monkeypatch.setattr(cache, "entries", reread.entries)
    monkeypatch.setattr(cache, "compiled", 0)

    second = make_point()

    assert cache.compiled == 0, "every method came from the file"
    for point in (first, second):
        p = point(1)
        assert (p.x, p.y, p.tags) == (1, 2, [])
        assert repr(p) == "make_point.<locals>.Point(x=1, y=2, tags=[])"
        assert point(1) == point(1) and point(1) != point(2) and point(1) < point(2)
        assert hash(point(1, tags=())) == hash(point(1, tags=()))  # type: ignore[arg-type]
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.x = 3
        with pytest.raises(TypeError):
            point()  # x has no default
    assert repr(second(1)) == repr(first(1))
    assert second(1, 5) != first(1, 5), "two classes, as without the cache"


def test_an_unreadable_cache_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "code.bin"
    for content in (b"", b"not a cache", codecache.MAGIC_NUMBER + b"\x00\x01truncated", b"\x00\x00\r\n" + b"{}"):
        path.write_bytes(content)
        assert codecache.CodeCache(path).entries == {}
    assert codecache.CodeCache(tmp_path / "missing.bin").entries == {}


def test_nothing_is_written_where_bytecode_is_not(cache: codecache.CodeCache, monkeypatch, tmp_path: Path) -> None:
    make_point()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert not cache.save()
    assert not cache.path.exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert cache.save()
    assert cache.path.exists()
    assert not cache.save(), "nothing new compiled since: not written again"


def test_a_folder_that_refuses_the_write_is_left_alone(tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    cache = codecache.CodeCache(blocked / "__pycache__" / "code.bin")
    cache.code("x = 1")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert not cache.save()
    assert cache.compiled == 1  # still to be written, by a later save that can
