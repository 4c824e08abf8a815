"""What this machine can capture from (for ``edge-tracker cameras``).

Each probe returns plain data and never raises for a missing library or device: what
is absent is reported as such, with the reason.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import v4l2

# GStreamer elements worth knowing about (sources, decoders, converters, the sink).
GST_ELEMENTS = ("appsink", "videoconvert", "videotestsrc", "v4l2src", "filesrc", "decodebin",
                "rtspsrc", "souphttpsrc", "jpegdec", "avdec_h264", "nvarguscamerasrc",
                "nvvidconv", "libcamerasrc")


def probe_v4l2() -> dict[str, Any]:
    devices = v4l2.list_devices()
    return {"available": bool(devices),
            "devices": [dataclasses.asdict(d) for d in devices],
            "note": "" if devices else "no /dev/video* devices (no USB / V4L2 camera here)"}


def probe_picamera2() -> dict[str, Any]:
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        return {"available": False, "cameras": [],
                "note": f"picamera2 not importable ({exc}); on Raspberry Pi OS: "
                        "sudo apt install python3-picamera2 and a venv made with "
                        "--system-site-packages"}
    try:
        cams = [dict(c) for c in Picamera2.global_camera_info()]
    except Exception as exc:  # noqa: BLE001  libcamera present but failing: report it
        return {"available": False, "cameras": [], "note": f"picamera2 failed: {exc}"}
    cameras = [{"camera": i, **{k: str(v) for k, v in c.items()}} for i, c in enumerate(cams)]
    return {"available": True, "cameras": cameras,
            "note": "" if cameras else "picamera2 present, no camera connected"}


def probe_gstreamer() -> dict[str, Any]:
    try:
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
    except (ImportError, ValueError) as exc:
        return {"available": False, "version": None, "elements": {},
                "note": f"GStreamer through PyGObject not importable ({exc}); see the "
                        "README (python3-gi gir1.2-gstreamer-1.0, or pip PyGObject)"}
    appsink = True
    try:
        gi.require_version("GstApp", "1.0")
    except ValueError:
        appsink = False
    if not Gst.is_initialized():
        Gst.init(None)
    elements = {name: Gst.ElementFactory.find(name) is not None for name in GST_ELEMENTS}
    usable = appsink and elements.get("appsink", False) and elements.get("videoconvert", False)
    return {"available": usable, "version": Gst.version_string(), "elements": elements,
            "note": "" if usable else "appsink / videoconvert / GstApp typelib missing "
                                      "(gstreamer1.0-plugins-base, gir1.2-gst-plugins-base-1.0)"}


def probe_opencv() -> dict[str, Any]:
    try:
        import cv2
    except ImportError as exc:
        return {"available": False, "note": str(exc)}
    info = cv2.getBuildInformation()

    def backend(name: str) -> bool:
        for line in info.splitlines():
            if line.strip().startswith(f"{name}:"):
                return "YES" in line
        return False

    return {"available": True, "version": cv2.__version__, "ffmpeg": backend("FFMPEG"),
            "gstreamer": backend("GStreamer"), "v4l2": backend("v4l/v4l2")}


def probe_all() -> dict[str, Any]:
    return {"v4l2": probe_v4l2(), "picamera2": probe_picamera2(),
            "gstreamer": probe_gstreamer(), "opencv": probe_opencv()}
