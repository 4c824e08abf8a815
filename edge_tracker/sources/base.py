"""What every source back-end implements, and what the reader thread expects of it.

A back-end wraps one device / file / stream / pipeline *connection*. The shared
reader (:mod:`edge_tracker.sources.reader`) owns the thread, the bounded buffer,
reconnects and the stall watchdog; a back-end only opens, reads one frame, and
closes. It signals the three ways a read can end:

- returns :class:`Captured` - one image, (H, W, 3) uint8 BGR (any H, W: the size may
  change mid-stream, downstream handles it);
- returns ``None`` - this frame was corrupt or unreadable; the reader counts it and
  reads on (too many in a row end the connection);
- raises :class:`EndOfStream` (a finite source ended) or :class:`ConnectionLost`
  (the camera / stream / pipeline dropped: the reader reconnects).

``open()`` raises :class:`~edge_tracker.errors.SourceError` with a message that names
the source (credentials masked) and what is wrong.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class EndOfStream(Exception):
    """A finite source (file, image folder, pipeline of a file) has no more frames."""


class ConnectionLost(Exception):
    """The camera, stream or pipeline stopped delivering; the reader reconnects."""


@dataclass
class Captured:
    """One frame as a back-end read it.

    image: (H, W, 3) uint8 BGR (the reader also accepts (H, W), (H, W, 1) and (H, W, 4)
        and converts them).
    t_monotonic: capture time on ``time.monotonic()``'s base when the device reports one
        (Picamera2 SensorTimestamp), else None (the reader stamps it on arrival).
    t_media: seconds from the start of a finite source (file position), else None.
    """

    image: np.ndarray
    t_monotonic: float | None = None
    t_media: float | None = None


class SourceMetrics(Protocol):
    """Hooks a source calls (``edge_tracker.metrics.Metrics`` implements them)."""

    def on_reconnect(self) -> None: ...

    def set_up(self, up: bool) -> None: ...

    def on_drop(self, n: int = 1) -> None: ...


class NullMetrics:
    """Metrics hooks that do nothing (when no metrics object is given)."""

    def on_reconnect(self) -> None:
        return None

    def set_up(self, up: bool) -> None:
        return None

    def on_drop(self, n: int = 1) -> None:
        return None


class Backend(ABC):
    """One connection to a frame source.

    live: True for cameras and streams (the reader keeps the newest frame and drops
        older ones when the consumer is slow); False for files (nothing is dropped).
    fps: nominal frames per second, or None when unknown.
    """

    live: bool = True
    fps: float | None = None

    @abstractmethod
    def open(self) -> None:
        """Connect; raise SourceError naming the source and the problem."""

    @abstractmethod
    def read(self) -> Captured | None:
        """Block until the next frame (see module doc for the three outcomes)."""

    @abstractmethod
    def close(self) -> None:
        """Release the device; safe to call twice and after a failed open."""

    @abstractmethod
    def describe(self) -> str:
        """Human-readable name with credentials masked."""

    def cancel(self) -> None:
        """Ask a blocking ``read`` to return soon (called from another thread when the
        source stops or the watchdog abandons this connection). Back-ends that poll
        (GStreamer) honour it; OpenCV reads end through their own timeouts."""
        return


def to_bgr(image: object) -> np.ndarray | None:
    """A decoded image as (H, W, 3) uint8 BGR, or None when it is not a usable image.

    Accepts (H, W) and (H, W, 1) gray, (H, W, 3) BGR and (H, W, 4) BGRA uint8 arrays;
    anything else (None, empty, other dtypes or shapes) is None: a corrupt frame.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.size == 0:
        return None
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        return None
    channels = image.shape[2]
    if channels == 3:
        return image
    if channels == 1:
        return np.repeat(image, 3, axis=2)
    if channels == 4:
        return np.ascontiguousarray(image[:, :, :3])
    return None


def quiet_ffmpeg() -> None:
    """Silence FFmpeg's own log inside OpenCV (called when ``edge_tracker.sources`` is
    imported, and again before each open).

    FFmpeg prints errors such as ``Connection to tcp://user:secret@host failed`` to
    stderr itself, with the password. OpenCV (5.0 wheels, checked) reads
    ``OPENCV_FFMPEG_LOGLEVEL`` once, when the process first uses its FFmpeg back-end
    (capture or writer): -8 = AV_LOG_QUIET. A value the user exported is kept.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
