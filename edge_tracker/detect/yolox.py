"""YOLOX: one output [1, N, 5 + C] per anchor point: (x, y, w, h, objectness, C class
scores). Objectness and class scores are already sigmoid in the exported models.

Two forms exist:

- **raw** grid output (the ONNX export without ``--decode_in_inference``): x, y are
  offsets in grid cells and w, h log sizes; the anchor points are the cells of strides
  8, 16, 32 in row-major order, so ``cx = (x + gx) * s``, ``cy = (y + gy) * s``,
  ``w = exp(w) * s``, ``h = exp(h) * s`` (YOLOX ``decode_outputs``);
- **decoded** output: cx, cy, w, h already in model-input pixels.

Which one (option ``decoded``: ``auto`` | true | false, from decoder options or the
model metadata; default auto). The auto rule, decided on the first frame and cached:

1. if N differs from the number of grid cells for the input size (sum over strides of
   (in_h / s) * (in_w / s)), the output cannot be a raw grid: decoded;
2. otherwise look at the values: the 90th percentile of |x| and |y| over all N rows.
   Raw offsets stay within a few cells (typically 0..1), decoded centres spread over
   the whole input (the 90th percentile is ~0.9 * input size even on a blank frame,
   because every anchor's centre is its cell's position). Raw when that percentile is
   below ``RAW_XY_LIMIT`` = 16 px (half the largest stride), decoded otherwise.

Score = objectness * class score, class = argmax over the kept classes (option
``class_ids``, set by the Detector from its class filter, default all). Rows with
objectness below option ``min_score`` are dropped first (score <= objectness), which
makes decoding cheap. Preprocessing default: BGR, 0..255 floats (no mean/scale),
letterbox top-left, pad 114 (YOLOX ``ValTransform``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import ModelError
from ..runtime.interpreter import TensorInfo
from .base import Decoder, PreprocessInfo, register

STRIDES = (8, 16, 32)  # YOLOX PAFPN output strides
RAW_XY_LIMIT = 16.0  # px; see module docstring, rule 2


def grid_size(in_w: int, in_h: int, strides: tuple[int, ...] = STRIDES) -> int:
    """Number of anchor points of a raw output for an in_w x in_h input."""
    return sum((in_h // s) * (in_w // s) for s in strides)


def make_grid(in_w: int, in_h: int, strides: tuple[int, ...] = STRIDES
              ) -> tuple[np.ndarray, np.ndarray]:
    """(grid (N, 2) float32 cell x, y; stride (N, 1) float32), rows in output order."""
    grids, strs = [], []
    for s in strides:
        gh, gw = in_h // s, in_w // s
        yv, xv = np.meshgrid(np.arange(gh, dtype=np.float32), np.arange(gw, dtype=np.float32),
                             indexing="ij")
        grids.append(np.stack((xv, yv), axis=-1).reshape(-1, 2))
        strs.append(np.full((gh * gw, 1), s, np.float32))
    return np.concatenate(grids), np.concatenate(strs)


def _parse_decoded(value: object) -> bool | None:
    if value in (None, "auto"):
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "decoded"):
        return True
    if value in ("false", "raw"):
        return False
    raise ModelError(f"yolox option decoded must be auto, true or false, got {value!r}")


def best_class(cls_scores: np.ndarray, class_ids: list[int] | None
               ) -> tuple[np.ndarray, np.ndarray]:
    """(argmax class (n,) int64, its score (n,) float32) of cls_scores (n, C), the argmax
    taken over ``class_ids`` only when given (ids >= C are ignored; none left -> score 0)."""
    n = cls_scores.shape[0]
    if class_ids is None:
        classes = np.argmax(cls_scores, axis=1) if cls_scores.shape[1] else np.zeros(n, np.int64)
    else:
        ids = np.asarray(class_ids, np.int64)
        ids = ids[(ids >= 0) & (ids < cls_scores.shape[1])]
        if ids.size == 0:
            return np.zeros(n, np.int64), np.zeros(n, np.float32)
        classes = ids[np.argmax(cls_scores[:, ids], axis=1)]
    if cls_scores.shape[1] == 0:
        return classes, np.zeros(n, np.float32)
    return classes, cls_scores[np.arange(n), classes].astype(np.float32)


@register
class YoloxDecoder(Decoder):
    """See module docstring. Options: decoded, strides, min_score, class_ids."""

    name: ClassVar[str] = "yolox"
    needs_nms: ClassVar[bool] = True
    default_preprocess: ClassVar[dict] = {
        "resize": "letterbox", "letterbox_align": "topleft", "pad_value": 114,
        "channels": "bgr", "mean": (0.0, 0.0, 0.0), "scale": (1.0, 1.0, 1.0),
    }

    def __init__(self, outputs: list[TensorInfo], options: dict | None = None) -> None:
        super().__init__(outputs, options)
        if not self.matches(outputs):
            raise ModelError("yolox decoder: expected one output [1, N, 5 + C], got "
                             + ", ".join(str(list(o.shape)) for o in outputs))
        self.strides = tuple(int(s) for s in self.options.get("strides", STRIDES))
        self.decoded: bool | None = _parse_decoded(self.options.get("decoded", "auto"))
        self._grid_key: tuple[int, int] | None = None
        self._grid: np.ndarray | None = None
        self._stride: np.ndarray | None = None

    @classmethod
    def matches(cls, outputs: list[TensorInfo]) -> bool:
        if len(outputs) != 1:
            return False
        shape = outputs[0].shape
        return len(shape) == 3 and shape[0] == 1 and shape[2] >= 6 and shape[1] > shape[2]

    def is_decoded(self, pred: np.ndarray, in_w: int, in_h: int) -> bool:
        """Apply the auto rule (module docstring) to pred (N, 5 + C); cached."""
        if self.decoded is None:
            if pred.shape[0] != grid_size(in_w, in_h, self.strides):
                self.decoded = True
            else:
                p90 = float(np.percentile(np.abs(pred[:, :2]), 90))
                self.decoded = p90 >= RAW_XY_LIMIT
        return self.decoded

    def _grids(self, in_w: int, in_h: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self._grid_key != (in_w, in_h):
            self._grid, self._stride = make_grid(in_w, in_h, self.strides)
            self._grid_key = (in_w, in_h)
        assert self._grid is not None and self._stride is not None
        if self._grid.shape[0] != n:
            raise ModelError(f"yolox raw output has {n} rows but the grid of strides "
                             f"{list(self.strides)} for a {in_w}x{in_h} input has "
                             f"{self._grid.shape[0]}; set decoder option decoded: true if "
                             f"the model decodes itself")
        return self._grid, self._stride

    def decode(self, outputs: list[np.ndarray], info: PreprocessInfo
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """-> boxes (n, 4) float32 xyxy input px, scores (n,) float32, classes (n,) int32."""
        pred = np.asarray(outputs[0], np.float32).reshape(outputs[0].shape[-2],
                                                            outputs[0].shape[-1])
        decoded = self.is_decoded(pred, info.in_w, info.in_h)
        rows = np.arange(pred.shape[0])
        min_score = float(self.options.get("min_score", 0.0))
        if min_score > 0:
            rows = np.flatnonzero(pred[:, 4] >= np.float32(min_score))
        p = pred[rows]
        xy, wh = p[:, 0:2], p[:, 2:4]
        if not decoded:
            grid, stride = self._grids(info.in_w, info.in_h, pred.shape[0])
            xy = (xy + grid[rows]) * stride[rows]
            wh = np.exp(np.minimum(wh, np.float32(10.0))) * stride[rows]  # cap: no overflow
        classes, cls_best = best_class(p[:, 5:], self.options.get("class_ids"))
        scores = (p[:, 4] * cls_best).astype(np.float32)
        boxes = np.empty((len(p), 4), np.float32)
        half = wh * np.float32(0.5)
        boxes[:, 0:2] = xy - half
        boxes[:, 2:4] = xy + half
        return boxes, scores, classes.astype(np.int32)
