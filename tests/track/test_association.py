"""Association: score fusion, height similarity, thresholded Hungarian, empty inputs."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.track.association import (
    fuse_score,
    height_similarity,
    linear_assignment,
    match,
    similarity_matrix,
)


def test_linear_assignment_prefers_leaving_unmatched_over_a_worse_pair():
    # Track A fits det 0 well (cost 0.1) and det 1 badly (0.7); track B only fits det 0
    # (0.65). Forcing two matches (A-1, B-0: 1.35) is worse than A-0 alone plus two free
    # ends, as lap.lapjv(cost_limit=0.8) in ByteTrack decides.
    cost = np.array([[0.1, 0.7], [0.65, 0.95]])
    m, ur, uc = linear_assignment(cost, 0.8)
    assert m.tolist() == [[0, 0]]
    assert ur.tolist() == [1] and uc.tolist() == [1]


def test_linear_assignment_threshold_and_order():
    cost = np.array([[0.9, 0.2, 0.5], [0.1, 0.95, 0.95]])
    m, ur, uc = linear_assignment(cost, 0.4)
    assert sorted(m.tolist()) == [[0, 1], [1, 0]]
    assert ur.size == 0 and uc.tolist() == [2]
    m, ur, uc = linear_assignment(cost, 0.05)
    assert m.shape == (0, 2) and ur.tolist() == [0, 1] and uc.tolist() == [0, 1, 2]


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (2, 0)])
def test_linear_assignment_empty(shape):
    m, ur, uc = linear_assignment(np.zeros(shape), 0.5)
    assert m.shape == (0, 2) and m.dtype == np.int64
    assert ur.tolist() == list(range(shape[0])) and uc.tolist() == list(range(shape[1]))


def test_fuse_and_height_similarity():
    sim = np.array([[0.5, 1.0]], np.float32)
    np.testing.assert_allclose(fuse_score(sim, np.array([0.5, 0.2])), [[0.25, 0.2]])
    t = np.array([[0, 0, 10, 100]], np.float32)
    d = np.array([[0, 0, 10, 50], [0, 0, 10, 100], [0, 0, 10, 200]], np.float32)
    np.testing.assert_allclose(height_similarity(t, d), [[0.5, 1.0, 0.5]])


def test_similarity_matrix_combines_iou_height_and_score():
    t = np.array([[0, 0, 10, 10]], np.float32)
    d = np.array([[0, 0, 10, 5], [0, 0, 10, 10]], np.float32)   # IoU 0.5 and 1
    iou, sim = similarity_matrix(t, d, np.array([1.0, 0.5]), fuse=True, height_weight=1.0)
    np.testing.assert_allclose(iou, [[0.5, 1.0]])
    np.testing.assert_allclose(sim, [[0.25, 0.5]])              # 0.5*0.5*1, 1*1*0.5
    iou, sim = similarity_matrix(np.zeros((0, 4)), d, np.ones(2))
    assert iou.shape == (0, 2) and sim.shape == (0, 2)


def test_match_with_gate_and_floor():
    sim = np.array([[0.9, 0.8], [0.85, 0.1]], np.float32)
    gate = np.array([[True, True], [False, True]])
    m, ur, uc = match(sim, gate, 0.3)
    assert m.tolist() == [[0, 0]]          # (1, 0) is gated, (1, 1) below the floor
    assert ur.tolist() == [1] and uc.tolist() == [1]
    m, _, _ = match(sim, None, 0.3)
    assert sorted(m.tolist()) == [[0, 1], [1, 0]]   # 0.8 + 0.85 beats 0.9 alone
