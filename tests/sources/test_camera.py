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
