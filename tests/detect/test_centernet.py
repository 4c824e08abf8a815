"""CenterNet decoder on hand-made heatmaps (no model, no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.detect.base import PreprocessInfo
from edge_tracker.detect.centernet import CenterNetDecoder, identify_heads, peaks
from edge_tracker.errors import ModelError
from edge_tracker.runtime.interpreter import TensorInfo

INFO = PreprocessInfo(src_w=64, src_h=32, in_w=64, in_h=32, sx=1.0, sy=1.0)


def _ti(name, c, idx, scale=0.0, dtype=np.float32, grid=(8, 16)):
    return TensorInfo(name=name, index=idx, shape=(1, grid[0], grid[1], c),
                      dtype=np.dtype(dtype), scale=scale, zero_point=0)


def _heads(hm, size, off):
    return [hm[None], size[None], off[None]]


def test_peaks_empty_and_threshold():
    hm = np.zeros((4, 5, 1), np.float32)
    r, _c, k, s = peaks(hm, 0.1, 10)
    assert r.shape == (0,) and s.dtype == np.float32 and k.dtype == np.int32


@pytest.mark.parametrize("top_k,expected", [(1, [0.9]), (2, [0.9, 0.5]), (5, [0.9, 0.5])])
def test_peaks_3x3_suppression_and_topk(top_k, expected):
    hm = np.zeros((6, 6, 1), np.float32)
    hm[1, 1, 0] = 0.9
    hm[1, 2, 0] = 0.8   # neighbour of a stronger peak: suppressed
    hm[4, 4, 0] = 0.5
    hm[0, 5, 0] = 0.04  # below threshold
    r, c, _k, s = peaks(hm, 0.05, top_k)
    np.testing.assert_allclose(s, expected)
    assert (r[0], c[0]) == (1, 1)


def test_decode_box_in_input_pixels():
    # grid 8x16 for input 32x64 -> stride 4; centre cell (row 3, col 5), offset (0.5, 0.25)
    hm = np.zeros((8, 16, 1), np.float32)
    size = np.zeros((8, 16, 2), np.float32)
    off = np.zeros((8, 16, 2), np.float32)
    hm[3, 5, 0] = 0.7
    size[3, 5] = (2.0, 4.0)         # stride units -> 8 x 16 px
    off[3, 5] = (0.5, 0.25)
    dec = CenterNetDecoder([_ti("heatmap", 1, 0), _ti("size", 2, 1), _ti("offset", 2, 2)])
    boxes, scores, classes = dec.decode(_heads(hm, size, off), INFO)
    # cx = (5 + 0.5) * 4 = 22, cy = (3 + 0.25) * 4 = 13
    np.testing.assert_allclose(boxes, [[18.0, 5.0, 26.0, 21.0]])
    np.testing.assert_allclose(scores, [0.7])
    assert classes.tolist() == [0]


def test_decode_no_peaks_gives_empty_arrays():
    z1, z2 = np.zeros((8, 16, 1), np.float32), np.zeros((8, 16, 2), np.float32)
    dec = CenterNetDecoder([_ti("heatmap", 1, 0), _ti("size", 2, 1), _ti("offset", 2, 2)])
    boxes, scores, classes = dec.decode(_heads(z1, z2, z2), INFO)
    assert boxes.shape == (0, 4) and scores.shape == (0,) and classes.shape == (0,)


def test_multi_class_peaks_keep_class():
    hm = np.zeros((8, 16, 3), np.float32)
    hm[2, 2, 2] = 0.6
    hm[2, 2, 0] = 0.3
    size = np.ones((8, 16, 2), np.float32)
    off = np.zeros((8, 16, 2), np.float32)
    dec = CenterNetDecoder([_ti("heatmap", 3, 0), _ti("size", 2, 1), _ti("offset", 2, 2)])
    _, scores, classes = dec.decode(_heads(hm, size, off), INFO)
    assert classes.tolist() == [2, 0]
    np.testing.assert_allclose(scores, [0.6, 0.3])


@pytest.mark.parametrize("outs,expected", [
    # reordered outputs with names
    ([_ti("out/offset", 2, 0), _ti("out/heatmap", 1, 1), _ti("out/size", 2, 2)],
     {"heatmap": 1, "size": 2, "offset": 0}),
    # int8 without names: the smaller scale is the offset
    ([_ti("a", 2, 0, 0.004, np.int8), _ti("b", 1, 1, 0.004, np.int8),
      _ti("c", 2, 2, 0.25, np.int8)], {"heatmap": 1, "size": 2, "offset": 0}),
    # TF converter names: alphabetical keys heatmap:0, offset:1, size:2 (any declared order)
    ([_ti("StatefulPartitionedCall_1:1", 2, 0), _ti("StatefulPartitionedCall_1:2", 2, 1),
      _ti("StatefulPartitionedCall_1:0", 1, 2)], {"heatmap": 2, "size": 1, "offset": 0}),
    # float without names: declared order
    ([_ti("x", 1, 0), _ti("y", 2, 1), _ti("z", 2, 2)], {"heatmap": 0, "size": 1, "offset": 2}),
])
def test_identify_heads(outs, expected):
    assert identify_heads(outs) == expected


def test_identify_heads_from_options_wins():
    outs = [_ti("x", 1, 0), _ti("y", 2, 1), _ti("z", 2, 2)]
    heads = {"heatmap": "x", "size": "z", "offset": "y"}
    assert identify_heads(outs, {"heads": heads}) == {"heatmap": 0, "size": 2, "offset": 1}


@pytest.mark.parametrize("outs", [
    [TensorInfo("o", 0, (1, 100, 85), np.dtype(np.float32), 0.0, 0)],       # yolox
    [_ti("a", 1, 0), _ti("b", 2, 1)],                                          # two heads
    [_ti("a", 1, 0), _ti("b", 2, 1), _ti("c", 2, 2, grid=(4, 8))],            # grids differ
])
def test_not_matching(outs):
    assert not CenterNetDecoder.matches(outs)
    with pytest.raises(ModelError):
        CenterNetDecoder(outs)
