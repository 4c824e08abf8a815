"""Stand-ins for a Detector, Pipeline and Source so the benchmark code is testable without
a TFLite model: the fake model does a little real NumPy work per invoke."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from edge_tracker.detect.base import PreprocessInfo
from edge_tracker.runtime.interpreter import TensorInfo
from edge_tracker.types import Detections, Frame


class FakeModel:
    def __init__(self, path: str = "fake.tflite") -> None:
        self.path = path
        self.runtime = "fake"
        self.inputs = [TensorInfo("in", 0, (1, 32, 32, 3), np.dtype(np.uint8), 0.0, 0)]
        self.outputs = [TensorInfo("out", 1, (1, 4), np.dtype(np.float32), 0.0, 0)]
        self.invokes = 0
        self._x = np.zeros((1, 32, 32, 3), np.uint8)

    def set_input(self, x: np.ndarray, i: int = 0) -> None:
        self._x = x

    def invoke(self) -> None:
        self.invokes += 1
        self._y = np.asarray([[float(self._x.mean()), 1, 2, 3]], np.float32)
        time.sleep(0.0002)  # a few hundred microseconds: every timing is > 0

    def get_outputs(self) -> list[np.ndarray]:
        return [self._y]


class FakeDetector:
    def __init__(self, cfg: object = None) -> None:
        self.model = FakeModel()
        self.decoder = type("D", (), {"name": "fake"})()
        self.name = "fake"

    def preprocess(self, image: np.ndarray, prior: object = None):
        x = image[:32, :32][None].copy()
        h, w = image.shape[:2]
        return [x], PreprocessInfo(w, h, 32, 32, 32 / w, 32 / h)

    def decode(self, outputs, info, frame_index: int = -1, origin: str = "student"):
        return Detections(np.array([[1, 2, 10, 20]], np.float32), np.array([0.9], np.float32),
                          np.array([0], np.int32), frame_index, origin)


@dataclass
class FakeResult:
    frame_index: int
    t_capture: float
    tracks: list = field(default_factory=list)
    stage_seconds: dict = field(default_factory=dict)
    teacher_ran: bool = False


class FakeTeacherWorker:
    """Has the worker's ``on_finished(latency_s)`` hook, as the scheduler sets it."""

    def __init__(self) -> None:
        self.on_finished = None


class FakePipeline:
    """Runs the fake student per frame; the 'teacher' runs every 5th frame, 4 ms each."""

    def __init__(self) -> None:
        self.student = FakeDetector()
        self.teacher = FakeTeacherWorker()
        self.closed = False

    def process(self, frame: Frame) -> FakeResult:
        t0 = time.perf_counter()
        inputs, info = self.student.preprocess(frame.image)
        self.student.model.set_input(inputs[0])
        t1 = time.perf_counter()
        self.student.model.invoke()
        t2 = time.perf_counter()
        self.student.decode(self.student.model.get_outputs(), info)
        t3 = time.perf_counter()
        if frame.index % 5 == 0 and self.teacher.on_finished is not None:
            self.teacher.on_finished(0.004)
        return FakeResult(frame.index, frame.t_capture, [],
                          {"preprocess": t1 - t0, "student": t2 - t1, "decode": t3 - t2,
                           "track": 1e-5},
                          teacher_ran=frame.index % 5 == 0)

    def close(self) -> None:
        self.closed = True


class FakeSource:
    def __init__(self, n: int = 30, fps: float = 30.0) -> None:
        self.n = n
        self.fps = fps
        self.i = 0
        self.frames_dropped = 0
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def read(self, timeout: float) -> Frame | None:
        if self.i >= self.n:
            return None
        img = np.full((48, 64, 3), self.i % 255, np.uint8)
        f = Frame(img, self.i, time.monotonic(), "cam0")
        self.i += 1
        return f

    @property
    def finished(self) -> bool:
        return self.i >= self.n

    def stop(self) -> None:
        self.stopped = True

    def describe(self) -> str:
        return f"fake {self.n} frames"
