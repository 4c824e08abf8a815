"""``edge-tracker sot``: follow one target with the correlation-filter tracker.

  edge-tracker sot --source VIDEO|IMAGE_DIR|URL --init x,y,w,h [--output-jsonl P]
  edge-tracker sot --source VIDEO --init-label person [--detector MODEL]

--features: handcrafted (default; HOG-lite + colour, no model), learned (the bundled
distilled int8 net), hybrid (net + hand-crafted channels), auto (hybrid when the net is
bundled, else handcrafted), or the path of a feature .tflite (learned).
--init-label picks the highest-scoring detection of that class on the first frame (the
detector given by --detector, else the bundled student); the same detector re-detects the
target when the tracker's confidence drops (unless --no-redetect).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("sot", help="follow one target (correlation-filter tracker)",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", required=True, metavar="VIDEO|IMAGE_DIR|URL|CAMERA_INDEX")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--init", metavar="x,y,w,h", help="target box on the first frame (pixels)")
    g.add_argument("--init-label", metavar="LABEL",
                   help="detect this class on the first frame and follow the best one")
    p.add_argument("--detector", metavar="MODEL",
                   help="detector .tflite for --init-label / re-detection (default: bundled "
                        "student)")
    p.add_argument("--output-jsonl", metavar="PATH", help="JSON Lines output ('-' = stdout)")
    p.add_argument("--features", default="handcrafted",
                   metavar="handcrafted|learned|hybrid|auto|MODEL")
    p.add_argument("--max-frames", type=int, default=0, metavar="N")
    p.add_argument("--threads", type=int, default=1, help="LiteRT threads (features, detector)")
    p.add_argument("--no-redetect", action="store_true",
                   help="never re-detect when confidence drops")
    p.add_argument("--camera-id", default="cam0")
    p.set_defaults(func=main)


def _box(text: str) -> tuple[float, float, float, float]:
    from ..errors import ConfigError

    try:
        vals = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        vals = ()
    if len(vals) != 4:
        raise ConfigError("--init", f"expected x,y,w,h (4 numbers), got {text!r}")
    if vals[2] <= 0 or vals[3] <= 0:
        raise ConfigError("--init", f"width and height must be > 0, got {text!r}")
    return vals  # type: ignore[return-value]


def main(args: argparse.Namespace) -> int:
    from ..configbase import build
    from ..sot.session import SessionConfig, run_single
    from ..sot.tracker import SotConfig

    if args.features in ("auto", "handcrafted", "learned", "hybrid"):
        sot_data: dict = {"features": args.features}
    else:
        sot_data = {"features": "learned", "feature_model": args.features}
    sot_cfg = build(SotConfig, dict(sot_data, num_threads=args.threads), "sot")
    session = build(SessionConfig, {
        "source": args.source,
        "init_box": list(_box(args.init)) if args.init else None,
        "init_label": args.init_label,
        "output_jsonl": args.output_jsonl,
        "max_frames": args.max_frames,
        "camera_id": args.camera_id,
        "redetect": not args.no_redetect,
    }, "")
    detector = None
    if args.init_label or (args.detector and not args.no_redetect):
        from ..detect.detector import Detector, DetectorConfig

        default = None
        if not args.detector:
            from ..models import default_model

            default = default_model("student")
        det_cfg = build(DetectorConfig, {"model": args.detector, "num_threads": args.threads,
                                         "classes": [args.init_label or "person"]}, "detector")
        detector = Detector.from_config(det_cfg, default_model=default)
    summary = run_single(session, sot_cfg, detector)
    print(f"sot: {summary.frames} frames, {summary.fps:.1f} fps (tracker), lost "
          f"{summary.lost_frames}, re-detections {summary.redetections}, init "
          f"{list(summary.init_box)}, last {list(summary.last_box)}")
    return 0
