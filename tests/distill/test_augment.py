"""Scale / crop / mosaic augmentation (NumPy + OpenCV only: runs in the default test set)."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.distill.api import _frames_label
from edge_tracker.distill.augment import (
    FILL,
    AugmentSettings,
    Tile,
    plan_tiles,
    warp_boxes,
    warp_grid,
    warp_into,
)
from edge_tracker.distill.dataset import Clip, DataSet, sample_batch


@pytest.mark.parametrize("s,tx,ty,expect", [
    (1.0, 0.0, 0.0, [10, 20, 30, 60]),
    (0.5, 8.0, 4.0, [13, 14, 23, 34]),      # 0.5 * box + (8, 4)
    (2.0, -20.0, 0.0, [0, 40, 40, 120]),    # 2 * box - 20 in x, clipped at 0 (0.75 visible)
])
def test_warp_boxes_hand_computed(s, tx, ty, expect):
    b, sc = warp_boxes(np.array([[10, 20, 30, 60]], np.float32), np.array([0.8]),
                       Tile(0, 0, s, tx, ty, (0, 0, 320, 192)))
    np.testing.assert_allclose(b, [expect])
    np.testing.assert_allclose(sc, [0.8])


def test_warp_boxes_drops_mostly_hidden_and_handles_empty():
    t = Tile(0, 0, 1.0, 0.0, 0.0, (0, 0, 20, 100))
    b, sc = warp_boxes(np.array([[10, 0, 30, 10], [0, 0, 12, 10]], np.float32),
                       np.array([0.9, 0.7]), t)   # first is half inside: kept; second all in
    np.testing.assert_allclose(b, [[10, 0, 20, 10], [0, 0, 12, 10]])
    t2 = Tile(0, 0, 1.0, 0.0, 0.0, (0, 0, 14, 100))
    b, sc = warp_boxes(np.array([[10, 0, 30, 10]], np.float32), np.array([0.9]), t2)
    assert b.shape == (0, 4) and sc.shape == (0,)          # 4 of 20 px inside: dropped
    b, sc = warp_boxes(np.zeros((0, 4), np.float32), np.zeros(0), t)
    assert b.shape == (0, 4) and sc.shape == (0,)


@pytest.mark.parametrize("s,tx,ty", [(0.5, 16.0, 8.0), (1.0, 0.0, 0.0), (2.0, -32.0, -16.0)])
def test_warped_image_and_boxes_stay_aligned(s, tx, ty):
    img = np.zeros((96, 160, 3), np.float32)
    box = np.array([[40, 24, 72, 64]], np.float32)   # a white rectangle = its box
    img[24:64, 40:72] = 1.0
    canvas = np.full_like(img, FILL)
    t = Tile(0, 0, s, tx, ty, (0, 0, 160, 96))
    warp_into(canvas, img, t)
    b, _ = warp_boxes(box, np.array([1.0]), t)
    x1, y1, x2, y2 = b[0]
    inside = canvas[int(y1) + 1:int(y2) - 1, int(x1) + 1:int(x2) - 1]
    assert inside.min() > 0.9                        # the rectangle fills its warped box
    ys, xs = np.nonzero(canvas[:, :, 0] > 0.75)
    assert abs(xs.min() - x1) <= 1 and abs(xs.max() + 1 - x2) <= 1
    assert abs(ys.min() - y1) <= 1 and abs(ys.max() + 1 - y2) <= 1
    if s < 1:                                        # zoom-out leaves grey borders
        assert canvas[0, 0, 0] == pytest.approx(FILL) and canvas[-1, -1, 0] == pytest.approx(FILL)


@pytest.mark.parametrize("p_plain,n_tiles", [(1.0, 1), (0.0, 4)])
def test_plain_and_mosaic_choices(p_plain, n_tiles):
    cfg = AugmentSettings(p_plain=p_plain, p_mosaic=1.0 - p_plain)
    tiles = plan_tiles(np.random.default_rng(0), [(0, 0)], lambda r: 0, 320, 192, cfg)
    assert len(tiles) == n_tiles
    if n_tiles == 1:
        assert tiles[0] == Tile(0, 0, 1.0, 0.0, 0.0, (0, 0, 320, 192))


def test_warp_grid_nearest_hand_computed():
    feat = np.arange(4 * 6, dtype=np.float32).reshape(4, 6, 1)   # grid of 8-px cells
    out = np.zeros_like(feat)
    warp_grid(out, feat, Tile(0, 0, 0.5, 0.0, 0.0, (0, 0, 48, 32)), 8)
    # output cell (i, j) centre (8j+4, 8i+4) -> source ((16j+8), (16i+8)) -> cell (2i+1, 2j+1)
    np.testing.assert_array_equal(out[:2, :3, 0], feat[[1, 3]][:, [1, 3, 5], 0])
    assert out[2:].max() == 0 and out[:, 3:].max() == 0         # outside the image: untouched


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mosaic_tiles_cover_the_input(seed):
    rng = np.random.default_rng(seed)
    cfg = AugmentSettings(p_plain=0.0, p_mosaic=1.0)
    tiles = plan_tiles(rng, [(0, 0), (0, 1)], lambda r: int(r.integers(0, 2)), 320, 192, cfg)
    assert len(tiles) == 4
    canvas = np.zeros((192, 320, 3), np.float32)
    for t in tiles:
        warp_into(canvas, np.ones((192, 320, 3), np.float32), t)
        assert t.s >= cfg.mosaic_zoom[0]
    assert canvas.min() > 0.999                      # no grey left: every quadrant covered


def _toy_dataset(n=6, with_feats=True):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (n, 64, 96, 3), dtype=np.uint8)
    boxes = [np.array([[30, 10, 42, 50]], np.float32)] * n
    scores = [np.array([0.9], np.float32)] * n
    feats = rng.standard_normal((n, 8, 12, 4)).astype(np.float16) if with_feats else None
    clip = Clip("toy", images, np.arange(n), boxes, scores, (96, 64), feats, n - 2)
    street = Clip("street", images[:2], np.arange(2), boxes[:2], scores[:2], (96, 64),
                  feats[:2] if with_feats else None, 1)
    refs = [(0, p) for p in range(n - 2)] + [(1, 0)]
    return DataSet([clip, street], 96, 64, 4, np.zeros(4, np.float32),
                   np.ones(4, np.float32), refs, [])


@pytest.mark.parametrize("augment", [None, AugmentSettings(),
                                     AugmentSettings(p_plain=0.0, p_mosaic=1.0)])
def test_sample_batch_shapes_and_determinism(augment):
    ds = _toy_dataset()
    a = sample_batch(ds, 3, 0, 5, None, "attention", augment)
    b = sample_batch(ds, 3, 0, 5, None, "attention", augment)
    assert a["image"].shape == (5, 64, 96, 3) and a["heatmap"].shape == (5, 16, 24, 1)
    assert a["teacher"].shape == (5, 8 * 12)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert 0.0 <= a["image"].min() and a["image"].max() <= 1.0


@pytest.mark.parametrize("text,root,expect", [
    ("/d/data/video/a.mp4@0:0.7", "/d/data", "video/a.mp4@0:0.7"),
    ("/d/data/sot/Crossing/img", "/d/data/", "sot/Crossing/img"),
    ("/x/a.mp4", None, "/x/a.mp4"),
])
def test_frames_label_relative_to_data_root(text, root, expect):
    assert _frames_label(text, root) == expect
