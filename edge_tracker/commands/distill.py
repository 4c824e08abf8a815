"""``edge-tracker distill``: distill a teacher .tflite into a small int8 CenterNet student.

Example (the bundled student; see edge_tracker/distill/bundle.py):
  edge-tracker distill --teacher yolox_nano_640_raw.tflite \\
      --frames visionworks_pedestrians_960x540.mp4 --train-fraction 0.7 \\
      --out student.tflite --input 320x192 --width 16 --steps 1500 --seed 0
``--task sot`` distills a single-object-tracking feature extractor instead
(edge_tracker.distill.sot_features).
"""

from __future__ import annotations

from ..errors import ConfigError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise ConfigError("--input", f"expected WIDTHxHEIGHT like 320x192, got {text!r}") from exc
    return w, h


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("distill", help="distill a teacher model into a small student",
                              description=__doc__.split("\n")[0])
    p.add_argument("--task", choices=["detect", "sot"], default="detect")
    p.add_argument("--teacher", required=True, help="teacher .tflite")
    p.add_argument("--frames", action="append", required=True,
                   help="video file or image folder, optionally PATH@START:END fractions; "
                        "repeatable")
    p.add_argument("--out", required=True, help="student .tflite to write (+ .json sidecar)")
    p.add_argument("--input", default="320x192", help="student input WIDTHxHEIGHT")
    p.add_argument("--width", type=int, default=16, help="student stem channels")
    p.add_argument("--stride", type=int, default=4, choices=[4, 8], help="output stride")
    p.add_argument("--prior-channel", action="store_true",
                   help="4th input channel: prior heatmap from earlier teacher boxes")
    p.add_argument("--feature-loss", choices=["attention", "fidelity", "none"],
                   default="attention")
    p.add_argument("--feature-weight", type=float, default=1.0)
    p.add_argument("--teacher-feature", default=None,
                   help="teacher tensor name for the feature loss (see `edge-tracker features`)")
    p.add_argument("--epochs", type=float, default=0.0,
                   help="passes over the training frames (overrides --steps when > 0)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-fraction", type=float, default=0.7,
                   help="first fraction of each frame source used for training; the rest "
                        "is held out for evaluation")
    p.add_argument("--float", dest="quantize", action="store_false",
                   help="export float32 instead of full-integer int8")
    p.add_argument("--max-staleness", type=int, default=8)
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--work-dir", default=None, help="checkpoints (resumable) and report")
    p.add_argument("--report", default=None, help="report JSON path (PNG beside it)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-scale-augment", dest="scale_augment", action="store_false",
                   help="train without zoom / crop / mosaic augmentation (flips and "
                        "brightness jitter only)")
    p.add_argument("--frames-root", default=None,
                   help="record the --frames paths in the model metadata relative to this "
                        "folder (default: as given)")
    p.set_defaults(func=main)


def main(args) -> int:
    if args.task == "sot":
        from ..distill.sot_features import distill_sot

        distill_sot(teacher=args.teacher, frames=list(args.frames), out=args.out,
                    epochs=args.epochs, seed=args.seed, width=args.width)
        return 0
    from ..configbase import build
    from ..distill.api import DEFAULT_TEACHER_FEATURE, DistillConfig, run_distill

    w, h = _size(args.input)
    cfg = build(DistillConfig, {
        "teacher": args.teacher, "frames": tuple(args.frames), "out": args.out,
        "in_w": w, "in_h": h, "width": args.width, "stride": args.stride,
        "prior_channel": args.prior_channel, "feature_loss": args.feature_loss,
        "feature_weight": args.feature_weight,
        "teacher_feature": args.teacher_feature or DEFAULT_TEACHER_FEATURE,
        "epochs": args.epochs, "steps": args.steps, "batch": args.batch, "lr": args.lr,
        "seed": args.seed, "train_fraction": args.train_fraction, "quantize": args.quantize,
        "max_staleness": args.max_staleness, "cache_dir": args.cache_dir,
        "work_dir": args.work_dir, "report": args.report, "num_threads": args.threads,
        "scale_augment": args.scale_augment, "frames_root": args.frames_root,
    }, "distill")
    run_distill(cfg)
    return 0
