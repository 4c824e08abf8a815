"""OTB metrics with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.evaluation.otb import (
    SUCCESS_THRESHOLDS,
    centre_error,
    evaluate,
    iou_xywh,
    load_groundtruth,
    success_curve,
)


@pytest.mark.parametrize("a, b, iou", [
    ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),
    ((0, 0, 10, 10), (5, 0, 10, 10), 50 / 150),
    ((0, 0, 10, 10), (20, 20, 5, 5), 0.0),
    ((0, 0, 4, 4), (1, 1, 2, 2), 4 / 16),
    ((0, 0, 0, 0), (0, 0, 0, 0), 0.0),   # empty union: 0, not NaN
])
def test_iou(a, b, iou):
    assert iou_xywh(np.array([a]), np.array([b]))[0] == pytest.approx(iou)


def test_centre_error():
    assert centre_error(np.array([[0, 0, 10, 10]]), np.array([[3, 4, 10, 10]]))[0] == 5.0


def test_success_curve_thresholds_and_strictness():
    assert len(SUCCESS_THRESHOLDS) == 21 and SUCCESS_THRESHOLDS[1] == pytest.approx(0.05)
    c = success_curve(np.array([0.0, 0.5, 1.0]))
    assert c[0] == pytest.approx(2 / 3)      # IoU > 0: strictly, the 0 does not count
    assert c[10] == pytest.approx(1 / 3)     # IoU > 0.5: only the 1.0
    assert c[20] == 0.0                      # IoU > 1 never
    assert success_curve(np.array([])).shape == (21,)


def test_evaluate_hand_computed():
    """4 frames: perfect, half-overlap (1/3 IoU, centre 5 px off), disjoint 30 px away,
    and one frame with invalid ground truth (excluded)."""
    gt = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 0, 0]], float)
    pred = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [30, 0, 10, 10], [0, 0, 10, 10]], float)
    s = evaluate(pred, gt)
    assert s.frames == 3
    ious = np.array([1.0, 1 / 3, 0.0])
    expected_curve = [(ious > t).mean() for t in SUCCESS_THRESHOLDS]
    assert s.success_curve == pytest.approx(expected_curve)
    # thresholds 0..0.3 (7 points): 2/3; 0.35..0.95 (13 points): 1/3; 1.0: 0
    assert s.auc == pytest.approx((7 * 2 / 3 + 13 * 1 / 3) / 21)
    assert s.precision_20px == pytest.approx(2 / 3)   # errors 0, 5, 30


def test_evaluate_all_invalid_is_zero():
    s = evaluate(np.zeros((2, 4)), np.zeros((2, 4)))
    assert s.frames == 0 and s.auc == 0.0 and s.precision_20px == 0.0


def test_evaluate_length_mismatch():
    with pytest.raises(ValueError, match="differ in length"):
        evaluate(np.zeros((2, 4)), np.zeros((3, 4)))


@pytest.mark.parametrize("sep", [",", " ", "\t", ", "])
def test_load_groundtruth_separators(tmp_path, sep):
    p = tmp_path / "groundtruth_rect.txt"
    p.write_text(f"1{sep}2{sep}3{sep}4\n5{sep}6{sep}7{sep}8\n\n")
    np.testing.assert_array_equal(load_groundtruth(p), [[1, 2, 3, 4], [5, 6, 7, 8]])


def test_load_groundtruth_bad_line_names_file_and_line(tmp_path):
    p = tmp_path / "gt.txt"
    p.write_text("1,2,3,4\n1,2,3\n")
    with pytest.raises(ValueError, match=r"gt.txt:2: expected 4 numbers"):
        load_groundtruth(p)
