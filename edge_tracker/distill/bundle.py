"""Rebuild the bundled default models in ``edge_tracker/models/`` from ../shared/data.

Exact command (from the project root, with the ``train`` extra installed)::

    nice -n 10 python -m edge_tracker.distill.bundle --data ../shared/data \\
        --work /tmp/edge_tracker_bundle

It runs two ``distill`` jobs with the teacher YOLOX-nano-640 (raw output). Of every
frame source only the FIRST 70 % is trained on (the last 30 % is held out: the report's
quality numbers are measured there; (a) of benchmarks/distill_eval.py uses the last
30 % of the visionworks clip):

- student: 320x192 input, width 16, stride 4, attention-transfer feature loss, 1800
  steps, int8 -> ``edge_tracker/models/student.tflite`` (+ .json). Frames: visionworks,
  the first 70 % of the opentracker clip, the 8-frame 1920x1080 mmtracking street clip
  and OTB Crossing's images (``FRAMES``), with scale / crop / mosaic augmentation
  (augment.py) so people also appear at the sizes they have in 1080p street scenes at
  the student's input, plus flips and brightness / contrast jitter;
- teacher: 384x224 input, width 32, stride 4, float32 -> ``teacher.tflite`` (+ .json),
  about 5x the student's multiply-accumulates; visionworks + opentracker only, flips
  and brightness jitter only (``TEACHER_FRAMES``, ``scale_augment`` off).

MOT17-mini is NEVER trained on: its frames are the evaluation set of
benchmarks/distill_eval.py (person recall vs SSD). Frame paths are recorded in the
sidecars relative to ``--data`` (e.g. ``video/visionworks_pedestrians_960x540.mp4``).

``--only student|teacher`` rebuilds one. ``--ablations`` instead trains three short
student variants (same data, seed and step count) into ``--work`` and writes
``WORK/ablations.json``: attention-transfer feature loss vs none, and a prior-channel
student evaluated with teacher priors 0, 4 and 8 frames stale (and without a prior).
Nothing from ../shared/data is copied into the package; caches, checkpoints and reports
go to ``--work``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os

from .api import DistillConfig, run_distill

MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "models")
TEACHER = "models/yolox_nano_640/yolox_nano_640_raw.tflite"
# Training frames (the first 70 % of each; the last 30 % is held out for the report).
# NEVER mot/MOT17-mini: its frames are the evaluation set of benchmarks/distill_eval.py.
FRAMES = ("video/visionworks_pedestrians_960x540.mp4",       # train 70 % / held-out 30 %
          "video/opentracker_oneperson_620x370.mp4@0:0.7",
          "video/mmtracking_demo_street_8f.mp4",              # 1920x1080 street
          "sot/Crossing/img")
TEACHER_FRAMES = FRAMES[:2]   # the bundled teacher was trained on these, no scale augment

STUDENT = {"in_w": 320, "in_h": 192, "width": 16, "stride": 4, "feature_loss": "attention",
           "steps": 1800, "batch": 16, "lr": 3e-3, "quantize": True}
TEACHER_NET = {"in_w": 384, "in_h": 224, "width": 32, "stride": 4, "scale_augment": False,
               "feature_loss": "attention", "steps": 400, "batch": 8, "lr": 3e-3,
               "quantize": False}


def config(kind: str, data: str, work: str, **over) -> DistillConfig:
    base = STUDENT if kind == "student" else TEACHER_NET
    params = {**base, **over}
    return DistillConfig(
        teacher=os.path.join(data, TEACHER),
        frames=tuple(os.path.join(data, f)
                     for f in (FRAMES if kind == "student" else TEACHER_FRAMES)),
        out=os.path.join(MODELS_DIR, f"{kind}.tflite"), train_fraction=0.7, seed=0,
        frames_root=data,
        cache_dir=os.path.join(work, "cache"), work_dir=os.path.join(work, kind),
        report=os.path.join(work, f"{kind}_report.json"), **params)


ABLATIONS = {
    "feature_attention": {"feature_loss": "attention"},
    "feature_none": {"feature_loss": "none"},
    "prior_channel": {"feature_loss": "attention", "prior_channel": True},
}


def run_ablations(data: str, work: str, steps: int, names: list[str] | None = None) -> dict:
    """Train the ABLATIONS variants for ``steps`` steps each; summary dict (also on disk)."""
    import json

    summary = {}
    for name, over in ABLATIONS.items():
        if names and name not in names:
            continue
        sub = os.path.join(work, f"ablation_{name}")
        cfg = config("student", data, work, steps=steps, **over)
        cfg = dataclasses.replace(cfg, out=os.path.join(sub, "model.tflite"), work_dir=sub,
                                  report=os.path.join(sub, "report.json"))
        rep = run_distill(cfg)
        summary[name] = {"quality": {k: v["all"] for k, v in rep["quality"].items()},
                         "agreement": rep["agreement"], "steps": steps,
                         "train_seconds": rep["train_seconds"],
                         "final_det_loss": rep["history"]["det"][-1]}
        with open(os.path.join(work, f"ablation_{name}.json"), "w") as fh:
            json.dump(summary[name], fh, indent=1)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(os.getcwd(), "..", "shared", "data"))
    ap.add_argument("--work", default="/tmp/edge_tracker_bundle")
    ap.add_argument("--only", choices=["student", "teacher"], default=None)
    ap.add_argument("--ablations", nargs="*", default=None, choices=list(ABLATIONS),
                    help="train the ablation variants (all when no name is given)")
    ap.add_argument("--ablation-steps", type=int, default=250)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.ablations is not None:
        run_ablations(args.data, args.work, args.ablation_steps, args.ablations)
        return 0
    for kind in ("student", "teacher"):
        if args.only in (None, kind):
            run_distill(config(kind, args.data, args.work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
