"""Pipeline.process with fake student/tracker/teacher on a simulated clock."""

import time

import numpy as np
import pytest

from edge_tracker.detect.base import PreprocessInfo
from edge_tracker.fuse.fusion import Fusion, FusionConfig
from edge_tracker.metrics import Metrics
from edge_tracker.schedule.clock import SimulatedClock
from edge_tracker.schedule.policies import TeacherConfig, make_scheduler
from edge_tracker.schedule.teacher_worker import SyncTeacherWorker
from edge_tracker.service.pipeline import FrameResult, Pipeline
from edge_tracker.track.tracker import Tracker
from edge_tracker.types import Detections, Frame, TrackView

IMG = np.zeros((40, 80, 3), np.uint8)
BOX = [10, 10, 20, 30]


class FakeStudent:
    """Charges the clock per stage; finds BOX only on frames in `hits`."""

    def __init__(self, clock, hits=None, latency=0.005, prior_channel=False):
        self.clock, self.hits, self.latency = clock, hits, latency
        self.has_prior_channel = prior_channel
        self.priors = []

    def preprocess(self, image, prior=None):
        self.priors.append(prior)
        self.clock.advance(0.001)
        return [image], PreprocessInfo(80, 40, 40, 20, 0.5, 0.5)

    def infer(self, inputs):
        self.clock.advance(self.latency)
        return []

    def decode(self, outputs, info, frame_index=-1, origin="student"):
        self.clock.advance(0.0005)
        if self.hits is None or frame_index in self.hits:
            return Detections(np.array([BOX], np.float32), [0.9], [0], frame_index, origin)
        return Detections.empty(frame_index, origin)


class FakeTracker:
    def __init__(self):
        self.updates = []

    def update(self, dets, t):
        self.updates.append((t, dets))
        return [TrackView(1, tuple(b), float(s), 0, "confirmed", t, bool(ft))
                for b, s, ft in zip(dets.boxes.tolist(), dets.scores, dets.from_teacher)]

    def predict_boxes(self, t):
        return np.zeros(0, np.int64), np.zeros((0, 4), np.float32)

    def snapshot(self):
        return []


def run(pipe, clock, n, fps=10.0):
    out = []
    for i in range(n):
        clock.advance_to(i / fps)
        out.append(pipe.process(Frame(IMG, i, i / fps)))
    return out


def test_student_only_stages_tracks_metrics_and_deadline():
    clock = SimulatedClock()
    m = Metrics("camX")
    trk = FakeTracker()
    pipe = Pipeline(FakeStudent(clock, latency=0.2), trk, metrics=m, clock=clock,
                    camera_id="camX", frame_period_s=0.1)
    res = run(pipe, clock, 3, fps=1.0)
    r = res[0]
    assert isinstance(r, FrameResult) and r.camera_id == "camX"
    assert set(r.stage_seconds) == {"capture", "preprocess", "student", "decode", "fuse", "track"}
    assert r.stage_seconds["student"] == pytest.approx(0.2)
    assert r.stage_seconds["preprocess"] == pytest.approx(0.001)
    assert r.latency_s == pytest.approx(0.2015) and r.deadline_missed
    assert [len(x.tracks) for x in res] == [1, 1, 1] and not r.teacher_ran
    assert [t for t, _ in trk.updates] == [0.0, 1.0, 2.0]   # tracker time = capture time
    text = m.render().decode()
    assert 'edge_tracker_frames_total{camera="camX"} 3.0' in text
    assert 'edge_tracker_deadline_misses_total{camera="camX"} 3.0' in text


def test_teacher_result_fused_later_keeps_track_through_student_misses():
    clock = SimulatedClock()
    cfg = TeacherConfig(policy="fixed", interval=4, latency_estimate_s=0.15)
    sched = make_scheduler(cfg)
    teacher_frames = []

    def teach(frame):
        teacher_frames.append(frame.index)
        return Detections(np.array([BOX], np.float32), [0.8], [0], frame.index, "teacher")

    teacher = SyncTeacherWorker(teach, lambda f: 0.15, clock, on_finished=sched.finished)
    m = Metrics()
    pipe = Pipeline(FakeStudent(clock, hits={0}), FakeTracker(), teacher, sched,
                    Fusion(FusionConfig(teacher_keep_s=10.0)), m, clock)
    res = run(pipe, clock, 9, fps=10.0)
    assert teacher_frames == [0, 4, 8]
    assert [r.teacher_ran for r in res] == [i in (0, 4, 8) for i in range(9)]
    # latency 0.15 s at 10 fps: frame 0's result is fused at frame 2, frame 4's at 6
    assert [i for i, r in enumerate(res) if r.teacher_fused] == [2, 6]
    assert res[2].teacher_staleness_s == pytest.approx(0.2)
    # the student sees the person only on frame 0; the teacher box carries it from frame 2
    assert [len(r.tracks) for r in res] == [1, 0, 1, 1, 1, 1, 1, 1, 1]
    assert res[3].tracks[0].from_teacher
    assert sched.skips["busy"] == 2 and sched.skips["not_due"] == 4   # busy: frames 1, 5
    assert "edge_tracker_teacher_staleness_seconds_count" in m.render().decode()


def test_prior_channel_student_gets_rendered_prior_after_teacher_result():
    clock = SimulatedClock()
    sched = make_scheduler(TeacherConfig(policy="fixed", interval=1, latency_estimate_s=0.01))
    teacher = SyncTeacherWorker(
        lambda f: Detections(np.array([[20, 10, 60, 30]], np.float32), [1.0], [0], f.index,
                             "teacher"), lambda f: 0.01, clock, on_finished=sched.finished)
    student = FakeStudent(clock, hits=set(), prior_channel=True)
    pipe = Pipeline(student, FakeTracker(), teacher, sched, Fusion(FusionConfig()), None, clock)
    run(pipe, clock, 3)
    assert student.priors[0] is None                  # no geometry yet
    p = student.priors[2]
    assert p.shape == (20, 40) and p.dtype == np.float32
    assert p.max() == pytest.approx(0.945, abs=0.01)   # Gaussian sampled at pixel centres
    y, x = np.unravel_index(np.argmax(p), p.shape)
    assert (19 <= x <= 20) and (9 <= y <= 10)


def test_crashing_teacher_never_stops_the_student():
    from edge_tracker.schedule.clock import MonotonicClock

    def factory():
        raise RuntimeError("teacher model broken")

    cfg = TeacherConfig(policy="fixed", interval=1, max_failures=2, restart_backoff_s=0.0)
    clock = MonotonicClock()
    pipe = Pipeline.from_parts(FakeStudent(SimulatedClock()), FakeTracker(), cfg,
                               FusionConfig(), clock, Metrics(), teacher_factory=factory)
    try:
        results = []
        deadline = time.monotonic() + 10
        i = 0
        while not pipe.teacher.disabled and time.monotonic() < deadline:
            results.append(pipe.process(Frame(IMG, i, clock.now())))
            i += 1
            time.sleep(0.001)
        assert pipe.teacher.disabled and pipe.teacher.errors == 2
        results.append(pipe.process(Frame(IMG, i, clock.now())))
        assert all(len(r.tracks) == 1 for r in results)   # the student's person, every frame
        assert pipe.scheduler.skips["disabled"] >= 1
    finally:
        pipe.close()


def test_from_parts_disabled_teacher_and_real_tracker():
    clock = SimulatedClock()
    pipe = Pipeline.from_parts(FakeStudent(clock), Tracker(), TeacherConfig(enabled=False),
                               None, clock)
    assert pipe.teacher is None and pipe.scheduler is None
    res = run(pipe, clock, 5)
    assert res[-1].tracks and res[-1].tracks[0].id == 1   # one stable track from the student


def test_teacher_without_scheduler_rejected():
    clock = SimulatedClock()
    with pytest.raises(ValueError, match="needs a scheduler"):
        Pipeline(FakeStudent(clock), FakeTracker(), teacher=object(), clock=clock)


def test_pipeline_tells_the_teacher_when_the_student_works():
    clock = SimulatedClock()
    events = []

    class LoggingStudent(FakeStudent):
        def infer(self, inputs):
            events.append("infer")
            return super().infer(inputs)

    class LoggingTeacher(SyncTeacherWorker):
        def student_begin(self):
            events.append("begin")

        def student_end(self):
            events.append("end")

    sched = make_scheduler(TeacherConfig(policy="fixed", interval=1))
    teacher = LoggingTeacher(lambda f: Detections.empty(f.index, "teacher"), lambda f: 0.01,
                             clock, on_finished=sched.finished)
    pipe = Pipeline(LoggingStudent(clock), FakeTracker(), teacher, sched, clock=clock)
    run(pipe, clock, 2)
    assert events == ["begin", "infer", "end"] * 2

    class Boom(FakeStudent):
        def infer(self, inputs):
            raise RuntimeError("student failed")

    events.clear()
    pipe = Pipeline(Boom(clock), FakeTracker(), teacher, sched, clock=clock)
    with pytest.raises(RuntimeError):
        pipe.process(Frame(IMG, 0, clock.now()))
    assert events == ["begin", "end"]          # the teacher is never left waiting
