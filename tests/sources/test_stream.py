"""Network streams against a real ffmpeg server on loopback (MPEG-TS over TCP).

Faults: the server killed and restarted (reconnect with backoff, indices keep going),
a server that stalls without closing (SIGSTOP: the watchdog reconnects), a resolution
change mid-stream, an unreachable URL. Credentials in the URL never reach the logs,
stderr (FFmpeg's own messages included) or the metrics text.
"""

from __future__ import annotations

import itertools
import logging
import time

import pytest

from edge_tracker.errors import SourceError
from edge_tracker.sources import SourceConfig, open_source

from .helpers import RecordingMetrics, free_port, lavfi_ts, needs_ffmpeg, pull, wait_for

pytestmark = [pytest.mark.system, needs_ffmpeg]

SECRET = "s3cr3tPW"


def stream_cfg(url: str, **kw) -> SourceConfig:
    user_url = url.replace("tcp://", f"tcp://viewer:{SECRET}@")
    base = {"uri": user_url, "reconnect_initial_s": 0.2, "reconnect_max_s": 1.0,
                "reconnect_jitter": 0.2, "stall_timeout_s": 2.0, "open_timeout_s": 2.0, "buffer": 2}
    base.update(kw)
    return SourceConfig(**base)


def make_metrics():
    try:
        from edge_tracker.metrics import Metrics
    except ImportError:
        return RecordingMetrics(), None
    m = Metrics(camera="cam0")
    return m, m


def reconnects_in_metrics(prom) -> float:
    for line in prom.render().decode().splitlines():
        if line.startswith("edge_tracker_source_reconnects_total{"):
            return float(line.rsplit(" ", 1)[1])
    return -1.0


def assert_no_secret(caplog, capfd, prom=None):
    out, err = capfd.readouterr()
    assert SECRET not in caplog.text and SECRET not in out and SECRET not in err
    if prom is not None:
        assert SECRET not in prom.render().decode()


def test_server_killed_and_restarted_source_reconnects(ffmpeg_server, caplog, capfd):
    caplog.set_level(logging.INFO, logger="edge_tracker.sources")
    server = ffmpeg_server().start()
    metrics, prom = make_metrics()
    src = open_source(stream_cfg(server.url), metrics=metrics).start()
    try:
        before = pull(src, 20, until=lambda fs: len(fs) >= 15)
        assert len(before) >= 15 and src.up
        assert f"viewer:***@127.0.0.1:{server.port}" in src.describe()
        server.kill()
        assert wait_for(lambda: not src.up, 15)
        assert wait_for(lambda: src.reconnects >= 1, 10)     # attempts while it is down
        server.start()
        after = pull(src, 30, until=lambda fs: len(fs) >= 15)
    finally:
        src.stop()
    assert len(after) >= 15
    assert src.recoveries >= 1 and src.reconnects >= src.recoveries
    indices = [f.index for f in before + after]
    assert all(b > a for a, b in itertools.pairwise(indices))     # keep increasing
    assert after[0].index > before[-1].index
    assert after[-1].shape == (240, 320)
    if prom is not None:
        assert reconnects_in_metrics(prom) == src.reconnects
    assert "reconnecting" in caplog.text and "viewer:***@" in caplog.text
    assert_no_secret(caplog, capfd, prom)


def test_stalled_server_triggers_the_watchdog(ffmpeg_server, caplog, capfd):
    caplog.set_level(logging.INFO, logger="edge_tracker.sources")
    server = ffmpeg_server().start()
    cfg = stream_cfg(server.url, stall_timeout_s=1.5)
    src = open_source(cfg).start()
    try:
        before = pull(src, 20, until=lambda fs: len(fs) >= 10)
        assert len(before) >= 10
        server.pause()                                    # connection open, no data
        t_pause = time.monotonic()
        assert wait_for(lambda: src.stalls >= 1, cfg.stall_timeout_s + 10)
        waited = time.monotonic() - t_pause
        # the watchdog, not FFmpeg's read timeout (2 x stall_timeout_s), ended the wait
        assert waited < 2 * cfg.stall_timeout_s
        assert not src.up
        server.kill()
        server.start()
        after = pull(src, 30, until=lambda fs: len(fs) >= 10)
    finally:
        src.stop()
    assert len(after) >= 10 and src.recoveries >= 1
    assert after[0].index > before[-1].index
    assert "stall watchdog" in caplog.text
    assert_no_secret(caplog, capfd)


def test_resolution_change_mid_stream_keeps_frames_coming(ffmpeg_server, tmp_path):
    a = lavfi_ts(tmp_path / "a.ts", "320x240", 30)
    b = lavfi_ts(tmp_path / "b.ts", "160x120", 30)
    both = tmp_path / "both.ts"
    both.write_bytes(a.read_bytes() + b.read_bytes())
    server = ffmpeg_server(clip=both).start()             # played once, ~4 s
    src = open_source(stream_cfg(server.url, buffer=64)).start()
    try:
        frames = pull(src, 30, until=lambda fs: len(fs) >= 50)
    finally:
        src.stop()
    # frames from after the change arrive (OpenCV's FFmpeg back-end scales them to the
    # first size; the GStreamer source passes the new size), nothing raised
    assert len(frames) >= 50
    assert {f.shape for f in frames} <= {(240, 320), (120, 160)}
    assert [f.index for f in frames] == list(range(len(frames)))
    assert src.error is None


def test_unreachable_url_is_a_source_error_without_the_password(caplog, capfd):
    port = free_port()                                    # nothing listens there
    cfg = stream_cfg(f"tcp://127.0.0.1:{port}", open_timeout_s=1.0)
    with pytest.raises(SourceError) as err:
        open_source(cfg).start()
    assert f"stream tcp://viewer:***@127.0.0.1:{port}: cannot be opened" in str(err.value)
    assert SECRET not in str(err.value)
    assert_no_secret(caplog, capfd)


def test_wait_at_start_connects_once_the_server_appears(ffmpeg_server):
    server = ffmpeg_server()
    src = open_source(stream_cfg(server.url, wait_at_start=True)).start()
    try:
        assert wait_for(lambda: src.reconnects >= 1, 10)
        server.start()
        frames = pull(src, 30, until=lambda fs: len(fs) >= 5)
    finally:
        src.stop()
    assert len(frames) >= 5 and frames[0].index == 0
