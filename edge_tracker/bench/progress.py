"""A minimal progress bar on stderr, drawn only when stderr is a terminal.

Benchmarks write JSON for machines; logs and CI captures must not fill with carriage
returns, so off a TTY the bar prints nothing at all. Redraws are rate-limited to
``min_interval_s`` so drawing never costs measurable time inside a timed loop (it is
only ever called between timed sections anyway).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``with Progress(total, "invoke") as p: ... p.update()``.

    total: expected number of steps (>= 1). stream: defaults to sys.stderr. enabled:
    force on/off; default is ``stream.isatty()``.
    """

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None,
                 enabled: bool | None = None, width: int = 30, min_interval_s: float = 0.2
                 ) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty()) if callable(isatty) else False
        self.enabled = enabled
        self.width = width
        self.min_interval_s = min_interval_s
        self.done = 0
        self._t0 = time.monotonic()
        self._last_draw = float("-inf")

    def update(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        if not self.enabled:
            return
        now = time.monotonic()
        if self.done < self.total and now - self._last_draw < self.min_interval_s:
            return
        self._last_draw = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        frac = self.done / self.total
        filled = round(frac * self.width)
        elapsed = now - self._t0
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} "
                          f"{elapsed:5.1f}s eta {eta:5.1f}s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:  # noqa: PYI034 - Self needs 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
