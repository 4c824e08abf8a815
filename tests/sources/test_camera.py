"""V4L2 cameras: an index that does not exist is a SourceError naming the device."""

from __future__ import annotations

import os

import pytest

from edge_tracker.errors import SourceError
from edge_tracker.sources import SourceConfig, open_source
from edge_tracker.sources.camera import CameraBackend, available_video_devices


def absent_index() -> int:
    present = {int(p[len("/dev/video"):]) for p in available_video_devices()
               if p[len("/dev/video"):].isdigit()}
    return next(i for i in range(60, 0, -1) if i not in present)


@pytest.mark.parametrize("uri_of", [lambda i: str(i), lambda i: f"/dev/video{i}"])
def test_absent_camera_index_raises_source_error_naming_it(uri_of):
    i = absent_index()
    cfg = SourceConfig(uri=uri_of(i))
    assert cfg.kind == "camera"
    with pytest.raises(SourceError) as err:
        open_source(cfg).start()
    assert f"/dev/video{i} does not exist" in str(err.value)
    assert err.value.exit_code == 3


def test_camera_field_overrides_uri():
    backend = CameraBackend(SourceConfig(type="camera", uri="0", camera=7))
    assert backend.device == "/dev/video7" and backend.describe() == "camera /dev/video7"


@pytest.mark.skipif(not os.path.exists("/dev/video0"), reason="no /dev/video0 on this machine")
def test_real_camera_opens():
    src = open_source(SourceConfig(uri="0")).start()
    try:
        assert src.read(5.0) is not None
    finally:
        src.stop()


def test_camera_that_disappears_is_reopened_when_it_comes_back(tmp_path, monkeypatch):
    """A stand-in for cv2.VideoCapture over a device node we can delete and recreate
    (the calls CameraBackend uses: VideoCapture(target, CAP_V4L2), isOpened, set, get,
    read, release)."""
    import cv2
    import numpy as np

    from .helpers import pull, wait_for

    node = tmp_path / "video9"
    node.write_text("")

    class FakeCapture:
        def __init__(self, target, api):
            assert api == cv2.CAP_V4L2 and target == str(node)
            self.props = {}

        def isOpened(self):
            return node.exists()

        def set(self, prop, value):
            self.props[prop] = value
            return True

        def get(self, prop):
            return 25.0 if prop == cv2.CAP_PROP_FPS else 0.0

        def read(self):
            import time
            time.sleep(0.01)
            if not node.exists():
                return False, None
            return True, np.zeros((4, 4, 3), np.uint8)

        def release(self):
            return None

    monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)
    cfg = SourceConfig(type="camera", uri=str(node), width=640, height=480, fourcc="MJPG",
                       reconnect_initial_s=0.05, reconnect_max_s=0.1, buffer=64)
    src = open_source(cfg).start()
    try:
        before = pull(src, 10, until=lambda fs: len(fs) >= 5)
        node.unlink()                                  # unplugged
        assert wait_for(lambda: not src.up and src.reconnects >= 2, 10)
        node.write_text("")                            # plugged back
        after = pull(src, 10, until=lambda fs: len(fs) >= 5)
    finally:
        src.stop()
    assert len(before) >= 5 and len(after) >= 5 and src.recoveries >= 1
    assert after[0].index > before[-1].index
    assert src.fps == 25.0
