"""``edge-tracker eval``: ``detections`` (detector vs MOT ground truth) and ``mot``
(tracker replay of MOT detections; implemented in evaluation/mot_replay.py)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

MOT_REPLAY = "edge_tracker.evaluation.mot_replay"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="evaluate detections or tracking on MOT data",
                              description="Evaluation against MOTChallenge ground truth.")
    sub = p.add_subparsers(dest="eval_command", metavar="WHAT")
    sub.required = True

    d = sub.add_parser("detections", help="person detection recall/precision/AP50",
                       description="Detect every frame of every sequence with img1/ in "
                                   "--mot-dir and match to the ground truth (class 1, "
                                   "visibility > 0, IoU 0.5).")
    d.add_argument("--model", required=True, help=".tflite detector")
    d.add_argument("--mot-dir", required=True, help="folder of sequences with img1/ and gt/")
    d.add_argument("--score", type=float, default=0.3,
                   help="score threshold for recall/precision (default 0.3)")
    d.add_argument("--iou", type=float, default=0.5, help="match IoU (default 0.5)")
    d.add_argument("--min-visibility", type=float, default=0.0,
                   help="count GT boxes with visibility >= this (default 0: visibility > 0; "
                        "0.5 reproduces the shared data README's reference recalls)")
    d.add_argument("--threads", type=int, default=1, help="interpreter threads (default 1)")
    d.add_argument("--type", default="auto",
                   choices=("auto", "ssd", "yolox", "yolov8", "centernet"),
                   help="decoder type (default: auto-detect)")
    d.add_argument("--labels", default=None, help="label file (default: metadata or COCO)")
    d.add_argument("--json", dest="json_out", default=None, help="write the summary JSON here")
    d.set_defaults(func=main_detections)

    m = sub.add_parser("mot", help="replay MOT detections through the tracker",
                       description="Feed every sequence's det/det.txt through the tracker "
                                   "and write MOTChallenge results.")
    try:
        replay = importlib.import_module(MOT_REPLAY)
    except ModuleNotFoundError as exc:
        if exc.name != MOT_REPLAY:
            raise
        # Accept the documented options so the user gets the clear error below.
        m.add_argument("--det-replay", default=None)
        m.add_argument("--out-dir", default=None)
        m.add_argument("--json", default=None)
        m.set_defaults(func=_mot_missing)
    else:
        replay.add_arguments(m)
        m.set_defaults(func=main_mot)


def _mot_missing(args: argparse.Namespace) -> int:
    print(f"edge-tracker eval mot: error: the tracker replay module {MOT_REPLAY} is not "
          f"available in this installation", file=sys.stderr)
    return 1


def main_mot(args: argparse.Namespace) -> int:
    replay = importlib.import_module(MOT_REPLAY)
    return int(replay.main_eval_mot(args) or 0)


def main_detections(args: argparse.Namespace) -> int:
    from ..configbase import build
    from ..detect.detector import DetectorConfig
    from ..evaluation.detection import evaluate_detections

    cfg = build(DetectorConfig, {"model": args.model, "num_threads": args.threads,
                                 "type": args.type, "labels": args.labels}, "eval")
    result = evaluate_detections(cfg, args.mot_dir, score=args.score, iou=args.iou,
                                 min_visibility=args.min_visibility)
    for name, r in result["sequences"].items():
        print(f"{name:20s} frames {r['frames']:4d}  gt {r['gt_boxes']:5d}  "
              f"recall {r['recall']:.3f}  precision {r['precision']:.3f}  ap50 {r['ap50']:.3f}")
    print(f"{'ALL':20s} frames {result['frames']:4d}  gt {result['gt_boxes']:5d}  "
          f"recall {result['recall']:.3f}  precision {result['precision']:.3f}  "
          f"ap50 {result['ap50']:.3f}  (score >= {args.score}, IoU {args.iou})")
    if args.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
    return 0


def main(args: argparse.Namespace) -> int:  # pragma: no cover - argparse dispatches
    return args.func(args)
