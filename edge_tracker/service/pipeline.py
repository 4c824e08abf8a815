"""The single-threaded frame loop step: one Frame in, one FrameResult out.

    poll teacher -> preprocess (+ prior) -> student -> decode -> schedule/submit teacher
    -> fuse -> track -> metrics

Stages are timed with the injected clock (``capture`` = capture to start of
processing, then preprocess, student, decode, fuse, track; ``sink`` is the daemon's).
The teacher runs in its own thread (TeacherWorker) or, in replays, as a
SyncTeacherWorker on a simulated clock; ``submit`` never blocks, so the student never
waits for it. A frame whose capture-to-output latency exceeds the source's frame
period (``frame_period_s``) is a deadline miss.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..fuse.fusion import Fusion, FusionConfig
from ..fuse.prior import render_prior
from ..schedule.clock import Clock, MonotonicClock
from ..schedule.policies import FrameContext, Scheduler, TeacherConfig, make_scheduler
from ..schedule.teacher_worker import TeacherResult, TeacherWorker
from ..types import Detections, Frame, TrackView

log = logging.getLogger(__name__)


@dataclass
class FrameResult:
    """What the loop hands to the sinks for one frame.

    tracks: the tracker's output for this frame (boxes xyxy source px).
    stage_seconds: seconds per stage (capture, preprocess, student, decode, fuse, track).
    teacher_ran: the teacher was submitted this frame; teacher_fused: a teacher result
    (of an earlier frame) was fused into this one, ``teacher_staleness_s`` old.
    """

    frame_index: int
    t_capture: float
    tracks: list[TrackView]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    teacher_ran: bool = False
    teacher_fused: bool = False
    teacher_staleness_s: float | None = None
    camera_id: str = "cam0"
    detections: Detections | None = None
    latency_s: float = 0.0
    deadline_missed: bool = False


class Pipeline:
    """One camera's frame loop step (see module docstring).

    student: a Detector (preprocess / infer / decode). tracker: a Tracker.
    teacher: TeacherWorker, SyncTeacherWorker or None. scheduler: a Scheduler (required
    with a teacher). fusion: Fusion (default config when None). metrics: Metrics or None.
    """

    def __init__(self, student, tracker, teacher=None, scheduler: Scheduler | None = None,
                 fusion: Fusion | None = None, metrics=None, clock: Clock | None = None,
                 camera_id: str = "cam0", frame_period_s: float | None = None) -> None:
        if teacher is not None and scheduler is None:
            raise ValueError("Pipeline: a teacher needs a scheduler")
        self.student = student
        self.tracker = tracker
        self.teacher = teacher
        self.scheduler = scheduler
        self.fusion = fusion if fusion is not None else Fusion(FusionConfig())
        self.metrics = metrics
        self.clock = clock or MonotonicClock()
        self.camera_id = camera_id
        self.frame_period_s = frame_period_s
        self._tracks: list[TrackView] = []
        self._info = None                      # last PreprocessInfo (for the prior's geometry)
        self._prior = None                     # reused prior buffer
        self._use_prior = bool(getattr(student, "has_prior_channel", False))
        self.frames = 0
        self.deadline_misses = 0
        self._threshold_reported = None

    @classmethod
    def from_parts(cls, student, tracker, teacher_cfg: TeacherConfig | None,
                   fusion_cfg: FusionConfig | None, clock: Clock | None = None, metrics=None,
                   camera_id: str = "cam0", teacher_factory=None,
                   frame_period_s: float | None = None) -> Pipeline:
        """Build the teacher worker and scheduler from a TeacherConfig (None/disabled = none).

        teacher_factory: optional callable building the teacher detector (default: load
        ``teacher_cfg.detector`` inside the worker thread).
        """
        clock = clock or MonotonicClock()
        teacher = scheduler = None
        if teacher_cfg is not None and teacher_cfg.enabled:
            scheduler = make_scheduler(teacher_cfg, metrics)
            teacher = TeacherWorker.from_config(teacher_cfg, clock, metrics=metrics,
                                                on_finished=scheduler.finished,
                                                factory=teacher_factory)
        return cls(student, tracker, teacher, scheduler, Fusion(fusion_cfg or FusionConfig()),
                   metrics, clock, camera_id, frame_period_s)

    def process(self, frame: Frame) -> FrameResult:
        clock = self.clock
        st: dict[str, float] = {}
        t0 = clock.now()
        st["capture"] = max(t0 - frame.t_capture, 0.0)
        # the teacher thread's GIL-holding stages wait while the student works (TeacherWorker)
        begin = getattr(self.teacher, "student_begin", None)
        end = getattr(self.teacher, "student_end", None)
        if begin is not None:
            begin()
        try:
            return self._process(frame, t0, st)
        finally:
            if end is not None:
                end()

    def _process(self, frame: Frame, t0: float, st: dict[str, float]) -> FrameResult:
        clock = self.clock
        result: TeacherResult | None = self.teacher.poll() if self.teacher is not None else None

        prior = None
        if self._use_prior and self._info is not None:
            boxes, scores = self.fusion.teacher_boxes()
            prior = self._prior = render_prior(boxes, scores, self._info, out=self._prior)
        a = clock.now()
        inputs, info = self.student.preprocess(frame.image, prior=prior) if self._use_prior \
            else self.student.preprocess(frame.image)
        self._info = info
        b = clock.now()
        outputs = self.student.infer(inputs)
        c = clock.now()
        dets = self.student.decode(outputs, info, frame.index, "student")
        d = clock.now()
        st["preprocess"], st["student"], st["decode"] = b - a, c - b, d - c

        teacher_ran = False
        if self.teacher is not None:
            ctx = FrameContext(t=d, frame_index=frame.index, image=frame.image, student=dets,
                               tracks=self._tracks, teacher_state=self.teacher.state)
            decision = self.scheduler.decide(ctx)
            if decision.run:
                if self.teacher.submit(frame):
                    teacher_ran = True
                    self.scheduler.started(ctx, decision)
                    if self.metrics is not None:
                        self.metrics.on_teacher_run()
                elif self.metrics is not None:
                    self.metrics.on_teacher_skip("busy")

        e = clock.now()
        t_frame = frame.t_capture
        fused = self.fusion.fuse(dets, t_frame, self.tracker, result)
        f = clock.now()
        tracks = self.tracker.update(fused, t_frame)
        self.fusion.after_track(t_frame, self.tracker)
        g = clock.now()
        st["fuse"], st["track"] = f - e, g - f
        self._tracks = self.tracker.snapshot() if self.teacher is not None else tracks

        latency = g - frame.t_capture
        missed = self.frame_period_s is not None and latency > self.frame_period_s
        self.frames += 1
        self.deadline_misses += int(missed)
        staleness = (t_frame - result.t_capture) if result is not None else None
        if self.metrics is not None:
            m = self.metrics
            for name, sec in st.items():
                m.observe_stage(name, sec)
            m.on_frame(latency, len(tracks), missed)
            if staleness is not None:
                m.observe_staleness(staleness)
            if self.scheduler is not None:
                m.set_budget_utilization(self.scheduler.utilization(g))
            thr = self.fusion.threshold
            if thr != self._threshold_reported:
                m.set_score_threshold(thr)
                self._threshold_reported = thr
        return FrameResult(frame.index, frame.t_capture, tracks, st, teacher_ran,
                           result is not None, staleness, self.camera_id, fused, latency, missed)

    def close(self) -> None:
        """Stop the teacher worker."""
        if self.teacher is not None:
            self.teacher.close()
