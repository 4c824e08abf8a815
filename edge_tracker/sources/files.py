"""Video file through OpenCV's FFmpeg back-end (not live: read without drops).

Frame times (``t_media``) are ``n / fps`` for the n-th decoded frame (0-based), fps
from the config or the container (30 when it reports none). A frame that fails to
decode makes OpenCV's read fail once and FFmpeg reads on after it: such a frame is
returned as corrupt (None) while the position is before the container's frame count;
at the count (or when it is unknown), or when the position did not move since the last
failed read (a truncated file, or a container that over-counts), it is the end.
"""

from __future__ import annotations

import os

from ..errors import SourceError
from .base import Backend, Captured, EndOfStream, quiet_ffmpeg

# Rate assumed when neither the config nor the container gives one (frames/s).
DEFAULT_FPS = 30.0


class FileBackend(Backend):
    """A video file (anything FFmpeg demuxes: mp4, mkv, avi, ts, ...)."""

    live = False

    def __init__(self, path: str, fps: float | None = None) -> None:
        self.path = path
        self.fps = fps
        self._cap = None
        self._n = 0
        self._fail_pos = -1.0

    def describe(self) -> str:
        return f"file {self.path}"

    def open(self) -> None:
        quiet_ffmpeg()
        import cv2

        if not os.path.isfile(self.path):
            raise SourceError(f"video file {self.path} does not exist")
        if not os.access(self.path, os.R_OK):
            raise SourceError(f"video file {self.path}: permission denied")
        cap = cv2.VideoCapture(self.path, cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"video file {self.path}: not a readable video (FFmpeg cannot "
                              f"open it)")
        if not self.fps:
            reported = cap.get(cv2.CAP_PROP_FPS)
            self.fps = float(reported) if reported and 0 < reported < 1000 else DEFAULT_FPS
        self._cap = cap
        self._n = 0
        self._fail_pos = -1.0

    def read(self) -> Captured | None:
        if self._cap is None:
            raise EndOfStream(self.path)
        import cv2

        ok, image = self._cap.read()
        t = self._n / self.fps
        if not ok:
            # A failed read is the end, or one undecodable frame (FFmpeg reads on after
            # it): before the container's frame count it is counted as corrupt and the
            # reader gives up after max_corrupt in a row (a truncated file).
            count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
            pos = self._cap.get(cv2.CAP_PROP_POS_FRAMES)
            if not count or count <= 0 or pos >= count or pos == self._fail_pos:
                raise EndOfStream(self.path)     # at the end, or no progress since the
            self._fail_pos = pos                 # last failure (truncated file)
            self._n += 1
            return None
        self._n += 1
        return Captured(image, t_media=t)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
