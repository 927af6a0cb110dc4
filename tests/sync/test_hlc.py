"""The hybrid logical clock: monotonic, merges remote stamps, bounds stamps from the future."""

import pytest

from sync.hlc import MAX_MS, ClockError, HybridClock, Stamp, clamp_future, shift


class FakeWall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_stamps_are_strictly_increasing_when_the_wall_clock_goes_backwards():
    wall = FakeWall(1_000_000)
    clock = HybridClock("dev-a", wall=wall)
    first = clock.now()
    wall.ms = 500_000  # clock jumped back
    second = clock.now()
    third = clock.now()
    assert first < second < third
    assert second.ms == first.ms and second.counter == first.counter + 1


def test_encoding_sorts_like_the_stamp_and_round_trips():
    stamps = [Stamp(5, 2, "b"), Stamp(5, 10, "a"), Stamp(40, 0, "a"), Stamp(5, 2, "c")]
    assert sorted(s.encode() for s in stamps) == [s.encode() for s in sorted(stamps)]
    for stamp in stamps:
        assert Stamp.parse(stamp.encode()) == stamp


@pytest.mark.parametrize("text", ["", "12.3.x", "0000000000001.00000.", "abc", "0000000000001.00000.a b"])
def test_malformed_stamps_are_rejected(text):
    with pytest.raises(ClockError, match="malformed"):
        Stamp.parse(text)


def test_receive_moves_past_a_remote_stamp():
    wall = FakeWall(1_000)
    clock = HybridClock("dev-a", wall=wall)
    remote = Stamp(1_500, 7, "dev-b")
    after = clock.receive(remote)
    assert after > remote and after.node == "dev-a"
    assert clock.now() > after


def test_receive_rejects_a_stamp_too_far_ahead_when_configured_to():
    clock = HybridClock("dev-a", wall=FakeWall(1_000), max_ahead_ms=60_000, on_ahead="reject")
    with pytest.raises(ClockError, match="ahead"):
        clock.receive(Stamp(1_000 + 60_001, 0, "dev-b"))
    assert clock.now().ms == 1_000  # nothing dragged forward


def test_receive_clamps_a_stamp_too_far_ahead_by_default():
    clock = HybridClock("dev-a", wall=FakeWall(1_000), max_ahead_ms=60_000)
    after = clock.receive(Stamp(10**12, 0, "dev-b"))
    assert after.ms == 61_000


def test_counter_overflow_borrows_the_next_millisecond():
    clock = HybridClock("n", wall=FakeWall(10), last=Stamp(10, 99_999, "n"))
    assert clock.now() == Stamp(11, 0, "n")


def test_clamp_future_keeps_clamped_stamps_distinct_and_the_writer_node():
    server = HybridClock("server", wall=FakeWall(1_000), max_ahead_ms=100)
    far = [Stamp(10**11, 0, "dev-fast"), Stamp(10**11 + 5, 0, "dev-fast")]
    clamped = [clamp_future(s, server) for s in far]
    assert clamped[0] < clamped[1]
    assert all(c.node == "dev-fast" and c.ms <= 1_100 for c in clamped)
    near = Stamp(1_050, 3, "dev-ok")
    assert clamp_future(near, server) == near


def test_invalid_node_id_rejected():
    with pytest.raises(ClockError, match="node id"):
        HybridClock("has space")


def test_an_offset_corrects_the_wall_clock_and_calibrate_restarts_from_the_servers_stamp():
    wall = [3 * 86_400_000 + 1_000]  # three days fast
    clock = HybridClock("devA", wall=lambda: wall[0])
    fast = clock.now()
    assert fast.ms == wall[0] and clock.wall_ms() == wall[0]
    # The server measured the clock three days fast; its newest stamp was at 1_000 ms (its time).
    clock.calibrate(-3 * 86_400_000, Stamp(1_000, 4, "server"))
    assert clock.physical() == 1_000 and clock.wall_ms() == wall[0]
    after = clock.now()
    assert after > Stamp(1_000, 4, "server") and after.ms == 1_000  # not held three days ahead by `fast`
    wall[0] += 500
    assert clock.now().ms == 1_500


def test_shift_moves_the_physical_part_within_the_stamps_range():
    stamp = Stamp(5_000, 3, "devA")
    assert shift(stamp, -2_000) == Stamp(3_000, 3, "devA")
    assert shift(stamp, -10_000) == Stamp(0, 3, "devA")
    assert shift(Stamp(MAX_MS - 1, 0, "devA"), 10).encode() == f"{MAX_MS}.00000.devA"
