"""``mode: single``: follow one target with the correlation-filter tracker, in the
project's frame / box conventions (Frame in, TrackView out, boxes xyxy).

Teacher hook (for the daemon / pipeline, which owns the teacher and its budget):

    follower = SingleTargetFollower(cfg)
    follower.start(frame, box_xyxy)            # from --init or a first detection
    for frame in frames:
        tracks = follower.update(frame)        # [] before start, else one TrackView
        if follower.needs_redetect:            # confidence (PSR) below cfg.psr_lost
            ... ask the teacher (on its budget) for detections of this class ...
            box = follower.pick(teacher_detections)   # best candidate or None
            if box is not None:
                follower.recenter(box, frame)  # re-centres the filters and re-learns

``recenter(box, frame=None)``: box xyxy float in frame pixels (already propagated to the
current frame by the caller, if the teacher's frame is older). With ``frame`` the filters
re-learn the appearance there (blend ``recenter_blend``); without, only position and
scale move. The track keeps its id. ``TrackView.state`` is ``confirmed`` while the PSR is
above ``psr_lost`` and ``lost`` otherwise; ``score`` is min(1, PSR / 20) (20: a confident
PSR on OTB sequences, Bolme et al. report 20-60 for good tracks, < 7 for failures).
"""

from __future__ import annotations

import numpy as np

from ..types import Detections, Frame, TrackView
from .tracker import CorrelationTracker, SotConfig, SotResult

PSR_FULL_SCORE = 20.0


def xyxy_to_xywh(box) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in box)
    return (x1, y1, x2 - x1, y2 - y1)


def xywh_to_xyxy(box) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in box)
    return (x, y, x + w, y + h)


class SingleTargetFollower:
    """One target, one id. ``label``: class id reported in the TrackView."""

    def __init__(self, cfg: SotConfig | None = None, track_id: int = 1, label: int = 0,
                 recenter_blend: float = 0.5, tracker: CorrelationTracker | None = None
                 ) -> None:
        self.cfg = cfg or SotConfig()
        self.tracker = tracker or CorrelationTracker(self.cfg)
        self.track_id = int(track_id)
        self.label = int(label)
        self.recenter_blend = float(recenter_blend)
        self.result: SotResult | None = None
        self.t_last_seen = 0.0
        self.recenters = 0

    @property
    def started(self) -> bool:
        return self.result is not None

    @property
    def needs_redetect(self) -> bool:
        """True when the last update's confidence says the target may be lost."""
        return self.result is not None and self.result.lost

    @property
    def box_xyxy(self) -> tuple[float, float, float, float] | None:
        return xywh_to_xyxy(self.result.box) if self.result else None

    def start(self, frame: Frame, box_xyxy) -> TrackView:
        """Initialise on ``box_xyxy`` (x1, y1, x2, y2) in ``frame``."""
        self.tracker.init(frame.image, xyxy_to_xywh(box_xyxy))
        self.result = self.tracker.last
        self.t_last_seen = frame.t_capture
        return self._view()

    def update(self, frame: Frame) -> list[TrackView]:
        """Track into ``frame``: [] before ``start``, else [the target's TrackView]."""
        if self.result is None:
            return []
        self.result = self.tracker.update(frame.image)
        if not self.result.lost:
            self.t_last_seen = frame.t_capture
        return [self._view()]

    def recenter(self, box_xyxy, frame: Frame | None = None) -> None:
        """Teacher hook: move the target to ``box_xyxy`` (see module doc)."""
        if self.result is None:
            if frame is None:
                raise RuntimeError("recenter() before start() needs the frame")
            self.start(frame, box_xyxy)
            return
        self.tracker.recenter(frame.image if frame is not None else None,
                              xyxy_to_xywh(box_xyxy), self.recenter_blend)
        self.result = self.tracker.last
        if frame is not None:
            self.t_last_seen = frame.t_capture
        self.recenters += 1

    def view(self) -> list[TrackView]:
        """The target's current TrackView ([] before start)."""
        return [self._view()] if self.result is not None else []

    def pick(self, dets: Detections, min_iou: float = 0.0) -> np.ndarray | None:
        """The detection that best continues the target: highest IoU with the current box
        (ties and no overlap: nearest centre, scaled by the box size); None when empty or
        when the best IoU is below ``min_iou``."""
        if len(dets) == 0:
            return None
        if self.result is None:
            return dets.boxes[int(np.argmax(dets.scores))]
        cur = np.asarray(self.box_xyxy, np.float32)
        b = dets.boxes
        iw = np.clip(np.minimum(b[:, 2], cur[2]) - np.maximum(b[:, 0], cur[0]), 0, None)
        ih = np.clip(np.minimum(b[:, 3], cur[3]) - np.maximum(b[:, 1], cur[1]), 0, None)
        inter = iw * ih
        area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) + (cur[2] - cur[0]) * (cur[3] - cur[1])
        iou = inter / np.maximum(area - inter, 1e-6)
        if iou.max() > 0:
            i = int(np.argmax(iou))
        else:
            c = (b[:, :2] + b[:, 2:]) / 2 - (cur[:2] + cur[2:]) / 2
            i = int(np.argmin(np.hypot(c[:, 0], c[:, 1])))
        return b[i] if iou[i] >= min_iou else None

    def _view(self) -> TrackView:
        r = self.result
        score = 1.0 if not np.isfinite(r.psr) else float(min(1.0, max(r.psr, 0.0) / PSR_FULL_SCORE))
        return TrackView(id=self.track_id, box=xywh_to_xyxy(r.box), score=score,
                         label=self.label, state="lost" if r.lost else "confirmed",
                         t_last_seen=self.t_last_seen)


def build_single_pipeline(app_cfg, student, clock=None, metrics=None):
    """The daemon's ``mode: single`` pipeline (see sot/pipeline.py)."""
    from .pipeline import build_single_pipeline as build

    return build(app_cfg, student=student, clock=clock, metrics=metrics)
