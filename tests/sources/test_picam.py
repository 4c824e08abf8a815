"""Picamera2 source against a stand-in ``picamera2`` module (no CSI camera here).

The stand-in implements the documented Picamera2 calls the source uses:
``Picamera2.global_camera_info()``, ``Picamera2(camera_num)``,
``create_video_configuration(main=..., controls=...)``, ``configure``, ``start``,
``capture_request()`` and the request's ``make_array("main")``, ``get_metadata()``
(``SensorTimestamp`` in ns on CLOCK_MONOTONIC) and ``release()``, ``stop``, ``close``;
also ``capture_array`` (not used by the source: a request gives image and metadata of
the same frame). It records every call so the test checks how the source used them.
"""

from __future__ import annotations

import sys
import time
import types

import numpy as np
import pytest

from edge_tracker.errors import SourceError
from edge_tracker.sources import SourceConfig, open_source
from edge_tracker.sources.probe import probe_picamera2

from .helpers import pull

AGE_NS = 30_000_000          # the stand-in's frames were exposed 30 ms before delivery


class FixedClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


def make_module(cameras=1, fail_after=None):
    """A fake ``picamera2`` module; ``fail_after``: frames before the first instance's
    capture_request raises (a camera that drops)."""
    log: list = []
    instances: list = []

    class Request:
        def __init__(self, cam, n):
            self.cam, self.n = cam, n
            self.released = False

        def make_array(self, name):
            log.append(("make_array", name))
            w, h = self.cam.config["main"].get("size", (640, 480))
            img = np.zeros((h, w, 3), np.uint8)
            img[:, :, 0] = 200                    # RGB888 = [B, G, R] bytes: blue first
            img[:, :, 2] = self.n % 256
            return img

        def get_metadata(self):
            log.append(("get_metadata",))
            return {"SensorTimestamp": time.monotonic_ns() - AGE_NS, "FrameDuration": 33333}

        def release(self):
            self.released = True
            log.append(("release",))

    class Picamera2:
        @staticmethod
        def global_camera_info():
            return [{"Model": "imx708", "Location": 2, "Rotation": 0, "Id": f"/base/cam{i}",
                     "Num": i} for i in range(cameras)]

        def __init__(self, camera_num=0):
            log.append(("Picamera2", camera_num))
            self.num = camera_num
            self.config = None
            self.started = False
            self.n = 0
            self.requests: list = []
            self.first = not instances
            instances.append(self)

        def create_video_configuration(self, main=None, controls=None, **kw):
            log.append(("create_video_configuration", dict(main or {}), dict(controls or {})))
            return {"main": dict(main or {}), "controls": dict(controls or {})}

        def configure(self, config):
            log.append(("configure",))
            self.config = config

        def start(self):
            log.append(("start",))
            self.started = True

        def capture_array(self, name="main"):
            return self.capture_request().make_array(name)

        def capture_request(self):
            if not self.started:
                raise RuntimeError("camera not started")
            if self.first and fail_after is not None and self.n >= fail_after:
                raise RuntimeError("Camera frontend has timed out!")
            time.sleep(0.005)                     # a 200 fps sensor
            self.n += 1
            req = Request(self, self.n)
            self.requests.append(req)
            return req

        def stop(self):
            log.append(("stop",))
            self.started = False

        def close(self):
            log.append(("close",))

    mod = types.ModuleType("picamera2")
    mod.Picamera2 = Picamera2
    mod.calls = log
    mod.instances = instances
    return mod


def pcfg(**kw):
    base = {"type": "picamera2", "camera": 0, "size": (320, 240), "fps": 30.0, "buffer": 64,
                "reconnect_initial_s": 0.05, "reconnect_max_s": 0.1}
    base.update(kw)
    return SourceConfig(**base)


def test_frames_are_bgr_at_the_configured_size_rate_and_sensor_time(monkeypatch):
    mod = make_module()
    monkeypatch.setitem(sys.modules, "picamera2", mod)
    src = open_source(pcfg(), clock=FixedClock(1000.0)).start()
    try:
        frames = pull(src, 10, until=lambda fs: len(fs) >= 5)
    finally:
        src.stop()
    assert len(frames) >= 5
    f = frames[0]
    assert f.shape == (240, 320) and f.image[0, 0, 0] == 200      # blue stays in channel 0
    # capture time = clock now - age of the frame by its SensorTimestamp (>= 30 ms)
    assert all(t.t_capture <= 1000.0 - AGE_NS / 1e9 for t in frames)
    assert all(t.t_capture > 999.0 for t in frames)
    cfg_call = next(c for c in mod.calls if c[0] == "create_video_configuration")
    assert cfg_call[1] == {"format": "RGB888", "size": (320, 240)}
    assert cfg_call[2] == {"FrameDurationLimits": (33333, 33333)}
    names = [c[0] for c in mod.calls]
    assert names[:4] == ["Picamera2", "create_video_configuration", "configure", "start"]
    assert names[-2:] == ["stop", "close"]
    cam = mod.instances[0]
    assert all(r.released for r in cam.requests)                   # every request returned
    assert src.describe() == "picamera2 camera 0"


def test_a_camera_that_drops_is_reopened_and_indices_continue(monkeypatch):
    mod = make_module(fail_after=4)
    monkeypatch.setitem(sys.modules, "picamera2", mod)
    src = open_source(pcfg()).start()
    try:
        frames = pull(src, 10, until=lambda fs: len(fs) >= 10)
    finally:
        src.stop()
    assert [f.index for f in frames] == list(range(10))
    assert src.reconnects == 1 and len(mod.instances) == 2
    first = mod.instances[0]
    assert not first.started                                       # stopped and closed
    assert [c[0] for c in mod.calls].count("close") == 2


def test_absent_camera_number_is_a_source_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", make_module(cameras=1))
    with pytest.raises(SourceError, match=r"picamera2 camera 3 does not exist .*0: imx708"):
        open_source(pcfg(camera=3)).start()


def test_missing_module_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)        # import raises ImportError
    with pytest.raises(SourceError) as err:
        open_source(pcfg()).start()
    text = str(err.value)
    assert "sudo apt install python3-picamera2" in text and "--system-site-packages" in text
    probe = probe_picamera2()
    assert probe["available"] is False and "python3-picamera2" in probe["note"]


def test_probe_lists_stand_in_cameras(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", make_module(cameras=2))
    probe = probe_picamera2()
    assert probe["available"] and [c["camera"] for c in probe["cameras"]] == [0, 1]
    assert probe["cameras"][1]["Model"] == "imx708"
