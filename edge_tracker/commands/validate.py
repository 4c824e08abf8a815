"""``edge-tracker validate CONFIG``: check a config file without running it.

Checks, in order (the first failure is printed with its key path; exit code 2 for
config and model problems, 3 for a source, 4 for an output):
1. YAML syntax, unknown keys ("did you mean"), types, bounds, cross-field rules;
2. the student model (and the teacher's, when enabled; bundled defaults when no
   path is given) exists, loads in the TFLite runtime, and its outputs fit a decoder;
3. every enabled file output (JSONL, MOT, video) can be created in its folder;
   the MQTT password file, if any, is readable;
4. with ``--check-source``, the source opens and delivers a frame (off by default:
   a camera in use by a running instance cannot be opened twice).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("validate", help="check a config file without running it",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", metavar="CONFIG", help="YAML config file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one key before checking (repeatable)")
    p.add_argument("--check-source", action="store_true",
                   help="also open the source and read one frame")
    p.add_argument("--no-models", action="store_true", help="skip loading the models")
    p.set_defaults(func=main)


def check_models(cfg: Any) -> list[str]:
    """Load the student (and enabled teacher) detectors; lines describing them."""
    from ..service.daemon import load_detector

    lines = []
    det = load_detector(cfg.student, "student", "student.model")
    lines.append(f"student: {det.name} input {det.input_size[0]}x{det.input_size[1]}, "
                 f"decoder {type(det.decoder).__name__}")
    if cfg.teacher.enabled:
        t = load_detector(cfg.teacher.detector, "teacher", "teacher.detector.model")
        lines.append(f"teacher: {t.name} input {t.input_size[0]}x{t.input_size[1]}, "
                     f"decoder {type(t.decoder).__name__}, policy {cfg.teacher.policy}")
    else:
        lines.append("teacher: disabled")
    return lines


def check_outputs(cfg: Any) -> list[str]:
    from ..errors import SinkError
    from ..sinks.base import check_writable

    s = cfg.sinks
    lines = []
    for key, path in (("sinks.jsonl.path", s.jsonl.path), ("sinks.mot.path", s.mot.path),
                      ("sinks.video.path", s.video.path)):
        if path:
            check_writable(path, key)
            lines.append(f"{key}: {path} writable")
    if s.mqtt.enabled:
        if s.mqtt.password_file:
            try:
                with open(s.mqtt.password_file, encoding="utf-8"):
                    pass
            except OSError as exc:
                raise SinkError(f"sinks.mqtt.password_file: cannot read "
                                f"{s.mqtt.password_file}: {exc.strerror}") from exc
        lines.append(f"sinks.mqtt: {s.mqtt.host}:{s.mqtt.port} topic "
                     f"{s.mqtt.topic.format(camera=cfg.camera_id)} (not contacted)")
    return lines


def check_source(cfg: Any, timeout_s: float = 10.0) -> str:
    import time

    from ..errors import SourceError
    from ..sources import open_source

    src = open_source(cfg.source, camera_id=cfg.camera_id)
    src.start()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            frame = src.read(timeout=0.2)
            if frame is not None:
                h, w = frame.shape
                return f"source: {src.describe()} delivers {w}x{h} frames"
            if src.finished:
                break
        raise SourceError(f"source {src.describe()}: no frame within {timeout_s} s")
    finally:
        src.stop()


def main(args: argparse.Namespace) -> int:
    from ..config import load_config, parse_override

    overrides = dict(parse_override(t) for t in args.overrides)
    cfg = load_config(args.config, overrides)
    lines = [f"config: {args.config}: keys, types and bounds OK"]
    if not args.no_models:
        lines += check_models(cfg)
    lines += check_outputs(cfg)
    if args.check_source:
        lines.append(check_source(cfg))
    for line in lines:
        print(line)
    print("valid")
    return 0
