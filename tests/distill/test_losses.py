"""Distillation losses on hand-made tensors (needs TensorFlow: extra `train`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytestmark = pytest.mark.train
tf = pytest.importorskip("tensorflow")

from edge_tracker.distill import losses


def _t(a):
    return tf.constant(np.asarray(a, np.float32))


def test_soft_focal_zero_when_prediction_equals_target():
    y = _t(np.full((1, 2, 2, 1), 0.3))
    mask = _t(np.zeros((1, 2, 2, 1)))
    assert float(losses.soft_focal_heatmap(y, y, mask)) == pytest.approx(0.0, abs=1e-6)


def test_soft_focal_hand_computed():
    # one cell, target 1, prediction 0.5: |1-0.5|^2 * -log(0.5) = 0.25 * ln 2; one centre
    pred, tgt = _t([[[[0.5]]]]), _t([[[[1.0]]]])
    mask = _t([[[[1.0]]]])
    assert float(losses.soft_focal_heatmap(pred, tgt, mask)) == pytest.approx(
        0.25 * math.log(2), rel=1e-5)
    # soft target 0.2 vs 0.6 on one cell, no centres -> normaliser 1
    v = float(losses.soft_focal_heatmap(_t([[[[0.6]]]]), _t([[[[0.2]]]]), mask * 0))
    expected = 0.4 ** 2 * -(0.2 * math.log(0.6) + 0.8 * math.log(0.4))
    assert v == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("mask_sum", [0, 1, 2])
def test_masked_l1(mask_sum):
    pred = np.zeros((1, 1, 3, 2), np.float32)
    tgt = np.array([[[[1, 2], [3, 4], [5, 6]]]], np.float32)
    mask = np.zeros((1, 1, 3, 1), np.float32)
    mask[0, 0, :mask_sum, 0] = 1
    got = float(losses.masked_l1(_t(pred), _t(tgt), _t(mask)))
    expected = [0.0, 3.0, 5.0][mask_sum]   # (|1|+|2|)/1 ; (1+2+3+4)/2
    assert got == pytest.approx(expected)


def test_attention_maps_normalised_and_channel_independent():
    f = np.zeros((1, 2, 2, 3), np.float32)
    f[0, 0, 0] = [1, 1, 1]
    f[0, 1, 1] = [1, 1, 1]
    a = losses.attention_maps(_t(f)).numpy()
    np.testing.assert_allclose(a, [[1 / math.sqrt(2), 0, 0, 1 / math.sqrt(2)]], atol=1e-6)
    g = np.repeat(f[:, :, :, :1], 7, axis=3) * 3  # other channel count and scale
    np.testing.assert_allclose(losses.attention_maps(_t(g)).numpy(), a, atol=1e-6)
    assert float(losses.attention_transfer(_t(g), _t(a))) == pytest.approx(0, abs=1e-5)


def test_attention_transfer_orthogonal_maps():
    f = np.zeros((1, 1, 2, 1), np.float32)
    f[0, 0, 0, 0] = 1
    other = _t([[0.0, 1.0]])
    assert float(losses.attention_transfer(_t(f), other)) == pytest.approx(math.sqrt(2), 1e-5)


def test_fidelity_mse():
    a, b = _t(np.ones((1, 2, 2, 2))), _t(np.zeros((1, 2, 2, 2)))
    assert float(losses.fidelity(a, b)) == pytest.approx(1.0)
    assert float(losses.fidelity(a, a)) == pytest.approx(0.0)


def test_detection_loss_weights():
    z = np.zeros((1, 1, 1, 2), np.float32)
    out = {"heatmap": _t([[[[0.5]]]]), "size": _t(z + 1), "offset": _t(z + 0.5)}
    tg = {"heatmap": _t([[[[0.5]]]]), "size": _t(z), "offset": _t(z), "mask": _t([[[[1.0]]]])}
    t = losses.detection_loss(out, tg)
    assert float(t["size"]) == pytest.approx(2.0)
    assert float(t["offset"]) == pytest.approx(1.0)
    assert float(t["det"]) == pytest.approx(float(t["heatmap"]) + 0.2 + 1.0, rel=1e-5)
