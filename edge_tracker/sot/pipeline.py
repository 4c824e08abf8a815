"""``mode: single`` in the daemon: one target followed by the correlation-filter tracker,
started and re-centred by the detectors.

Contract (service/daemon.py): ``build_single_pipeline(app_cfg, student, clock, metrics)``
returns an object with ``process(frame) -> FrameResult``, ``close()`` and a writable
``frame_period_s`` (deadline for ``deadline_missed``).

Per frame:
  - before a target exists: the student runs; its highest-scoring detection (of the
    student's configured classes) starts the follower;
  - then only the tracker runs (stage ``track``); when its confidence drops
    (``needs_redetect``), the teacher (``teacher.enabled``; else the student) runs on this
    frame, at most once per ``latency / teacher.budget`` seconds of frame time (the
    teacher's budget as a fraction of one core, its latency a moving average), and the
    follower is re-centred on the detection that best continues the target.
The teacher runs synchronously here, but only on low-confidence frames within its budget.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ..types import Detections, Frame
from .single import SingleTargetFollower

log = logging.getLogger(__name__)


class SinglePipeline:
    """student / redetector: Detector-like (``detect(image, frame_index, origin)``)."""

    def __init__(self, follower: SingleTargetFollower, student: Any, redetector: Any,
                 camera_id: str = "cam0", budget: float = 0.25, latency_s: float = 0.05,
                 latency_ema: float = 0.2, frame_period_s: float | None = None,
                 clock: Any = None) -> None:
        self.follower = follower
        self.student = student
        self.redetector = redetector
        self.camera_id = camera_id
        self.budget = float(budget)
        self.latency_s = float(latency_s)
        self.latency_ema = float(latency_ema)
        self.frame_period_s = frame_period_s
        self.clock = clock
        self.t_last_redetect = -float("inf")
        self.redetections = 0

    def _detect(self, det: Any, frame: Frame, origin: str) -> tuple[Detections, float]:
        t0 = time.perf_counter()
        dets = det.detect(frame.image, frame.index, origin=origin)
        return dets, time.perf_counter() - t0

    def process(self, frame: Frame):
        from ..service.pipeline import FrameResult

        t_start = time.perf_counter()
        stages: dict[str, float] = {}
        dets = None
        teacher_ran = False
        if not self.follower.started:
            dets, stages["student"] = self._detect(self.student, frame, "student")
            t0 = time.perf_counter()
            tracks = []
            if len(dets):
                best = int(dets.scores.argmax())
                self.follower.label = int(dets.classes[best])
                tracks = [self.follower.start(frame, dets.boxes[best])]
            stages["track"] = time.perf_counter() - t0
        else:
            t0 = time.perf_counter()
            tracks = self.follower.update(frame)
            stages["track"] = time.perf_counter() - t0
            interval = self.latency_s / max(self.budget, 1e-6)
            if self.follower.needs_redetect and \
                    frame.t_capture - self.t_last_redetect >= interval:
                self.t_last_redetect = frame.t_capture
                origin = "teacher" if self.redetector is not self.student else "student"
                dets, dt = self._detect(self.redetector, frame, origin)
                teacher_ran = origin == "teacher"
                self.latency_s += self.latency_ema * (dt - self.latency_s)
                stages["teacher" if teacher_ran else "student"] = dt
                box = self.follower.pick(dets)
                if box is not None:
                    t1 = time.perf_counter()
                    self.follower.recenter(box, frame)
                    tracks = self.follower.view()
                    self.redetections += 1
                    stages["fuse"] = time.perf_counter() - t1
        latency = time.perf_counter() - t_start
        missed = self.frame_period_s is not None and latency > self.frame_period_s
        return FrameResult(frame.index, frame.t_capture, tracks, stages, teacher_ran=teacher_ran,
                           camera_id=self.camera_id, detections=dets, latency_s=latency,
                           deadline_missed=missed)

    def close(self) -> None:
        """Nothing runs in the background."""


def build_single_pipeline(app_cfg: Any, student: Any, clock: Any = None, metrics: Any = None
                          ) -> SinglePipeline:
    """The daemon's ``mode: single`` pipeline from the AppConfig (``sot``, ``teacher``)."""
    follower = SingleTargetFollower(app_cfg.sot)
    redetector = student
    teacher_cfg = getattr(app_cfg, "teacher", None)
    if teacher_cfg is not None and teacher_cfg.enabled:
        from ..detect.detector import Detector
        from ..errors import ModelError

        try:
            default = None
            if not teacher_cfg.detector.model:
                from ..models import default_model

                default = default_model("teacher")
            redetector = Detector.from_config(teacher_cfg.detector, default_model=default)
        except ModelError as exc:
            log.warning("mode single: teacher unavailable (%s); re-detecting with the student",
                        exc)
    return SinglePipeline(follower, student, redetector,
                          camera_id=getattr(app_cfg, "camera_id", "cam0"),
                          budget=getattr(teacher_cfg, "budget", 0.25),
                          latency_s=getattr(teacher_cfg, "latency_estimate_s", 0.05),
                          latency_ema=getattr(teacher_cfg, "latency_ema", 0.2), clock=clock)
