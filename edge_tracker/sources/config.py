"""``source:`` section of the configuration (closed, frozen, bounded).

Examples (YAML)::

    source: {uri: 0, width: 1280, height: 720, fps: 30, fourcc: MJPG}     # V4L2 camera
    source: {uri: "rtsp://user:secret@10.0.0.5/stream1", stall_timeout_s: 5}
    source: {uri: clip.mp4, realtime: true}                                # a file, paced
    source: {type: images, uri: frames/}                                  # sorted image folder
    source: {type: picamera2, camera: 0, size: [1280, 720], fps: 30}
    source: {type: gstreamer, pipeline: "v4l2src device=/dev/video0 ! videoconvert ! appsink"}
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

from ..configbase import bounds
from ..errors import ConfigError
from .urls import guess_type

SourceType = Literal["auto", "camera", "file", "stream", "images", "gstreamer", "picamera2"]


@dataclass(frozen=True)
class SourceConfig:
    """Where frames come from and how the reader treats them.

    type: back-end; ``auto`` guesses from ``uri`` (index or /dev/videoN -> camera,
        rtsp/http/tcp/udp/... URL -> stream, folder or glob -> images, text with
        " ! " -> gstreamer, anything else -> file). picamera2 is never guessed.
    uri: camera index (0 or "0"), device (/dev/video0), file, folder, URL or pipeline.
    camera: camera number for picamera2 / V4L2 (overrides ``uri`` when set).
    pipeline: GStreamer pipeline (type gstreamer); an ``appsink`` is appended when absent.
    width, height / size: requested frame size in pixels (size = [w, h], same thing).
    fps: requested (camera) or nominal (files without a rate, image folders: 30) rate.
    fourcc: V4L2 pixel format, 4 characters (MJPG, YUYV).
    live: None = by type (cameras/streams live, files not; gstreamer asks the pipeline).
        Live sources keep only the newest ``buffer`` frames and count drops; others
        block the reader instead (no drops).
    realtime: pace a non-live source to its frame rate (else as fast as consumed).
    loop: restart a file / folder at its end instead of finishing.
    buffer: frames held between reader and consumer.
    reconnect_initial_s / reconnect_max_s / reconnect_jitter: backoff between reconnect
        attempts: initial * 2**k, capped at max, times a random factor in [1-j, 1+j].
    max_reconnects: connections in a row that brought no frame (failed opens included)
        before the source gives up: finished, with ``error`` set (0 = retry forever).
    stall_timeout_s: no frame for this long while reading -> reconnect (watchdog).
    open_timeout_s: network open / read timeouts handed to FFmpeg.
    max_corrupt: unreadable frames in a row before the connection counts as lost
        (files: as ended).
    timestamps: ``media`` = clock at open + position in the file (files, folders);
        ``clock`` = clock time at arrival (or the device's capture time); auto = by type.
    wait_at_start: when the first open fails, keep retrying (backoff) instead of failing.
    rtsp_transport: FFmpeg rtsp_transport option for rtsp:// URLs.
    """

    type: SourceType = "auto"
    uri: str | int = "0"
    camera: int | None = field(default=None, metadata=bounds(0, 63))
    pipeline: str | None = None
    width: int | None = field(default=None, metadata=bounds(16, 16384))
    height: int | None = field(default=None, metadata=bounds(16, 16384))
    size: tuple[int, int] | None = field(default=None, metadata=bounds(16, 16384))
    fps: float | None = field(default=None, metadata=bounds(0.0, 1000.0, lo_open=True))
    fourcc: str | None = None
    live: bool | None = None
    realtime: bool = False
    loop: bool = False
    buffer: int = field(default=2, metadata=bounds(1, 256))
    reconnect_initial_s: float = field(default=0.5, metadata=bounds(0.01, 60.0))
    reconnect_max_s: float = field(default=30.0, metadata=bounds(0.01, 3600.0))
    reconnect_jitter: float = field(default=0.2, metadata=bounds(0.0, 1.0))
    max_reconnects: int = field(default=0, metadata=bounds(0, 1_000_000))
    stall_timeout_s: float = field(default=5.0, metadata=bounds(0.1, 3600.0))
    open_timeout_s: float = field(default=10.0, metadata=bounds(0.1, 600.0))
    max_corrupt: int = field(default=25, metadata=bounds(1, 100_000))
    timestamps: Literal["auto", "clock", "media"] = "auto"
    wait_at_start: bool = False
    rtsp_transport: Literal["tcp", "udp", "auto"] = "tcp"

    def __post_init__(self) -> None:
        # YAML ``uri: 0`` is an int: keep one type downstream.
        if isinstance(self.uri, int) and not isinstance(self.uri, bool):
            object.__setattr__(self, "uri", str(self.uri))

    def validate(self, path: str = "") -> None:
        """Cross-field checks (called by ``configbase.build``)."""
        pre = f"{path}." if path else ""
        if self.fourcc is not None and (len(self.fourcc) != 4 or not self.fourcc.isprintable()):
            raise ConfigError(f"{pre}fourcc", f"must be 4 printable characters, got "
                                              f"{self.fourcc!r}")
        if self.size is not None and (self.width is not None or self.height is not None) \
                and (self.width, self.height) != tuple(self.size):
            raise ConfigError(f"{pre}size", f"{list(self.size)} conflicts with width "
                                            f"{self.width} / height {self.height}")
        if (self.width is None) != (self.height is None):
            raise ConfigError(f"{pre}width" if self.width is None else f"{pre}height",
                              "width and height must be given together")
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ConfigError(f"{pre}reconnect_max_s",
                              f"must be >= reconnect_initial_s ({self.reconnect_initial_s}), "
                              f"got {self.reconnect_max_s}")
        if self.kind == "gstreamer" and not (self.pipeline or self.uri.strip()):
            raise ConfigError(f"{pre}pipeline", "a gstreamer source needs a pipeline")

    @property
    def kind(self) -> str:
        """The back-end actually used (``type``, or the guess for ``auto``)."""
        if self.type != "auto":
            return self.type
        if self.pipeline:
            return "gstreamer"
        return guess_type(self.uri)

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """Requested (width, height), or None for the device default."""
        if self.size is not None:
            return int(self.size[0]), int(self.size[1])
        if self.width is not None and self.height is not None:
            return self.width, self.height
        return None

    def resolved(self, base_dir: str) -> SourceConfig:
        """A copy whose relative file / folder ``uri`` is joined to ``base_dir``.

        (``uri`` is not a PATH_META field because it is also a URL or an index.)
        """
        if self.kind in ("file", "images") and self.uri and not os.path.isabs(self.uri):
            return replace(self, uri=os.path.join(base_dir, self.uri))
        return self
