"""Frame -> model input: resize (stretch) or letterbox, channel order, normalisation,
quantization.

Pipeline for one BGR uint8 frame (H, W, 3):

1. geometry: ``stretch`` resizes to the input size (sx, sy may differ); ``letterbox``
   keeps the aspect ratio (one scale r = min(in_w / W, in_h / H)) and pads with
   ``pad_value`` either at the right/bottom (``topleft``, YOLOX) or on both sides
   (``center``, Ultralytics);
2. channels ``rgb`` or ``bgr``;
3. ``x_float = (x - mean) * scale`` per channel (float32);
4. quantization to the input tensor's dtype via the model's ``quantize_input``
   (uint8 or int8 inputs).

Fast path (``raw``): when the float transform is exactly the inverse of the input
tensor's quantization (e.g. SSD MobileNet's uint8 input, scale 1/128 and zero point
128 with mean 128, scale 1/128) the pixel bytes go straight in (int8 inputs: x - 128).

The letterbox canvas is preallocated and reused between frames of the same size; the
returned input array is always a fresh array (callers may keep it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import ModelError
from ..runtime.interpreter import TensorInfo
from .base import PreprocessInfo

RESIZE_MODES = ("stretch", "letterbox")
ALIGNS = ("topleft", "center")
CHANNELS = ("rgb", "bgr")


@dataclass(frozen=True)
class PreprocessSpec:
    """Resolved preprocessing of one model (no ``auto`` left).

    in_w, in_h: model input size in pixels. mean, scale: per channel, in the order of
    the model's channels (after the rgb/bgr swap). raw: feed pixel bytes directly
    (only valid when the input tensor's quantization inverts mean/scale exactly).
    layout: ``nhwc`` or ``nchw``. prior_channel: the input has a 4th channel carrying
    a prior heatmap (see :class:`Preprocessor`).
    """

    in_w: int
    in_h: int
    resize: str = "stretch"
    align: str = "topleft"
    pad_value: int = 114
    channels: str = "rgb"
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    raw: bool = False
    layout: str = "nhwc"
    prior_channel: bool = False

    def __post_init__(self) -> None:
        if self.resize not in RESIZE_MODES:
            raise ValueError(f"resize must be one of {RESIZE_MODES}, got {self.resize!r}")
        if self.align not in ALIGNS:
            raise ValueError(f"letterbox_align must be one of {ALIGNS}, got {self.align!r}")
        if self.channels not in CHANNELS:
            raise ValueError(f"channels must be one of {CHANNELS}, got {self.channels!r}")
        if not 0 <= int(self.pad_value) <= 255:
            raise ValueError(f"pad_value must be in 0..255, got {self.pad_value}")


def raw_mean_scale(info: TensorInfo) -> tuple[float, float] | None:
    """(mean, scale) for which quantizing ``(x - mean) * scale`` gives back the pixel
    bytes (uint8) or ``x - 128`` (int8); None for float inputs."""
    if not info.quantized:
        return None
    offset = 128 if info.dtype == np.int8 else 0  # int8 raw bytes: x - 128 in -128..127
    return float(info.zero_point + offset), float(info.scale)


def is_raw_transform(info: TensorInfo, mean: tuple, scale: tuple) -> bool:
    """True when mean/scale are exactly the inverse of ``info``'s quantization."""
    ms = raw_mean_scale(info)
    if ms is None or info.dtype not in (np.uint8, np.int8):
        return False
    return all(abs(m - ms[0]) < 1e-6 for m in mean) and \
        all(abs(s - ms[1]) <= 1e-9 + 1e-6 * ms[1] for s in scale)


def geometry(spec: PreprocessSpec, src_w: int, src_h: int) -> tuple[PreprocessInfo, int, int]:
    """(PreprocessInfo, resized width, resized height) for a source of src_w x src_h."""
    if spec.resize == "stretch":
        return (PreprocessInfo(src_w, src_h, spec.in_w, spec.in_h,
                               spec.in_w / src_w, spec.in_h / src_h), spec.in_w, spec.in_h)
    r = min(spec.in_w / src_w, spec.in_h / src_h)
    new_w = min(spec.in_w, max(1, round(src_w * r)))
    new_h = min(spec.in_h, max(1, round(src_h * r)))
    if spec.align == "center":
        pad_x, pad_y = (spec.in_w - new_w) // 2, (spec.in_h - new_h) // 2
    else:
        pad_x = pad_y = 0
    # Actual per-axis scale of the resized image (differs from r by rounding only).
    info = PreprocessInfo(src_w, src_h, spec.in_w, spec.in_h, new_w / src_w, new_h / src_h,
                          float(pad_x), float(pad_y))
    return info, new_w, new_h


class Preprocessor:
    """Callable turning BGR frames into the model's input tensor(s).

    input_info: the image input tensor. quantize: ``Model.quantize_input`` (float ->
    tensor dtype); defaults to the same rule applied with ``input_info``.
    Prior channel (``spec.prior_channel``): a (in_h, in_w) float32 heatmap in [0, 1]
    written, unnormalised, as channel 4 in the model's float input domain (then
    quantized with the image); zeros when no prior is given.
    """

    def __init__(self, spec: PreprocessSpec, input_info: TensorInfo,
                 quantize: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.spec = spec
        self.input_info = input_info
        self._quantize = quantize or self._default_quantize
        self._canvas: np.ndarray | None = None
        self._canvas_key: tuple | None = None
        self._mean = np.asarray(spec.mean, np.float32).reshape(1, 1, 3)
        self._scale = np.asarray(spec.scale, np.float32).reshape(1, 1, 3)
        if spec.raw and not is_raw_transform(input_info, spec.mean, spec.scale):
            raise ModelError(f"raw byte input needs a uint8/int8 input whose quantization "
                             f"inverts mean/scale; input {input_info.name} is "
                             f"{input_info.dtype} scale {input_info.scale} zero "
                             f"{input_info.zero_point}")

    def _default_quantize(self, x: np.ndarray) -> np.ndarray:
        info = self.input_info
        if info.quantized:
            lim = np.iinfo(info.dtype)
            q = np.round(x / np.float32(info.scale)) + np.float32(info.zero_point)
            return np.clip(q, lim.min, lim.max).astype(info.dtype)
        return x.astype(info.dtype, copy=False)

    def _resize(self, image: np.ndarray, info: PreprocessInfo, new_w: int, new_h: int
                ) -> np.ndarray:
        """(in_h, in_w, 3) uint8 in the model's channel order."""
        spec = self.spec
        h, w = image.shape[:2]
        if (new_w, new_h) != (w, h):
            # Bilinear, as the SSD (TF resize_bilinear) and YOLOX (cv2 default) training
            # pipelines resize; INTER_AREA measured lower recall on MOT17-mini.
            resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        else:
            resized = image
        if spec.channels == "rgb":
            resized = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
        if spec.resize == "stretch":
            return resized  # may be the caller's image: never written to
        key = (new_w, new_h, int(info.pad_x), int(info.pad_y))
        if self._canvas is None or self._canvas_key != key:
            # New geometry: refill the padding once; later frames only overwrite the image.
            self._canvas = np.full((spec.in_h, spec.in_w, 3), spec.pad_value, np.uint8)
            self._canvas_key = key
        x0, y0 = int(info.pad_x), int(info.pad_y)
        self._canvas[y0:y0 + new_h, x0:x0 + new_w] = resized
        return self._canvas

    def __call__(self, image_bgr: np.ndarray, prior: np.ndarray | None = None
                 ) -> tuple[np.ndarray, PreprocessInfo]:
        """image_bgr (H, W, 3) uint8 -> (input (1, in_h, in_w, C) in the tensor dtype
        (NCHW when the model wants it), PreprocessInfo)."""
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 BGR image, got "
                             f"{image_bgr.shape} {image_bgr.dtype}")
        spec = self.spec
        info, new_w, new_h = geometry(spec, image_bgr.shape[1], image_bgr.shape[0])
        img = self._resize(image_bgr, info, new_w, new_h)
        if spec.raw and not spec.prior_channel:
            x = img.copy() if self.input_info.dtype == np.uint8 else \
                (img ^ np.uint8(0x80)).view(np.int8)  # x - 128 without widening
        else:
            xf = np.subtract(img, self._mean, dtype=np.float32)
            xf *= self._scale
            x = self._quantize(self._with_prior(xf, prior) if spec.prior_channel else xf)
        x = x[None]
        if spec.layout == "nchw":
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        return x, info

    def _with_prior(self, x: np.ndarray, prior: np.ndarray | None) -> np.ndarray:
        """(in_h, in_w, 3) float image + prior -> (in_h, in_w, 4) float32."""
        spec = self.spec
        if prior is None:
            p = np.zeros((spec.in_h, spec.in_w), np.float32)
        else:
            p = np.asarray(prior, np.float32)
            if p.shape != (spec.in_h, spec.in_w):
                raise ValueError(f"prior must be ({spec.in_h}, {spec.in_w}) in model-input "
                                 f"pixels, got {p.shape}")
        out = np.empty((spec.in_h, spec.in_w, 4), np.float32)
        out[..., :3] = x
        out[..., 3] = p
        return out
