"""Fusion with hand-made boxes and a fake tracker (only predict_boxes is used)."""

from dataclasses import replace

import numpy as np
import pytest

from edge_tracker.configbase import build
from edge_tracker.errors import ConfigError
from edge_tracker.fuse.fusion import Fusion, FusionConfig
from edge_tracker.schedule.teacher_worker import TeacherResult
from edge_tracker.types import Detections


class FakeTracker:
    def __init__(self):
        self.ids = np.zeros(0, np.int64)
        self.boxes = np.zeros((0, 4), np.float32)

    def set(self, ids, boxes):
        self.ids = np.asarray(ids, np.int64)
        self.boxes = np.asarray(boxes, np.float32).reshape(-1, 4)

    def predict_boxes(self, t):
        return self.ids.copy(), self.boxes.copy()


def dets(boxes, scores, frame=0, origin="student"):
    return Detections(np.asarray(boxes, np.float32).reshape(-1, 4), scores,
                      [0] * len(scores), frame, origin)


def teacher(boxes, scores, frame, t0):
    return TeacherResult(dets(boxes, scores, frame, "teacher"), frame, t0, t0, t0 + 0.02)


CFG = FusionConfig(calibrate=False, threshold_init=0.3, threshold_min=0.3, boost=0.2)
A = [10, 10, 30, 60]
B = [200, 50, 230, 120]
FP = [400, 400, 420, 440]


def test_agreeing_student_detection_is_boosted_and_takes_teacher_box():
    f, trk = Fusion(CFG), FakeTracker()
    f.fuse(dets([], []), 0.0, trk)
    out = f.fuse(dets([[12, 10, 32, 60]], [0.5], 1), 0.1, trk, teacher([A], [0.6], 0, 0.0))
    assert len(out) == 1
    assert out.scores[0] == pytest.approx(0.7)           # max(0.5 + 0.2, 0.6)
    np.testing.assert_allclose(out.boxes[0], A)           # student_box_weight 0
    assert out.from_teacher.tolist() == [True] and out.origin == "fused"
    assert f.boosted == 1


def test_blend_weight_moves_box_toward_student():
    f = Fusion(replace(CFG, student_box_weight=0.5))
    out = f.fuse(dets([[14, 10, 34, 60]], [0.5], 1), 0.1, FakeTracker(),
                 teacher([A], [0.9], 0, 0.0))
    np.testing.assert_allclose(out.boxes[0], [12, 10, 32, 60])
    assert out.scores[0] == pytest.approx(0.9)


def test_teacher_box_missed_by_student_is_emitted_as_teacher_detection():
    f = Fusion(CFG)
    out = f.fuse(dets([], []), 0.1, FakeTracker(), teacher([A, B], [0.8, 0.4], 0, 0.0))
    assert len(out) == 2 and out.from_teacher.all()
    np.testing.assert_allclose(np.sort(out.scores), [0.4, 0.8])
    assert f.teacher_only == 2


def test_teacher_boxes_follow_their_tracks_and_expire():
    cfg = replace(CFG, teacher_keep_s=0.5)
    f, trk = Fusion(cfg), FakeTracker()
    out = f.fuse(dets([], []), 0.0, trk, teacher([A], [0.9], 0, 0.0))
    trk.set([4], [A])                                   # the tracker made track 4 from it
    f.after_track(0.0, trk)
    assert f.t_ids.tolist() == [4]
    trk.set([4], [[20, 10, 40, 60]])                    # the track moves +10 px
    out = f.fuse(dets([], [], 1), 0.2, trk)
    np.testing.assert_allclose(out.boxes, [[20, 10, 40, 60]])   # kept alive through the miss
    trk.set([4], [[30, 10, 50, 60]])
    out = f.fuse(dets([], [], 2), 0.6, trk)             # older than teacher_keep_s
    assert len(out) == 0


@pytest.mark.parametrize("follow, want", [
    # track centre (20,35) -> (30,35): the teacher box A keeps its 20x50 size, moves +10 px
    ("translate", [[20, 10, 40, 60]]),
    # the track's own (wider, taller) predicted box replaces the teacher's
    ("track", [[13, 8, 47, 62]]),
])
def test_teacher_box_follows_its_track_by_translation_or_takes_its_box(follow, want):
    f, trk = Fusion(replace(CFG, follow=follow)), FakeTracker()
    f.fuse(dets([], []), 0.0, trk, teacher([A], [0.9], 0, 0.0))
    trk.set([4], [[5, 10, 35, 60]])                     # track 4 (30x50) rides on A
    f.after_track(0.0, trk)
    assert f.t_ids.tolist() == [4]
    trk.set([4], [[13, 8, 47, 62]])                     # predicted: centre +10 px, 34x54
    out = f.fuse(dets([], [], 1), 0.1, trk)
    np.testing.assert_allclose(out.boxes, want)
    assert out.from_teacher.tolist() == [True]
    trk.set([4, 5], [[13, 8, 47, 62], B])               # next frame: no motion, a new track
    f.after_track(0.1, trk)
    out = f.fuse(dets([], [], 2), 0.2, trk)
    np.testing.assert_allclose(out.boxes, want)         # zero displacement: box unchanged


def test_teacher_box_dropped_when_its_track_dies():
    f, trk = Fusion(CFG), FakeTracker()
    f.fuse(dets([], []), 0.0, trk, teacher([A], [0.9], 0, 0.0))
    trk.set([4], [A])
    f.after_track(0.0, trk)
    trk.set([], [])
    assert len(f.fuse(dets([], [], 1), 0.1, trk)) == 0


def test_late_teacher_result_is_propagated_by_track_motion():
    f, trk = Fusion(CFG), FakeTracker()
    f.fuse(dets([], [], 0), 0.0, trk)
    trk.set([1], [A])
    f.after_track(0.0, trk)                              # history: track 1 at A at t=0
    trk.set([1], [[25, 10, 45, 60]])                     # at t=0.1 track 1 moved +15 px
    out = f.fuse(dets([], [], 3), 0.1, trk, teacher([[11, 10, 31, 60], B], [0.9, 0.9], 0, 0.0))
    got = {tuple(np.round(x).astype(int)) for x in out.boxes}
    assert got == {(26, 10, 46, 60), tuple(B)}


def test_repeatedly_contradicted_student_detection_is_suppressed():
    f, trk = Fusion(replace(CFG, suppress_after=2)), FakeTracker()
    t = 0.0
    out = None
    for k in range(6):
        res = teacher([A], [0.9], k - 1, (k - 1) * 0.1) if k in (1, 3) else None
        out = f.fuse(dets([A, FP], [0.6, 0.6], k), t, trk, res)
        if k < 3:
            assert any(np.allclose(bx, FP) for bx in out.boxes)   # not yet
        t += 0.1
    assert not any(np.allclose(bx, FP) for bx in out.boxes)       # after 2 contradictions
    assert any(np.allclose(bx, A) for bx in out.boxes)
    assert f.suppressed >= 1


def test_unmatched_student_below_threshold_dropped_above_kept():
    f = Fusion(replace(CFG, threshold_init=0.5, threshold_min=0.3))
    out = f.fuse(dets([A, B], [0.4, 0.6]), 0.0, FakeTracker())
    assert out.scores.tolist() == pytest.approx([0.6]) and not out.from_teacher.any()


def test_union_baseline_keeps_stale_teacher_boxes_unpropagated():
    f, trk = Fusion(replace(CFG, method="union")), FakeTracker()
    f.fuse(dets([], [], 0), 0.0, trk, teacher([A], [0.9], 0, 0.0))
    trk.set([1], [[50, 10, 70, 60]])
    out = f.fuse(dets([[11, 10, 31, 60], B], [0.5, 0.5], 1), 0.1, trk)
    assert len(out) == 2                                  # student A suppressed by NMS
    np.testing.assert_allclose(out.boxes[out.from_teacher][0], A)


def test_student_method_passes_through():
    d = dets([A], [0.1])
    assert Fusion(replace(CFG, method="student")).fuse(d, 0.0, FakeTracker()) is d


def test_empty_everything():
    out = Fusion(CFG).fuse(dets([], []), 0.0, None, teacher([], [], 0, 0.0))
    assert out.boxes.shape == (0, 4) and out.from_teacher.shape == (0,)


def test_fusion_config_cross_check():
    with pytest.raises(ConfigError, match="threshold_init"):
        build(FusionConfig, {"threshold_init": 0.1, "threshold_min": 0.2}, "fusion")
    with pytest.raises(ConfigError, match="did you mean 'boost'"):
        build(FusionConfig, {"bost": 0.1}, "fusion")
