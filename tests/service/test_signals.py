"""``edge-tracker run`` as a subprocess: SIGTERM drains and exits 0 within 5 s with whole
JSONL lines (one per processed frame); SIGHUP applies a valid config and rejects an
invalid one without dropping the camera."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest


def wait_until(pred, timeout=30.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def lines(path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@contextmanager
def running(conf, log, *extra):
    """``edge-tracker run --config conf`` with stderr in ``log``; killed on exit if alive."""
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "edge_tracker.cli", "run", "--config",
                                 str(conf), *extra], stdout=subprocess.DEVNULL, stderr=err)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def config_text(video, model, jsonl, threshold=0.3, extra=""):
    return (f"source: {{uri: {video}, realtime: true, loop: true}}\n"
            f"student: {{model: {model}, score_threshold: {threshold}}}\n"
            f"teacher: {{enabled: false}}\nhttp: {{port: 0}}\n"
            f"sinks: {{jsonl: {{path: {jsonl}, fsync: always}}}}\n{extra}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_drains_and_exits_zero(tmp_path, synthetic_video, student_model, sig):
    jsonl = tmp_path / "t.jsonl"
    conf = tmp_path / "cam.yaml"
    conf.write_text(config_text(synthetic_video, student_model, jsonl))
    log = tmp_path / "log.txt"
    with running(conf, log) as proc:
        assert wait_until(lambda: lines(jsonl) >= 10), log.read_text()
        t0 = time.monotonic()
        proc.send_signal(sig)
        rc = proc.wait(timeout=10)
        elapsed = time.monotonic() - t0
    err = log.read_text()
    print(f"{sig.name}: exit {rc} after {elapsed:.2f} s")
    assert rc == 0, err
    assert elapsed < 5.0
    data = jsonl.read_bytes()
    assert data.endswith(b"\n")
    rows = [json.loads(x) for x in data.decode().splitlines()]  # every line whole JSON
    assert [r["frame"] for r in rows] == list(range(len(rows)))
    assert f"stopping ({sig.name}) after {len(rows)} frames" in err  # one line per frame
    assert "Traceback" not in err


def test_sighup_valid_then_invalid(tmp_path, synthetic_video, student_model):
    jsonl = tmp_path / "t.jsonl"
    mot = tmp_path / "t.txt"
    conf = tmp_path / "cam.yaml"
    conf.write_text(config_text(synthetic_video, student_model, jsonl))
    log = tmp_path / "log.txt"
    with running(conf, log) as proc:
        assert wait_until(lambda: lines(jsonl) >= 5), log.read_text()
        conf.write_text(config_text(synthetic_video, student_model, jsonl, 0.45,
                                    "tracker: {track_buffer_s: 0.5}\n")
                        .replace("fsync: always}", f"fsync: always}}, mot: {{path: {mot}}}"))
        proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: "reload: applied" in log.read_text()), log.read_text()
        assert wait_until(lambda: mot.exists())
        conf.write_text("student: {score_threshold: 7}\n")  # out of range
        proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: "reload rejected" in log.read_text()), log.read_text()
        n = lines(jsonl)
        assert wait_until(lambda: lines(jsonl) >= n + 5), "frames stopped after a bad reload"
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    err = log.read_text()
    assert rc == 0, err
    assert "student.score_threshold: must be <= 1" in err
    rows = [json.loads(x) for x in jsonl.read_text().splitlines()]
    assert [r["frame"] for r in rows] == list(range(len(rows)))  # camera never dropped
    assert "Traceback" not in err


def test_sigkill_then_restart_leaves_whole_lines(tmp_path, synthetic_video, student_model):
    jsonl = tmp_path / "t.jsonl"
    conf = tmp_path / "cam.yaml"
    conf.write_text(config_text(synthetic_video, student_model, jsonl).replace(
        "fsync: always", "fsync: never"))
    counts = []
    for _ in range(2):  # kill hard, then restart appending to the same file
        log = tmp_path / "log.txt"
        with running(conf, log) as proc:
            before = lines(jsonl)
            assert wait_until(lambda b=before: lines(jsonl) >= b + 8), log.read_text()
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        counts.append(lines(jsonl))
    data = jsonl.read_bytes()
    assert data.endswith(b"\n")
    rows = [json.loads(x) for x in data.decode().splitlines()]  # no torn line anywhere
    assert len(rows) == counts[-1]
    restart = next(i for i in range(1, len(rows)) if rows[i]["frame"] == 0)
    assert [r["frame"] for r in rows[:restart]] == list(range(restart))
    assert [r["frame"] for r in rows[restart:]] == list(range(len(rows) - restart))


def test_sighup_storm_keeps_running(tmp_path, synthetic_video, student_model):
    jsonl = tmp_path / "t.jsonl"
    conf = tmp_path / "cam.yaml"
    conf.write_text(config_text(synthetic_video, student_model, jsonl))
    log = tmp_path / "log.txt"
    with running(conf, log) as proc:
        assert wait_until(lambda: lines(jsonl) >= 5), log.read_text()
        for _ in range(50):
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.01)
        n = lines(jsonl)
        assert wait_until(lambda: lines(jsonl) >= n + 5), "frames stopped after SIGHUPs"
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    err = log.read_text()
    assert rc == 0, err
    assert "reload: applied (no changes)" in err
    assert "Traceback" not in err
