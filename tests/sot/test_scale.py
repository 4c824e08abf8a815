"""DSST scale filter and the crop/resample helper."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.sot.scale import ScaleFilter, crop_resize

from .synth import render, texture


def test_crop_resize_identity_and_centre_convention():
    img = np.arange(100, dtype=np.float32).reshape(10, 10)
    # the 4x4 region centred on (5, 5) at unit scale: pixels 3..6
    np.testing.assert_allclose(crop_resize(img, 5.0, 5.0, 4, 4, 4, 4), img[3:7, 3:7])
    # 2x downsampling of the whole image: each output pixel is the mean of a 2x2 block
    # (linear interpolation at the block centre)
    out = crop_resize(img, 5.0, 5.0, 10, 10, 5, 5)
    assert out[0, 0] == pytest.approx(img[0:2, 0:2].mean())


def test_crop_resize_outside_replicates_border():
    img = np.full((6, 6), 7.0, np.float32)
    assert np.all(crop_resize(img, -20.0, -20.0, 4, 4, 4, 4) == 7.0)


@pytest.mark.parametrize("s", [0.92, 0.96, 1.0, 1.04, 1.08])
def test_scale_estimate_single_step(s):
    bg = texture(200, 240, 100, blur=3.0)
    obj = texture(64, 64, 0, blur=2.0)
    sf = ScaleFilter(34, 44, n_scales=17, step=1.02)
    sf.update(render(bg, obj, 120, 100, 34, 44), 120, 100, 34, 44, 1.0)
    est = sf.estimate(render(bg, obj, 120, 100, 34 * s, 44 * s), 120, 100, 34, 44)
    assert est == pytest.approx(s, rel=0.015)


def test_scale_factors_symmetric_and_odd():
    sf = ScaleFilter(20, 20, n_scales=5, step=1.1)
    np.testing.assert_allclose(sf.factors, 1.1 ** np.arange(-2, 3))
    with pytest.raises(RuntimeError, match="before update"):
        sf.estimate(np.zeros((50, 50), np.uint8), 25, 25, 20, 20)
