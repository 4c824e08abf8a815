"""Helpers shared by the fuzz tests: run one case under a time limit and classify it."""

from __future__ import annotations

import signal
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from edge_tracker.errors import EdgeTrackerError


class Hang(BaseException):
    """Raised by the alarm when a case runs past its time limit (BaseException so that
    no ``except Exception`` in the code under test swallows it)."""


@contextmanager
def time_limit(seconds: float):
    """SIGALRM-based limit for a call on the main thread."""
    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no result within {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def classify(fn: Callable[[], Any], seconds: float = 10.0) -> tuple[str, str]:
    """Run ``fn``: ('ok', ''), ('clear', message) for an EdgeTrackerError with a non-empty
    message, ('unclear', message) for an EdgeTrackerError without one, ('hang', ...) or
    ('other', 'Type: message + traceback tail') for anything else."""
    try:
        with time_limit(seconds):
            fn()
    except Hang as exc:
        return "hang", str(exc)
    except EdgeTrackerError as exc:
        msg = str(exc).strip()
        return ("clear", msg) if msg else ("unclear", f"{type(exc).__name__} without message")
    except Exception as exc:  # noqa: BLE001 - the point: anything else is a finding
        tb = "".join(traceback.format_exception(exc)[-3:])
        return "other", f"{type(exc).__name__}: {exc} | {tb}"
    return "ok", ""
