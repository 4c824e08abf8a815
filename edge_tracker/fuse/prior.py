"""Render propagated teacher boxes as a prior heatmap for prior-channel students.

Students trained with a prior input channel (distillation issue, CenterNet family)
take a (H_in, W_in) float32 map in [0, 1] in model-input pixels:
``Detector.preprocess(image, prior=heatmap)``. Each box becomes a Gaussian peak at its
centre, sigma proportional to its size (CenterNet's radius rule, simplified to
sigma = size / 6 so that +-3 sigma spans the box), scaled by the box score; peaks
combine by maximum.
"""

from __future__ import annotations

import numpy as np

from ..detect.base import PreprocessInfo


def render_prior(boxes: np.ndarray, scores: np.ndarray | None, info: PreprocessInfo,
                 out: np.ndarray | None = None, min_sigma: float = 1.0) -> np.ndarray:
    """boxes (N,4) xyxy source px, scores (N,) or None (=1) -> (info.in_h, info.in_w) float32.

    out: optional preallocated (in_h, in_w) float32 buffer (zeroed and reused).
    """
    h, w = info.in_h, info.in_w
    if out is None:
        out = np.zeros((h, w), np.float32)
    else:
        out.fill(0.0)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    if boxes.shape[0] == 0:
        return out
    s = np.ones(boxes.shape[0], np.float32) if scores is None else np.asarray(scores, np.float32)
    bx = boxes.copy()
    bx[:, 0::2] = bx[:, 0::2] * np.float32(info.sx) + np.float32(info.pad_x)
    bx[:, 1::2] = bx[:, 1::2] * np.float32(info.sy) + np.float32(info.pad_y)
    for (x1, y1, x2, y2), sc in zip(bx, s):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        sgx = max((x2 - x1) / 6.0, min_sigma)
        sgy = max((y2 - y1) / 6.0, min_sigma)
        xa, xb = int(max(np.floor(cx - 3 * sgx), 0)), int(min(np.ceil(cx + 3 * sgx) + 1, w))
        ya, yb = int(max(np.floor(cy - 3 * sgy), 0)), int(min(np.ceil(cy + 3 * sgy) + 1, h))
        if xa >= xb or ya >= yb:
            continue
        gx = np.exp(-0.5 * ((np.arange(xa, xb, dtype=np.float32) + 0.5 - cx) / sgx) ** 2)
        gy = np.exp(-0.5 * ((np.arange(ya, yb, dtype=np.float32) + 0.5 - cy) / sgy) ** 2)
        np.maximum(out[ya:yb, xa:xb], np.float32(sc) * np.outer(gy, gx).astype(np.float32),
                   out=out[ya:yb, xa:xb])
    return out
