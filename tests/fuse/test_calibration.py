import numpy as np
import pytest

from edge_tracker.fuse.calibration import ScoreCalibrator

T = np.array([[0, 0, 10, 20], [50, 0, 60, 20]], np.float32)


def test_reliable_student_lowers_threshold_stepwise_to_lower_bound():
    c = ScoreCalibrator(init=0.5, lo=0.3, hi=0.9, max_step=0.05, precision_target=0.8,
                        min_evidence=1)
    seq = []
    for _ in range(20):
        # both student boxes agree with the teacher, at scores 0.31 and 0.35
        seq.append(c.update(T, [0.31, 0.35], T))
    assert seq[0] == pytest.approx(0.45)                 # one max_step down
    assert seq[-1] == pytest.approx(0.3)                 # the lower bound, never below
    assert min(seq) >= 0.3


def test_unreliable_student_raises_threshold_to_upper_bound():
    c = ScoreCalibrator(init=0.5, lo=0.3, hi=0.9, max_step=0.1, min_evidence=1)
    fp = np.array([[200, 200, 210, 220]], np.float32)
    for _ in range(20):
        thr = c.update(fp, [0.95], T)                     # never agrees
    assert thr == pytest.approx(0.9)


def test_threshold_between_good_and_bad_scores():
    # agreeing detections score 0.8, disagreeing ones 0.4: the threshold settles above 0.4
    c = ScoreCalibrator(init=0.3, lo=0.3, hi=0.95, max_step=0.05, min_evidence=1)
    boxes = np.concatenate([T, [[300, 0, 310, 20]]]).astype(np.float32)
    for _ in range(30):
        thr = c.update(boxes, [0.8, 0.8, 0.4], T)
    assert 0.4 < thr <= 0.8


def test_no_evidence_keeps_threshold():
    c = ScoreCalibrator(init=0.5, lo=0.3, hi=0.9)
    assert c.update(np.zeros((0, 4)), [], np.zeros((0, 4))) == 0.5


def test_init_outside_bounds_rejected():
    with pytest.raises(ValueError, match="init 0.1 must lie in"):
        ScoreCalibrator(init=0.1, lo=0.2, hi=0.9)
