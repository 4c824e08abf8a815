"""OTB (Wu, Lim & Yang, CVPR 2013 / TPAMI 2015) one-pass evaluation metrics.

Boxes are OTB ``xywh`` (top-left x, y, width, height) float pixels, arrays (N, 4).

- success plot: for overlap thresholds 0, 0.05, .., 1 (21 points) the fraction of frames
  whose IoU with the ground truth is strictly greater than the threshold; AUC = its mean
  (the OTB toolkit's "AUC" of the success plot);
- precision plot: fraction of frames whose centre error is <= the threshold in pixels;
  the reported figure is the value at 20 px.

Frames whose ground truth is invalid (NaN, or width/height <= 0: target absent) are left
out, as the OTB toolkit does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUCCESS_THRESHOLDS = np.linspace(0.0, 1.0, 21)  # OTB: 0:0.05:1
PRECISION_PX = 20.0                              # OTB's representative precision threshold


def load_groundtruth(path: str | Path) -> np.ndarray:
    """(N, 4) float32 x, y, w, h from an OTB ``groundtruth_rect.txt`` (comma, space or tab
    separated). A malformed line raises ValueError naming the file and line number."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            parts = [p for p in re.split(r"[,\s]+", line) if p]
            if len(parts) != 4:
                raise ValueError(f"{path}:{n}: expected 4 numbers x,y,w,h, got {line!r}")
            try:
                rows.append([float(p) for p in parts])
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not numbers: {line!r}") from exc
    return np.asarray(rows, np.float32).reshape(-1, 4)


def iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) IoU of row-paired boxes a (N, 4), b (N, 4) in xywh; 0 where the union is empty."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    iw = np.clip(np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0]),
                 0, None)
    ih = np.clip(np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1]),
                 0, None)
    inter = iw * ih
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def centre_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) Euclidean distance between the boxes' centres, pixels."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    ca = a[:, :2] + a[:, 2:] / 2
    cb = b[:, :2] + b[:, 2:] / 2
    return np.sqrt(np.sum((ca - cb) ** 2, axis=1))


def valid_mask(gt: np.ndarray) -> np.ndarray:
    """(N,) bool: ground-truth rows with finite values and positive size."""
    gt = np.asarray(gt, np.float64).reshape(-1, 4)
    return np.all(np.isfinite(gt), axis=1) & (gt[:, 2] > 0) & (gt[:, 3] > 0)


@dataclass(frozen=True)
class OtbScores:
    auc: float
    precision_20px: float
    success_curve: tuple[float, ...]   # 21 values for SUCCESS_THRESHOLDS
    frames: int                        # frames evaluated (valid ground truth)


def success_curve(iou: np.ndarray) -> np.ndarray:
    """(21,) fraction of frames with IoU > threshold, thresholds 0..1 step 0.05."""
    iou = np.asarray(iou, np.float64).reshape(-1)
    if iou.size == 0:
        return np.zeros(SUCCESS_THRESHOLDS.shape)
    return np.mean(iou[None, :] > SUCCESS_THRESHOLDS[:, None], axis=1)


def evaluate(pred: np.ndarray, gt: np.ndarray) -> OtbScores:
    """OTB scores of predictions (N, 4) xywh against ground truth (N, 4) xywh."""
    pred = np.asarray(pred, np.float64).reshape(-1, 4)
    gt = np.asarray(gt, np.float64).reshape(-1, 4)
    if pred.shape != gt.shape:
        raise ValueError(f"predictions {pred.shape} and ground truth {gt.shape} differ in length")
    keep = valid_mask(gt)
    p, g = pred[keep], gt[keep]
    curve = success_curve(iou_xywh(p, g))
    err = centre_error(p, g)
    prec = float(np.mean(err <= PRECISION_PX)) if err.size else 0.0
    return OtbScores(float(curve.mean()), prec, tuple(float(v) for v in curve), int(keep.sum()))
