"""CorrelationTracker on synthetic scenes: translation, scale, loss of target, config."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.configbase import build, check_defaults
from edge_tracker.errors import ConfigError
from edge_tracker.sot.tracker import CorrelationTracker, SotConfig

from .synth import scene, texture

CFG = SotConfig(features="handcrafted")


def centre(box) -> np.ndarray:
    x, y, w, h = box
    return np.array([x + w / 2, y + h / 2])


@pytest.mark.parametrize("velocity", [(0.0, 0.0), (2.0, 0.0), (0.0, -1.5), (1.7, 1.3),
                                      (-2.6, 0.8)])
def test_known_shift_recovered_to_a_pixel(velocity):
    frames, gt = scene(12, velocity=velocity)
    tr = CorrelationTracker(CFG)
    tr.init(frames[0], gt[0])
    for img, box in zip(frames[1:], gt[1:]):
        r = tr.update(img)
        assert np.all(np.abs(centre(r.box) - centre(box)) <= 1.0), (r.box, box)
        assert not r.lost


def test_single_large_jump_recovered():
    """A one-frame jump of (6, -4) px (inside the search window) is found to a pixel."""
    frames, gt = scene(2, velocity=(6.0, -4.0))
    tr = CorrelationTracker(CFG)
    tr.init(frames[0], gt[0])
    r = tr.update(frames[1])
    np.testing.assert_allclose(centre(r.box), centre(gt[1]), atol=1.0)


@pytest.mark.parametrize("rate, velocity", [(1.01, (0.5, 0.3)), (0.99, (0.5, 0.3)),
                                            (1.02, (0.0, 0.0)), (0.98, (0.0, 0.0))])
def test_scale_change_recovered(rate, velocity):
    """The object grows / shrinks 1 % per frame while moving, or 2 % per frame in place,
    for 15 frames (x1.16 / x0.86, x1.35 / x0.74): the estimated size follows within 7 %
    (DSST-style estimates lag a little behind steady growth)."""
    frames, gt = scene(16, size=(34.0, 44.0), scale_per_frame=rate, velocity=velocity,
                       shape=(200, 240), start=(120.0, 100.0))
    tr = CorrelationTracker(CFG)
    tr.init(frames[0], gt[0])
    for img in frames[1:]:
        r = tr.update(img)
    true_scale = gt[-1][2] / gt[0][2]
    assert r.scale == pytest.approx(true_scale, rel=0.07)
    assert r.box[2] == pytest.approx(gt[-1][2], rel=0.07)
    assert abs(np.log(r.scale)) > 0.6 * abs(np.log(true_scale))  # clearly not stuck at 1
    np.testing.assert_allclose(centre(r.box), centre(gt[-1]), atol=1.5)


def test_without_scale_filter_size_is_fixed():
    frames, gt = scene(6, scale_per_frame=1.03)
    tr = CorrelationTracker(SotConfig(features="handcrafted", scale=False))
    tr.init(frames[0], gt[0])
    for img in frames[1:]:
        r = tr.update(img)
    assert r.scale == 1.0
    assert r.box[2] == pytest.approx(gt[0][2])


def test_loss_of_target_flagged_when_target_leaves():
    """Confident while the object is there; when it is gone (background only) the PSR
    drops below psr_lost and the result says lost."""
    frames, gt = scene(10, velocity=(1.0, 0.0))
    tr = CorrelationTracker(CFG)
    tr.init(frames[0], gt[0])
    psrs = [tr.update(img).psr for img in frames[1:]]
    assert min(psrs) > CFG.psr_lost
    # the object leaves: frames of another, unrelated texture (nothing to correlate with)
    gone = [texture(*frames[0].shape[:2], seed=500 + i, blur=3.0) for i in range(3)]
    results = [tr.update(img) for img in gone]
    assert all(r.lost for r in results), [r.psr for r in results]
    assert max(r.psr for r in results) < min(psrs) / 2


def test_no_learning_while_lost():
    """Below psr_update the model is not updated (an occluder is not learned)."""
    frames, gt = scene(4)
    tr = CorrelationTracker(CFG)
    tr.init(frames[0], gt[0])
    tr.update(frames[1])
    num = tr.filter.num.copy()
    gone = texture(*frames[0].shape[:2], seed=900, blur=3.0)
    r = tr.update(gone)
    assert r.psr < CFG.psr_update
    np.testing.assert_array_equal(tr.filter.num, num)


def test_recenter_moves_and_relearns():
    frames, gt = scene(3, velocity=(0.0, 0.0))
    tr = CorrelationTracker(CFG)
    tr.init(frames[0], gt[0])
    tr.recenter(None, (10.0, 12.0, 60.0, 80.0))
    x, y, w, h = tr.box
    assert (x, y, w, h) == pytest.approx((10.0, 12.0, 60.0, 80.0), rel=0.05)
    # back on the object, with appearance re-learned from that frame (blend 1.0)
    tr.recenter(frames[1], gt[1], blend=1.0)
    r = tr.update(frames[2])
    np.testing.assert_allclose(centre(r.box), centre(gt[2]), atol=1.0)


def test_box_at_image_border_and_tiny_box():
    frames, gt = scene(4, start=(8.0, 8.0), size=(10.0, 12.0), velocity=(0.5, 0.5))
    tr = CorrelationTracker(CFG)
    tr.init(frames[0], gt[0])
    for img in frames[1:]:
        r = tr.update(img)
    assert np.all(np.isfinite(r.box)) and r.box[2] > 0 and r.box[3] > 0


@pytest.mark.parametrize("box", [(0, 0, 0, 10), (0, 0, 10, -1)])
def test_init_rejects_empty_box(box):
    frames, _ = scene(1)
    with pytest.raises(ValueError, match="positive width and height"):
        CorrelationTracker(CFG).init(frames[0], box)


def test_update_before_init():
    with pytest.raises(RuntimeError, match="before init"):
        CorrelationTracker(CFG).update(np.zeros((50, 50, 3), np.uint8))


def test_config_defaults_within_bounds():
    check_defaults(SotConfig)


@pytest.mark.parametrize("data, key, text", [
    ({"learning_rate": 0.0}, "sot.learning_rate", "> 0.0"),
    ({"padding": 9.0}, "sot.padding", "<= 6.0"),
    ({"n_scales": 16}, "sot.n_scales", "must be odd"),
    ({"features": "cnn"}, "sot.features", "must be one of"),
    ({"psr_lsot": 3.0}, "sot.psr_lsot", "did you mean 'psr_lost'"),
])
def test_config_errors_name_key_and_bound(data, key, text):
    with pytest.raises(ConfigError) as exc:
        build(SotConfig, data, "sot")
    assert exc.value.key_path == key
    assert text in str(exc.value)
