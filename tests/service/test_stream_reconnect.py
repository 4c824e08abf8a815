"""A real stream served by ffmpeg on loopback: the server is killed mid-run and restarted;
the daemon reconnects, keeps its tracker (ids go on), frames_total keeps rising and no
exception escapes the loop."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from edge_tracker.config import load_config
from edge_tracker.service.daemon import Daemon
from edge_tracker.service.notify import Notifier

from .conftest import VISIONWORKS

pytestmark = [pytest.mark.system, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def serve(clip, port) -> subprocess.Popen:
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i",
         str(clip), "-c", "copy", "-f", "mpegts", f"tcp://127.0.0.1:{port}?listen=1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def frames_total(url: str) -> float:
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    return float(next(ln.split()[-1] for ln in text.splitlines()
                      if ln.startswith("edge_tracker_frames_total{")))


def test_daemon_survives_stream_server_restart(tmp_path, synthetic_video, student_model):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg binary absent (apt install ffmpeg)")
    src = VISIONWORKS if VISIONWORKS.is_file() else synthetic_video
    clip = tmp_path / "clip.ts"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-t", "8",
                    "-an", "-c:v", "mpeg2video", "-q:v", "4", "-g", "10", "-vf", "scale=480:-2",
                    str(clip)], check=True, timeout=120)
    port = free_port()
    jsonl = tmp_path / "t.jsonl"
    server = serve(clip, port)
    cfg = load_config(None, {
        "source.uri": f"tcp://127.0.0.1:{port}", "source.reconnect_initial_s": "0.2",
        "source.reconnect_max_s": "1", "source.stall_timeout_s": "2",
        "source.wait_at_start": "true", "student.model": student_model,
        "teacher.enabled": "false", "http.port": "0", "sinks.jsonl.path": str(jsonl)})
    d = Daemon(cfg, install_signals=False, notifier=Notifier({})).start()
    tracker = d.pipeline.tracker
    errors = []

    def run():
        try:
            d.run()
        except BaseException as exc:  # noqa: BLE001 - the test reports any escape
            errors.append(exc)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    try:
        assert wait_until(lambda: d.frames >= 40), "no frames from the stream"
        before_kill = frames_total(d.http.url)
        next_id_before = tracker.next_id
        live_before = {t.id for t in tracker.snapshot()}
        server.kill()
        server.wait(10)
        time.sleep(1.0)
        n_at_restart = d.frames
        # JSONL lines are written whole and unbuffered: the last frame index before the restart
        last_frame_before = max(json.loads(x)["frame"] for x in jsonl.read_text().splitlines())
        server = serve(clip, port)
        assert wait_until(lambda: d.source.reconnects >= 1 and d.frames >= n_at_restart + 40,
                          timeout=45), f"no frames after restart (reconnects {d.source.reconnects})"
        after = frames_total(d.http.url)
        assert after > before_kill
        assert th.is_alive() and not errors
        assert d.pipeline.tracker is tracker
        assert tracker.next_id >= next_id_before
        reconnects = d.source.reconnects
    finally:
        d.stop("test")
        th.join(15)
        server.kill()
        server.wait(10)
    assert not errors, errors
    rows = [json.loads(x) for x in jsonl.read_text().splitlines()]
    # ids are never reused: each id's frames form one run in time order
    first_seen = {}
    for r in rows:
        for t in r["tracks"]:
            first_seen.setdefault(t["id"], r["frame"])
    ids = sorted(first_seen, key=lambda i: first_seen[i])
    # The counter kept going across the restart: every id that appears only after the
    # restart, and was not a live track at the kill, was handed out after next_id_before.
    late = [i for i, f in first_seen.items() if f > last_frame_before and i not in live_before]
    assert late, "no new track after the restart"
    assert min(late) >= next_id_before, (late, next_id_before)
    print(f"stream restart: {len(rows)} frames, {len(ids)} track ids, "
          f"reconnects {reconnects}")
