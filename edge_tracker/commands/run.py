"""``edge-tracker run``: track on a source from flags, a config file, or both.

Flags override single keys of the config (``--set key.path=value`` any key):
--source -> source.uri, --student -> student.model, --teacher -> teacher.detector.model
(and teacher.enabled), --max-frames -> service.max_frames, --output-jsonl ->
sinks.jsonl.path, --output-mot -> sinks.mot.path, --output-video -> sinks.video.path.
With no model flag and no config, the bundled default student and teacher run; with
``--student`` but no ``--teacher`` (and no config) the student runs alone.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "run", help="track objects on a video, camera, stream or image folder",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", "-c", metavar="FILE", help="YAML config (deploy/config.example.yaml)")
    p.add_argument("--source", metavar="VIDEO|CAMERA_INDEX|URL|IMAGE_DIR",
                   help="frames from: a video file, camera index or /dev/videoN, "
                        "rtsp/http/tcp URL, or a folder of images")
    p.add_argument("--student", metavar="MODEL", help="student .tflite (default: bundled)")
    p.add_argument("--teacher", metavar="MODEL", help="teacher .tflite (enables the teacher)")
    p.add_argument("--no-teacher", action="store_true", help="run the student alone")
    p.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    p.add_argument("--output-jsonl", metavar="PATH", help="JSON Lines output ('-' = stdout)")
    p.add_argument("--output-mot", metavar="PATH", help="MOTChallenge text output")
    p.add_argument("--output-video", metavar="PATH", help="annotated debug video (.mp4/.avi)")
    p.add_argument("--camera-id", metavar="ID", help="camera name in outputs and metrics")
    p.add_argument("--realtime", action="store_true", help="pace a video file to its frame rate")
    p.add_argument("--http-port", type=int, metavar="PORT",
                   help="metrics/health port on http.bind (0 = any free port)")
    p.add_argument("--no-http", action="store_true", help="do not serve /metrics, /healthz")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config key, e.g. --set teacher.policy=budget (repeatable)")
    p.set_defaults(func=main)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The dotted-key overrides the flags stand for (``--set`` ones last win)."""
    from ..config import parse_override

    ov: dict[str, Any] = {}
    if args.source is not None:
        ov["source.uri"] = args.source
    if args.student is not None:
        ov["student.model"] = args.student
    if args.teacher is not None:
        ov["teacher.detector.model"] = args.teacher
        ov["teacher.enabled"] = "true"
    elif args.no_teacher or (args.student is not None and args.config is None):
        ov["teacher.enabled"] = "false"
    if args.max_frames is not None:
        ov["service.max_frames"] = str(args.max_frames)
    for flag, key in (("output_jsonl", "sinks.jsonl.path"), ("output_mot", "sinks.mot.path"),
                      ("output_video", "sinks.video.path"), ("camera_id", "camera_id")):
        if getattr(args, flag, None) is not None:
            ov[key] = getattr(args, flag)
    if getattr(args, "realtime", False):
        ov["source.realtime"] = "true"
    if getattr(args, "http_port", None) is not None:
        ov["http.port"] = str(args.http_port)
    if getattr(args, "no_http", False):
        ov["http.enabled"] = "false"
    for text in args.overrides:
        key, value = parse_override(text)
        ov[key] = value
    return ov


def main(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..service.daemon import Daemon, configure_logging

    overrides = overrides_from_args(args)
    cfg = load_config(args.config, overrides)
    configure_logging(args.log_level or cfg.logging.level, cfg.logging.format)
    daemon = Daemon(cfg, config_path=args.config, overrides=overrides)
    daemon.start()
    return daemon.run()
