"""SourceConfig: closed keys, bounds, cross-field checks, the guessed kind."""

from __future__ import annotations

import pytest

from edge_tracker.configbase import build, check_defaults
from edge_tracker.errors import ConfigError
from edge_tracker.sources.config import SourceConfig


def test_defaults_are_within_bounds():
    check_defaults(SourceConfig)


@pytest.mark.parametrize("data,key,message", [
    ({"buffr": 2}, "source.buffr", "did you mean 'buffer'"),
    ({"type": "rtsp"}, "source.type", "must be one of"),
    ({"fps": 0}, "source.fps", "must be > 0.0"),
    ({"buffer": 0}, "source.buffer", "must be >= 1"),
    ({"stall_timeout_s": 0.0}, "source.stall_timeout_s", "must be >= 0.1"),
    ({"reconnect_jitter": 1.5}, "source.reconnect_jitter", "must be <= 1.0"),
    ({"max_reconnects": -1}, "source.max_reconnects", "must be >= 0"),
    ({"width": 640}, "source.height", "given together"),
    ({"size": [640, 480], "width": 320, "height": 240}, "source.size", "conflicts"),
    ({"size": [640]}, "source.size", "expected 2 items"),
    ({"fourcc": "MJPEG"}, "source.fourcc", "4 printable"),
    ({"reconnect_initial_s": 5, "reconnect_max_s": 1}, "source.reconnect_max_s", ">="),
    ({"realtime": "yes"}, "source.realtime", "true or false"),
    ({"camera": 99}, "source.camera", "must be <= 63"),
])
def test_invalid_source_configs_name_the_key(data, key, message):
    with pytest.raises(ConfigError) as err:
        build(SourceConfig, data, "source")
    assert err.value.key_path == key and message in err.value.problem


@pytest.mark.parametrize("data,kind,size", [
    ({"uri": 0}, "camera", None),
    ({"uri": "rtsp://h/s", "width": 640, "height": 480}, "stream", (640, 480)),
    ({"type": "picamera2", "camera": 0, "size": [1280, 720], "fps": 30}, "picamera2",
     (1280, 720)),
    ({"pipeline": "videotestsrc ! appsink"}, "gstreamer", None),
    ({"uri": "clip.mp4"}, "file", None),
])
def test_valid_configs(data, kind, size):
    cfg = build(SourceConfig, data, "source")
    assert cfg.kind == kind and cfg.frame_size == size
    assert isinstance(cfg.uri, str)


def test_resolved_joins_relative_file_paths_only(tmp_path):
    assert SourceConfig(uri="clip.mp4").resolved("/etc/et").uri == "/etc/et/clip.mp4"
    assert SourceConfig(uri="/abs/clip.mp4").resolved("/etc/et").uri == "/abs/clip.mp4"
    assert SourceConfig(uri="rtsp://h/s").resolved("/etc/et").uri == "rtsp://h/s"
    assert SourceConfig(uri="0").resolved("/etc/et").uri == "0"
