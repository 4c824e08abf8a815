"""``mode: single`` pipeline: start from the student, re-centre with the teacher on its
budget when confidence drops."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from edge_tracker.sot.pipeline import SinglePipeline, build_single_pipeline
from edge_tracker.sot.single import SingleTargetFollower, xywh_to_xyxy
from edge_tracker.sot.tracker import SotConfig
from edge_tracker.types import Detections, Frame

from .synth import scene, texture


class FakeDetector:
    """detect() returns the box registered for the frame index (or nothing)."""

    def __init__(self, boxes: dict[int, tuple], label: int = 0):
        self.boxes = boxes
        self.label = label
        self.calls: list[int] = []
        self.labels = ["person"]

    def detect(self, image, frame_index=-1, origin="student", prior=None):
        self.calls.append(frame_index)
        if frame_index not in self.boxes:
            return Detections.empty(frame_index, origin)
        return Detections(np.array([self.boxes[frame_index]], np.float32),
                          np.array([0.9], np.float32), np.array([self.label], np.int32),
                          frame_index, origin)


def test_start_track_lose_and_recenter_on_budget():
    images, gt = scene(8, velocity=(1.0, 0.5))
    noise = [texture(*images[0].shape[:2], seed=300 + i, blur=3.0) for i in range(3)]
    # frames 0-3 the object, 4-6 the object is gone (noise), 7 it is back
    seq = images[:4] + noise + [images[7]]
    frames = [Frame(img, i, 0.1 * i) for i, img in enumerate(seq)]
    student = FakeDetector({0: xywh_to_xyxy(gt[0])}, label=0)
    teacher = FakeDetector({i: xywh_to_xyxy(gt[7]) for i in range(4, 8)})
    p = SinglePipeline(SingleTargetFollower(SotConfig(features="handcrafted")), student,
                       teacher, budget=0.25, latency_s=0.05)  # >= 0.2 s between re-detections
    results = [p.process(f) for f in frames]
    assert student.calls == [0]                       # the student only starts the target
    assert all(len(r.tracks) == 1 for r in results)
    assert [r.tracks[0].state for r in results[:4]] == ["confirmed"] * 4
    # frame 4: lost -> teacher runs; 5: within the budget interval -> no run; 6: runs
    assert teacher.calls[:2] == [4, 6]
    assert results[4].teacher_ran and not results[5].teacher_ran
    assert "track" in results[0].stage_seconds and "teacher" in results[4].stage_seconds
    np.testing.assert_allclose(results[7].tracks[0].box, xywh_to_xyxy(gt[7]), atol=2.0)
    assert results[7].tracks[0].state == "confirmed"


def test_no_detection_no_track_yet():
    images, _ = scene(2)
    p = SinglePipeline(SingleTargetFollower(SotConfig(features="handcrafted")),
                       FakeDetector({}), FakeDetector({}))
    r = p.process(Frame(images[0], 0, 0.0))
    assert r.tracks == [] and not p.follower.started
    p.close()


def test_build_single_pipeline_without_teacher_uses_student():
    student = FakeDetector({})
    cfg = SimpleNamespace(sot=SotConfig(features="handcrafted"), camera_id="gate",
                          teacher=SimpleNamespace(enabled=False, budget=0.5,
                                                  latency_estimate_s=0.02, latency_ema=0.2))
    p = build_single_pipeline(cfg, student=student)
    assert p.redetector is student and p.camera_id == "gate"
    assert p.latency_s / p.budget == pytest.approx(0.04)
