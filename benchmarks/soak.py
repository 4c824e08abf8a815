#!/usr/bin/env python3
"""Soak: ``edge-tracker run`` for N minutes at the source frame rate, teacher on budget,
resident memory sampled every second; checks that no output line was lost or torn.

The clip loops (``source.loop``) and is paced (``--realtime``); the daemon writes JSON
Lines to a file; at the end it gets SIGTERM and must exit 0 with every line whole.

RSS growth = median VmRSS of the last 30 s (10 s in runs under 2 minutes) minus the
median of the 30 s (10 s) after the warm-up (default: the first 20% of the run, at most
60 s) -- the warm-up covers allocator growth, the teacher's first runs and caches.
Goal (issue 8): growth < 5 MB over 10 minutes.

Usage: python benchmarks/soak.py [--minutes 10] [--json OUT] [--student M] [--teacher M]
The fault suite runs it shortened (tests/faults/test_soak.py, SOAK_SECONDS, default 60).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CLIP = DATA / "video" / "visionworks_pedestrians_960x540.mp4"
SSD = DATA / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
YOLOX416 = DATA / "models" / "yolox_nano_416" / "yolox_nano_416_decoded.tflite"
GOAL_GROWTH_MB = 5.0


def rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_jsonl(path: Path) -> dict:
    """Lines, torn lines (not JSON / no newline at the end) and gaps in frame numbers."""
    if not path.exists():
        return {"lines": 0, "torn": 0, "gaps": 0, "first_frame": None, "last_frame": None}
    raw = path.read_bytes()
    parts = raw.split(b"\n")
    torn = 0 if raw.endswith(b"\n") or not raw else 1  # a last line without its newline
    frames = []
    for part in parts[:-1]:  # the last part is b"" or a line without its newline
        try:
            frames.append(int(json.loads(part)["frame"]))
        except (ValueError, KeyError, TypeError):
            torn += 1
    gaps = sum(max(b - a - 1, 0) for a, b in pairwise(frames))
    return {"lines": len(frames), "torn": torn, "gaps": gaps,
            "first_frame": frames[0] if frames else None,
            "last_frame": frames[-1] if frames else None}


def run_soak(seconds: float, out_dir: Path, student: str | None = None,
             teacher: str | None = None, source: str = str(CLIP),
             warmup_s: float | None = None, budget: float = 0.25) -> dict:
    """Run the daemon for ``seconds``, return the JSON-ready result."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jsonl = out_dir / "soak_tracks.jsonl"
    for old in out_dir.glob("soak_tracks.jsonl*"):
        old.unlink()
    exe = Path(sys.executable).with_name("edge-tracker")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "edge_tracker.cli"]
    cmd += ["--log-level", "WARNING", "run", "--source", source, "--realtime", "--no-http",
            "--output-jsonl", str(jsonl), "--set", "source.loop=true",
            "--set", "teacher.enabled=true", "--set", "teacher.policy=budget",
            "--set", f"teacher.budget={budget}", "--set", "logging.status_interval_s=0"]
    if student:
        cmd += ["--student", student]
    if teacher:
        cmd += ["--teacher", teacher]
    warmup = warmup_s if warmup_s is not None else min(60.0, 0.2 * seconds)
    window = 30.0 if seconds >= 120 else 10.0
    log = (out_dir / "soak_stderr.log").open("wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT)
    samples: list[tuple[float, int]] = []
    try:
        while time.monotonic() - t0 < seconds and proc.poll() is None:
            r = rss_bytes(proc.pid)
            if r is not None:
                samples.append((time.monotonic() - t0, r))
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0) % 1.0))
        alive = proc.poll() is None
        if alive:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    finally:
        log.close()
    elapsed = time.monotonic() - t0
    base = [r for t, r in samples if warmup <= t < warmup + window]
    last = [r for t, r in samples if t >= elapsed - window - 1.5]
    growth = (statistics.median(last) - statistics.median(base)) / 1e6 if base and last else None
    out = check_jsonl(jsonl)
    stderr_tail = (out_dir / "soak_stderr.log").read_bytes()[-1500:].decode(errors="replace")
    return {
        "benchmark": "soak",
        "command": cmd,
        "seconds": elapsed,
        "soak_minutes": elapsed / 60.0,
        "alive_at_end": alive,
        "exit_code": code,
        "samples": len(samples),
        "rss_first_mb": samples[0][1] / 1e6 if samples else None,
        "rss_base_mb": statistics.median(base) / 1e6 if base else None,
        "rss_last_mb": statistics.median(last) / 1e6 if last else None,
        "rss_peak_mb": max(r for _, r in samples) / 1e6 if samples else None,
        "soak_rss_growth_mb": growth,
        "goal_growth_mb": GOAL_GROWTH_MB,
        "warmup_s": warmup,
        "window_s": window,
        "output": out,
        "output_lines_lost": out["torn"] + out["gaps"],
        "rss_series": [[round(t, 2), r] for t, r in samples],
        "stderr_tail": stderr_tail,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--student", default=None, help="default: bundled, else SSD from shared data")
    ap.add_argument("--teacher", default=None,
                    help="default: bundled, else YOLOX-nano-416 from shared data")
    ap.add_argument("--budget", type=float, default=0.25)
    ap.add_argument("--out-dir", default="/tmp/edge_tracker_soak")
    ap.add_argument("--json", dest="json_out", default=None)
    args = ap.parse_args(argv)
    if not CLIP.exists():
        print(f"soak: skipped: {CLIP} not found (../shared/data absent)", file=sys.stderr)
        return 0
    bundled = ROOT / "edge_tracker" / "models"
    student = args.student or (None if (bundled / "student.tflite").exists() else str(SSD))
    teacher = args.teacher or (None if (bundled / "teacher.tflite").exists() else str(YOLOX416))
    r = run_soak(args.minutes * 60, Path(args.out_dir), student, teacher, budget=args.budget)
    text = json.dumps(r, indent=2) + "\n"
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(text)
    else:
        sys.stdout.write(text)
    print(f"soak: {r['soak_minutes']:.1f} min, RSS growth {r['soak_rss_growth_mb']} MB "
          f"(goal < 5), lines {r['output']['lines']}, lost {r['output_lines_lost']}, "
          f"exit {r['exit_code']}", file=sys.stderr)
    return 0 if r["exit_code"] == 0 and r["alive_at_end"] else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
