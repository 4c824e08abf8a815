"""``open_source(cfg)``: the back-end for a SourceConfig, wrapped in the shared reader.

Back-end modules are imported only when used (gi and picamera2 are optional).
"""

from __future__ import annotations

from collections.abc import Callable

from .base import Backend
from .config import SourceConfig
from .reader import Source


def backend_factory(cfg: SourceConfig) -> Callable[[], Backend]:
    """A function that makes a fresh, unopened back-end for ``cfg`` (one per connection)."""
    kind = cfg.kind
    if kind == "camera":
        from .camera import CameraBackend
        return lambda: CameraBackend(cfg)
    if kind == "file":
        from .files import FileBackend
        return lambda: FileBackend(cfg.uri.strip(), cfg.fps)
    if kind == "images":
        from .images import ImageFolderBackend
        return lambda: ImageFolderBackend(cfg.uri.strip(), cfg.fps)
    if kind == "stream":
        from .stream import StreamBackend
        return lambda: StreamBackend(cfg)
    if kind == "gstreamer":
        from .gstreamer import GstBackend
        return lambda: GstBackend(cfg)
    if kind == "picamera2":
        from .picam import Picamera2Backend
        return lambda: Picamera2Backend(cfg)
    raise ValueError(f"unknown source type {kind!r}")


def open_source(cfg: SourceConfig, clock=None, camera_id: str = "cam0",
                metrics=None) -> Source:
    """A Source for ``cfg`` (not started: call ``.start()``, which raises SourceError
    when the first open fails).

    clock: ``now()`` seconds for ``Frame.t_capture`` (default time.monotonic).
    metrics: hooks ``on_reconnect()``, ``set_up(bool)``, ``on_drop(n)`` (optional).
    """
    return Source(backend_factory(cfg), cfg, clock=clock, camera_id=camera_id,
                  metrics=metrics)
