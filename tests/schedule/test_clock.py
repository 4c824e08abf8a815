import pytest

from edge_tracker.schedule.clock import MonotonicClock, SimulatedClock


def test_simulated_clock_advances_only_when_charged():
    c = SimulatedClock(1.0)
    assert c.now() == 1.0
    assert c.advance(0.25) == 1.25
    assert c.advance_to(1.0) == 1.25        # never back
    assert c.advance_to(2.0) == 2.0
    assert c.now() == 2.0


def test_simulated_clock_rejects_negative():
    with pytest.raises(ValueError, match="dt must be >= 0"):
        SimulatedClock().advance(-0.1)


def test_monotonic_clock_does_not_go_back():
    c = MonotonicClock()
    a = c.now()
    assert c.now() >= a
