"""Batched constant-velocity Kalman filter: hand-computed steps, batch == single, compact ==
full covariance, time (dt) awareness, empty batches."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.track.kalman import (
    KalmanFilter,
    compact_to_full,
    full_to_compact,
    measurement_to_xyxy,
    xyxy_to_measurement,
)


def _random_tracks(kf: KalmanFilter, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(50, 500, (k, 2))
    wh = rng.uniform(20, 120, (k, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    mean, cov = kf.initiate(xyxy_to_measurement(boxes, kf.layout))
    mean[:, 4:6] = rng.uniform(-60, 60, (k, 2))  # px/s
    return mean, cov, boxes


@pytest.mark.parametrize("layout", ["xywh", "xyah"])
def test_box_conversions_round_trip(layout):
    boxes = np.array([[10, 20, 50, 100], [0, 0, 1, 2]], np.float32)
    z = xyxy_to_measurement(boxes, layout)
    np.testing.assert_allclose(z[0, :2], [30, 60])
    np.testing.assert_allclose(z[0, 3], 80)
    np.testing.assert_allclose(z[0, 2], 40 if layout == "xywh" else 0.5)
    np.testing.assert_allclose(measurement_to_xyxy(z, layout), boxes, atol=1e-5)


def test_initiate_hand_computed():
    # xywh, w=40, h=80: position std 2/20 * size, velocity std 10/160 * size per (1/30 s).
    kf = KalmanFilter("xywh")
    mean, cov = kf.initiate(np.array([[100, 200, 40, 80]], np.float32))
    np.testing.assert_allclose(mean[0], [100, 200, 40, 80, 0, 0, 0, 0])
    np.testing.assert_allclose(np.diag(cov[0]), [16, 64, 16, 64, 75**2, 150**2, 75**2, 150**2],
                               rtol=1e-5)
    assert np.count_nonzero(cov[0] - np.diag(np.diag(cov[0]))) == 0


def test_predict_then_update_hand_computed():
    kf = KalmanFilter("xywh")
    mean, cov = kf.initiate(np.array([[100, 200, 40, 80]], np.float32))
    mean[0, 4] = 30.0                                    # 30 px/s to the right
    m1, c1 = kf.predict(mean, cov, 1.0 / 30)
    # x moves dt * v = 1 px; P_xx = 16 + dt^2 * 75^2 + (w/20)^2 * (dt/dt_ref) = 16 + 6.25 + 4
    np.testing.assert_allclose(m1[0, :4], [101, 200, 40, 80], rtol=1e-6)
    np.testing.assert_allclose(c1[0, 0, 0], 26.25, rtol=1e-5)
    np.testing.assert_allclose(c1[0, 0, 4], 75**2 / 30, rtol=1e-5)     # dt * V
    np.testing.assert_allclose(c1[0, 4, 4], 75**2 + 7.5**2, rtol=1e-5)  # V + (w/160*30)^2
    # Update with x measured 30.25 px right of the prediction: R_xx = (w/20)^2 = 4,
    # S = 30.25, gain 26.25/30.25 -> x moves by 26.25; velocity by (187.5/30.25)*30.25.
    z = np.array([[101 + 30.25, 200, 40, 80]], np.float32)
    m2, c2 = kf.update(m1, c1, z)
    np.testing.assert_allclose(m2[0, 0], 101 + 26.25, rtol=1e-5)
    np.testing.assert_allclose(m2[0, 4], 30 + 187.5, rtol=1e-4)
    np.testing.assert_allclose(c2[0, 0, 0], 26.25 * 4 / 30.25, rtol=1e-4)
    np.testing.assert_allclose(m2[0, 1:4], [200, 40, 80], rtol=1e-6)


@pytest.mark.parametrize("layout", ["xywh", "xyah"])
def test_batch_equals_single(layout):
    kf = KalmanFilter(layout)
    mean, cov, boxes = _random_tracks(kf, 6)
    z = xyxy_to_measurement(boxes + 3.0, layout)
    bm, bc = kf.update(*kf.predict(mean, cov, 0.1), z)
    for i in range(6):
        sm, sc = kf.update(*kf.predict(mean[i:i + 1], cov[i:i + 1], 0.1), z[i:i + 1])
        np.testing.assert_allclose(bm[i], sm[0], rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(bc[i], sc[0], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("layout", ["xywh", "xyah"])
def test_compact_equals_full_over_many_steps(layout):
    kf = KalmanFilter(layout)
    mean, cov, _ = _random_tracks(kf, 5, seed=3)
    cm, cc = mean.copy(), full_to_compact(cov)
    np.testing.assert_array_equal(compact_to_full(cc), cov)
    m0, c0 = kf.initiate_compact(mean[:, :4])
    np.testing.assert_array_equal(m0[:, :4], mean[:, :4])
    np.testing.assert_array_equal(compact_to_full(c0), kf.initiate(mean[:, :4])[1])
    rng = np.random.default_rng(1)
    for step in range(12):
        dt = [1 / 30, 0.2, 0.0][step % 3]
        mean, cov = kf.predict(mean, cov, dt)
        cm, cc = kf.predict_compact(cm, cc, dt)
        if step % 4 != 3:  # some prediction-only steps
            z = mean[:, :4] + rng.normal(0, 2, (5, 4)).astype(np.float32)
            if layout == "xyah":
                z[:, 2] = mean[:, 2]
            mean, cov = kf.update(mean, cov, z)
            cm, cc = kf.update_compact(cm, cc, z)
        np.testing.assert_allclose(cm, mean, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(compact_to_full(cc), cov, rtol=1e-3, atol=1e-3)


def test_predict_is_dt_aware():
    """Two steps of dt equal one step of 2 dt in the mean; dt = 0 changes nothing."""
    kf = KalmanFilter("xywh")
    mean, cov, _ = _random_tracks(kf, 3)
    m2, _ = kf.predict(*kf.predict(mean, cov, 0.1), 0.1)
    m1, c1 = kf.predict(mean, cov, 0.2)
    np.testing.assert_allclose(m1, m2, rtol=1e-5)
    np.testing.assert_allclose(m1[:, :2], mean[:, :2] + 0.2 * mean[:, 4:6], rtol=1e-5)
    m0, c0 = kf.predict(mean, cov, 0.0)
    np.testing.assert_array_equal(m0, mean)
    np.testing.assert_allclose(c0, cov)
    # A longer gap leaves the position more uncertain.
    assert np.all(c1[:, 0, 0] > kf.predict(mean, cov, 0.1)[1][:, 0, 0])


def test_empty_batches():
    kf = KalmanFilter()
    m, c = kf.initiate(np.zeros((0, 4), np.float32))
    assert m.shape == (0, 8) and c.shape == (0, 8, 8)
    assert kf.predict(m, c, 0.1)[0].shape == (0, 8)
    assert kf.update(m, c, np.zeros((0, 4)))[1].shape == (0, 8, 8)
    assert kf.predict_compact(m, np.zeros((0, 12)), 0.1)[1].shape == (0, 12)
    assert kf.update_compact(m, np.zeros((0, 12)), np.zeros((0, 4)))[0].shape == (0, 8)
    assert kf.gating_distance(m, c, np.zeros((3, 4))).shape == (0, 3)


def test_gating_distance_hand_computed():
    kf = KalmanFilter("xywh")
    mean, cov = kf.initiate(np.array([[100, 200, 40, 80]], np.float32))
    # S = P + R = diag(16 + 4, 64 + 16, 16 + 4, 64 + 16); a 10 px x offset gives 100 / 20.
    d = kf.gating_distance(mean, cov, np.array([[110, 200, 40, 80], [100, 200, 40, 80]]))
    np.testing.assert_allclose(d, [[5.0, 0.0]], rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{"layout": "xyxy"}, {"dt_ref": 0.0}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        KalmanFilter(**kwargs)
