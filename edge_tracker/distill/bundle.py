"""Rebuild the bundled default models in ``edge_tracker/models/`` from ../shared/data.

Exact command (from the project root, with the ``train`` extra installed)::

    nice -n 10 python -m edge_tracker.distill.bundle --data ../shared/data \\
        --work /tmp/edge_tracker_bundle

It runs two ``distill`` jobs with the teacher YOLOX-nano-640 (raw output) on the
FIRST 70 % of the visionworks clip (the last 30 % is held out: the report's quality
numbers are measured there) plus the first 70 % of the opentracker clip:

- student: 320x192 input, width 16, stride 4, attention-transfer feature loss,
  int8 -> ``edge_tracker/models/student.tflite`` (+ .json);
- teacher: 384x224 input, width 32, stride 4, float32 -> ``teacher.tflite`` (+ .json),
  about 5x the student's multiply-accumulates.

``--only student|teacher`` rebuilds one. Nothing from ../shared/data is copied into
the package; caches, checkpoints and reports go to ``--work``.
"""

from __future__ import annotations

import argparse
import logging
import os

from .api import DistillConfig, run_distill

MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "models")
TEACHER = "models/yolox_nano_640/yolox_nano_640_raw.tflite"
FRAMES = ("video/visionworks_pedestrians_960x540.mp4",       # train 70 % / held-out 30 %
          "video/opentracker_oneperson_620x370.mp4@0:0.7")

STUDENT = {"in_w": 320, "in_h": 192, "width": 16, "stride": 4, "feature_loss": "attention",
           "steps": 900, "batch": 16, "lr": 3e-3, "quantize": True}
TEACHER_NET = {"in_w": 384, "in_h": 224, "width": 32, "stride": 4,
               "feature_loss": "attention", "steps": 400, "batch": 8, "lr": 3e-3,
               "quantize": False}


def config(kind: str, data: str, work: str, **over) -> DistillConfig:
    base = STUDENT if kind == "student" else TEACHER_NET
    params = {**base, **over}
    return DistillConfig(
        teacher=os.path.join(data, TEACHER),
        frames=tuple(os.path.join(data, f) for f in FRAMES),
        out=os.path.join(MODELS_DIR, f"{kind}.tflite"), train_fraction=0.7, seed=0,
        cache_dir=os.path.join(work, "cache"), work_dir=os.path.join(work, kind),
        report=os.path.join(work, f"{kind}_report.json"), **params)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(os.getcwd(), "..", "shared", "data"))
    ap.add_argument("--work", default="/tmp/edge_tracker_bundle")
    ap.add_argument("--only", choices=["student", "teacher"], default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for kind in ("student", "teacher"):
        if args.only in (None, kind):
            run_distill(config(kind, args.data, args.work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
