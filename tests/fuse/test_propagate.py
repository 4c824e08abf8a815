import numpy as np
import pytest

from edge_tracker.fuse.propagate import TrackHistory, match, propagate


def b(*rows):
    return np.array(rows, np.float32).reshape(-1, 4)


def test_propagate_moves_matched_boxes_by_track_displacement():
    teacher_t0 = b([10, 10, 20, 30], [100, 100, 110, 120])
    hist_ids = np.array([7, 9], np.int64)
    hist_boxes = b([11, 10, 21, 30], [300, 300, 310, 320])   # track 7 matches box 0
    now_ids = np.array([9, 7], np.int64)
    now_boxes = b([305, 300, 315, 320], [16, 12, 26, 32])    # track 7 moved (+5, +2)
    out, tids = propagate(teacher_t0, hist_ids, hist_boxes, now_ids, now_boxes, 0.3)
    np.testing.assert_allclose(out[0], [15, 12, 25, 32])
    np.testing.assert_allclose(out[1], [100, 100, 110, 120])  # unmatched: stays
    assert tids.tolist() == [7, -1]


def test_propagate_track_gone_keeps_box_and_id():
    out, tids = propagate(b([0, 0, 10, 10]), np.array([3]), b([0, 0, 10, 10]),
                          np.zeros(0, np.int64), b(), 0.3)
    np.testing.assert_allclose(out, b([0, 0, 10, 10]))
    assert tids.tolist() == [3]


@pytest.mark.parametrize("n_teacher,n_hist", [(0, 0), (0, 2), (2, 0)])
def test_propagate_empty(n_teacher, n_hist):
    t = b(*[[0, 0, 10, 10]] * n_teacher)
    h = b(*[[0, 0, 10, 10]] * n_hist)
    out, tids = propagate(t, np.arange(n_hist), h, np.arange(n_hist), h, 0.3)
    assert out.shape == (n_teacher, 4) and tids.shape == (n_teacher,)
    assert (tids == -1).all()


def test_match_one_to_one_best_total_iou():
    a = b([0, 0, 10, 10], [5, 0, 15, 10])
    c = b([5, 0, 15, 10])
    ia, ib = match(a, c, 0.3)
    assert ia.tolist() == [1] and ib.tolist() == [0]


def test_history_returns_closest_entry_and_forgets_old():
    h = TrackHistory(horizon_s=1.0)
    for k in range(5):
        h.record(k * 0.5, np.array([k]), b([k, 0, k + 1, 1]))
    ids, _ = h.at(1.4)
    assert ids.tolist() == [3]                 # t = 1.5 is closest
    ids, _ = h.at(0.0)
    assert ids.tolist() == [2]                 # t < 1.0 dropped (newest is 2.0)
    assert TrackHistory().at(0.0) is None


def test_history_latest_is_the_newest_entry():
    h = TrackHistory(horizon_s=1.0)
    assert h.latest() is None
    h.record(0.0, np.array([1]), b([0, 0, 1, 1]))
    h.record(0.5, np.array([2, 3]), b([0, 0, 2, 2], [5, 5, 6, 6]))
    ids, boxes = h.latest()
    assert ids.tolist() == [2, 3]
    np.testing.assert_allclose(boxes, [[0, 0, 2, 2], [5, 5, 6, 6]])
