"""One time base for the whole pipeline: the real monotonic clock or a simulated one.

Every time-based rule (budgets, staleness, track buffers, hang deadlines) reads
``clock.now()`` (seconds, float). The daemon injects :class:`MonotonicClock`;
replays inject :class:`SimulatedClock`, whose time only moves when the replay
charges it the measured latency of a model call (``advance``) or jumps to the
next frame's capture time (``advance_to``). Results are then deterministic and
show what a board of the given speed would see.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod


class Clock(ABC):
    """``now()`` -> seconds (monotonic, arbitrary origin)."""

    simulated = False

    @abstractmethod
    def now(self) -> float:
        """Current time in seconds."""


class MonotonicClock(Clock):
    """The real clock (``time.monotonic``)."""

    def now(self) -> float:
        return time.monotonic()


class SimulatedClock(Clock):
    """A clock that moves only when told to.

    t0: start time in seconds. ``advance(dt)`` charges dt >= 0 seconds (e.g. a model's
    measured median invoke latency); ``advance_to(t)`` jumps forward to t (never back).
    """

    simulated = True

    def __init__(self, t0: float = 0.0) -> None:
        self._t = float(t0)

    def now(self) -> float:
        return self._t

    def advance(self, dt: float) -> float:
        """Move forward by ``dt`` seconds; returns the new time."""
        if dt < 0:
            raise ValueError(f"SimulatedClock.advance: dt must be >= 0, got {dt}")
        self._t += float(dt)
        return self._t

    def advance_to(self, t: float) -> float:
        """Move forward to ``t`` if it is later than now; returns the new time."""
        if t > self._t:
            self._t = float(t)
        return self._t
