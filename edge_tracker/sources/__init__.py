"""Frame sources: cameras, files, image folders, network streams, GStreamer, Picamera2.

``open_source(SourceConfig(...), clock, camera_id, metrics).start()`` gives a
:class:`Source`; ``read(timeout)`` returns :class:`~edge_tracker.types.Frame` objects
(BGR uint8, indices increasing across reconnects). See ``reader.py`` for buffering,
reconnects and the stall watchdog, ``urls.py`` for credential masking.
"""

from .config import SourceConfig
from .factory import open_source
from .reader import Source
from .urls import mask_url

__all__ = ["SourceConfig", "Source", "open_source", "mask_url"]
