"""Network stream (RTSP, HTTP, TCP, UDP, RTMP, SRT) through OpenCV's FFmpeg back-end.

Open and read timeouts (``open_timeout_s``, and 2 x ``stall_timeout_s`` for reads) are
passed to FFmpeg with ``CAP_PROP_OPEN_TIMEOUT_MSEC`` / ``CAP_PROP_READ_TIMEOUT_MSEC`` so
that a dead server ends a blocking call; the reader's stall watchdog covers whatever
FFmpeg does not. Every message masks the URL's credentials.
"""

from __future__ import annotations

import os
import threading

from ..errors import SourceError
from .base import Backend, Captured, ConnectionLost, quiet_ffmpeg
from .config import SourceConfig
from .urls import mask_url, url_scheme

# OPENCV_FFMPEG_CAPTURE_OPTIONS is read from the environment at open time and is
# process-wide: opens that set it are serialized.
_ENV_LOCK = threading.Lock()
_ENV_KEY = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
# FFmpeg's read timeout is a backstop at 2x the stall timeout: the reader's watchdog
# reconnects first; the timeout then ends the abandoned blocking read.
READ_TIMEOUT_FACTOR = 2.0


class StreamBackend(Backend):
    """A live network stream."""

    live = True

    def __init__(self, cfg: SourceConfig) -> None:
        self.cfg = cfg
        self.url = cfg.uri.strip()
        self.fps = cfg.fps
        self._cap = None

    def describe(self) -> str:
        return f"stream {mask_url(self.url)}"

    def _options(self) -> str | None:
        if url_scheme(self.url) in ("rtsp", "rtsps") and self.cfg.rtsp_transport != "auto":
            return f"rtsp_transport;{self.cfg.rtsp_transport}"
        return None

    def open(self) -> None:
        quiet_ffmpeg()
        import cv2

        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.cfg.open_timeout_s * 1000),
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(READ_TIMEOUT_FACTOR * self.cfg.stall_timeout_s
                                                      * 1000)]
        options = self._options()
        with _ENV_LOCK:
            previous = os.environ.get(_ENV_KEY)
            if options is not None:
                os.environ[_ENV_KEY] = options
            try:
                cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
            finally:
                if options is not None:
                    if previous is None:
                        os.environ.pop(_ENV_KEY, None)
                    else:
                        os.environ[_ENV_KEY] = previous
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"stream {mask_url(self.url)}: cannot be opened (unreachable, "
                              f"refused, or not a video stream; open timeout "
                              f"{self.cfg.open_timeout_s:g} s)")
        reported = cap.get(cv2.CAP_PROP_FPS)
        if not self.cfg.fps and reported and 0 < reported < 1000:
            self.fps = float(reported)
        self._cap = cap

    def read(self) -> Captured | None:
        if self._cap is None:
            raise ConnectionLost("not open")
        ok, image = self._cap.read()
        if not ok:
            raise ConnectionLost(f"{mask_url(self.url)}: no frame (server gone, network "
                                 f"down or read timeout)")
        return Captured(image)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
