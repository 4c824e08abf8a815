"""Hand-computed synthetic tensors for the ssd, yolox and yolov8 decoders."""

import numpy as np
import pytest

from edge_tracker.detect.base import PreprocessInfo, choose_decoder
from edge_tracker.detect.ssd import SsdDecoder
from edge_tracker.detect.yolov8 import Yolov8Decoder
from edge_tracker.detect.yolox import YoloxDecoder, grid_size, make_grid
from edge_tracker.errors import ModelError

from ._fakes import tinfo

INFO100 = PreprocessInfo(200, 100, 100, 50, 0.5, 0.5)  # input 100 x 50


# ---------------------------------------------------------------- ssd
def _ssd(order=("boxes", "classes", "scores", "count"), names=True, n=3):
    shapes = {"boxes": (1, n, 4), "classes": (1, n), "scores": (1, n), "count": (1,)}
    suffix = {"boxes": "", "classes": ":1", "scores": ":2", "count": ":3"}
    infos = [tinfo(shapes[r], name=("TFLite_Detection_PostProcess" + suffix[r]) if names
                   else f"StatefulPartitionedCall:{i}", index=i) for i, r in enumerate(order)]
    tensors = {
        "boxes": np.array([[[0.1, 0.2, 0.5, 0.6], [0.0, 0.0, 1.0, 1.0], [9, 9, 9, 9]]],
                          np.float32)[:, :n],
        "classes": np.array([[0, 2, 77]], np.float32)[:, :n],
        "scores": np.array([[0.9, 0.4, 0.99]], np.float32)[:, :n],
        "count": np.array([2], np.float32),  # third row is garbage beyond count
    }
    return infos, [tensors[r] for r in order]


@pytest.mark.parametrize("order, names", [
    (("boxes", "classes", "scores", "count"), True),
    (("scores", "boxes", "count", "classes"), False),   # TF2-style order, no op names
    (("classes", "count", "boxes", "scores"), False),
])
def test_ssd_decode_uses_count_and_any_output_order(order, names):
    infos, outs = _ssd(order, names)
    dec = choose_decoder("auto", infos)
    assert isinstance(dec, SsdDecoder) and not dec.needs_nms
    boxes, scores, classes = dec.decode(outs, INFO100)
    # ymin,xmin,ymax,xmax normalised -> xyxy input px (w 100, h 50)
    np.testing.assert_allclose(boxes, [[20, 5, 60, 25], [0, 0, 100, 50]], rtol=1e-6)
    np.testing.assert_allclose(scores, [0.9, 0.4])
    assert classes.tolist() == [0, 2] and classes.dtype == np.int32


def test_ssd_count_zero_and_class_offset():
    infos, outs = _ssd()
    outs[3] = np.array([0], np.float32)
    boxes, scores, classes = SsdDecoder(infos).decode(outs, INFO100)
    assert boxes.shape == (0, 4) and scores.shape == (0,) and classes.shape == (0,)
    outs[3] = np.array([1], np.float32)
    _, _, classes = SsdDecoder(infos, {"class_offset": 1}).decode(outs, INFO100)
    assert classes.tolist() == [1]


def test_ssd_value_rule_when_both_integral():
    infos, outs = _ssd(("scores", "boxes", "count", "classes"), names=False)
    outs[0] = np.array([[1.0, 1.0, 0.0]], np.float32)  # scores exactly 1
    outs[3] = np.array([[3, 5, 0]], np.float32)
    _, scores, classes = SsdDecoder(infos).decode(outs, INFO100)
    assert classes.tolist() == [3, 5] and scores.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("shapes", [
    [(1, 10, 4), (1, 10), (1, 10)], [(1, 10, 4), (1, 10), (1, 9), (1,)],
    [(1, 10, 5), (1, 10), (1, 10), (1,)]])
def test_ssd_does_not_match_other_signatures(shapes):
    assert not SsdDecoder.matches([tinfo(s) for s in shapes])


# ---------------------------------------------------------------- yolox
def test_grid_layout():
    grid, stride = make_grid(64, 32)
    assert grid_size(64, 32) == 8 * 4 + 4 * 2 + 2 * 1 == grid.shape[0]
    np.testing.assert_array_equal(grid[:3], [[0, 0], [1, 0], [2, 0]])  # x fastest
    np.testing.assert_array_equal(grid[8], [0, 1])
    assert stride[0, 0] == 8 and stride[32, 0] == 16 and stride[-1, 0] == 32
    np.testing.assert_array_equal(grid[-1], [1, 0])


def _yolox_raw(num_classes=3):
    n = grid_size(64, 32)  # 42 anchors
    pred = np.zeros((1, n, 5 + num_classes), np.float32)
    pred[0, :, 0:2] = 0.5  # centre of each cell
    # anchor 9: stride 8 cell (1, 1); offsets (0.5, 0.25), w=h=log(2)
    pred[0, 9, :5] = [0.5, 0.25, np.log(2), np.log(4), 0.8]
    pred[0, 9, 5:] = [0.5, 0.9, 0.1]
    # anchor 32 + 3: stride 16 cell (3, 0)
    pred[0, 35, :5] = [0.0, 0.0, 0.0, 0.0, 0.5]
    pred[0, 35, 5:] = [0.6, 0.2, 0.0]
    return pred


def test_yolox_raw_grid_decode():
    pred = _yolox_raw()
    dec = YoloxDecoder([tinfo(pred.shape)])
    info = PreprocessInfo(64, 32, 64, 32, 1.0, 1.0)
    boxes, scores, classes = dec.decode([pred], info)
    assert dec.decoded is False
    keep = scores > 0
    # anchor 9: cx = (0.5 + 1) * 8 = 12, cy = (0.25 + 1) * 8 = 10, w = 2 * 8, h = 4 * 8
    # anchor 35: cx = 3 * 16 = 48, cy = 0, w = h = 16
    np.testing.assert_allclose(boxes[keep], [[4, -6, 20, 26], [40, -8, 56, 8]], rtol=1e-5)
    np.testing.assert_allclose(scores[keep], [0.8 * 0.9, 0.5 * 0.6], rtol=1e-6)
    assert classes[keep].tolist() == [1, 0]


def test_yolox_class_ids_and_min_score_options():
    pred = _yolox_raw()
    info = PreprocessInfo(64, 32, 64, 32, 1.0, 1.0)
    dec = YoloxDecoder([tinfo(pred.shape)], {"class_ids": [0], "min_score": 0.6})
    boxes, scores, classes = dec.decode([pred], info)
    # only anchor 9 has objectness >= 0.6; restricted to class 0 its score is 0.8 * 0.5
    assert boxes.shape == (1, 4) and classes.tolist() == [0]
    np.testing.assert_allclose(scores, [0.4])


def test_yolox_decoded_output_detected_by_values():
    n = grid_size(64, 32)
    grid, stride = make_grid(64, 32)
    pred = np.zeros((1, n, 8), np.float32)
    pred[0, :, :2] = (grid + 0.5) * stride  # decoded centres in pixels, same N as the grid
    pred[0, :, 2:4] = stride
    pred[0, 9, :5] = [12, 10, 16, 32, 0.8]
    pred[0, 9, 5:] = [0.5, 0.9, 0.1]
    dec = YoloxDecoder([tinfo(pred.shape)])
    boxes, scores, classes = dec.decode([pred], PreprocessInfo(64, 32, 64, 32, 1.0, 1.0))
    assert dec.decoded is True
    i = int(np.argmax(scores))
    np.testing.assert_allclose(boxes[i], [4, -6, 20, 26])
    assert classes[i] == 1


def test_yolox_decoded_when_n_is_not_a_grid():
    pred = np.zeros((1, 10, 7), np.float32)
    pred[0, 0, :5] = [1, 1, 2, 2, 0.9]  # small values, but N=10 cannot be a grid
    pred[0, 0, 5:] = [1.0, 0.0]
    dec = YoloxDecoder([tinfo(pred.shape)])
    boxes, _, _ = dec.decode([pred], PreprocessInfo(64, 32, 64, 32, 1.0, 1.0))
    assert dec.decoded is True
    np.testing.assert_allclose(boxes[0], [0, 0, 2, 2])


@pytest.mark.parametrize("option, expect", [(True, True), ("false", False), ("raw", False)])
def test_yolox_decoded_option_overrides(option, expect):
    dec = YoloxDecoder([tinfo((1, 42, 8))], {"decoded": option})
    assert dec.decoded is expect


def test_yolox_bad_option_and_raw_grid_mismatch():
    with pytest.raises(ModelError, match="decoded must be"):
        YoloxDecoder([tinfo((1, 42, 8))], {"decoded": "maybe"})
    dec = YoloxDecoder([tinfo((1, 10, 8))], {"decoded": False})
    with pytest.raises(ModelError, match="10 rows but the grid"):
        dec.decode([np.zeros((1, 10, 8), np.float32)], PreprocessInfo(64, 32, 64, 32, 1, 1))


def test_yolox_empty_after_min_score():
    pred = _yolox_raw()
    dec = YoloxDecoder([tinfo(pred.shape)], {"min_score": 0.95})
    boxes, scores, classes = dec.decode([pred], PreprocessInfo(64, 32, 64, 32, 1.0, 1.0))
    assert boxes.shape == (0, 4) and scores.shape == (0,) and classes.shape == (0,)


# ---------------------------------------------------------------- yolov8
def _v8(normalised: bool, n=20):
    out = np.zeros((1, 4 + 2, n), np.float32)
    xs = np.linspace(5, 95, n, dtype=np.float32)  # anchors spread over a 100x50 input
    out[0, 0], out[0, 1], out[0, 2], out[0, 3] = xs, xs / 2, 4, 4
    out[0, :, 3] = [50, 25, 20, 10, 0.1, 0.7]  # cx cy w h, class 1 best
    out[0, :, 7] = [10, 10, 4, 8, 0.6, 0.2]
    if normalised:
        out[0, 0:4:2] /= 100
        out[0, 1:4:2] /= 50
    return out


@pytest.mark.parametrize("normalised", [False, True])
def test_yolov8_float_pixels_and_normalised(normalised):
    out = _v8(normalised)
    dec = choose_decoder("auto", [tinfo(out.shape)])
    assert isinstance(dec, Yolov8Decoder)
    boxes, scores, classes = dec.decode([out], INFO100)
    assert dec.normalized is normalised
    top = np.argsort(-scores)[:2]
    np.testing.assert_allclose(boxes[top], [[40, 20, 60, 30], [8, 6, 12, 14]], rtol=1e-5)
    np.testing.assert_allclose(scores[top], [0.7, 0.6])
    assert classes[top].tolist() == [1, 0]


def test_yolov8_int8_dequantized_values_and_transposed_explicit_type():
    out = _v8(False)
    q = np.round(out / 0.5).astype(np.int8)  # int8 with scale .5 as a runtime would keep it
    deq = (q.astype(np.float32)) * 0.5  # ...and dequantize before decoding
    deq[0, 4:] = out[0, 4:]  # class scores kept exact for the check
    t = np.ascontiguousarray(deq.transpose(0, 2, 1))  # [1, N, 4 + C]
    dec = choose_decoder("yolov8", [tinfo(t.shape)], options={"min_score": 0.5})
    boxes, _, classes = dec.decode([t], INFO100)
    assert dec.transposed
    np.testing.assert_allclose(boxes, [[40, 20, 60, 30], [8, 6, 12, 14]], rtol=1e-5)
    assert classes.tolist() == [1, 0]


def test_yolov8_option_and_no_match():
    dec = Yolov8Decoder([tinfo((1, 6, 20))], {"normalized": "false"})
    assert dec.normalized is False
    with pytest.raises(ModelError, match="normalized must be"):
        Yolov8Decoder([tinfo((1, 6, 20))], {"normalized": 1})
    assert Yolov8Decoder.matches([tinfo((1, 20, 6))])  # transposed: explicit type only
    assert not Yolov8Decoder.matches([tinfo((1, 6, 6))])
    assert not Yolov8Decoder.matches([tinfo((1, 6, 20)), tinfo((1, 6, 20))])
    assert isinstance(choose_decoder("auto", [tinfo((1, 8400, 85))]), YoloxDecoder)


# ---------------------------------------------------------------- registry errors
@pytest.mark.parametrize("shapes", [[(1, 7)], [(1, 2, 3, 4, 5)], [(1, 10, 4), (1, 10)]])
def test_unsupported_outputs_error_lists_shapes(shapes):
    infos = [tinfo(s, name=f"o{i}") for i, s in enumerate(shapes)]
    with pytest.raises(ModelError) as exc:
        choose_decoder("auto", infos, "m.tflite")
    for s in shapes:
        assert str(list(s)) in str(exc.value)
    assert "m.tflite" in str(exc.value)


def test_explicit_type_that_does_not_fit():
    with pytest.raises(ModelError, match=r"do not fit decoder 'ssd'.*\[1, 8400, 85\]"):
        choose_decoder("ssd", [tinfo((1, 8400, 85))], "m.tflite")
