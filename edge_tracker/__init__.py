"""edge_tracker: real-time multi-object tracking for small ARM boards.

An int8 student detector runs on every frame; a larger teacher runs on a
budget-aware timer and its (stale) predictions are fused into the student's.
"""

__version__ = "0.1.0"

# FFmpeg (inside OpenCV) prints stream errors with the URL's password to stderr itself;
# OpenCV reads this variable once, at its first FFmpeg use in the process, so it is set
# here, before anything can open a capture (-8 = AV_LOG_QUIET). A user's value is kept.
import os as _os

_os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
