"""GStreamer pipeline through PyGObject (``gi``) and an ``appsink``; works with any OpenCV.

``source: {type: gstreamer, pipeline: "..."}``. When the pipeline has no ``appsink``,
``! videoconvert ! video/x-raw,format=BGR ! appsink`` is appended. The appsink is
set to ``sync=false``; for live pipelines (a source that does not pre-roll, e.g. a
camera) also ``drop=true max-buffers=1`` so only the newest frame waits; for files
``drop=false`` so nothing is lost.

End of stream and pipeline errors: an ERROR message, or EOS from a *live* pipeline,
raises ConnectionLost - handled like a dropped camera (reconnect with backoff). EOS
from a non-live pipeline (filesrc) is the end of the source (EndOfStream).

Ready-made pipelines (documented in the README):

- Jetson CSI camera (JetPack's GStreamer; ``sensor-id`` picks the camera)::

    nvarguscamerasrc sensor-id=0 ! video/x-raw(memory:NVMM),width=1280,height=720,
    framerate=30/1 ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert !
    video/x-raw,format=BGR ! appsink

- USB camera through V4L2::

    v4l2src device=/dev/video0 ! image/jpeg,width=1280,height=720,framerate=30/1 !
    jpegdec ! videoconvert ! video/x-raw,format=BGR ! appsink
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import SourceError
from .base import Backend, Captured, ConnectionLost, EndOfStream
from .config import SourceConfig
from .urls import mask_text

INSTALL_HINT = (
    "the gstreamer source needs PyGObject and GStreamer's introspection data: "
    "`sudo apt install python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 "
    "gstreamer1.0-plugins-base gstreamer1.0-plugins-good` (a venv must be made with "
    "--system-site-packages, or `pip install 'PyGObject<3.51'` after `sudo apt install "
    "libgirepository1.0-dev libcairo2-dev pkg-config python3-dev`)")
SINK_NAME = "edge_tracker_sink"
APPEND_SINK = f" ! videoconvert ! video/x-raw,format=BGR ! appsink name={SINK_NAME}"
# Formats the appsink accepts when the pipeline does not set caps itself.
SINK_CAPS = "video/x-raw,format=(string){BGR,BGRx,BGRA,RGB,RGBx,RGBA,GRAY8,I420,NV12}"
# Bytes per pixel of packed formats, and the conversions to BGR (None = already BGR).
_PACKED = {"BGR": 3, "RGB": 3, "BGRx": 4, "BGRA": 4, "RGBx": 4, "RGBA": 4, "GRAY8": 1}
# How long one pull waits before checking the bus and the cancel flag (ns; 100 ms).
_PULL_NS = 100_000_000


def import_gst():
    """``Gst`` (initialized), or SourceError with the install instructions."""
    try:
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("GstApp", "1.0")
        from gi.repository import Gst, GstApp  # noqa: F401  (GstApp: appsink actions)
    except (ImportError, ValueError) as exc:
        raise SourceError(f"{INSTALL_HINT} ({exc})") from exc
    if not Gst.is_initialized():
        Gst.init(None)
    return Gst


def sample_to_bgr(data: bytes, fmt: str, width: int, height: int) -> np.ndarray | None:
    """A raw video buffer as (H, W, 3) uint8 BGR, or None when its size does not fit.

    data: buffer bytes; packed formats may pad rows to 4 bytes (GStreamer's default
    stride); I420 / NV12 must be tightly packed (even width and height).
    """
    import cv2

    buf = np.frombuffer(data, np.uint8)
    if fmt in _PACKED:
        bpp = _PACKED[fmt]
        stride = (width * bpp + 3) // 4 * 4
        if buf.size < stride * (height - 1) + width * bpp:
            return None
        if buf.size < stride * height:
            buf = np.concatenate([buf, np.zeros(stride * height - buf.size, np.uint8)])
        rows = buf[:stride * height].reshape(height, stride)[:, :width * bpp]
        img = rows.reshape(height, width, bpp)
        if fmt == "BGR":
            return img.copy()
        if fmt == "GRAY8":
            return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        if fmt in ("BGRx", "BGRA"):
            return np.ascontiguousarray(img[:, :, :3])
        return np.ascontiguousarray(img[:, :, 2::-1])   # RGB, RGBx, RGBA
    if fmt in ("I420", "NV12") and width % 2 == 0 and height % 2 == 0:
        if buf.size < width * height * 3 // 2:
            return None
        yuv = buf[:width * height * 3 // 2].reshape(height * 3 // 2, width)
        code = cv2.COLOR_YUV2BGR_I420 if fmt == "I420" else cv2.COLOR_YUV2BGR_NV12
        return cv2.cvtColor(yuv, code)
    return None


class GstBackend(Backend):
    """A parsed GStreamer pipeline ending in an appsink."""

    def __init__(self, cfg: SourceConfig) -> None:
        self.cfg = cfg
        text = (cfg.pipeline or cfg.uri).strip()
        if "appsink" not in text:
            text += APPEND_SINK
        self.text = text
        self.fps = cfg.fps
        self.live = True
        self._gst = None
        self._pipeline = None
        self._sink = None
        self._bus = None
        self._cancel = threading.Event()
        self._n = 0

    def describe(self) -> str:
        return f"gstreamer '{mask_text(self.text)}'"

    def cancel(self) -> None:
        self._cancel.set()

    def _find_sink(self, pipeline):
        sink = pipeline.get_by_name(SINK_NAME)
        if sink is not None:
            return sink
        it = pipeline.iterate_all_by_element_factory_name("appsink")
        while True:
            res, elem = it.next()
            if res != self._gst.IteratorResult.OK:
                return None
            return elem

    def _bus_error(self, wait_s: float = 0.0) -> str | None:
        """Text of an ERROR message on the bus (masked; waits up to ``wait_s``), else None."""
        Gst = self._gst
        if self._bus is None:
            return None
        msg = self._bus.timed_pop_filtered(int(wait_s * Gst.SECOND), Gst.MessageType.ERROR)
        if msg is None:
            return None
        err, _debug = msg.parse_error()
        src = msg.src.get_name() if msg.src is not None else "pipeline"
        return mask_text(f"{src}: {err.message}")

    def open(self) -> None:
        Gst = self._gst = import_gst()
        from gi.repository import GLib

        try:
            pipeline = Gst.parse_launch(self.text)
        except GLib.Error as exc:
            raise SourceError(f"{self.describe()}: invalid pipeline: "
                              f"{mask_text(exc.message)}") from exc
        sink = self._find_sink(pipeline)
        if sink is None:
            raise SourceError(f"{self.describe()}: the pipeline has no appsink")
        self._pipeline, self._sink, self._bus = pipeline, sink, pipeline.get_bus()
        sink.set_property("emit-signals", False)
        sink.set_property("sync", False)
        if sink.get_property("caps") is None:
            sink.set_property("caps", Gst.Caps.from_string(SINK_CAPS))
        ret = pipeline.set_state(Gst.State.PAUSED)
        if ret == Gst.StateChangeReturn.FAILURE:
            self._fail_open("cannot start")
        live = ret == Gst.StateChangeReturn.NO_PREROLL
        self.live = bool(self.cfg.live) if self.cfg.live is not None else live
        if self.live:
            sink.set_property("drop", True)
            sink.set_property("max-buffers", 1)
        else:
            sink.set_property("drop", False)
            sink.set_property("max-buffers", max(2, self.cfg.buffer))
        if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self._fail_open("cannot play")
        ret, _state, _pending = pipeline.get_state(int(self.cfg.open_timeout_s * Gst.SECOND))
        if ret == Gst.StateChangeReturn.FAILURE:
            self._fail_open("failed while starting")
        early = self._bus_error()       # an error posted while the state change returned
        if early is not None:
            self.close()
            raise SourceError(f"{self.describe()}: failed while starting: {early}")
        self._n = 0

    def _fail_open(self, what: str) -> None:
        # The element posts its ERROR just after the state change fails: wait briefly.
        reason = self._bus_error(wait_s=1.0) or "no error message"
        self.close()
        raise SourceError(f"{self.describe()}: {what}: {reason}")

    def _check_bus(self) -> None:
        Gst = self._gst
        msg = self._bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.EOS)
        if msg is None:
            return
        if msg.type == Gst.MessageType.ERROR:
            err, _debug = msg.parse_error()
            src = msg.src.get_name() if msg.src is not None else "pipeline"
            raise ConnectionLost(mask_text(f"pipeline error from {src}: {err.message}"))
        self._end_of_stream()

    def _end_of_stream(self) -> None:
        if self.live:
            raise ConnectionLost("end of stream (EOS) from a live pipeline")
        raise EndOfStream(self.text)

    def read(self) -> Captured | None:
        if self._pipeline is None:
            raise ConnectionLost("not open")
        while True:
            if self._cancel.is_set():
                raise ConnectionLost("cancelled")
            self._check_bus()
            sample = self._sink.emit("try-pull-sample", _PULL_NS)
            if sample is not None:
                return self._convert(sample)
            if self._sink.get_property("eos"):
                self._check_bus()       # an ERROR also ends with eos: report it first
                self._end_of_stream()

    def _convert(self, sample) -> Captured | None:
        Gst = self._gst
        caps = sample.get_caps()
        buf = sample.get_buffer()
        if caps is None or buf is None:
            return None
        st = caps.get_structure(0)
        width, height = st.get_value("width"), st.get_value("height")
        fmt = st.get_value("format")
        if self.fps is None:
            ok, num, den = st.get_fraction("framerate")
            if ok and num > 0 and den > 0:
                self.fps = num / den
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            return None
        try:
            image = sample_to_bgr(bytes(info.data), str(fmt), int(width), int(height))
        finally:
            buf.unmap(info)
        t_media = None
        if not self.live:
            pts = buf.pts
            valid = pts != Gst.CLOCK_TIME_NONE
            t_media = pts / Gst.SECOND if valid else self._n / (self.fps or 30.0)
        self._n += 1
        if image is None:
            return None
        return Captured(image, t_media=t_media)

    def close(self) -> None:
        if self._pipeline is not None:
            self._pipeline.set_state(self._gst.State.NULL)
            self._pipeline = None
            self._sink = None
            self._bus = None
