"""Follow one target through a source: what ``edge-tracker sot`` runs.

``run_single(SessionConfig, ...)`` reads frames (edge_tracker.sources), initialises the
follower from an explicit box or from the first detection of a class on the first frame,
tracks every frame, optionally re-detects with the detector when confidence drops, and
writes JSON Lines in the sinks' format:

    {"frame": i, "t": t_capture, "camera": id,
     "tracks": [{"id": 1, "box": [x1, y1, x2, y2], "score": s, "label": name,
                 "state": "confirmed"|"lost", "psr": p}]}
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from ..configbase import PATH_META, bounds
from ..errors import ConfigError, SinkError, SourceError
from ..types import Frame
from .single import SingleTargetFollower
from .tracker import SotConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionConfig:
    """init_box: (x, y, w, h) px on the first frame, or None to detect ``init_label``.
    redetect: when the PSR drops below sot.psr_lost, run the detector (if loaded) at most
    every ``redetect_interval_s`` seconds of frame time and re-centre on the best match.
    """

    source: str
    init_box: tuple[float, float, float, float] | None = None
    init_label: str | None = None
    output_jsonl: str | None = field(default=None, metadata=PATH_META)  # '-' = stdout
    max_frames: int = field(default=0, metadata=bounds(0, 10**9))       # 0 = all
    camera_id: str = "cam0"
    redetect: bool = True
    redetect_interval_s: float = field(default=0.5, metadata=bounds(0.0, 3600.0))
    read_timeout_s: float = field(default=10.0, metadata=bounds(0.01, 3600.0))

    def validate(self, path: str = "") -> None:
        if (self.init_box is None) == (self.init_label is None):
            raise ConfigError(f"{path}.init" if path else "init",
                              "give exactly one of an init box (x,y,w,h) and an init label")
        if self.init_box is not None and not (self.init_box[2] > 0 and self.init_box[3] > 0):
            raise ConfigError(f"{path}.init_box" if path else "init_box",
                              f"width and height must be > 0, got {list(self.init_box)}")


@dataclass
class SessionSummary:
    frames: int = 0
    lost_frames: int = 0
    redetections: int = 0
    seconds: float = 0.0        # tracker time only (update calls)
    init_box: tuple = ()
    last_box: tuple = ()

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def _open_output(path: str | None):
    if path is None:
        return None
    if path == "-":
        import sys

        return sys.stdout
    try:
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise SinkError(f"cannot write --output-jsonl {path}: {exc.strerror}") from exc


def _line(frame: Frame, views, follower: SingleTargetFollower, label: str,
          camera: str) -> str:
    tracks = []
    for v in views:
        psr = follower.result.psr if follower.result else 0.0
        tracks.append({"id": v.id, "box": [round(float(c), 2) for c in v.box],
                       "score": round(v.score, 4), "label": label, "state": v.state,
                       "psr": round(psr, 3) if math.isfinite(psr) else None})
    return json.dumps({"frame": frame.index, "t": round(frame.t_capture, 6), "camera": camera,
                       "tracks": tracks})


def run_single(cfg: SessionConfig, sot: SotConfig, detector=None, source=None
               ) -> SessionSummary:
    """Track one target through ``cfg.source``.

    detector: an ``edge_tracker.detect.detector.Detector`` (needed for ``init_label``;
    used for re-detection when given). source: an opened-not-started Source (tests);
    default: ``open_source(SourceConfig(uri=cfg.source))``.
    """
    if source is None:
        from ..sources.config import SourceConfig
        from ..sources.factory import open_source

        source = open_source(SourceConfig(uri=cfg.source), camera_id=cfg.camera_id)
    if cfg.init_label is not None and detector is None:
        raise ConfigError("init_label", "needs a detector")
    follower = SingleTargetFollower(sot)
    label = cfg.init_label or "target"
    out = _open_output(cfg.output_jsonl)
    summary = SessionSummary()
    last_redetect_t = -math.inf
    try:
        source.start()
        while cfg.max_frames == 0 or summary.frames < cfg.max_frames:
            frame = source.read(timeout=cfg.read_timeout_s)
            if frame is None:
                if source.finished:
                    break
                raise SourceError(f"no frame from {source.describe()} within "
                                  f"{cfg.read_timeout_s} s")
            t0 = time.perf_counter()
            if not follower.started:
                box = _initial_box(cfg, frame, detector)
                views = [follower.start(frame, box)]
                summary.init_box = tuple(round(float(v), 2) for v in box)
            else:
                views = follower.update(frame)
                if follower.needs_redetect:
                    summary.lost_frames += 1
                    if detector is not None and cfg.redetect and \
                            frame.t_capture - last_redetect_t >= cfg.redetect_interval_s:
                        last_redetect_t = frame.t_capture
                        best = follower.pick(detector.detect(frame.image, frame.index,
                                                             origin="teacher"))
                        if best is not None:
                            follower.recenter(best, frame)
                            summary.redetections += 1
            summary.seconds += time.perf_counter() - t0
            summary.frames += 1
            if out is not None:
                out.write(_line(frame, views, follower, label, cfg.camera_id) + "\n")
        summary.last_box = tuple(round(float(v), 2) for v in follower.box_xyxy or ())
    finally:
        source.stop()
        if out is not None and out.name != "<stdout>":
            out.close()
        elif out is not None:
            out.flush()
    if summary.frames == 0:
        raise SourceError(f"no frames read from {cfg.source}")
    return summary


def _initial_box(cfg: SessionConfig, frame: Frame, detector) -> np.ndarray:
    """xyxy of the init box, or of the highest-scoring ``init_label`` detection."""
    if cfg.init_box is not None:
        x, y, w, h = cfg.init_box
        return np.array([x, y, x + w, y + h], np.float32)
    dets = detector.detect(frame.image, frame.index, origin="teacher")
    if len(dets) == 0:
        raise SourceError(f"--init-label {cfg.init_label}: the detector found no "
                          f"{cfg.init_label!r} on the first frame of {cfg.source}")
    best = int(np.argmax(dets.scores))
    log.info("sot: init on %s at %s (score %.2f)", cfg.init_label,
             [round(float(v), 1) for v in dets.boxes[best]], float(dets.scores[best]))
    return dets.boxes[best]
