"""The daemon loop with real components: file source, real model, real sinks, HTTP, notify."""

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


def base_overrides(video: str, model: str, tmp_path, **extra) -> dict:
    ov = {"source.uri": video, "student.model": model, "teacher.enabled": "false",
          "http.enabled": "false", "sinks.jsonl.path": str(tmp_path / "t.jsonl"),
          "sinks.mot.path": str(tmp_path / "t.txt")}
    ov.update({k.replace("__", "."): str(v) for k, v in extra.items()})
    return ov


def read_jsonl(path) -> list[dict]:
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), "last line is torn"
    return [json.loads(x) for x in data.decode().splitlines()]


def wait_until(pred, timeout=20.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


@pytest.mark.parametrize("max_frames,expected", [(7, 7), (0, 60)])
def test_run_to_max_frames_or_end_of_file(tmp_path, synthetic_video, student_model,
                                          max_frames, expected):
    cfg = load_config(None, base_overrides(synthetic_video, student_model, tmp_path,
                                           service__max_frames=max_frames))
    assert Daemon(cfg, install_signals=False, notifier=Notifier({})).run() == 0
    rows = read_jsonl(tmp_path / "t.jsonl")
    assert [r["frame"] for r in rows] == list(range(expected))
    assert all(r["camera"] == "cam0" for r in rows)
    mot = (tmp_path / "t.txt").read_text().splitlines()
    assert sum(len(r["tracks"]) for r in rows) == len(mot)
    for r in rows:
        for t in r["tracks"]:
            assert set(t) == {"id", "box", "score", "label"} and len(t["box"]) == 4


def test_http_metrics_health_and_sd_notify_during_a_run(tmp_path, synthetic_video,
                                                        student_model):
    sock_path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(sock_path)
    listener.settimeout(0.5)
    msgs: list[str] = []
    reading = threading.Event()
    reading.set()

    def drain():  # like systemd: keep reading the notify socket
        while reading.is_set():
            try:
                msgs.append(listener.recv(4096).decode())
            except TimeoutError:
                continue

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    cfg = load_config(None, base_overrides(synthetic_video, student_model, tmp_path,
                                           http__enabled="true", http__port=0,
                                           source__realtime="true", source__loop="true"))
    notifier = Notifier({"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "200000"})
    d = Daemon(cfg, install_signals=False, notifier=notifier).start()
    url = d.http.url
    th = threading.Thread(target=d.run, daemon=True)
    th.start()
    try:
        assert wait_until(lambda: urllib.request.urlopen(url + "/healthz").status == 200)
        assert wait_until(lambda: d.frames >= 5)
        assert urllib.request.urlopen(url + "/readyz").status == 200
        body = urllib.request.urlopen(url + "/metrics").read()
    finally:
        d.stop("test")
        th.join(10)
    assert not th.is_alive()
    text = body.decode()
    assert 'edge_tracker_stage_latency_seconds_count{camera="cam0",stage="sink"}' in text
    assert 'edge_tracker_source_up{camera="cam0"} 1.0' in text
    frames_line = [ln for ln in text.splitlines() if ln.startswith("edge_tracker_frames_total")]
    assert frames_line and float(frames_line[0].split()[-1]) >= 5
    time.sleep(0.3)
    reading.clear()
    reader.join(5)
    listener.close()
    assert any(m.startswith("READY=1") for m in msgs)
    assert "WATCHDOG=1" in msgs
    assert msgs[-1] == "STOPPING=1"
    promtool = shutil.which("promtool")
    if promtool:
        proc = subprocess.run(check=False, args=[promtool, "check", "metrics"], input=body,
                              capture_output=True, timeout=30)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_reload_valid_then_invalid_keeps_source_and_tracker(tmp_path, synthetic_video,
                                                            student_model):
    conf = tmp_path / "cam.yaml"
    jsonl = tmp_path / "t.jsonl"
    conf.write_text(f"source: {{uri: {synthetic_video}, realtime: true, loop: true}}\n"
                    f"student: {{model: {student_model}}}\nteacher: {{enabled: false}}\n"
                    f"http: {{enabled: false}}\nsinks: {{jsonl: {{path: {jsonl}}}}}\n")
    d = Daemon(load_config(conf), config_path=str(conf), install_signals=False,
               notifier=Notifier({})).start()
    source, tracker, pipeline = d.source, d.pipeline.tracker, d.pipeline
    th = threading.Thread(target=d.run, daemon=True)
    th.start()
    try:
        assert wait_until(lambda: d.frames >= 3)
        # valid: a new threshold and a new MOT sink
        text = (conf.read_text().replace("student: {", "student: {score_threshold: 0.4, ")
                .replace(f"sinks: {{jsonl: {{path: {jsonl}}}}}",
                         f"sinks: {{jsonl: {{path: {jsonl}}}, mot: {{path: {tmp_path / 'm.txt'}}}}}"))
        conf.write_text(text)
        d.request_reload()
        assert wait_until(lambda: d.reloads == 1)
        assert d.cfg.student.score_threshold == 0.4
        assert d.pipeline is not pipeline and d.pipeline.tracker is tracker
        assert d.source is source
        n = d.frames
        assert wait_until(lambda: d.frames >= n + 3)
        assert (tmp_path / "m.txt").exists()
        # invalid: unknown key -> rejected, old config kept, frames keep coming
        conf.write_text(text.replace("score_threshold: 0.4", "score_threshhold: 0.9"))
        d.request_reload()
        assert wait_until(lambda: d.reloads_rejected == 1)
        assert d.cfg.student.score_threshold == 0.4
        n = d.frames
        assert wait_until(lambda: d.frames >= n + 3)
        assert d.source is source
        # a model file replaced by a corrupt one: rejected at load, old pipeline kept
        bad = tmp_path / "corrupt.tflite"
        bad.write_bytes(b"\x00\x00\x00\x00TFL3" + b"\x01" * 500)
        running = d.pipeline
        conf.write_text(text.replace(f"model: {student_model}", f"model: {bad}"))
        d.request_reload()
        assert wait_until(lambda: d.reloads_rejected == 2)
        assert d.pipeline is running
        n = d.frames
        assert wait_until(lambda: d.frames >= n + 3)
    finally:
        d.stop("test")
        th.join(10)
    rows = read_jsonl(jsonl)
    assert [r["frame"] for r in rows] == list(range(len(rows)))  # no frame lost over reloads
