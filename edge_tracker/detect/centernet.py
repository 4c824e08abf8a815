"""CenterNet decoder: heatmap peaks + size + sub-cell offset -> boxes (no NMS needed).

Heads (one image, NHWC, float32 after dequantization), all on the same grid of
``Hg = H_in / stride`` rows and ``Wg = W_in / stride`` columns:

- ``heatmap`` [1, Hg, Wg, C]: per-class centre probability, sigmoid already applied
  in the model (values in [0, 1]).
- ``size``    [1, Hg, Wg, 2]: box (w, h) in **stride units** (grid cells), i.e. the
  box is ``w * stride`` input pixels wide. Stride units keep the regression targets
  in a small range (people are 1..60 cells here), which quantizes well to int8.
- ``offset``  [1, Hg, Wg, 2]: (dx, dy) in [0, 1] cells, the centre's position inside
  its cell.

A peak is a cell whose score equals the maximum of its 3x3 neighbourhood (the
CenterNet paper's max-pool "NMS") and is >= ``peak_threshold``; the top ``top_k``
peaks become boxes ``xyxy`` in model-input pixels:
``cx = (j + dx) * stride``, ``cy = (i + dy) * stride``, ``w = sw * stride``.

Head identification (int8 conversion may rename and reorder outputs), in order:
1. ``options["heads"]`` = {"heatmap": name_or_index, "size": ..., "offset": ...}
   (the distillation toolkit writes this into the model metadata);
2. tensor names containing ``heatmap``/``hm``, ``size``/``wh``, ``offset``/``reg``;
3. TensorFlow's converter names Keras dict outputs ``StatefulPartitionedCall...:k``
   with k in alphabetical order of the output keys: heatmap:0, offset:1, size:2
   (checked with TF 2.21; the toolkit's models use exactly these keys);
4. shapes: the 4-D output whose channel count is not 2 is the heatmap (a 2-class
   model needs names); of the two 2-channel outputs the one with the smaller
   quantization scale is the offset (its range is [0, 1]); float models without
   names fall back to the declared order size, offset.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import ModelError
from ..runtime.interpreter import TensorInfo
from .base import Decoder, PreprocessInfo, register

_NAME_KEYS = {
    "heatmap": ("heatmap", "hm"),
    "size": ("size", "wh"),
    "offset": ("offset", "reg"),
}


def _grid_outputs(outputs: list[TensorInfo]) -> list[int]:
    """Indices of 4-D outputs of batch 1."""
    return [i for i, o in enumerate(outputs) if len(o.shape) == 4 and o.shape[0] == 1]


def _by_option(outputs: list[TensorInfo], heads: dict) -> dict[str, int] | None:
    found = {}
    for role in ("heatmap", "size", "offset"):
        ref = heads.get(role)
        if isinstance(ref, int) and 0 <= ref < len(outputs):
            found[role] = ref
        elif isinstance(ref, str):
            idx = [i for i, o in enumerate(outputs) if o.name == ref]
            if len(idx) != 1:
                return None
            found[role] = idx[0]
        else:
            return None
    return found if len(set(found.values())) == 3 else None


def _by_name(outputs: list[TensorInfo], cand: list[int]) -> dict[str, int] | None:
    found = {}
    for role, keys in _NAME_KEYS.items():
        hits = [i for i in cand
                if any(k in outputs[i].name.lower().replace("/", "_").split(":")[0]
                       for k in keys)]
        if len(hits) != 1:
            return None
        found[role] = hits[0]
    return found if len(set(found.values())) == 3 else None


def _by_converter_index(outputs: list[TensorInfo], cand: list[int]) -> dict[str, int] | None:
    ks = {}
    for i in cand:
        base, sep, k = outputs[i].name.rpartition(":")
        if not sep or not k.isdigit() or not base.startswith("StatefulPartitionedCall"):
            return None
        ks[int(k)] = i
    if sorted(ks) != [0, 1, 2]:
        return None
    return {"heatmap": ks[0], "offset": ks[1], "size": ks[2]}


def _by_shape(outputs: list[TensorInfo], cand: list[int]) -> dict[str, int] | None:
    two = [i for i in cand if outputs[i].shape[3] == 2]
    other = [i for i in cand if outputs[i].shape[3] != 2]
    if len(cand) != 3 or len(two) != 2 or len(other) != 1:
        return None
    a, b = two
    sa, sb = outputs[a].scale, outputs[b].scale
    if sa > 0 and sb > 0 and sa != sb:
        size, offset = (a, b) if sa > sb else (b, a)
    else:
        size, offset = a, b
    return {"heatmap": other[0], "size": size, "offset": offset}


def identify_heads(outputs: list[TensorInfo], options: dict | None = None
                   ) -> dict[str, int] | None:
    """{'heatmap', 'size', 'offset'} -> output index, or None when the outputs don't fit."""
    cand = _grid_outputs(outputs)
    if len(cand) != 3:
        return None
    grids = {outputs[i].shape[1:3] for i in cand}
    if len(grids) != 1:
        return None
    heads = (options or {}).get("heads")
    found = _by_option(outputs, heads) if isinstance(heads, dict) else None
    found = (found or _by_name(outputs, cand) or _by_converter_index(outputs, cand)
             or _by_shape(outputs, cand))
    if found is None:
        return None
    if outputs[found["size"]].shape[3] != 2 or outputs[found["offset"]].shape[3] != 2:
        return None
    return found


def peaks(heatmap: np.ndarray, threshold: float, top_k: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Local maxima of a (Hg, Wg, C) heatmap over 3x3 windows.

    Returns (rows (K,) int64, cols (K,) int64, classes (K,) int32, scores (K,) float32),
    score-descending, K <= top_k, all scores >= threshold.
    """
    hm = np.asarray(heatmap, dtype=np.float32)
    h, w, _ = hm.shape
    pad = np.pad(hm, ((1, 1), (1, 1), (0, 0)), mode="constant", constant_values=-np.inf)
    mx = hm.copy()
    for dy in (0, 1, 2):  # 3x3 max-pool as 9 shifted maxima (vectorized over the grid)
        for dx in (0, 1, 2):
            np.maximum(mx, pad[dy:dy + h, dx:dx + w], out=mx)
    keep = (hm == mx) & (hm >= np.float32(threshold))
    flat = np.flatnonzero(keep.reshape(-1))
    if flat.size == 0:
        z = np.zeros((0,), np.int64)
        return z, z.copy(), np.zeros((0,), np.int32), np.zeros((0,), np.float32)
    scores = hm.reshape(-1)[flat]
    if flat.size > top_k:
        part = np.argpartition(-scores, top_k - 1)[:top_k]
        flat, scores = flat[part], scores[part]
    order = np.argsort(-scores, kind="stable")
    flat, scores = flat[order], scores[order]
    c = flat % hm.shape[2]
    cell = flat // hm.shape[2]
    return (cell // w).astype(np.int64), (cell % w).astype(np.int64), c.astype(np.int32), \
        scores.astype(np.float32)


@register
class CenterNetDecoder(Decoder):
    """Decoder for the distilled CenterNet students/teachers (see module docstring).

    options: ``heads`` (see above), ``peak_threshold`` (default 0.05; the Detector's
    score threshold filters afterwards), ``top_k`` (default 100).
    """

    name: ClassVar[str] = "centernet"
    needs_nms: ClassVar[bool] = False
    # The distillation toolkit's preprocessing: RGB, stretch, x/255 (metadata overrides).
    default_preprocess: ClassVar[dict] = {
        "resize": "stretch", "channels": "rgb",
        "mean": (0.0, 0.0, 0.0), "scale": (1 / 255.0, 1 / 255.0, 1 / 255.0),
    }

    def __init__(self, outputs: list[TensorInfo], options: dict | None = None) -> None:
        super().__init__(outputs, options)
        heads = identify_heads(outputs, self.options)
        if heads is None:
            raise ModelError("centernet: outputs do not form heatmap/size/offset heads: "
                             + ", ".join(f"{o.name} {list(o.shape)}" for o in outputs))
        self.heads = heads
        self.peak_threshold = float(self.options.get("peak_threshold", 0.05))
        self.top_k = int(self.options.get("top_k", 100))

    @classmethod
    def matches(cls, outputs: list[TensorInfo]) -> bool:
        return identify_heads(outputs) is not None

    def decode(self, outputs: list[np.ndarray], info: PreprocessInfo
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        hm = np.asarray(outputs[self.heads["heatmap"]], np.float32)[0]
        size = np.asarray(outputs[self.heads["size"]], np.float32)[0]
        off = np.asarray(outputs[self.heads["offset"]], np.float32)[0]
        hg, wg = hm.shape[:2]
        # stride from the grid: input pixels per cell (equal in x and y for our models)
        stride_x = np.float32(info.in_w / wg)
        stride_y = np.float32(info.in_h / hg)
        rows, cols, classes, scores = peaks(hm, self.peak_threshold, self.top_k)
        if rows.size == 0:
            return np.zeros((0, 4), np.float32), scores, classes
        sw = np.maximum(size[rows, cols, 0], 0.0)
        sh = np.maximum(size[rows, cols, 1], 0.0)
        cx = (cols.astype(np.float32) + off[rows, cols, 0]) * stride_x
        cy = (rows.astype(np.float32) + off[rows, cols, 1]) * stride_y
        hw, hh = sw * stride_x * 0.5, sh * stride_y * 0.5
        boxes = np.stack([cx - hw, cy - hh, cx + hw, cy + hh], axis=1).astype(np.float32)
        return boxes, scores, classes
