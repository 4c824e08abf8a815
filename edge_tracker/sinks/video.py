"""Annotated debug video: each frame with its track boxes and ids (OpenCV VideoWriter).

Opened at the first frame (its size is the video size); the codec comes from the
file extension (``.mp4`` -> ``mp4v``, ``.avi`` -> ``MJPG``). Needs the frame image,
which the daemon passes as ``write(result, image)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..configbase import PATH_META, bounds
from ..errors import SinkError
from .base import Sink, check_writable

_FOURCC = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}


@dataclass(frozen=True)
class VideoConfig:
    path: str | None = field(default=None, metadata=PATH_META)  # None = off
    fps: float = field(default=15.0, metadata=bounds(0.1, 240.0))


def _color(track_id: int) -> tuple[int, int, int]:
    """A stable BGR colour per id (golden-ratio hue steps)."""
    h = (track_id * 0.618033988749895) % 1.0
    import colorsys
    r, g, b = colorsys.hsv_to_rgb(h, 0.8, 1.0)
    return int(b * 255), int(g * 255), int(r * 255)


def draw_tracks(image: np.ndarray, tracks: Sequence[Any], label_name: Callable[[int], str]
                ) -> np.ndarray:
    """A copy of ``image`` (H, W, 3) uint8 BGR with boxes (xyxy px) and ``id label`` tags."""
    import cv2
    out = image.copy()
    for tr in tracks:
        x1, y1, x2, y2 = (round(float(v)) for v in tr.box)
        col = _color(int(tr.id))
        cv2.rectangle(out, (x1, y1), (x2, y2), col, 2)
        cv2.putText(out, f"{tr.id} {label_name(int(tr.label))}", (x1, max(12, y1 - 4)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, col, 1, cv2.LINE_AA)
    return out


class VideoSink(Sink):
    name = "video"
    needs_image = True

    def __init__(self, cfg: VideoConfig, camera_id: str = "cam0",
                 labels: Sequence[str] | None = None,
                 on_error: Callable[[str, str], None] | None = None) -> None:
        super().__init__(camera_id, labels, on_error)
        assert cfg.path is not None
        check_writable(cfg.path, "sinks.video.path")
        self.cfg = cfg
        self._writer = None
        self._size: tuple[int, int] | None = None
        self.frames_written = 0

    def _open(self, w: int, h: int) -> None:
        import cv2
        ext = os.path.splitext(self.cfg.path)[1].lower()
        fourcc = cv2.VideoWriter_fourcc(*_FOURCC.get(ext, "mp4v"))
        writer = cv2.VideoWriter(self.cfg.path, fourcc, float(self.cfg.fps), (w, h))
        if not writer.isOpened():
            raise SinkError(f"sinks.video.path: OpenCV cannot write {self.cfg.path}")
        self._writer = writer
        self._size = (w, h)

    def write(self, result: Any, image: np.ndarray | None = None) -> None:
        if image is None:
            return
        h, w = image.shape[:2]
        try:
            if self._writer is None:
                self._open(w, h)
            if (w, h) != self._size:
                import cv2
                image = cv2.resize(image, self._size)
            self._writer.write(draw_tracks(image, result.tracks, self.label_name))
            self.frames_written += 1
        except (SinkError, OSError) as exc:
            self._error("write", str(exc))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
