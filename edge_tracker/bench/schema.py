"""Schema and sanity checks of benchmark JSON: required keys, positive numbers, ordered
percentiles. Used by the tests and by benchmarks/run_all.sh after each run; never a
speed threshold.
"""

from __future__ import annotations

import math
from itertools import pairwise

from .stats import STAT_KEYS

LATENCY_KEYS = ("model_size_bytes", "init_ms", "first_invoke_ms", "warmup_mean_ms",
                "invoke_ms", "preprocess_ms", "decode_ms", "peak_rss_bytes", "runtime",
                "threads", "bare_invoke_ms_p50", "rss_growth_bytes", "machine")
LATENCY_STATS = ("invoke_ms", "preprocess_ms", "decode_ms", "bare_invoke_ms")
PIPELINE_KEYS = ("fps", "stages", "frame_latency_ms", "teacher_runs", "deadline_misses",
                 "frames", "frame_wall_ms", "overhead_ratio", "peak_rss_bytes", "machine")
MACHINE_KEYS = ("cpu", "cores", "governor", "runtime", "python", "numpy", "date")


def _num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)


def stat_problems(name: str, s: object, full: bool = True) -> list[str]:
    """Problems of one stats object: keys present, numbers positive, min <= p50 <= p95 <=
    p99 <= max. ``full`` False checks only {p50, p95, p99}."""
    if not isinstance(s, dict):
        return [f"{name}: expected an object, got {type(s).__name__}"]
    keys = STAT_KEYS if full else ("p50", "p95", "p99")
    missing = [k for k in keys if k not in s]
    if missing:
        return [f"{name}: missing {missing}"]
    if full and s["count"] == 0:
        return [] if all(s[k] is None for k in keys[1:]) else [f"{name}: count 0 with values"]
    bad = [k for k in keys if not _num(s[k]) or s[k] < 0 or (k != "std" and s[k] <= 0)]
    if bad:
        return [f"{name}: not positive numbers: {bad} in {s}"]
    order = (["min"] if full else []) + ["p50", "p95", "p99"] + (["max"] if full else [])
    vals = [s[k] for k in order]
    if any(a > b * (1 + 1e-9) for a, b in pairwise(vals)):
        return [f"{name}: percentiles out of order {dict(zip(order, vals))}"]
    if full and not s["min"] <= s["mean"] <= s["max"]:
        return [f"{name}: mean outside [min, max]"]
    return []


def latency_problems(d: dict) -> list[str]:
    """Everything wrong with a ``bench latency`` result (empty list = sane)."""
    out = [f"missing key {k}" for k in LATENCY_KEYS if k not in d]
    if out:
        return out
    for k in LATENCY_STATS:
        out += stat_problems(k, d[k])
    if d["invoke_ms"]["count"] == 0:
        out.append("invoke_ms: no samples")
    for k in ("model_size_bytes", "init_ms", "first_invoke_ms", "peak_rss_bytes",
              "bare_invoke_ms_p50", "threads"):
        if not _num(d[k]) or d[k] <= 0:
            out.append(f"{k} must be a positive number, got {d[k]!r}")
    if d["warmup_mean_ms"] is not None and (not _num(d["warmup_mean_ms"])
                                            or d["warmup_mean_ms"] <= 0):
        out.append(f"warmup_mean_ms must be positive or null, got {d['warmup_mean_ms']!r}")
    if not isinstance(d["runtime"], str) or not d["runtime"]:
        out.append("runtime must be a non-empty string")
    out += machine_problems(d["machine"])
    return out


def pipeline_problems(d: dict) -> list[str]:
    """Everything wrong with a ``bench pipeline`` result (empty list = sane)."""
    out = [f"missing key {k}" for k in PIPELINE_KEYS if k not in d]
    if out:
        return out
    if not isinstance(d["frames"], int) or d["frames"] <= 0:
        out.append(f"frames must be a positive integer, got {d['frames']!r}")
    if not _num(d["fps"]) or d["fps"] <= 0:
        out.append(f"fps must be positive, got {d['fps']!r}")
    if not isinstance(d["stages"], dict) or not d["stages"]:
        out.append("stages must be a non-empty object")
    else:
        for name, s in d["stages"].items():
            out += stat_problems(f"stages.{name}", s, full=False)
    out += stat_problems("frame_latency_ms", d["frame_latency_ms"], full=False)
    out += stat_problems("frame_wall_ms", d["frame_wall_ms"])
    for k in ("teacher_runs", "deadline_misses"):
        if not isinstance(d[k], int) or d[k] < 0:
            out.append(f"{k} must be a non-negative integer, got {d[k]!r}")
    if isinstance(d["teacher_runs"], int) and isinstance(d["frames"], int) \
            and d["teacher_runs"] > d["frames"]:
        out.append("teacher_runs > frames")
    if d["overhead_ratio"] is not None and (not _num(d["overhead_ratio"])
                                            or d["overhead_ratio"] <= 0):
        out.append(f"overhead_ratio must be positive or null, got {d['overhead_ratio']!r}")
    out += machine_problems(d["machine"])
    return out


def machine_problems(m: object) -> list[str]:
    if not isinstance(m, dict):
        return ["machine must be an object"]
    out = [f"machine: missing {k}" for k in MACHINE_KEYS if k not in m]
    if not out and (not isinstance(m["cores"], int) or m["cores"] < 1):
        out.append(f"machine.cores must be >= 1, got {m['cores']!r}")
    return out
