"""Source URIs: masking credentials and guessing the back-end of ``type: auto``.

``mask_url("rtsp://user:pass@host:554/s")`` -> ``"rtsp://user:***@host:554/s"``; query
parameters that carry secrets (``?password=...&token=...``) become ``***`` too. Every
log line, ``describe()`` text, error message and metric label of a source goes through
:func:`mask_url` or :func:`mask_text` (free text such as an OpenCV / GStreamer error
that may quote the URL).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

MASK = "***"
# Schemes opened through OpenCV's FFmpeg back-end.
STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "tcp", "udp", "srt",
                  "rtp", "mms", "mmsh")
# Query keys whose values are secrets (lower-case substrings).
_SECRET_KEYS = ("pass", "pwd", "token", "secret", "key", "auth", "sig", "credential")
# scheme://user:password@ inside any text (password = anything up to the last '@'
# before the host, without whitespace or '/').
_USERINFO = re.compile(r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@]*):(?P<pw>[^\s/]*)@")
_QUERY_SECRET = re.compile(
    r"(?P<pre>[?&;](?P<key>[^=&\s#]*(?:" + "|".join(_SECRET_KEYS) + r")[^=&\s#]*)=)"
    r"(?P<val>[^&\s#]*)", re.IGNORECASE)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm")


def mask_text(text: str) -> str:
    """Mask every ``scheme://user:password@`` and secret query value inside ``text``."""
    text = _USERINFO.sub(lambda m: f"{m.group('pre')}:{MASK}@", str(text))
    return _QUERY_SECRET.sub(lambda m: f"{m.group('pre')}{MASK}", text)


def mask_url(url: str) -> str:
    """The URL with its password (and secret query values) replaced by ``***``.

    ``rtsp://user:pass@host/x`` -> ``rtsp://user:***@host/x``; a URL without
    credentials, a device path or a camera index is returned unchanged.
    """
    return mask_text(url)


def url_scheme(uri: str) -> str:
    """Lower-case scheme of a URL (``rtsp``), or "" for paths and indexes."""
    if "://" not in uri:
        return ""
    try:
        return urlsplit(uri).scheme.lower()
    except ValueError:
        return ""


def camera_index(uri: str) -> int | None:
    """``"0"`` or ``"/dev/video0"`` -> 0; anything else -> None."""
    text = uri.strip()
    if text.isdigit():
        return int(text)
    m = re.fullmatch(r"/dev/video(\d+)", text)
    return int(m.group(1)) if m else None


def guess_type(uri: str) -> str:
    """The back-end for ``type: auto``: camera, stream, images, gstreamer or file."""
    text = uri.strip()
    if camera_index(text) is not None or text.startswith("/dev/"):
        return "camera"
    if url_scheme(text) in STREAM_SCHEMES:
        return "stream"
    if " ! " in text or text.rstrip().endswith("appsink"):
        return "gstreamer"
    if os.path.isdir(text) or any(ch in text for ch in "*?["):
        return "images"
    return "file"
