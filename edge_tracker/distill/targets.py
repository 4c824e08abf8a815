"""Training targets (NumPy, no TensorFlow): soft heatmaps, size/offset maps, priors.

Boxes are ``xyxy`` float32 in model-input pixels. A box's centre falls in grid cell
(i, j) = (floor(cy / stride), floor(cx / stride)); the heatmap there peaks at the
teacher's score (soft target) and spreads as a Gaussian of sigma = size / 6 in each
axis (the CenterNet paper's radius rule, simplified: the Gaussian reaches ~0.01 at
the box's edge), at least ``min_sigma`` cells. Size targets are in stride units,
offsets in [0, 1) cells, as the ``centernet`` decoder expects.
"""

from __future__ import annotations

import numpy as np

MIN_SIGMA_CELLS = 0.5  # a box smaller than a cell still gets a 1-cell blob


def _gaussians(boxes: np.ndarray, peaks: np.ndarray, gh: int, gw: int, cell: float,
               min_sigma: float) -> np.ndarray:
    """max over boxes of peak * exp(-d^2 / 2 sigma^2) on a (gh, gw) grid whose cells are
    ``cell`` input pixels; centres at cell-centre coordinates."""
    out = np.zeros((gh, gw), np.float32)
    if boxes.shape[0] == 0:
        return out
    ys = (np.arange(gh, dtype=np.float32) + 0.5)
    xs = (np.arange(gw, dtype=np.float32) + 0.5)
    for (x1, y1, x2, y2), p in zip(boxes / np.float32(cell), peaks):
        cx, cy = (x1 + x2) * 0.5, (y1 + y2) * 0.5
        # snap the peak to the centre cell so the target's maximum is exactly `p`
        cxs, cys = np.floor(cx) + 0.5, np.floor(cy) + 0.5
        sx = max((x2 - x1) / 6.0, min_sigma)
        sy = max((y2 - y1) / 6.0, min_sigma)
        gy = np.exp(-((ys - cys) ** 2) / (2 * sy * sy))
        gx = np.exp(-((xs - cxs) ** 2) / (2 * sx * sx))
        np.maximum(out, np.float32(p) * gy[:, None] * gx[None, :], out=out)
    return out


def render_targets(boxes: np.ndarray, scores: np.ndarray, in_w: int, in_h: int, stride: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Targets of one image for a 1-class CenterNet.

    boxes (N,4) xyxy input px, scores (N,) teacher scores in [0,1].
    Returns heatmap (Hg,Wg,1) f32, size (Hg,Wg,2) f32 stride units, offset (Hg,Wg,2) f32,
    mask (Hg,Wg,1) f32 = 1 at centre cells (regression supervised there only).
    """
    gh, gw = in_h // stride, in_w // stride
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores = np.asarray(scores, np.float32).reshape(-1)
    hm = _gaussians(boxes, scores, gh, gw, float(stride), MIN_SIGMA_CELLS)[:, :, None]
    size = np.zeros((gh, gw, 2), np.float32)
    off = np.zeros((gh, gw, 2), np.float32)
    mask = np.zeros((gh, gw, 1), np.float32)
    if boxes.shape[0]:
        b = boxes / np.float32(stride)
        cx, cy = (b[:, 0] + b[:, 2]) * 0.5, (b[:, 1] + b[:, 3]) * 0.5
        j = np.clip(np.floor(cx).astype(np.int64), 0, gw - 1)
        i = np.clip(np.floor(cy).astype(np.int64), 0, gh - 1)
        order = np.argsort(scores)  # higher scores written last win a shared cell
        i, j, b, cx, cy = i[order], j[order], b[order], cx[order], cy[order]
        size[i, j, 0] = b[:, 2] - b[:, 0]
        size[i, j, 1] = b[:, 3] - b[:, 1]
        off[i, j, 0] = np.clip(cx - j, 0.0, 1.0)
        off[i, j, 1] = np.clip(cy - i, 0.0, 1.0)
        mask[i, j, 0] = 1.0
    return hm, size, off, mask


def render_prior(boxes: np.ndarray, scores: np.ndarray, in_w: int, in_h: int,
                 cell: int = 4) -> np.ndarray:
    """Prior heatmap for a prior-channel student: (H_in, W_in) float32 in [0, 1].

    Gaussians of the (earlier, propagated) teacher boxes in model-input pixels, peak =
    score, rendered on a ``cell``-pixel grid and upsampled (nearest) to input size.
    Used both in training and at run time (no TensorFlow here).
    """
    gh, gw = -(-in_h // cell), -(-in_w // cell)
    g = _gaussians(np.asarray(boxes, np.float32).reshape(-1, 4),
                   np.asarray(scores, np.float32).reshape(-1), gh, gw, float(cell), 0.5)
    return np.repeat(np.repeat(g, cell, axis=0), cell, axis=1)[:in_h, :in_w]


def simulate_stale_prior(boxes: np.ndarray, scores: np.ndarray, in_w: int, in_h: int,
                         rng: np.random.Generator, jitter: float = 0.1,
                         dropout: float = 0.3) -> np.ndarray:
    """A degraded prior from an earlier frame's teacher boxes: each box dropped with
    probability ``dropout``, its centre moved by up to ``jitter`` x its size and its size
    scaled by 1 +- jitter; then :func:`render_prior`."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores = np.asarray(scores, np.float32).reshape(-1)
    keep = rng.random(boxes.shape[0]) >= dropout
    b, s = boxes[keep], scores[keep]
    if b.shape[0]:
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        cx = (b[:, 0] + b[:, 2]) / 2 + rng.uniform(-jitter, jitter, b.shape[0]) * w
        cy = (b[:, 1] + b[:, 3]) / 2 + rng.uniform(-jitter, jitter, b.shape[0]) * h
        w = w * rng.uniform(1 - jitter, 1 + jitter, b.shape[0])
        h = h * rng.uniform(1 - jitter, 1 + jitter, b.shape[0])
        b = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1).astype(np.float32)
    return render_prior(b, s, in_w, in_h)
