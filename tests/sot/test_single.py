"""SingleTargetFollower: Frame in, TrackView out, teacher recenter hook."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.sot.single import SingleTargetFollower, xywh_to_xyxy, xyxy_to_xywh
from edge_tracker.sot.tracker import SotConfig
from edge_tracker.types import Detections, Frame

from .synth import scene, texture

CFG = SotConfig(features="handcrafted")


def frames_of(images, fps=10.0):
    return [Frame(img, i, i / fps) for i, img in enumerate(images)]


def test_box_conversions_round_trip():
    assert xyxy_to_xywh((1, 2, 4, 8)) == (1, 2, 3, 6)
    assert xywh_to_xyxy(xyxy_to_xywh((1, 2, 4, 8))) == (1, 2, 4, 8)


def test_follow_and_views():
    images, gt = scene(6, velocity=(1.5, 0.5))
    frames = frames_of(images)
    f = SingleTargetFollower(CFG, track_id=7, label=3)
    assert f.update(frames[0]) == []          # not started: nothing
    v0 = f.start(frames[0], xywh_to_xyxy(gt[0]))
    assert v0.id == 7 and v0.label == 3 and v0.state == "confirmed" and v0.score == 1.0
    for fr, box in zip(frames[1:], gt[1:]):
        (v,) = f.update(fr)
        assert v.state == "confirmed" and 0 < v.score <= 1
        np.testing.assert_allclose(v.box, xywh_to_xyxy(box), atol=1.5)
        assert v.t_last_seen == fr.t_capture
    assert not f.needs_redetect


def test_lost_then_recentered_by_teacher():
    images, gt = scene(4)
    frames = frames_of(images)
    f = SingleTargetFollower(CFG)
    f.start(frames[0], xywh_to_xyxy(gt[0]))
    f.update(frames[1])
    other = Frame(texture(*images[0].shape[:2], seed=77, blur=3.0), 2, 0.2)
    (v,) = f.update(other)
    assert f.needs_redetect and v.state == "lost"
    assert v.t_last_seen == pytest.approx(0.1)  # last confident frame's time
    # the teacher finds the target again: pick the detection nearest the last box
    dets = Detections(np.array([[150, 5, 170, 30], xywh_to_xyxy(gt[3])], np.float32),
                      np.array([0.9, 0.6], np.float32), np.zeros(2, np.int32), 3, "teacher")
    best = f.pick(dets)
    np.testing.assert_allclose(best, xywh_to_xyxy(gt[3]))
    f.recenter(best, frames[3])
    assert not f.needs_redetect and f.recenters == 1
    (v,) = f.update(frames[3])
    assert v.state == "confirmed"
    np.testing.assert_allclose(v.box, xywh_to_xyxy(gt[3]), atol=1.5)


def test_pick_empty_and_min_iou():
    images, gt = scene(1)
    f = SingleTargetFollower(CFG)
    assert f.pick(Detections.empty()) is None
    far = Detections(np.array([[0, 0, 5, 5]], np.float32), np.array([0.9], np.float32),
                     np.zeros(1, np.int32))
    assert f.pick(far) is not None           # not started: the best-scoring one
    f.start(Frame(images[0], 0, 0.0), xywh_to_xyxy(gt[0]))
    assert f.pick(far, min_iou=0.1) is None  # no overlap with the target


def test_recenter_before_start_needs_frame():
    f = SingleTargetFollower(CFG)
    with pytest.raises(RuntimeError, match="needs the frame"):
        f.recenter((0, 0, 10, 10))
    images, gt = scene(1)
    f.recenter(xywh_to_xyxy(gt[0]), Frame(images[0], 0, 0.0))
    assert f.started
