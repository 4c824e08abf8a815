"""Sink faults under ``edge-tracker run``: MQTT broker down at start / killed mid-run,
an output folder that cannot be written, a full disk, JSONL rotation under load.

Real components: ``mosquitto`` on 127.0.0.1 (a paho subscriber in the test counts the
messages), a 64 KiB tmpfs for the full disk (we run as root in this sandbox; when
mount is refused the test skips and says so), a read-only bind mount for the
unwritable folder (root ignores permission bits, so ``chmod`` would prove nothing:
a read-only mount refuses root too).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from pathlib import Path

import pytest

from .daemon_harness import (
    RECOVERY_S,
    Broker,
    DaemonProc,
    Subscriber,
    base_config,
    free_port,
    needs_mosquitto,
    read_jsonl,
    synthetic_video,
    wait_for,
)


def _video_source(tmp_path: Path) -> dict:
    return {"uri": synthetic_video(tmp_path / "street.avi", n_frames=60), "realtime": True,
            "loop": True}


def _mqtt(port: int) -> dict:
    return {"mqtt": {"enabled": True, "port": port, "mode": "frame", "empty_frames": True,
                     "reconnect_min_s": 0.2, "reconnect_max_s": 1.0}}


@pytest.mark.system
@needs_mosquitto
def test_mqtt_broker_down_at_start_then_up(tmp_path, faults_report):
    port = free_port()
    broker = Broker(tmp_path, port)
    sub = Subscriber(port)
    cfg = base_config(tmp_path, _video_source(tmp_path), sinks=_mqtt(port))
    try:
        with DaemonProc(tmp_path, cfg).start() as d:
            d.wait_started(10, timeout=90)              # JSONL flows without a broker
            assert sub.count() == 0
            broker.start()                              # the fault clears
            took = d.producing_within(RECOVERY_S, n=5, counter=sub.count)
            survived = took is not None
            faults_report.fault("sink: MQTT broker down at start", survived,
                                f"messages after {took} s")
            assert survived, d.log()[-3000:]
            rc, _ = d.stop()
    finally:
        sub.close()
        broker.kill()
    assert rc == 0
    msgs = [json.loads(p) for p in sub.payloads]        # every message whole JSON
    assert all(m["camera"] == "cam0" for m in msgs)
    assert "Traceback" not in d.log()


@pytest.mark.system
@needs_mosquitto
def test_mqtt_broker_killed_mid_run(tmp_path, faults_report):
    port = free_port()
    broker = Broker(tmp_path, port).start()
    sub = Subscriber(port)
    cfg = base_config(tmp_path, _video_source(tmp_path), sinks=_mqtt(port))
    try:
        with DaemonProc(tmp_path, cfg).start() as d:
            assert wait_for(lambda: sub.count() >= 10 or not d.alive(), 90), d.log()[-3000:]
            broker.kill()
            # JSONL goes on while the broker is away
            down = d.producing_within(RECOVERY_S, n=10)
            assert down is not None, d.log()[-3000:]
            time.sleep(1.0)
            broker.start()                              # the fault clears
            took = d.producing_within(RECOVERY_S, n=5, counter=sub.count)
            survived = took is not None and d.alive()
            faults_report.fault("sink: MQTT broker killed mid-run", survived,
                                f"JSONL kept going; MQTT back after {took} s")
            assert survived, d.log()[-3000:]
            rc, _ = d.stop()
    finally:
        sub.close()
        broker.kill()
    rows, torn = d.rows()
    assert rc == 0 and torn == 0
    assert [r["frame"] for r in rows] == list(range(len(rows)))
    assert "disconnected" in d.log()
    assert "Traceback" not in d.log()


@contextlib.contextmanager
def _mount(*args: str):
    """``mount args...`` (last arg = mount point), unmounted on exit; skip if refused."""
    r = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=20, check=False)
    if r.returncode != 0:
        pytest.skip(f"mount {' '.join(args)} not permitted here: {r.stderr.strip()}")
    try:
        yield Path(args[-1])
    finally:
        subprocess.run(["umount", "-l", args[-1]], capture_output=True, timeout=20, check=False)


@pytest.mark.parametrize("how", ["read-only mount", "parent is a file"])
def test_unwritable_output_fails_at_start_naming_the_path(tmp_path, faults_report, how):
    if how == "read-only mount":
        ro = tmp_path / "ro"
        ro.mkdir()
        cm = _mount("--bind", "-o", "ro", str(ro), str(ro))
    else:
        (tmp_path / "afile").write_text("x")
        cm = contextlib.nullcontext(tmp_path / "afile")
    with cm as folder:
        out = folder / "out.jsonl"
        cfg = base_config(tmp_path, _video_source(tmp_path))
        cfg["sinks"]["jsonl"]["path"] = str(out)
        with DaemonProc(tmp_path, cfg).start() as d:
            rc = d.wait(60)
    log = d.log()
    last = log.strip().splitlines()[-1] if log.strip() else ""
    clear = rc == 4 and str(out) in last and "sinks.jsonl.path" in last
    faults_report.fault(f"sink: output not writable ({how})", clear,
                        f"exit {rc}: {last[:200]}")
    assert rc == 4, log[-2000:]
    assert str(out) in last and "sinks.jsonl.path" in last, log[-2000:]
    assert "Traceback" not in log


def test_disk_full_keeps_running_without_torn_lines(tmp_path, faults_report):
    full = tmp_path / "full"
    full.mkdir()
    with _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(full)):
        (full / "filler").write_bytes(b"\0" * 60 * 1024)      # leave one 4 KiB page
        cfg = base_config(tmp_path, _video_source(tmp_path))
        cfg["sinks"]["jsonl"]["path"] = str(full / "out.jsonl")
        with DaemonProc(tmp_path, cfg).start() as d:
            assert wait_for(lambda: "not written" in d.log() or not d.alive(), 120), \
                d.log()[-3000:]
            frames = d.url() and d.metric("edge_tracker_frames_total")
            # full: the loop goes on (frames counted), lines are not written
            assert wait_for(lambda: d.metric("edge_tracker_frames_total") >= frames + 10, 20)
            assert d.alive()
            n_full = d.lines()
            rows_full, torn_full = d.rows()
            (full / "filler").unlink()                         # space again: fault clears
            took = d.producing_within(RECOVERY_S, n=5)
            survived = took is not None
            faults_report.fault("sink: disk full (64 KiB tmpfs)", survived,
                                f"{n_full} lines when full, writing again after {took} s")
            assert survived, d.log()[-3000:]
            rc, _ = d.stop()
            rows, torn = d.rows()
    faults_report.lines_lost(torn_full + torn, "disk full: torn lines")
    log = d.log()
    assert rc == 0
    assert torn_full == 0 and torn == 0              # no line torn, before or after
    assert rows[:len(rows_full)] == rows_full        # nothing written before was touched
    assert "jsonl sink:" in log and "No space left on device" in log
    assert "Traceback" not in log


def test_jsonl_rotation_under_load(tmp_path, faults_report):
    """150 frames as fast as they come, rotating every 2 KiB: every line of every file
    parses, and the frames in all files are exactly the frames processed."""
    n = 150
    out = tmp_path / "out.jsonl"
    src = {"uri": synthetic_video(tmp_path / "street.avi", n_frames=60), "loop": True}
    cfg = base_config(tmp_path, src, service={"max_frames": n, "drain_timeout_s": 3.0})
    cfg["sinks"]["jsonl"].update({"rotate_bytes": 2048, "backups": 100, "fsync": "never"})
    with DaemonProc(tmp_path, cfg).start() as d:
        rc = d.wait(180)
    files = sorted(tmp_path.glob("out.jsonl.*"), key=lambda p: -int(p.suffix[1:])) + [out]
    rows, torn = read_jsonl(*files)
    frames = [r["frame"] for r in rows]
    lost = (n - len(set(frames))) + torn
    faults_report.lines_lost(lost, "jsonl rotation under load")
    faults_report.fault("sink: JSONL rotation under load", rc == 0 and lost == 0,
                        f"{len(files)} files, {len(rows)} lines")
    assert rc == 0, d.log()[-3000:]
    assert len(files) >= 5                           # it did rotate, many times
    assert all(p.stat().st_size <= 2048 for p in files)
    assert torn == 0
    assert frames == list(range(n))                  # in order across files, none lost
    assert f"after {n} frames" in d.log()
