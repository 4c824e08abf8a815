"""Bundled student/teacher vs their YOLOX-nano-640 teacher and vs SSD int8 (issue 6 goals).

Measured in one run, written to benchmarks/results/distill_eval.json (+ .png):

(a) agreement with the YOLOX-nano-640 teacher on the LAST 30 % of the visionworks
    clip (never used for training): the teacher's person detections (score >= 0.3)
    are the reference; student detections (score >= 0.3) match at IoU 0.5;
    precision / recall / F1. The bundled teacher is measured the same way.
(b) MOT17-mini person recall / precision against real ground truth (the project's
    ``eval detections`` rules: evaluation/detection.py, IoU 0.5, score 0.3; both the
    default visibility rule and ``min_visibility 0.5`` which reproduces the data
    README's SSD 0.15 / 0.25), plus single-thread median invoke time of each model,
    interleaved (student, SSD, ...) in rounds so machine load hits all alike.

Usage: nice -n 10 .venv/bin/python benchmarks/distill_eval.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
sys.path.insert(0, str(ROOT))

from edge_tracker.detect.detector import Detector, DetectorConfig
from edge_tracker.distill.evaluate import Counts
from edge_tracker.distill.frames import FrameSource, iter_frames
from edge_tracker.evaluation.detection import evaluate_detections
from edge_tracker.models import default_model

YOLOX640 = DATA / "models/yolox_nano_640/yolox_nano_640_raw.tflite"
SSD = DATA / "models/ssd_mobilenet_v1_quant/ssd_mobilenet_v1_quant.tflite"
CLIP = DATA / "video/visionworks_pedestrians_960x540.mp4"
MOT = DATA / "mot/MOT17-mini"


def det(path: str, score: float = 0.3) -> Detector:
    return Detector.from_config(DetectorConfig(model=str(path), score_threshold=score,
                                               num_threads=1))


def vs_teacher(models: dict[str, str]) -> dict:
    """(a): F1 of each model against the YOLOX-640 teacher on visionworks' last 30 %."""
    teacher = det(YOLOX640)
    dets = {k: det(v) for k, v in models.items()}
    counts = {k: Counts() for k in models}
    n = 0
    for i, img in iter_frames(FrameSource(str(CLIP), 0.7, 1.0)):
        ref = teacher.detect(img, i).boxes
        for k, d in dets.items():
            r = d.detect(img, i)
            counts[k].add(r.boxes, r.scores, ref)
        n += 1
    return {"frames": n, "first_frame_fraction": 0.7,
            **{k: c.summary() for k, c in counts.items()}}


def invoke_times(models: dict[str, str], rounds: int) -> dict:
    """Median single-thread invoke seconds, models interleaved round by round."""
    ds = {k: det(v) for k, v in models.items()}
    for d in ds.values():
        x = np.zeros(d.model.input.shape, d.model.input.dtype)
        d.model.set_input(x)
        d.model.invoke()
    times = {k: [] for k in ds}
    for _ in range(rounds):
        for k, d in ds.items():
            t = time.perf_counter()
            d.model.invoke()
            times[k].append(time.perf_counter() - t)
    return {k: {"median_s": float(np.median(v)), "p90_s": float(np.percentile(v, 90))}
            for k, v in times.items()}


def plot(res: dict, png: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(14, 4))
    names = [k for k in res["vs_teacher"] if k not in ("frames", "first_frame_fraction")]
    for j, m in enumerate(("precision", "recall", "f1")):
        a1.bar([i + 0.27 * (j - 1) for i in range(len(names))],
               [res["vs_teacher"][k][m] for k in names], width=0.27, label=m)
    a1.set_xticks(range(len(names)), names)
    a1.set_ylim(0, 1)
    a1.set_title("vs YOLOX-640 teacher, visionworks last 30%")
    a1.legend(fontsize=8)
    mot = res["mot17_mini_vis0.5"]
    for k, v in mot.items():
        a2.scatter(v["recall"], v["precision"], label=k)
    a2.set_xlabel("recall")
    a2.set_ylabel("precision")
    a2.set_xlim(0, 1)
    a2.set_ylim(0, 1)
    a2.set_title("MOT17-mini persons (vis>=0.5, IoU 0.5, score 0.3)")
    a2.legend(fontsize=8)
    inv = res["invoke"]
    a3.bar(list(inv), [v["median_s"] * 1e3 for v in inv.values()])
    a3.set_ylabel("ms (median, 1 thread)")
    a3.set_title("invoke time")
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/distill_eval.json"))
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skip: {DATA} (../shared/data) absent: no teacher model, clip or MOT17-mini")
        return 0
    student, teacher = default_model("student"), default_model("teacher")
    res: dict = {"student": student, "teacher": teacher}
    res["vs_teacher"] = vs_teacher({"student": student, "bundled_teacher": teacher})
    res["mot17_mini"], res["mot17_mini_vis0.5"] = {}, {}
    for k, path in (("student", student), ("ssd_int8", SSD), ("bundled_teacher", teacher)):
        for key, vis in (("mot17_mini", 0.0), ("mot17_mini_vis0.5", 0.5)):
            r = evaluate_detections(DetectorConfig(model=str(path), num_threads=1), str(MOT),
                                    min_visibility=vis)
            res[key][k] = {m: r[m] for m in ("recall", "precision", "ap50", "gt_boxes", "tp",
                                             "fp")}
    res["invoke"] = invoke_times({"student": student, "ssd_int8": str(SSD),
                                  "bundled_teacher": teacher}, args.rounds)
    inv, mot = res["invoke"], res["mot17_mini_vis0.5"]
    res["goals"] = {
        "a_student_f1_ge_0.70": res["vs_teacher"]["student"]["f1"] >= 0.70,
        "b_recall_ge_ssd": mot["student"]["recall"] >= mot["ssd_int8"]["recall"],
        "b_precision_ge_ssd": mot["student"]["precision"] >= mot["ssd_int8"]["precision"],
        "b_invoke_le_third_of_ssd":
            inv["student"]["median_s"] <= inv["ssd_int8"]["median_s"] / 3,
        "invoke_ratio_ssd_over_student": inv["ssd_int8"]["median_s"] / inv["student"]["median_s"],
    }
    for name in ("student", "teacher"):
        with open(os.path.splitext(res[name])[0] + ".json") as fh:
            m = json.load(fh)
        res[f"{name}_macs"] = m.get("macs")
        res[f"{name}_bytes"] = os.path.getsize(res[name])
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(res, fh, indent=1)
    plot(res, os.path.splitext(args.out)[0] + ".png")
    print(json.dumps({k: res[k] for k in ("vs_teacher", "mot17_mini_vis0.5", "invoke", "goals")},
                     indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
