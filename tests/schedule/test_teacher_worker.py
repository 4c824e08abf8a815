"""Teacher worker isolation: a teacher that raises or hangs never blocks the student."""

import threading
import time

import numpy as np
import pytest

from edge_tracker.metrics import Metrics
from edge_tracker.schedule.clock import MonotonicClock, SimulatedClock
from edge_tracker.schedule.teacher_worker import SyncTeacherWorker, TeacherWorker
from edge_tracker.types import Detections, Frame

IMG = np.zeros((8, 8, 3), np.uint8)


def frame(i, t=0.0):
    return Frame(IMG, i, t)


class FakeTeacher:
    """Returns one box per frame; behaviour per call scripted by `plan` (ok/raise/hang)."""

    def __init__(self, plan, release: threading.Event | None = None):
        self.plan = plan
        self.release = release or threading.Event()
        self.calls = 0

    def detect(self, image, frame_index=-1, origin="student", prior=None):
        what = self.plan[min(self.calls, len(self.plan) - 1)]
        self.calls += 1
        if what == "raise":
            raise RuntimeError("boom")
        if what == "hang":
            self.release.wait(10)
        return Detections(np.array([[frame_index, 0, frame_index + 1, 1]], np.float32),
                          [0.9], [0], frame_index, origin)


def wait_result(worker, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = worker.poll()
        if r is not None:
            return r
        time.sleep(0.002)
    return None


def wait_state(worker, states, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        worker.poll()
        if worker.state in states:
            return worker.state
        time.sleep(0.002)
    return worker.state


def test_submit_poll_roundtrip_and_busy_drop():
    release = threading.Event()
    made = []

    def factory():
        made.append(FakeTeacher(["hang", "ok"], release))
        return made[-1]

    w = TeacherWorker(factory, MonotonicClock(), hang_timeout_s=30)
    try:
        assert w.submit(frame(3))
        assert w.state == "busy"
        assert not w.submit(frame(4))           # dropped, not queued, returns at once
        release.set()
        r = wait_result(w)
        assert r is not None and r.frame_index == 3
        assert r.detections.origin == "teacher"
        assert r.t_done >= r.t_start
        assert r.cpu_s is not None and 0 <= r.cpu_s and r.cost == r.cpu_s
        assert w.submit(frame(5))
        assert wait_result(w).frame_index == 5
        assert len(made) == 1                  # one interpreter for all runs
    finally:
        w.close()


def test_raising_teacher_restarts_with_backoff_then_disables():
    clock = SimulatedClock()
    m = Metrics("c1")
    made = []

    def factory():
        made.append(FakeTeacher(["raise"]))
        return made[-1]

    w = TeacherWorker(factory, clock, max_failures=3, restart_backoff_s=1.0,
                      restart_backoff_max_s=1.5, metrics=m)
    try:
        assert w.submit(frame(0))
        assert wait_state(w, {"backoff"}) == "backoff"
        assert w.errors == 1 and not w.submit(frame(1))
        clock.advance(1.0)                       # first back-off: 1 s
        assert w.state == "ready" and w.submit(frame(2))
        assert wait_state(w, {"backoff"}) == "backoff"
        clock.advance(1.4)
        assert w.state == "backoff"              # second back-off: min(2 s, max 1.5 s)
        clock.advance(0.1)
        assert w.submit(frame(3))
        assert wait_state(w, {"disabled"}) == "disabled"
        assert w.errors == 3 and w.disabled
        assert len(made) == 3                    # a fresh detector after each failure
        assert not w.submit(frame(4))
        text = m.render().decode()
        assert 'edge_tracker_teacher_failures_total{camera="c1",kind="error",model="teacher"} 3.0' \
            in text
        assert 'edge_tracker_teacher_enabled{camera="c1",model="teacher"} 0.0' in text
    finally:
        w.close()


def test_failure_count_resets_after_success():
    calls = []

    class Alternating(FakeTeacher):
        def detect(self, image, frame_index=-1, origin="student", prior=None):
            calls.append(frame_index)
            if len(calls) % 2:
                raise RuntimeError("odd call")
            return super().detect(image, frame_index, origin)

    w = TeacherWorker(lambda: Alternating(["ok"]), SimulatedClock(), max_failures=2,
                      restart_backoff_s=0.0)
    try:
        for i in range(6):
            # raise, ok, raise, ok...: never 2 consecutive failures
            w.submit(frame(i))
            wait_state(w, {"ready", "disabled"})
        assert len(calls) == 6 and w.errors == 3
        assert not w.disabled
    finally:
        w.close()


def test_hanging_teacher_is_abandoned_and_replaced():
    clock = SimulatedClock()
    release = threading.Event()
    made = []

    def factory():
        made.append(FakeTeacher(["hang"] if not made else ["ok"], release))
        return made[-1]

    finished = []
    m = Metrics("c2")
    w = TeacherWorker(factory, clock, hang_timeout_s=2.0, restart_backoff_s=0.5,
                      metrics=m, on_finished=finished.append)
    try:
        assert w.submit(frame(0))
        clock.advance(1.0)
        assert w.state == "busy"                 # before the deadline
        clock.advance(1.5)                       # 2.5 s > 2 s: abandoned on the next look
        assert w.state == "backoff"
        assert w.hangs == 1 and finished == [pytest.approx(2.5)]
        clock.advance(0.5)
        assert w.submit(frame(1))                # a new thread with a new detector
        r = wait_result(w)
        assert r is not None and r.frame_index == 1
        assert len(made) == 2
        release.set()                            # the abandoned thread finishes: discarded
        time.sleep(0.05)
        assert w.poll() is None
        assert 'kind="hang"' in m.render().decode()
    finally:
        release.set()
        w.close()


def test_factory_failure_counts_as_error():
    def factory():
        raise OSError("model file gone")

    w = TeacherWorker(factory, SimulatedClock(), max_failures=1)
    try:
        w.submit(frame(0))
        assert wait_state(w, {"disabled"}) == "disabled"
    finally:
        w.close()


def test_sync_worker_delivers_after_latency():
    clock = SimulatedClock()
    done = []
    w = SyncTeacherWorker(lambda f: Detections.empty(f.index, "teacher"), lambda f: 0.1, clock,
                          on_finished=done.append)
    assert w.submit(frame(0))
    assert w.state == "busy" and not w.submit(frame(1))
    clock.advance(0.05)
    assert w.poll() is None
    clock.advance(0.05)
    r = w.poll()
    assert r.frame_index == 0 and r.t_start == 0.0 and r.t_done == pytest.approx(0.1)
    assert done == [pytest.approx(0.1)] and w.state == "ready"


@pytest.mark.skipif(not hasattr(__import__("os"), "setpriority"), reason="no per-thread nice")
def test_worker_thread_runs_at_lower_priority():
    import os

    seen = []

    class Probe(FakeTeacher):
        def detect(self, image, frame_index=-1, origin="student", prior=None):
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            return super().detect(image, frame_index, origin)

    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    w = TeacherWorker(lambda: Probe(["ok"]), SimulatedClock(), thread_nice=5)
    try:
        w.submit(frame(0))
        assert wait_result(w) is not None
        assert seen == [min(base + 5, 19)]
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base
    finally:
        w.close()


class StagedTeacher:
    """preprocess / infer / decode like a Detector; logs the stages it runs."""

    def __init__(self, log):
        self.log = log

    def preprocess(self, image, prior=None):
        self.log.append("preprocess")
        return [image], None

    def infer(self, inputs):
        self.log.append("infer")
        return [np.zeros((1,), np.float32)]

    def decode(self, outputs, info, frame_index=-1, origin="student"):
        self.log.append("decode")
        return Detections(np.zeros((0, 4), np.float32), [], [], frame_index, origin)

    def detect(self, image, frame_index=-1, origin="student", prior=None):
        self.log.append("detect")
        return self.decode(self.infer(self.preprocess(image)[0]), None, frame_index, origin)


@pytest.mark.parametrize("yield_to_student", [True, False])
def test_teacher_python_stages_wait_while_the_student_works(yield_to_student):
    log = []
    w = TeacherWorker(lambda: StagedTeacher(log), MonotonicClock(),
                      yield_to_student=yield_to_student, yield_max_wait_s=30)
    try:
        w.student_begin()                       # the student is inside a frame
        assert w.submit(frame(1))
        time.sleep(0.2)
        if yield_to_student:
            assert log == []                    # preprocess waits for the student
            w.student_end()
            r = wait_result(w)
            assert r is not None and log == ["preprocess", "infer", "decode"]
        else:
            r = wait_result(w)                  # runs regardless, through detect()
            assert r is not None and log[0] == "detect"
    finally:
        w.student_end()
        w.close()


def test_yield_wait_is_bounded_when_the_student_loop_stalls():
    log = []
    w = TeacherWorker(lambda: StagedTeacher(log), MonotonicClock(), yield_to_student=True,
                      yield_max_wait_s=0.05)
    try:
        w.student_begin()                       # and never ends
        assert w.submit(frame(2))
        r = wait_result(w, timeout=5.0)
        assert r is not None and r.frame_index == 2
        assert log == ["preprocess", "infer", "decode"]
    finally:
        w.close()


def test_yield_to_student_on_by_default_from_config():
    from edge_tracker.schedule.policies import TeacherConfig

    cfg = TeacherConfig()
    assert cfg.yield_to_student                  # on by default in the daemon's config
    w = TeacherWorker.from_config(cfg, MonotonicClock(), factory=lambda: StagedTeacher([]))
    try:
        assert w.yield_to_student
    finally:
        w.close()
