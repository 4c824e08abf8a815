"""Frame sources: cameras, files, image folders, network streams, GStreamer, Picamera2.

``open_source(SourceConfig(...), clock, camera_id, metrics).start()`` gives a
:class:`Source`; ``read(timeout)`` returns :class:`~edge_tracker.types.Frame` objects
(BGR uint8, indices increasing across reconnects). See ``reader.py`` for buffering,
reconnects and the stall watchdog, ``urls.py`` for credential masking.
"""

from .base import quiet_ffmpeg
from .config import SourceConfig
from .factory import open_source
from .reader import Source
from .urls import mask_url

# Importing this package (the config loader does, before any capture is opened) sets
# FFmpeg quiet: OpenCV reads its log level once, at the first use of its FFmpeg
# back-end, and FFmpeg's own messages quote URLs with their passwords.
quiet_ffmpeg()

__all__ = ["Source", "SourceConfig", "mask_url", "open_source"]
