"""YOLOv8 (Ultralytics) detection head: one output [1, 4 + C, N]: cx, cy, w, h then C
class scores (sigmoid applied, no objectness), one column per anchor point.

Box units differ between exports: the Ultralytics TFLite export divides boxes by the
input size (0..1), other converters keep input pixels. Option ``normalized``
(``auto`` | true | false, from decoder options or metadata); the auto rule, decided on
the first frame and cached: normalised when the 99th percentile of cx and cy over all N
anchors is <= ``NORMALIZED_LIMIT`` = 1.5 (anchor centres spread over the whole input,
so pixel outputs reach ~0.99 * input size even on a blank frame).

int8 models are dequantized upstream by the runtime, so float and int8 decode alike.
A transposed output [1, N, 4 + C] is accepted when the type is set to ``yolov8``
explicitly (auto-detection sends [1, N, K] with N > K to YOLOX).

Score = best class score over the kept classes (option ``class_ids``); rows below
option ``min_score`` are dropped first. Preprocessing default: RGB, x / 255,
letterbox centred, pad 114 (Ultralytics ``LetterBox``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import ModelError
from ..runtime.interpreter import TensorInfo
from .base import Decoder, PreprocessInfo, register
from .yolox import best_class

NORMALIZED_LIMIT = 1.5


def _parse_flag(name: str, value: object) -> bool | None:
    if value in (None, "auto"):
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ModelError(f"yolov8 option {name} must be auto, true or false, got {value!r}")


@register
class Yolov8Decoder(Decoder):
    """See module docstring. Options: normalized, min_score, class_ids."""

    name: ClassVar[str] = "yolov8"
    needs_nms: ClassVar[bool] = True
    default_preprocess: ClassVar[dict] = {
        "resize": "letterbox", "letterbox_align": "center", "pad_value": 114,
        "channels": "rgb", "mean": (0.0, 0.0, 0.0), "scale": (1 / 255, 1 / 255, 1 / 255),
    }

    def __init__(self, outputs: list[TensorInfo], options: dict | None = None) -> None:
        super().__init__(outputs, options)
        if len(outputs) != 1 or len(outputs[0].shape) != 3 or outputs[0].shape[0] != 1 \
                or min(outputs[0].shape[1:]) < 5:
            raise ModelError("yolov8 decoder: expected one output [1, 4 + C, N], got "
                             + ", ".join(str(list(o.shape)) for o in outputs))
        # Channels-first unless the anchor axis clearly comes first.
        self.transposed = outputs[0].shape[1] > outputs[0].shape[2]
        self.normalized: bool | None = _parse_flag("normalized",
                                                   self.options.get("normalized", "auto"))

    @classmethod
    def matches(cls, outputs: list[TensorInfo]) -> bool:
        if len(outputs) != 1:
            return False
        shape = outputs[0].shape
        # Either orientation; auto-detection tries yolox first, which takes [1, N, K].
        return len(shape) == 3 and shape[0] == 1 and min(shape[1], shape[2]) >= 5 \
            and shape[1] != shape[2]

    def decode(self, outputs: list[np.ndarray], info: PreprocessInfo
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """-> boxes (n, 4) float32 xyxy input px, scores (n,) float32, classes (n,) int32."""
        out = np.asarray(outputs[0], np.float32)
        pred = out[0] if self.transposed else out[0].T  # (N, 4 + C), a view when possible
        if self.normalized is None:
            p99 = float(np.percentile(pred[:, :2], 99)) if pred.shape[0] else 0.0
            self.normalized = p99 <= NORMALIZED_LIMIT
        cls_scores = pred[:, 4:]
        min_score = float(self.options.get("min_score", 0.0))
        if min_score > 0:
            rows = np.flatnonzero(cls_scores.max(axis=1) >= np.float32(min_score))
            pred, cls_scores = pred[rows], cls_scores[rows]
        classes, scores = best_class(cls_scores, self.options.get("class_ids"))
        xy = pred[:, 0:2]
        half = pred[:, 2:4] * np.float32(0.5)
        boxes = np.empty((pred.shape[0], 4), np.float32)
        boxes[:, 0:2] = xy - half
        boxes[:, 2:4] = xy + half
        if self.normalized:
            boxes[:, 0::2] *= np.float32(info.in_w)
            boxes[:, 1::2] *= np.float32(info.in_h)
        return boxes, scores, classes.astype(np.int32)
