"""Raspberry Pi CSI camera through Picamera2 / libcamera (``type: picamera2``).

``source: {type: picamera2, camera: 0, size: [1280, 720], fps: 30}``. Picamera2 is
imported only when this source opens; without it a SourceError says how to install
it. Calls used (the documented Picamera2 API): ``Picamera2.global_camera_info()``,
``Picamera2(camera_num)``, ``create_video_configuration(main=..., controls=...)``,
``configure``, ``start``, ``capture_request()`` -> ``request.make_array("main")``,
``request.get_metadata()``, ``request.release()``, ``stop``, ``close``.

Frames: the ``RGB888`` format, which Picamera2 lays out as [B, G, R] bytes - already
OpenCV's BGR. Frame rate: ``FrameDurationLimits`` = (1e6 / fps, 1e6 / fps) microseconds.
Capture time: the request metadata's ``SensorTimestamp`` (ns on CLOCK_MONOTONIC, the
base Picamera2 itself compares with ``time.monotonic_ns()``), mapped to the source clock
by the reader.
"""

from __future__ import annotations

from ..errors import SourceError
from .base import Backend, Captured, ConnectionLost
from .config import SourceConfig

INSTALL_HINT = (
    "the picamera2 source needs the Picamera2 library (Raspberry Pi OS): "
    "`sudo apt install python3-picamera2`, and a venv made with "
    "`python3 -m venv --system-site-packages` so the venv sees it")
# Picamera2's pixel format whose byte order is B, G, R (see module doc).
PIXEL_FORMAT = "RGB888"


def import_picamera2():
    """The ``Picamera2`` class, or SourceError with the install instructions."""
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        raise SourceError(f"{INSTALL_HINT} ({exc})") from exc
    return Picamera2


class Picamera2Backend(Backend):
    """One libcamera camera (``camera`` number, default 0)."""

    live = True

    def __init__(self, cfg: SourceConfig) -> None:
        self.cfg = cfg
        if cfg.camera is not None:
            self.num = cfg.camera
        else:
            self.num = int(cfg.uri) if cfg.uri.strip().isdigit() else 0
        self.fps = cfg.fps
        self._cam = None

    def describe(self) -> str:
        return f"picamera2 camera {self.num}"

    def open(self) -> None:
        Picamera2 = import_picamera2()
        try:
            cameras = list(Picamera2.global_camera_info())
        except Exception as exc:  # libcamera not running, no permission, ...
            raise SourceError(f"{self.describe()}: cannot list cameras: {exc}") from exc
        if self.num >= len(cameras):
            found = ", ".join(f"{i}: {c.get('Model', '?')}" for i, c in enumerate(cameras))
            raise SourceError(f"{self.describe()} does not exist (libcamera cameras here: "
                              f"{found or 'none'})")
        main: dict = {"format": PIXEL_FORMAT}
        size = self.cfg.frame_size
        if size is not None:
            main["size"] = size
        controls: dict = {}
        if self.cfg.fps:
            frame_us = round(1e6 / self.cfg.fps)
            controls["FrameDurationLimits"] = (frame_us, frame_us)
        cam = None
        try:
            cam = Picamera2(self.num)
            config = cam.create_video_configuration(main=main, controls=controls)
            cam.configure(config)
            cam.start()
        except Exception as exc:  # camera busy, unsupported size, ...
            if cam is not None:
                self._shutdown(cam)
            raise SourceError(f"{self.describe()}: cannot start: {exc}") from exc
        self._cam = cam

    def read(self) -> Captured | None:
        if self._cam is None:
            raise ConnectionLost("not open")
        try:
            request = self._cam.capture_request()
        except Exception as exc:
            raise ConnectionLost(f"{self.describe()}: capture failed: {exc}") from exc
        try:
            image = request.make_array("main")
            metadata = request.get_metadata() or {}
        finally:
            request.release()
        stamp = metadata.get("SensorTimestamp")
        t_mono = float(stamp) / 1e9 if isinstance(stamp, (int, float)) and stamp > 0 else None
        return Captured(image, t_monotonic=t_mono)

    @staticmethod
    def _shutdown(cam) -> None:
        try:
            cam.stop()
        finally:
            cam.close()

    def close(self) -> None:
        if self._cam is not None:
            cam, self._cam = self._cam, None
            self._shutdown(cam)
