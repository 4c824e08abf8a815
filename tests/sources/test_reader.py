"""The shared reader (buffering, drops, reconnects, watchdog, timestamps) on scripted
back-ends: each connection plays a script of frames, corrupt frames and endings."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from edge_tracker.errors import SourceError
from edge_tracker.sources.base import (
    Backend,
    Captured,
    ConnectionLost,
    EndOfStream,
    to_bgr,
)
from edge_tracker.sources.config import SourceConfig
from edge_tracker.sources.reader import Source

from .helpers import RecordingMetrics, pull, wait_for


def img(value: int = 0, h: int = 4, w: int = 6) -> np.ndarray:
    return np.full((h, w, 3), value % 256, np.uint8)


class ScriptBackend(Backend):
    """Plays one script: ndarray = frame, None = corrupt frame, "eos", "lost",
    "block" (waits until cancel(), then ConnectionLost), or (ndarray, t_media)."""

    def __init__(self, script: list, live: bool) -> None:
        self.script = list(script)
        self.live = live
        self.fps = 10.0
        self._cancel = threading.Event()
        self.closed = False
        self.n = 0

    def describe(self) -> str:
        return "script rtsp://u:***@h"

    def open(self) -> None:
        return None

    def cancel(self) -> None:
        self._cancel.set()

    def read(self):
        if not self.script:
            raise EndOfStream("end")
        item = self.script.pop(0)
        if isinstance(item, str):
            if item == "eos":
                raise EndOfStream("end")
            if item == "lost":
                raise ConnectionLost("gone")
            self._cancel.wait(10.0)
            raise ConnectionLost("cancelled")
        if item is None:
            return None
        t = self.n / self.fps
        self.n += 1
        return Captured(item, t_media=t)

    def close(self) -> None:
        self.closed = True


class World:
    """Factory handing out one script per connection; an exhausted list = open fails."""

    def __init__(self, scripts: list[list], live: bool = True) -> None:
        self.scripts = list(scripts)
        self.live = live
        self.backends: list[ScriptBackend] = []
        self.opens = 0

    def __call__(self) -> Backend:
        world = self

        class Opening(ScriptBackend):
            def open(self) -> None:
                world.opens += 1
                if not world.scripts:
                    raise SourceError("stream rtsp://u:***@h: cannot be opened")
                self.script = list(world.scripts.pop(0))

        b = Opening([], self.live)
        self.backends.append(b)
        return b


class FixedClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


def cfg(**kw) -> SourceConfig:
    base = {"uri": "x", "reconnect_initial_s": 0.01, "reconnect_max_s": 0.02, "reconnect_jitter": 0.0,
                "stall_timeout_s": 5.0}
    base.update(kw)
    return SourceConfig(**base)


def test_file_mode_reads_every_frame_without_drops():
    world = World([[img(i) for i in range(50)] + ["eos"]], live=False)
    src = Source(world, cfg(buffer=2)).start()
    got = []
    deadline = time.monotonic() + 20
    while not src.finished and time.monotonic() < deadline:
        f = src.read(0.5)
        if f is not None:
            got.append(f)
            time.sleep(0.002)           # a consumer slower than the reader
    src.stop()
    assert [f.index for f in got] == list(range(50))
    assert [int(f.image[0, 0, 0]) for f in got] == list(range(50))
    assert src.frames_dropped == 0 and src.finished and src.error is None


def test_live_keeps_newest_frames_and_counts_drops():
    metrics = RecordingMetrics()
    world = World([[img(i) for i in range(40)] + ["block"]], live=True)
    src = Source(world, cfg(buffer=3), metrics=metrics).start()
    assert wait_for(lambda: src.frames_read == 40, 10)
    frames = [src.read(0.1) for _ in range(3)]
    src.stop()
    assert [f.index for f in frames] == [37, 38, 39]
    assert src.frames_dropped == 37 and metrics.dropped == 37
    assert src.read(0.0) is None


def test_indices_continue_across_reconnects_and_counters_rise():
    metrics = RecordingMetrics()
    world = World([[img(1)] * 10 + ["lost"], [img(2)] * 10 + ["lost"], [img(3)] * 5 + ["block"]])
    src = Source(world, cfg(buffer=64), metrics=metrics).start()
    frames = pull(src, 10, until=lambda fs: len(fs) >= 25)
    src.stop()
    assert [f.index for f in frames] == list(range(25))
    assert src.reconnects == 2 and src.recoveries == 2 and metrics.reconnects == 2
    assert metrics.ups[0] is False and metrics.ups[-1] is False and True in metrics.ups
    assert all(b.closed for b in world.backends)


def test_stall_watchdog_abandons_a_blocked_read_and_reconnects():
    world = World([[img(1)] * 5 + ["block"], [img(2)] * 5 + ["block"]])
    src = Source(world, cfg(buffer=64, stall_timeout_s=0.3)).start()
    frames = pull(src, 10, until=lambda fs: len(fs) >= 10)
    assert src.stalls >= 1 and src.recoveries >= 1
    assert [f.index for f in frames] == list(range(10))
    assert src.up
    src.stop()
    assert not src.up


def test_gives_up_after_max_reconnects_without_frames():
    metrics = RecordingMetrics()
    world = World([[img(1)] * 3 + ["lost"]])
    src = Source(world, cfg(buffer=8, max_reconnects=3), metrics=metrics).start()
    frames = pull(src, 10)
    src.stop()
    assert len(frames) == 3 and src.finished
    assert isinstance(src.error, SourceError) and "gave up after 3 connection attempts" in str(src.error)
    assert src.reconnects == 3 and metrics.reconnects == 3 and not src.up


def test_first_open_failure_raises_unless_wait_at_start():
    with pytest.raises(SourceError, match="cannot be opened"):
        Source(World([]), cfg()).start()
    world = World([])
    src = Source(world, cfg(wait_at_start=True)).start()
    assert wait_for(lambda: world.opens >= 3, 5)
    world.scripts.append([img(5)] * 2 + ["block"])
    frames = pull(src, 10, until=lambda fs: len(fs) >= 2)
    src.stop()
    assert [f.index for f in frames] == [0, 1]


@pytest.mark.parametrize("script,live,max_corrupt,expect_frames,expect_corrupt", [
    ([img(1), None, img(2), None, None, img(3), "eos"], False, 25, 3, 3),
    ([img(1), None, None, None, img(2), "eos"], False, 3, 1, 3),     # too many: file ends
    ([None, None, "eos"], False, 25, 0, 2),                          # nothing readable
])
def test_corrupt_frames_are_counted_and_skipped(script, live, max_corrupt, expect_frames,
                                                 expect_corrupt):
    src = Source(World([script], live), cfg(buffer=16, max_corrupt=max_corrupt)).start()
    frames = pull(src, 10)
    src.stop()
    assert len(frames) == expect_frames and src.frames_corrupt == expect_corrupt
    assert src.finished


def test_live_source_with_too_many_corrupt_frames_reconnects():
    world = World([[img(1), None, None, img(9)], [img(2)] + ["block"]])
    src = Source(world, cfg(buffer=16, max_corrupt=2)).start()
    frames = pull(src, 10, until=lambda fs: len(fs) >= 2)
    src.stop()
    assert [int(f.image[0, 0, 0]) for f in frames] == [1, 2]
    assert src.reconnects == 1 and src.frames_corrupt == 2


def test_resolution_and_channel_changes_pass_through_as_bgr():
    script = [img(1, 4, 6), img(2, 10, 8), np.full((5, 7), 3, np.uint8),
              np.full((3, 3, 4), 4, np.uint8), np.zeros((2, 2, 2), np.uint8), "eos"]
    src = Source(World([script], live=False), cfg(buffer=16)).start()
    frames = pull(src, 10)
    src.stop()
    assert [f.shape for f in frames] == [(4, 6), (10, 8), (5, 7), (3, 3)]
    assert all(f.image.shape[2] == 3 and f.image.dtype == np.uint8 for f in frames)
    assert src.frames_corrupt == 1           # the 2-channel image


@pytest.mark.parametrize("failures,expected", [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0),
                                               (4, 4.0), (40, 4.0)])
def test_backoff_doubles_up_to_the_cap(failures, expected):
    src = Source(World([]), cfg(reconnect_initial_s=0.5, reconnect_max_s=4.0,
                                reconnect_jitter=0.0))
    assert src._backoff_delay(failures) == pytest.approx(expected)


def test_backoff_jitter_stays_within_its_band():
    src = Source(World([]), cfg(reconnect_initial_s=1.0, reconnect_max_s=8.0,
                                reconnect_jitter=0.25))
    delays = [src._backoff_delay(1) for _ in range(200)]
    assert min(delays) >= 1.5 and max(delays) <= 2.5
    assert max(delays) - min(delays) > 0.1        # jitter actually varies


def test_media_timestamps_follow_the_file_and_loops_keep_counting():
    clock = FixedClock(100.0)
    world = World([[img(0)] * 3 + ["eos"], [img(1)] * 3 + ["eos"]], live=False)
    src = Source(world, cfg(buffer=16, loop=True), clock=clock).start()
    frames = pull(src, 10, until=lambda fs: len(fs) >= 6)
    src.stop()
    assert [f.index for f in frames] == list(range(6))
    # fps 10: 0.0, 0.1, 0.2, then the second loop starts at 0.2 + 0.1
    assert [round(f.t_capture, 6) for f in frames] == [100.0, 100.1, 100.2, 100.3, 100.4,
                                                      100.5]


def test_clock_timestamps_and_device_capture_times():
    clock = FixedClock(50.0)
    src = Source(World([]), cfg(timestamps="clock"), clock=clock)
    assert src._timestamp(Captured(img(), t_media=3.0), live=False) == 50.0
    age = 0.25
    t = src._timestamp(Captured(img(), t_monotonic=time.monotonic() - age), live=True)
    assert 50.0 - age - 0.05 <= t <= 50.0 - age


@pytest.mark.parametrize("image,shape", [
    (np.zeros((4, 5, 3), np.uint8), (4, 5, 3)),
    (np.zeros((4, 5), np.uint8), (4, 5, 3)),
    (np.zeros((4, 5, 1), np.uint8), (4, 5, 3)),
    (np.zeros((4, 5, 4), np.uint8), (4, 5, 3)),
    (np.zeros((4, 5, 3), np.float32), None),
    (np.zeros((0, 5, 3), np.uint8), None),
    (np.zeros((4, 5, 2), np.uint8), None),
    (None, None),
    ("not an image", None),
])
def test_to_bgr(image, shape):
    out = to_bgr(image)
    assert (out is None) if shape is None else (out.shape == shape and out.dtype == np.uint8)


def test_describe_and_stop_are_safe_before_and_after_start():
    src = Source(World([[img(1), "block"]]), cfg())
    src.stop()                                   # never started
    src = Source(World([[img(1), "block"]]), cfg()).start()
    assert wait_for(lambda: src.frames_read == 1, 5)
    assert "***" in src.describe() and "u:" in src.describe()
    src.stop()
    src.stop()
    assert src.read(0.0) is None and not src.up
    assert not src._supervisor.is_alive()
    assert not any(t.is_alive() for t in src._readers)


def test_only_corrupt_frames_for_longer_than_the_stall_timeout_is_a_stall():
    class Garbage(ScriptBackend):
        def read(self):
            time.sleep(0.02)
            if self._cancel.is_set():
                raise ConnectionLost("cancelled")
            self.n += 1                               # every frame undecodable: None

    backends = iter([Garbage([], True), ScriptBackend([img(7)] * 3 + ["block"], True)])
    src = Source(lambda: next(backends), cfg(buffer=8, stall_timeout_s=0.3,
                                             max_corrupt=100_000)).start()
    frames = pull(src, 10, until=lambda fs: len(fs) >= 3)
    src.stop()
    assert src.stalls == 1 and src.frames_corrupt >= 5
    assert [int(f.image[0, 0, 0]) for f in frames] == [7, 7, 7]


def test_realtime_paces_a_file_to_its_frame_rate():
    world = World([[img(i) for i in range(6)] + ["eos"]], live=False)   # fps 10
    src = Source(world, cfg(buffer=16, realtime=True)).start()
    t0 = time.monotonic()
    frames = pull(src, 10)
    elapsed = time.monotonic() - t0
    src.stop()
    assert len(frames) == 6
    assert elapsed >= 0.5          # 6 frames at 10 fps cannot arrive sooner than 0.5 s


def test_an_unexpected_driver_error_at_open_becomes_a_masked_source_error():
    class Broken(ScriptBackend):
        def open(self):
            raise RuntimeError("driver said no to rtsp://admin:hunter2@cam/stream")

    with pytest.raises(SourceError) as err:
        Source(lambda: Broken([], True), cfg()).start()
    assert "RuntimeError" in str(err.value) and "hunter2" not in str(err.value)
    assert "admin:***@cam" in str(err.value)


def test_a_looped_file_without_frames_backs_off_and_gives_up():
    world = World([["eos"]] * 50, live=False)
    src = Source(world, cfg(loop=True, max_reconnects=3)).start()
    frames = pull(src, 10)
    src.stop()
    assert frames == [] and isinstance(src.error, SourceError)
    # the first open and 2 reopens, each ending without a frame = 3 failures in a row
    # (with backoff between them, not a busy loop)
    assert world.opens == 3 and src.reconnects == 2
