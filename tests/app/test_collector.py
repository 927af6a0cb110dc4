"""The client's collector settings (app/collector.py): set by the entry point, what the UI then runs under."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app import collector


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored")
def test_settle_freezes_what_exists_and_collects_rarely_after() -> None:
    gc.unfreeze()
    survivor = [object() for _ in range(10)]
    collector.settle()
    assert gc.get_threshold() == collector.THRESHOLDS
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(survivor) and survivor not in gc.get_objects()  # frozen: never scanned again


def test_the_entry_point_settles_the_collector_before_the_ui_starts() -> None:
    import inspect

    import main

    source = inspect.getsource(main.main)
    assert source.index("collector.settle()") < source.index("ft.run(")
