import numpy as np
import pytest

from edge_tracker.detect.preprocess import (
    Preprocessor,
    PreprocessSpec,
    geometry,
    is_raw_transform,
    raw_mean_scale,
)
from edge_tracker.errors import ModelError

from ._fakes import tinfo

F32_IN = tinfo((1, 100, 100, 3))
U8_IN = tinfo((1, 100, 100, 3), np.uint8, scale=1 / 128, zero=128)
I8_IN = tinfo((1, 100, 100, 3), np.int8, scale=1 / 128, zero=0)


@pytest.mark.parametrize("resize, align, src, expected", [
    # (src_w, src_h) -> (sx, sy, pad_x, pad_y)
    ("stretch", "topleft", (200, 50), (0.5, 2.0, 0.0, 0.0)),
    ("letterbox", "topleft", (200, 100), (0.5, 0.5, 0.0, 0.0)),
    ("letterbox", "center", (200, 100), (0.5, 0.5, 0.0, 25.0)),
    ("letterbox", "center", (50, 100), (1.0, 1.0, 25.0, 0.0)),
    ("letterbox", "topleft", (50, 100), (1.0, 1.0, 0.0, 0.0)),
])
def test_geometry(resize, align, src, expected):
    spec = PreprocessSpec(100, 100, resize=resize, align=align)
    info, _, _ = geometry(spec, *src)
    assert (info.sx, info.sy, info.pad_x, info.pad_y) == pytest.approx(expected)
    assert (info.src_w, info.src_h, info.in_w, info.in_h) == (*src, 100, 100)


@pytest.mark.parametrize("resize, align", [
    ("stretch", "topleft"), ("letterbox", "topleft"), ("letterbox", "center")])
def test_box_round_trip_through_pixels(resize, align):
    """A white rectangle in the source appears where the geometry maps it, and to_source
    brings that input box back to the source box."""
    src = np.zeros((120, 240, 3), np.uint8)
    src_box = np.array([[40, 20, 120, 100]], np.float32)  # x1 y1 x2 y2
    src[20:100, 40:120] = 255
    spec = PreprocessSpec(96, 96, resize=resize, align=align, pad_value=0, channels="bgr")
    x, info = Preprocessor(spec, tinfo((1, 96, 96, 3)))(src)
    assert x.shape == (1, 96, 96, 3) and x.dtype == np.float32
    mask = x[0, :, :, 0] > 127
    ys, xs = np.nonzero(mask)
    in_box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
    expect_in = np.array([[40 * info.sx + info.pad_x, 20 * info.sy + info.pad_y,
                           120 * info.sx + info.pad_x, 100 * info.sy + info.pad_y]])
    np.testing.assert_allclose(in_box, expect_in, atol=1.0)
    np.testing.assert_allclose(info.to_source(in_box), src_box, atol=1.0 / min(info.sx, info.sy))


def test_letterbox_padding_value_and_region():
    src = np.full((50, 100, 3), 7, np.uint8)
    spec = PreprocessSpec(100, 100, resize="letterbox", align="center", pad_value=114,
                          channels="bgr")
    x, info = Preprocessor(spec, F32_IN)(src)
    img = x[0]
    assert info.pad_y == 25
    assert (img[:25] == 114).all() and (img[75:] == 114).all() and (img[25:75] == 7).all()
    # second frame reuses the canvas: padding still intact, image region updated
    x2, _ = Preprocessor(spec, F32_IN)(np.full((50, 100, 3), 9, np.uint8))
    assert (x2[0, :25] == 114).all() and (x2[0, 25:75] == 9).all()
    assert (x[0, 25:75] == 7).all()  # earlier output not overwritten


def test_channels_mean_scale_float():
    src = np.zeros((100, 100, 3), np.uint8)
    src[..., 0], src[..., 1], src[..., 2] = 10, 20, 30  # B, G, R
    spec = PreprocessSpec(100, 100, channels="rgb", mean=(1, 2, 3), scale=(0.5, 1, 2))
    x, _ = Preprocessor(spec, F32_IN)(src)
    np.testing.assert_allclose(x[0, 0, 0], [(30 - 1) * 0.5, (20 - 2) * 1, (10 - 3) * 2])
    spec_bgr = PreprocessSpec(100, 100, channels="bgr")
    x, _ = Preprocessor(spec_bgr, F32_IN)(src)
    np.testing.assert_allclose(x[0, 0, 0], [10, 20, 30])


def test_raw_uint8_bytes_go_straight_in():
    src = np.arange(100 * 100 * 3, dtype=np.uint64).reshape(100, 100, 3).astype(np.uint8)
    mean, scale = raw_mean_scale(U8_IN)
    assert (mean, scale) == (128.0, 1 / 128)
    assert is_raw_transform(U8_IN, (mean,) * 3, (scale,) * 3)
    spec = PreprocessSpec(100, 100, channels="bgr", mean=(mean,) * 3, scale=(scale,) * 3,
                          raw=True)
    x, _ = Preprocessor(spec, U8_IN)(src)
    assert x.dtype == np.uint8 and np.array_equal(x[0], src)


def test_raw_int8_is_bytes_minus_128_and_matches_quantized_float_path():
    src = np.arange(256, dtype=np.uint8).repeat(3).reshape(16, 16, 3)
    mean, scale = raw_mean_scale(I8_IN)
    assert mean == 128.0
    spec = PreprocessSpec(16, 16, channels="bgr", mean=(mean,) * 3, scale=(scale,) * 3, raw=True)
    info = I8_IN.__class__(**{**I8_IN.__dict__, "shape": (1, 16, 16, 3)})
    x, _ = Preprocessor(spec, info)(src)
    assert x.dtype == np.int8
    np.testing.assert_array_equal(x[0].astype(np.int16), src.astype(np.int16) - 128)
    slow = PreprocessSpec(16, 16, channels="bgr", mean=(mean,) * 3, scale=(scale,) * 3)
    y, _ = Preprocessor(slow, info)(src)
    np.testing.assert_array_equal(x, y)


def test_uint8_quantization_of_float_transform():
    # (x - 127.5) / 127.5 quantized with scale 1/128, zero 128: not raw, rounded values
    spec = PreprocessSpec(100, 100, channels="bgr", mean=(127.5,) * 3, scale=(1 / 127.5,) * 3)
    assert not is_raw_transform(U8_IN, spec.mean, spec.scale)
    src = np.zeros((100, 100, 3), np.uint8)
    src[0, 0] = (0, 255, 128)
    x, _ = Preprocessor(spec, U8_IN)(src)
    assert x.dtype == np.uint8
    # -1 -> 0; +1 -> 256 clipped to 255; 128 -> 0.5/127.5*128 = 0.502 -> 1 + 128 = 129
    np.testing.assert_array_equal(x[0, 0, 0], [0, 255, 129])


def test_raw_requires_matching_quantization():
    with pytest.raises(ModelError, match="raw byte input"):
        Preprocessor(PreprocessSpec(100, 100, raw=True), F32_IN)


def test_prior_channel_and_nchw():
    info = tinfo((1, 4, 8, 8))
    spec = PreprocessSpec(8, 8, channels="bgr", scale=(1 / 255,) * 3, layout="nchw",
                          prior_channel=True)
    src = np.full((8, 8, 3), 255, np.uint8)
    prior = np.zeros((8, 8), np.float32)
    prior[2, 3] = 0.75
    x, _ = Preprocessor(spec, info)(src, prior)
    assert x.shape == (1, 4, 8, 8)
    np.testing.assert_allclose(x[0, :3], 1.0)
    assert x[0, 3, 2, 3] == pytest.approx(0.75) and x[0, 3].sum() == pytest.approx(0.75)
    x0, _ = Preprocessor(spec, info)(src)  # no prior: zeros
    assert x0[0, 3].sum() == 0
    with pytest.raises(ValueError, match="prior must be"):
        Preprocessor(spec, info)(src, np.zeros((4, 4), np.float32))


@pytest.mark.parametrize("kwargs, match", [
    ({"resize": "crop"}, "resize"), ({"align": "left"}, "letterbox_align"),
    ({"channels": "gray"}, "channels"), ({"pad_value": 300}, "pad_value")])
def test_spec_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PreprocessSpec(10, 10, **kwargs)


def test_rejects_non_bgr_images():
    with pytest.raises(ValueError, match="uint8 BGR"):
        Preprocessor(PreprocessSpec(100, 100), F32_IN)(np.zeros((10, 10), np.uint8))
