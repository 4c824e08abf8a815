"""``edge-tracker bench latency|pipeline``: on-device benchmarks writing JSON (+ PNG).

Module level imports nothing heavy; each sub-command builds a typed config and calls
``edge_tracker.bench.latency.run_latency`` or ``edge_tracker.bench.pipeline.run_pipeline``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bench", help="measure model and pipeline latency on this machine",
        description="On-device benchmarks. Results are JSON (see benchmarks/README.md).")
    sub = p.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    sub.required = True

    lat = sub.add_parser("latency", help="one model: init, invoke, preprocess, decode",
                         description="Latency of one model through the Detector, with a bare "
                                     "Interpreter.invoke() loop interleaved for comparison.")
    lat.add_argument("--model", required=True, help=".tflite model file")
    lat.add_argument("--threads", type=int, default=1, help="interpreter threads (default 1)")
    lat.add_argument("--runs", type=int, default=200, help="steady-state runs (default 200)")
    lat.add_argument("--warmup", type=int, default=10, help="warm-up invokes (default 10)")
    lat.add_argument("--block", type=int, default=1,
                     help="runs per interleaved tool/bare block (default 1)")
    lat.add_argument("--delegate", default=None,
                     help="'edgetpu' or the path of an external delegate library")
    lat.add_argument("--delegate-option", action="append", default=[], metavar="KEY=VALUE",
                     help="delegate option (repeatable)")
    lat.add_argument("--type", default="auto",
                     choices=["auto", "ssd", "yolox", "yolov8", "centernet"],
                     help="decoder (default: chosen from the model's outputs)")
    lat.add_argument("--frame", "--source", dest="frame", default=None,
                     help="image or video for the input picture (default: synthetic 960x540)")
    lat.add_argument("--frame-index", type=int, default=0, help="frame of the video to use")
    lat.add_argument("--json", dest="json_out", default=None,
                     help="write the result here (default: stdout)")
    lat.set_defaults(func=main_latency)

    pipe = sub.add_parser("pipeline", help="the daemon's frame loop on a file",
                          description="Runs the daemon's own Pipeline (built as `run` builds "
                                      "it) over a file and reports per-stage latency.")
    pipe.add_argument("--config", required=True, help="YAML config as for `run --config`")
    pipe.add_argument("--source", default=None, help="video file (overrides source.uri)")
    pipe.add_argument("--max-frames", type=int, default=None, help="stop after N frames")
    pipe.add_argument("--realtime", action="store_true",
                      help="pace the file at its frame rate (default: as fast as possible)")
    pipe.add_argument("--sync-source", action="store_true",
                      help="decode the file on the loop's thread between frames instead of "
                           "the daemon's reader thread (no decoding concurrent with the "
                           "pipeline: isolates the loop's own cost)")
    pipe.add_argument("--no-teacher", action="store_true", help="disable the teacher")
    pipe.add_argument("--bare-every", type=int, default=5,
                      help="frames between interleaved bare student blocks (default 5; 0 = none)")
    pipe.add_argument("--set", dest="overrides", action="append", default=[],
                      metavar="KEY.PATH=VALUE",
                      help="config override as for `run` (repeatable), e.g. "
                           "sinks.jsonl.path=/tmp/tracks.jsonl")
    pipe.add_argument("--json", dest="json_out", default=None,
                      help="write the result here (default: stdout)")
    pipe.add_argument("--plot", default=None, help="write a PNG of the run here")
    pipe.set_defaults(func=main_pipeline)


def _parse_options(items: list[str]) -> dict:
    from ..errors import EdgeTrackerError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise EdgeTrackerError(f"--delegate-option must be KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def write_json(result: dict, path: str | None) -> None:
    """Write ``result`` to ``path`` (folders created) or to stdout when None."""
    text = json.dumps(result, indent=2, sort_keys=False) + "\n"
    if path is None:
        sys.stdout.write(text)
        return
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main_latency(args: argparse.Namespace) -> int:
    from ..bench.latency import LatencyConfig, run_latency
    from ..configbase import build

    cfg = build(LatencyConfig, {
        "model": args.model, "threads": args.threads, "runs": args.runs,
        "warmup": args.warmup, "block": args.block, "delegate": args.delegate,
        "delegate_options": _parse_options(args.delegate_option), "decoder": args.type,
        "frame": args.frame, "frame_index": args.frame_index,
    }, "bench latency")
    result = run_latency(cfg)
    write_json(result, args.json_out)
    print(f"{result['model_name']}: invoke p50 {result['invoke_ms']['p50']:.2f} ms "
          f"(bare {result['bare_invoke_ms_p50']:.2f} ms), preprocess p50 "
          f"{_fmt(result['preprocess_ms']['p50'])} ms, decode p50 "
          f"{_fmt(result['decode_ms']['p50'])} ms, peak RSS "
          f"{result['peak_rss_bytes'] / 2**20:.0f} MiB", file=sys.stderr)
    return 0


def main_pipeline(args: argparse.Namespace) -> int:
    from ..bench.pipeline import PipelineBenchConfig, run_pipeline
    from ..config import parse_override
    from ..configbase import build

    cfg = build(PipelineBenchConfig, {
        "config": args.config, "source": args.source, "max_frames": args.max_frames,
        "realtime": args.realtime, "teacher": not args.no_teacher,
        "bare_every": args.bare_every,
        "overrides": dict(parse_override(o) for o in args.overrides),
        "sync_source": args.sync_source,
    }, "bench pipeline")
    result, series = run_pipeline(cfg)
    write_json(result, args.json_out)
    if args.plot:
        from ..bench.plot import plot_pipeline

        plot_pipeline(result, series, args.plot)
    ratio = result.get("overhead_ratio")
    print(f"pipeline: {result['frames']} frames, {result['fps']:.1f} fps, frame wall p50 "
          f"{_fmt(result['frame_wall_ms']['p50'])} ms, overhead ratio {_fmt(ratio)}, "
          f"teacher runs {result['teacher_runs']}, deadline misses "
          f"{result['deadline_misses']}", file=sys.stderr)
    return 0


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"
