"""Target and prior rendering (NumPy only: runs in the default test set)."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.detect.base import PreprocessInfo
from edge_tracker.detect.centernet import CenterNetDecoder
from edge_tracker.distill.targets import (
    render_prior,
    render_targets,
    simulate_stale_prior,
)
from edge_tracker.runtime.interpreter import TensorInfo


def test_empty_boxes_give_zero_targets():
    hm, size, off, mask = render_targets(np.zeros((0, 4)), np.zeros(0), 64, 32, 4)
    assert hm.shape == (8, 16, 1) and size.shape == (8, 16, 2) and off.shape == (8, 16, 2)
    assert hm.max() == 0 and mask.sum() == 0


@pytest.mark.parametrize("score", [1.0, 0.4])
def test_single_box_targets_hand_computed(score):
    # box centre (22, 13) px, 8 x 16 px; stride 4 -> cell (row 3, col 5), offset (0.5, 0.25)
    hm, size, off, mask = render_targets(np.array([[18.0, 5.0, 26.0, 21.0]]),
                                         np.array([score]), 64, 32, 4)
    assert hm[3, 5, 0] == pytest.approx(score)
    assert hm.max() == pytest.approx(score)
    np.testing.assert_allclose(size[3, 5], [2.0, 4.0])
    np.testing.assert_allclose(off[3, 5], [0.5, 0.25])
    assert mask.sum() == 1 and mask[3, 5, 0] == 1


def test_targets_round_trip_through_decoder():
    boxes = np.array([[18.0, 5.0, 26.0, 21.0], [40.0, 8.0, 52.0, 30.0]], np.float32)
    hm, size, off, _ = render_targets(boxes, np.array([0.9, 0.6]), 64, 32, 4)
    outs = [TensorInfo(n, i, (1, 8, 16, c), np.dtype(np.float32), 0.0, 0)
            for i, (n, c) in enumerate((("heatmap", 1), ("size", 2), ("offset", 2)))]
    dec = CenterNetDecoder(outs)
    info = PreprocessInfo(64, 32, 64, 32, 1.0, 1.0)
    got, scores, _ = dec.decode([hm[None], size[None], off[None]], info)
    np.testing.assert_allclose(scores, [0.9, 0.6], rtol=1e-6)
    np.testing.assert_allclose(got, boxes, atol=1e-4)


def test_prior_shape_range_and_peak():
    p = render_prior(np.array([[8.0, 8.0, 24.0, 24.0]]), np.array([0.8]), 40, 30)
    assert p.shape == (30, 40) and p.dtype == np.float32
    assert p.max() == pytest.approx(0.8) and p.min() >= 0
    assert render_prior(np.zeros((0, 4)), np.zeros(0), 40, 30).max() == 0


def test_stale_prior_dropout_all_and_none():
    b = np.array([[8.0, 8.0, 24.0, 24.0]])
    rng = np.random.default_rng(0)
    assert simulate_stale_prior(b, np.array([1.0]), 40, 30, rng, dropout=1.0).max() == 0
    exact = simulate_stale_prior(b, np.array([1.0]), 40, 30, rng, jitter=0.0, dropout=0.0)
    np.testing.assert_allclose(exact, render_prior(b, np.array([1.0]), 40, 30))
