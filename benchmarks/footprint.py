#!/usr/bin/env python3
"""Footprint of ``edge-tracker run``: peak RSS and start-up to the first processed frame.

Runs the real CLI as a child process (bundled student + teacher unless --student /
--teacher are given) on the visionworks clip with JSON Lines on stdout, and measures:

- ``startup_to_first_frame_s``: from spawning the process to reading the first JSONL
  line (interpreter start, imports, model loading, source open, first frame processed
  and written) -- the median over --repeat runs, each one listed;
- ``peak_rss_bytes``: the child's own peak resident memory, the larger of its last
  polled /proc VmHWM and ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it exited;
- ``tree_peak_rss_bytes``: the largest sum of VmRSS over the child and its descendants
  seen while polling every 20 ms (e.g. an FFmpeg reader process counts too).

Usage: python benchmarks/footprint.py [--max-frames N] [--repeat 3] [--json OUT]
Goals (issue 5): peak RSS <= 200 MB, start-up <= 2 s with the bundled models.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CLIP = DATA / "video" / "visionworks_pedestrians_960x540.mp4"
GOAL_RSS = 200 * 10**6   # "200 MB"
GOAL_STARTUP_S = 2.0
sys.path.insert(0, str(ROOT))

from edge_tracker.bench.machine import machine_info
from edge_tracker.bench.rss import current_rss_bytes, peak_rss_bytes


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            out += [int(c) for c in text.split()]
    except OSError:
        pass
    return out


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def run_once(cmd: list[str], timeout_s: float) -> dict:
    """One child run: start-up time, peak RSS figures, frames written, exit code."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=ROOT)
    first: list[float] = []
    lines = [0]

    def reader() -> None:
        for _ in proc.stdout:
            if not first:
                first.append(time.monotonic() - t0)
            lines[0] += 1

    err: list[bytes] = []
    th = threading.Thread(target=reader, daemon=True)
    th_err = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    th.start()
    th_err.start()
    hwm = 0
    tree_peak = 0
    while proc.poll() is None:
        if time.monotonic() - t0 > timeout_s:
            proc.kill()
            break
        try:
            hwm = max(hwm, peak_rss_bytes(proc.pid))
        except (ValueError, OSError):
            pass
        tree_peak = max(tree_peak, sum(current_rss_bytes(p) or 0 for p in _tree(proc.pid)))
        time.sleep(0.02)
    rc = proc.wait()
    th.join(5)
    th_err.join(5)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"exit_code": rc, "startup_to_first_frame_s": first[0] if first else None,
            "frames_written": lines[0], "wall_s": time.monotonic() - t0,
            "peak_rss_polled_bytes": hwm, "peak_rss_rusage_children_bytes": ru,
            "tree_peak_rss_bytes": tree_peak,
            "stderr_tail": (err[0] if err else b"").decode(errors="replace")[-600:]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(CLIP))
    ap.add_argument("--student", default=None, help="student model (default: bundled)")
    ap.add_argument("--teacher", default=None, help="teacher model (default: bundled)")
    ap.add_argument("--max-frames", type=int, default=0, help="0 = the whole clip")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--realtime", action="store_true")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--json", dest="json_out", default=None)
    args = ap.parse_args(argv)
    if not Path(args.source).exists():
        print(f"footprint: skipped: {args.source} not found (../shared/data absent)",
              file=sys.stderr)
        return 0
    exe = Path(sys.executable).with_name("edge-tracker")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "edge_tracker.cli"]
    cmd += ["--log-level", "WARNING", "run", "--source", args.source, "--output-jsonl", "-",
            "--no-http"]
    if args.student:
        cmd += ["--student", args.student]
    if args.teacher:
        cmd += ["--teacher", args.teacher]
    else:
        cmd += ["--set", "teacher.enabled=true"]
    if args.max_frames:
        cmd += ["--max-frames", str(args.max_frames)]
    if args.realtime:
        cmd += ["--realtime"]
    runs = []
    for i in range(args.repeat):
        r = run_once(cmd, args.timeout)
        runs.append(r)
        print(f"footprint run {i + 1}/{args.repeat}: exit {r['exit_code']}, start-up "
              f"{r['startup_to_first_frame_s']}, frames {r['frames_written']}, peak RSS "
              f"{r['peak_rss_polled_bytes'] / 1e6:.0f} MB", file=sys.stderr)
        if r["exit_code"] != 0:
            print(f"footprint: `{' '.join(cmd)}` failed:\n{r['stderr_tail']}", file=sys.stderr)
            return 1
    starts = [r["startup_to_first_frame_s"] for r in runs if r["startup_to_first_frame_s"]]
    peak = max(max(r["peak_rss_polled_bytes"], r["peak_rss_rusage_children_bytes"])
               for r in runs)
    result = {
        "benchmark": "footprint",
        "description": "edge-tracker run, " + ("bundled student" if not args.student
                                               else os.path.basename(args.student))
                       + " + " + ("bundled teacher" if not args.teacher
                                  else os.path.basename(args.teacher)),
        "command": cmd,
        "runs": runs,
        "frames": runs[-1]["frames_written"],
        "startup_to_first_frame_s": statistics.median(starts) if starts else None,
        "peak_rss_bytes": peak,
        "tree_peak_rss_bytes": max(r["tree_peak_rss_bytes"] for r in runs),
        "goal_peak_rss_bytes": GOAL_RSS,
        "goal_startup_s": GOAL_STARTUP_S,
        "peak_rss_goal_met": peak <= GOAL_RSS,
        "startup_goal_met": bool(starts) and statistics.median(starts) <= GOAL_STARTUP_S,
        "machine": machine_info(),
    }
    text = json.dumps(result, indent=2) + "\n"
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(text)
    else:
        sys.stdout.write(text)
    print(f"footprint: peak RSS {peak / 1e6:.0f} MB (goal 200), start-up "
          f"{result['startup_to_first_frame_s']} s (goal 2)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
