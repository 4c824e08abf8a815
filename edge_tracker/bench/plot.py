"""PNG of a pipeline benchmark: per-stage latency distributions and the teacher's time line."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def plot_pipeline(result: dict, series: Any, out_png: str) -> str:
    """Two panels: box plots of each stage (ms, log scale) and, against run time, the
    frame wall/latency with the teacher's runs (ticks) and busy spans. Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 8), gridspec_kw={"height_ratios": [1, 1]})
    names = sorted(series.stages)
    data = [np.asarray(series.stages[n]) * 1e3 for n in names]
    names += ["frame wall", "capture->result"]
    data += [np.asarray(series.wall) * 1e3, np.asarray(series.latency) * 1e3]
    data = [d[np.isfinite(d)] for d in data]
    data = [d if d.size else np.array([np.nan]) for d in data]
    ax1.boxplot(data, whis=(1, 99), showfliers=False)
    ax1.set_xticks(range(1, len(names) + 1), names, rotation=20)
    ax1.set_yscale("log")
    ax1.set_ylabel("ms (box: p25-p75, whiskers p1-p99)")
    ax1.set_title(f"per-stage latency, {result['frames']} frames, "
                  f"{result['fps']:.1f} fps, overhead ratio "
                  f"{result['overhead_ratio']:.2f}" if result.get("overhead_ratio")
                  else f"per-stage latency, {result['frames']} frames")
    t = np.asarray(series.t)
    ax2.plot(t, np.asarray(series.wall) * 1e3, ".", ms=2, label="frame wall")
    if series.latency_t:
        lt = np.asarray(series.latency_t, dtype=np.float64)
        ax2.plot(lt[:, 0], lt[:, 1] * 1e3, ".", ms=2, alpha=0.7, label="capture->result")
    for i, (a, b) in enumerate(series.pauses):
        ax2.axvspan(a, b, color="grey", alpha=0.15, lw=0,
                    label="bench: bare student block" if i == 0 else None)
    if result.get("deadline_period_ms"):
        ax2.axhline(result["deadline_period_ms"], color="r", ls="--", lw=0.8,
                    label="frame period")
    for start, dur in series.teacher_busy:
        ax2.axvspan(start, start + dur, color="orange", alpha=0.25, lw=0)
    if series.teacher_t:
        ymax = ax2.get_ylim()[1]
        ax2.plot(series.teacher_t, [ymax * 0.97] * len(series.teacher_t), "|", color="orange",
                 ms=10, label=f"teacher runs ({result['teacher_runs']})")
    ax2.set_xlabel("run time (s)")
    ax2.set_ylabel("ms (log)")
    ax2.set_yscale("log")
    ax2.legend(loc="upper right", fontsize=8)
    ax2.set_title("frame time line and teacher activity")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png
