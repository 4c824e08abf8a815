"""Distillation report: ``REPORT.json`` (settings, history, evaluation) and ``REPORT.png``
(loss curves; precision/recall/F1 against the teacher on held-out frames)."""

from __future__ import annotations

import json
import os


def write_report(path_json: str, report: dict) -> str:
    """Write the JSON and a PNG next to it (same stem); returns the PNG path."""
    os.makedirs(os.path.dirname(os.path.abspath(path_json)), exist_ok=True)
    with open(path_json, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1, sort_keys=True, default=float)
        fh.write("\n")
    png = os.path.splitext(path_json)[0] + ".png"
    plot(report, png)
    return png


def plot(report: dict, png: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hist = report.get("history", {})
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for key in ("loss", "det", "heatmap", "size", "offset", "feature"):
        vals = hist.get(key) or []
        if vals and any(v != 0 for v in vals):
            a1.plot(hist["step"], vals, label=key)
    a1.set_yscale("log")
    a1.set_xlabel("step")
    a1.set_title("training losses")
    a1.legend(fontsize=8)
    quality = report.get("quality", {})
    names = list(quality)
    for k, metric in enumerate(("precision", "recall", "f1")):
        vals = [quality[n]["all"][metric] for n in names]
        a2.bar([i + 0.27 * (k - 1) for i in range(len(names))], vals, width=0.27, label=metric)
    a2.set_xticks(range(len(names)))
    a2.set_xticklabels(names, rotation=15, fontsize=8)
    a2.set_ylim(0, 1)
    a2.set_title("held-out detections vs teacher (IoU 0.5, score 0.3)")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    plt.close(fig)
