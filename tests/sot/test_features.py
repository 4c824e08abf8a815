"""Feature extractors: HOG-lite, hand-crafted fallback, model selection."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.errors import ModelError
from edge_tracker.sot.features import (
    N_ORIENT,
    HandcraftedFeatures,
    hog_lite,
    make_features,
)
from edge_tracker.sot.tracker import CorrelationTracker, SotConfig


def test_hog_of_a_vertical_edge_votes_horizontal_gradient():
    """A vertical step edge: gradient along x, angle 0 -> half to bin 0, half to bin 8
    (bin centres at 10 and 170 degrees); flat cells have no energy."""
    g = np.zeros((8, 16), np.float32)
    g[:, 8:] = 1.0
    h = hog_lite(g, 4)
    assert h.shape == (2, 4, N_ORIENT)
    edge = h[0, 1]  # the cell holding column 7 (gradient at x = 7 and 8)
    assert edge[0] == pytest.approx(edge[8]) and edge[0] > 0
    assert np.all(edge[1:8] == 0)
    assert np.all(h[:, 3] == 0)  # flat cells


def test_hog_batch_equals_single():
    rng = np.random.default_rng(0)
    g = rng.random((3, 16, 12)).astype(np.float32)
    batch = hog_lite(g, 4)
    for i in range(3):
        np.testing.assert_allclose(batch[i], hog_lite(g[i], 4), rtol=1e-5, atol=1e-6)


def test_hog_empty_patch_is_finite_zero():
    h = hog_lite(np.zeros((8, 8), np.float32), 4)
    assert np.all(h == 0)


def test_handcrafted_shape_dtype_and_patch_size():
    f = HandcraftedFeatures(cell=4, template_size=64)
    pw, ph = f.patch_size(50.0, 100.0)
    assert pw % 4 == 0 and ph % 4 == 0
    assert ph / pw == pytest.approx(2.0, rel=0.1)
    assert np.sqrt(pw * ph) == pytest.approx(64, rel=0.1)
    x = f(np.full((ph, pw, 3), 128, np.uint8))
    assert x.shape == (ph // 4, pw // 4, f.channels) and x.dtype == np.float32
    assert f.channels == 12


def test_handcrafted_colour_channels_see_colour():
    f = HandcraftedFeatures(cell=4)
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 2] = 200
    blue = np.zeros((16, 16, 3), np.uint8)
    blue[..., 0] = 200
    fr, fb = f(red), f(blue)
    # Cr (channel 10) high for red, Cb (channel 11) high for blue
    assert fr[0, 0, 10] > fb[0, 0, 10] and fb[0, 0, 11] > fr[0, 0, 11]


def test_grey_only_variant():
    f = HandcraftedFeatures(colour=False)
    assert f(np.zeros((16, 16, 3), np.uint8)).shape[-1] == f.channels == 10


@pytest.mark.parametrize("kind, model", [("auto", None), ("auto", "/nonexistent/x.tflite"),
                                         ("handcrafted", "/nonexistent/x.tflite")])
def test_fallback_to_handcrafted_without_model(kind, model):
    assert isinstance(make_features(kind, 4, 96, model), HandcraftedFeatures)


def test_learned_without_model_is_a_clear_error():
    with pytest.raises(ModelError, match="need a feature model"):
        make_features("learned", 4, 96, None)
    with pytest.raises(ModelError, match="not found"):
        make_features("learned", 4, 96, "/nonexistent/x.tflite")


def test_tracker_runs_with_no_model_at_all(tmp_path):
    """features=handcrafted never touches a model file: the tracker works on a bare
    install (no bundled net, no LiteRT call)."""
    tr = CorrelationTracker(SotConfig(features="handcrafted",
                                      feature_model=str(tmp_path / "absent.tflite")))
    img = np.random.default_rng(0).integers(0, 255, (80, 90, 3), dtype=np.uint8)
    tr.init(img, (30, 20, 20, 30))
    r = tr.update(img)
    assert tr.features.name == "handcrafted"
    assert r.box == pytest.approx((30, 20, 20, 30), abs=1.0)
