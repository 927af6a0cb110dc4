"""Record ids (`sync.ids.uuid7`): valid UUIDv7, unique, ordered by the moment they carry (hypothesis)."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.hlc import wall_clock_ms
from sync.ids import uuid7

# Millisecond moments a UUIDv7 can carry, from 1970 to the year 10000 (datetime's limit comes first).
moments = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(dt.UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


def ms_of(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


@settings(max_examples=300, deadline=None)
@given(moments)
def test_an_id_is_a_uuidv7_carrying_its_moment(moment):
    parsed = uuid.UUID(uuid7(moment))
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == ms_of(moment)


@settings(max_examples=300, deadline=None)
@given(st.lists(moments, min_size=2, max_size=20, unique_by=ms_of))
def test_ids_sort_by_their_moments(chosen):
    by_id = sorted(chosen, key=uuid7)
    assert by_id == sorted(chosen)


@settings(max_examples=100, deadline=None)
@given(moments)
def test_ids_made_in_the_same_millisecond_are_unique(moment):
    made = [uuid7(moment) for _ in range(1000)]
    assert len(set(made)) == len(made)


def test_an_id_without_a_moment_is_made_now():
    before = wall_clock_ms()
    made = uuid.UUID(uuid7()).int >> 80
    assert before <= made <= wall_clock_ms()


def test_a_seeded_generator_makes_the_same_ids_again():
    moment = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)
    first = [uuid7(moment, random.Random(7)) for _ in range(3)]
    assert first == [uuid7(moment, random.Random(7)) for _ in range(3)]
    assert uuid7(moment, random.Random(7)) != uuid7(moment, random.Random(8))


def test_a_moment_before_1970_is_refused():
    with pytest.raises(ValueError, match="48-bit"):
        uuid7(dt.datetime(1969, 12, 31, 23, 59, tzinfo=dt.UTC))


def test_a_moment_without_a_timezone_is_refused():
    with pytest.raises(TypeError):
        uuid7(dt.datetime(2026, 9, 1, 9))
