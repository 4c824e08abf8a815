import numpy as np
import pytest

from edge_tracker.detect.nms import box_area, iou_matrix, nms


@pytest.mark.parametrize("a, b, expected", [
    ([[0, 0, 10, 10]], [[0, 0, 10, 10]], [[1.0]]),
    ([[0, 0, 10, 10]], [[5, 0, 15, 10]], [[50 / 150]]),
    ([[0, 0, 10, 10]], [[10, 10, 20, 20]], [[0.0]]),          # touching corners
    ([[0, 0, 10, 10]], [[2, 2, 4, 4]], [[4 / 100]]),            # contained
    ([[0, 0, 0, 10]], [[0, 0, 10, 10]], [[0.0]]),               # zero-area box
    ([[0, 0, 10, 10], [0, 0, 5, 5]], [[0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 5, 10]],
     [[1.0, 0.0, 0.5], [0.25, 0.0, 0.5]]),
])
def test_iou_matrix_hand_computed(a, b, expected):
    out = iou_matrix(np.array(a, np.float32), np.array(b, np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.array(expected, np.float32), rtol=1e-6)


@pytest.mark.parametrize("n, m", [(0, 0), (0, 3), (2, 0)])
def test_iou_matrix_empty(n, m):
    out = iou_matrix(np.zeros((n, 4), np.float32), np.zeros((m, 4), np.float32))
    assert out.shape == (n, m) and out.dtype == np.float32


def test_box_area():
    np.testing.assert_allclose(box_area(np.array([[0, 0, 2, 3], [5, 5, 4, 9]])), [6, 0])


BOXES = np.array([
    [0, 0, 10, 10],     # 0  score .9
    [1, 0, 11, 10],     # 1  .8  IoU with 0 = 90/110 = .818 -> suppressed
    [0, 0, 10, 10.5],   # 2  .3  IoU with 0 = .952 -> suppressed
    [20, 20, 30, 30],   # 3  .85 separate
    [5, 0, 15, 10],     # 4  .7  IoU with 0 = 1/3, with 1 (suppressed) irrelevant
], np.float32)
SCORES = np.array([0.9, 0.8, 0.3, 0.85, 0.7], np.float32)


@pytest.mark.parametrize("thr, expected", [
    (0.5, [0, 3, 4]),
    (0.3, [0, 3]),           # 4 has IoU 1/3 > .3 with 0
    (0.99, [0, 3, 1, 4, 2]),  # nothing overlaps that much
])
def test_nms_greedy(thr, expected):
    keep = nms(BOXES, SCORES, thr)
    assert keep.dtype == np.int64
    assert keep.tolist() == expected


def test_nms_class_aware_keeps_overlaps_of_other_classes():
    classes = np.array([0, 1, 0, 0, 0])
    assert nms(BOXES, SCORES, 0.5, classes=classes).tolist() == [0, 3, 1, 4]
    assert nms(BOXES, SCORES, 0.5).tolist() == [0, 3, 4]


def test_nms_class_offset_with_negative_coordinates():
    boxes = np.array([[-50, -50, -40, -40], [-50, -50, -40, -40]], np.float32)
    assert nms(boxes, np.array([0.5, 0.6]), 0.5, classes=np.array([0, 1])).tolist() == [1, 0]
    assert nms(boxes, np.array([0.5, 0.6]), 0.5, classes=np.array([2, 2])).tolist() == [1]


@pytest.mark.parametrize("max_det, expected", [(1, [0]), (2, [0, 3]), (0, []), (None, [0, 3, 4])])
def test_nms_max_detections(max_det, expected):
    assert nms(BOXES, SCORES, 0.5, max_detections=max_det).tolist() == expected


def test_nms_empty_and_single():
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5, classes=np.zeros(0)).shape == (0,)
    assert nms(BOXES[:1], SCORES[:1], 0.5).tolist() == [0]


def test_nms_equal_scores_keep_first_index():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    assert nms(boxes, np.array([0.5, 0.5]), 0.5).tolist() == [0]


def test_nms_shape_mismatch():
    with pytest.raises(ValueError, match="3 scores"):
        nms(BOXES[:2], np.zeros(3), 0.5)


def test_nms_matches_reference_loop_on_random_boxes():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (200, 2)).astype(np.float32)
    boxes = np.concatenate([xy, xy + rng.uniform(5, 40, (200, 2)).astype(np.float32)], 1)
    scores = rng.uniform(0, 1, 200).astype(np.float32)
    # Reference: textbook greedy NMS, one box at a time.
    order = list(np.argsort(-scores, kind="stable"))
    ref = []
    while order:
        i = order.pop(0)
        ref.append(i)
        order = [j for j in order if iou_matrix(boxes[i:i + 1], boxes[j:j + 1])[0, 0] <= 0.45]
    assert nms(boxes, scores, 0.45).tolist() == ref
