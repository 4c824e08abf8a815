"""Process faults on ``edge-tracker run``: SIGTERM mid-run, a SIGHUP storm with valid and
invalid configs alternating, SIGKILL then restart appending to the same outputs."""

from __future__ import annotations

import signal
import time

from .daemon_harness import (
    RECOVERY_S,
    DaemonProc,
    base_config,
    synthetic_video,
    wait_for,
)


def _cfg(tmp_path, threshold=0.3, **kw):
    video = tmp_path / "street.avi"
    if not video.exists():
        synthetic_video(video, n_frames=60)
    cfg = base_config(tmp_path, {"uri": str(video), "realtime": True, "loop": True}, **kw)
    cfg["student"]["score_threshold"] = threshold
    return cfg


def _last_reload(log: str) -> str:
    """The outcome line of the newest reload ("reload: applied ..." / "reload rejected")."""
    hits = [ln[ln.index("reload"):] for ln in log.splitlines()
            if "reload: applied" in ln or "reload rejected" in ln]
    return hits[-1] if hits else ""


def test_sigterm_mid_run_exits_zero_with_whole_lines(tmp_path, faults_report):
    with DaemonProc(tmp_path, _cfg(tmp_path)).start() as d:
        d.wait_started(15, timeout=90)
        rc, took = d.stop(timeout=10)
    rows, torn = d.rows()
    log = d.log()
    ok = rc == 0 and took < 5.0 and torn == 0
    faults_report.fault("process: SIGTERM mid-run", ok, f"exit {rc} after {took:.2f} s")
    faults_report.lines_lost(torn, "SIGTERM")
    assert rc == 0, log[-3000:]
    assert took < 5.0
    assert torn == 0
    assert [r["frame"] for r in rows] == list(range(len(rows)))
    assert f"stopping (SIGTERM) after {len(rows)} frames" in log   # one line per frame
    assert "Traceback" not in log


def test_sighup_storm_alternating_valid_and_invalid(tmp_path, faults_report):
    """20 SIGHUPs in 2 s, the config file flipping between a valid one (threshold
    changes, so reloads rebuild the pipeline) and an invalid one; the storm ends on a
    valid config, which must be the one in force."""
    bad = "student: {score_threshold: 7}\n"            # out of range
    with DaemonProc(tmp_path, _cfg(tmp_path)).start() as d:
        d.wait_started(5, timeout=90)
        for i in range(20):
            if i % 2 == 0:
                d.write_config(_cfg(tmp_path, threshold=0.3 + 0.01 * (i + 1)))
            else:
                d.write_config(bad)
            d.send(signal.SIGHUP)
            time.sleep(0.1)
        final = 0.55
        d.write_config(_cfg(tmp_path, threshold=final))
        d.send(signal.SIGHUP)
        took = d.producing_within(RECOVERY_S, n=10)
        survived = took is not None
        faults_report.fault("process: SIGHUP storm (20 in 2 s, valid/invalid)", survived,
                            f"producing {took} s after the storm")
        assert survived, d.log()[-3000:]
        # the reload after the last SIGHUP read the final (valid) file: it applied
        assert wait_for(lambda: _last_reload(d.log()).startswith("reload: applied"),
                        RECOVERY_S), d.log()[-3000:]
        rc, _ = d.stop()
    rows, torn = d.rows()
    log = d.log()
    assert rc == 0, log[-3000:]
    assert torn == 0
    assert [r["frame"] for r in rows] == list(range(len(rows)))   # the camera never dropped
    assert "reload rejected" in log and "reload: applied" in log
    assert "Traceback" not in log


def test_sigkill_then_restart_keeps_written_lines_whole(tmp_path, faults_report):
    cfg = _cfg(tmp_path)
    cfg["sinks"]["jsonl"]["fsync"] = "never"
    snapshots = []
    for attempt in range(2):
        with DaemonProc(tmp_path, cfg, name=f"run{attempt}").start() as d:
            before = d.lines()
            d.wait_started(before + 10, timeout=90)
            d.send(signal.SIGKILL)
            d.wait(10)
        data = d.jsonl.read_bytes()
        snapshots.append(data)
        rows, torn = d.rows()
        faults_report.lines_lost(torn, f"SIGKILL {attempt + 1}")
        faults_report.fault("process: SIGKILL", torn == 0,
                            f"{len(rows)} whole lines, {torn} torn")
    # restart: appended, never rewrote what the killed run left
    assert snapshots[1].startswith(snapshots[0])
    with DaemonProc(tmp_path, cfg, name="run-final").start() as d:
        n0 = d.lines()
        took = d.producing_within(60, n=5)     # first frames include model loading
        faults_report.fault("process: restart after SIGKILL", took is not None,
                            f"appending again after {took} s (incl. model load)")
        assert took is not None, d.log()[-3000:]
        assert d.lines() > n0
        rc, _ = d.stop()
    rows, torn = d.rows()
    assert rc == 0 and torn == 0
    # three runs, each numbering its frames from 0, in order, whole
    starts = [i for i, r in enumerate(rows) if r["frame"] == 0]
    assert len(starts) == 3 and starts[0] == 0
    for a, b in zip(starts, starts[1:] + [len(rows)]):
        assert [r["frame"] for r in rows[a:b]] == list(range(b - a))
