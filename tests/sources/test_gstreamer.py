"""GStreamer source through PyGObject for real: videotestsrc (live, ending with EOS),
a pipeline that errors mid-run, filesrc + decodebin on a real clip, bad pipelines; and
the buffer conversion without GStreamer."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.errors import SourceError
from edge_tracker.sources import SourceConfig, open_source
from edge_tracker.sources.gstreamer import sample_to_bgr

from .helpers import VIDEO_DIR, RecordingMetrics, pull


def gst_available() -> str:
    """"" when gi + Gst + GstApp import, else the reason."""
    try:
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("GstApp", "1.0")
        from gi.repository import Gst, GstApp  # noqa: F401
    except (ImportError, ValueError) as exc:
        return f"PyGObject / GStreamer typelibs absent: {exc}"
    Gst.init(None)
    for name in ("videotestsrc", "appsink", "videoconvert", "identity"):
        if Gst.ElementFactory.find(name) is None:
            return f"GStreamer element {name} absent"
    return ""


REASON = gst_available()
needs_gst = pytest.mark.skipif(bool(REASON), reason=REASON or "ok")
LIVE_TEST = ("videotestsrc is-live=true num-buffers={n} ! "
             "video/x-raw,width=160,height=120,framerate=30/1")


def gst_cfg(pipeline: str, **kw) -> SourceConfig:
    base = {"type": "gstreamer", "pipeline": pipeline, "reconnect_initial_s": 0.05,
                "reconnect_max_s": 0.1, "stall_timeout_s": 3.0, "buffer": 64}
    base.update(kw)
    return SourceConfig(**base)


@pytest.mark.system
@needs_gst
def test_live_pipeline_eos_is_handled_like_a_dropped_camera():
    metrics = RecordingMetrics()
    src = open_source(gst_cfg(LIVE_TEST.format(n=8)), metrics=metrics).start()
    try:
        frames = pull(src, 30, until=lambda fs: len(fs) >= 20)
    finally:
        src.stop()
    assert len(frames) >= 20                  # 8 per connection: it reconnected >= 2 times
    assert src.live and src.reconnects >= 2 and src.recoveries >= 2
    assert metrics.reconnects == src.reconnects
    assert [f.index for f in frames] == list(range(len(frames)))
    assert frames[0].shape == (120, 160) and frames[0].image.dtype == np.uint8
    assert src.fps == pytest.approx(30.0)
    assert not src.finished and src.error is None


@pytest.mark.system
@needs_gst
def test_pipeline_error_mid_run_reconnects():
    pipe = LIVE_TEST.format(n=-1) + " ! identity error-after=10 ! videoconvert ! appsink"
    src = open_source(gst_cfg(pipe)).start()
    try:
        frames = pull(src, 30, until=lambda fs: len(fs) >= 20)
    finally:
        src.stop()
    assert len(frames) >= 20 and src.reconnects >= 1
    assert [f.index for f in frames] == list(range(len(frames)))


@pytest.mark.system
@needs_gst
def test_non_live_pipeline_ends_at_eos():
    pipe = "videotestsrc num-buffers=12 ! video/x-raw,width=64,height=48,format=RGB"
    src = open_source(gst_cfg(pipe, buffer=2)).start()
    try:
        frames = pull(src, 30)
    finally:
        src.stop()
    assert not src.live and src.finished and src.frames_dropped == 0
    assert len(frames) == 12 and frames[0].shape == (48, 64)
    assert src.reconnects == 0


@pytest.mark.system
@pytest.mark.real_data
@needs_gst
def test_filesrc_decodebin_on_a_real_clip():
    clip = VIDEO_DIR / "mmtracking_demo_street_8f.mp4"
    if not clip.exists():
        pytest.skip(f"{VIDEO_DIR} absent: the shared real-data folder is not beside the project")
    src = open_source(gst_cfg(f"filesrc location={clip} ! decodebin", buffer=2)).start()
    try:
        frames = pull(src, 60)
    finally:
        src.stop()
    assert src.finished and len(frames) == 8 and frames[0].shape == (1080, 1920)
    assert src.frames_dropped == 0
    # the same frames as OpenCV decodes (both BGR; decoders may differ by rounding)
    import cv2
    cap = cv2.VideoCapture(str(clip))
    ok, first = cap.read()
    cap.release()
    assert ok and np.abs(first.astype(int) - frames[0].image.astype(int)).mean() < 3.0


@pytest.mark.system
@needs_gst
def test_resolution_change_passes_frames_of_the_new_size(tmp_path):
    import cv2
    for i in range(10):                       # 5 JPEGs of 64x48, then 5 of 32x24
        w, h = (64, 48) if i < 5 else (32, 24)
        cv2.imwrite(str(tmp_path / f"img{i:03d}.jpg"), np.full((h, w, 3), 20 * i, np.uint8))
    pipe = (f"multifilesrc location={tmp_path}/img%03d.jpg index=0 stop-index=9 "
            f"caps=image/jpeg,framerate=10/1 ! jpegdec")
    src = open_source(gst_cfg(pipe)).start()
    try:
        frames = pull(src, 30)
    finally:
        src.stop()
    assert [f.shape for f in frames] == [(48, 64)] * 5 + [(24, 32)] * 5
    assert src.finished and src.error is None


@pytest.mark.system
@needs_gst
@pytest.mark.parametrize("pipeline,message", [
    ("videotestsrc ! nosuchelement", "invalid pipeline: no element"),
    ("filesrc location=/nonexistent/x.mp4 ! decodebin", "cannot start"),
    ("videotestsrc num-buffers=1 ! fakesink", "no appsink"),
])
def test_bad_pipelines_are_source_errors(pipeline, message):
    if "fakesink" in pipeline:
        pipeline += " name=appsink_not"       # contains the word, but no appsink element
    with pytest.raises(SourceError, match=message):
        open_source(gst_cfg(pipeline)).start()


@pytest.mark.system
@needs_gst
def test_unnegotiable_caps_fail_at_start_or_as_a_lost_connection(caplog):
    """YUY2 is not among the appsink's formats: 'not negotiated' is posted while the
    pipeline starts - before or just after the state change returns (a race inside
    GStreamer). Either way: a SourceError at start, or no frame and the error logged."""
    cfg = gst_cfg("videotestsrc ! video/x-raw,format=YUY2 ! appsink", max_reconnects=2)
    try:
        src = open_source(cfg).start()
    except SourceError as exc:
        assert "Internal data stream error" in str(exc)
        return
    try:
        frames = pull(src, 20)
    finally:
        src.stop()
    assert frames == [] and isinstance(src.error, SourceError)
    assert "Internal data stream error" in caplog.text


def test_missing_gi_gives_install_instructions(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kw):
        if name == "gi" or name.startswith("gi."):
            raise ImportError("No module named 'gi'")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(SourceError, match="python3-gi gir1.2-gstreamer-1.0"):
        open_source(gst_cfg("videotestsrc")).start()


@pytest.mark.parametrize("fmt,bpp", [("BGR", 3), ("RGB", 3), ("BGRx", 4), ("RGBA", 4),
                                     ("GRAY8", 1)])
def test_sample_to_bgr_handles_row_padding(fmt, bpp):
    w, h = 5, 3                                  # 5*3=15 bytes -> rows padded to 16
    stride = (w * bpp + 3) // 4 * 4
    rows = np.zeros((h, stride), np.uint8)
    px = np.array([10, 20, 30, 40][:bpp], np.uint8)
    rows[:, :w * bpp] = np.tile(px, w)
    out = sample_to_bgr(rows.tobytes(), fmt, w, h)
    assert out.shape == (h, w, 3)
    expected = {"BGR": [10, 20, 30], "RGB": [30, 20, 10], "BGRx": [10, 20, 30],
                "RGBA": [30, 20, 10], "GRAY8": [10, 10, 10]}[fmt]
    assert out[2, 4].tolist() == expected


def test_sample_to_bgr_rejects_short_or_unknown_buffers():
    assert sample_to_bgr(b"\0" * 10, "BGR", 4, 4) is None
    assert sample_to_bgr(b"\0" * 100, "YUY2", 4, 4) is None
    assert sample_to_bgr(b"\0" * 24, "I420", 4, 4).shape == (4, 4, 3)
