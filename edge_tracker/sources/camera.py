"""V4L2 camera through OpenCV (``uri: 0`` or ``/dev/video0``; width/height/fps/fourcc).

A camera index that does not exist is a SourceError naming the device and listing the
ones that do. A camera that stops delivering (unplugged, driver error) raises
ConnectionLost from ``read`` so the reader reconnects with backoff.
"""

from __future__ import annotations

import glob
import os

from ..errors import SourceError
from .base import Backend, Captured, ConnectionLost
from .config import SourceConfig
from .urls import camera_index


def available_video_devices() -> list[str]:
    """``/dev/video*`` device nodes present, sorted by number."""
    def number(path: str) -> int:
        tail = path[len("/dev/video"):]
        return int(tail) if tail.isdigit() else 1 << 30
    return sorted(glob.glob("/dev/video*"), key=number)


class CameraBackend(Backend):
    """One V4L2 capture device opened with ``cv2.CAP_V4L2``."""

    live = True

    def __init__(self, cfg: SourceConfig) -> None:
        self.cfg = cfg
        index = cfg.camera if cfg.camera is not None else camera_index(cfg.uri)
        self.device = f"/dev/video{index}" if index is not None else cfg.uri.strip()
        self.index = index
        self.fps = cfg.fps
        self._cap = None

    def describe(self) -> str:
        return f"camera {self.device}"

    def open(self) -> None:
        import cv2

        if not os.path.exists(self.device):
            present = ", ".join(available_video_devices()) or "none"
            raise SourceError(f"camera {self.device} does not exist (V4L2 devices here: "
                              f"{present})")
        if not os.access(self.device, os.R_OK | os.W_OK):
            raise SourceError(f"camera {self.device}: permission denied (is the user in "
                              f"the 'video' group?)")
        target = self.index if self.index is not None else self.device
        cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"camera {self.device}: cannot be opened (busy or not a "
                              f"capture device)")
        if self.cfg.fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self.cfg.fourcc))
        size = self.cfg.frame_size
        if size is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        if self.cfg.fps:
            cap.set(cv2.CAP_PROP_FPS, self.cfg.fps)
        # Keep the driver queue short: the reader thread holds the newest frame itself.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        reported = cap.get(cv2.CAP_PROP_FPS)
        if not self.cfg.fps and reported and reported > 0:
            self.fps = float(reported)
        self._cap = cap

    def read(self) -> Captured | None:
        if self._cap is None:
            raise ConnectionLost(f"{self.describe()} is not open")
        ok, image = self._cap.read()
        if not ok:
            if not os.path.exists(self.device):
                raise ConnectionLost(f"{self.device} disappeared")
            raise ConnectionLost(f"{self.device}: read failed")
        return Captured(image)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
