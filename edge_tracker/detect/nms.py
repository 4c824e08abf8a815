"""IoU and greedy non-maximum suppression, vectorized.

Boxes are (N, 4) xyxy (x1, y1, x2, y2) in any one pixel frame. A box with x2 <= x1 or
y2 <= y1 has zero area; its IoU with anything is 0.
"""

from __future__ import annotations

import numpy as np


def box_area(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy -> (N,) float32 areas (0 for degenerate boxes)."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    return np.maximum(b[:, 2] - b[:, 0], 0) * np.maximum(b[:, 3] - b[:, 1], 0)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (N, 4) with every box of ``b`` (M, 4) -> (N, M) float32."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0], b.shape[0]), np.float32)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(iw, 0, out=iw)  # np.clip is several times slower on small arrays
    np.maximum(ih, 0, out=ih)
    inter = iw * ih
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float,
        classes: np.ndarray | None = None, max_detections: int | None = None) -> np.ndarray:
    """Greedy NMS: indices of kept boxes (int64), highest score first.

    A box is suppressed when its IoU with an already kept, higher-scored box is
    > ``iou`` (ties keep the earlier index: stable sort). With ``classes`` (N,) only
    boxes of the same class suppress each other (each class's boxes are shifted by a
    per-class offset larger than every coordinate, so no two classes overlap).
    ``max_detections`` stops after that many kept boxes.
    """
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores = np.asarray(scores, np.float32).reshape(-1)
    n = boxes.shape[0]
    if scores.shape[0] != n:
        raise ValueError(f"nms: {n} boxes but {scores.shape[0]} scores")
    limit = n if max_detections is None else min(n, int(max_detections))
    if n == 0 or limit <= 0:
        return np.zeros((0,), np.int64)
    if classes is not None:
        classes = np.asarray(classes).reshape(-1)
        span = float(np.abs(boxes).max()) * 2.0 + 1.0
        boxes = boxes + (classes.astype(np.float32) * np.float32(span))[:, None]
    order = np.argsort(-scores, kind="stable")
    b = boxes[order]
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    area = box_area(b)
    thr = np.float32(iou)
    rest = np.arange(n)  # positions in score order still undecided
    keep = []
    while rest.size and len(keep) < limit:
        i = rest[0]
        keep.append(i)
        others = rest[1:]
        iw = np.clip(np.minimum(x2[i], x2[others]) - np.maximum(x1[i], x1[others]), 0, None)
        ih = np.clip(np.minimum(y2[i], y2[others]) - np.maximum(y1[i], y1[others]), 0, None)
        inter = iw * ih
        union = area[i] + area[others] - inter
        # IoU > thr  <=>  inter > thr * union (union > 0); avoids a division.
        rest = others[~((inter > thr * union) & (union > 0))]
    return order[np.asarray(keep, np.int64)].astype(np.int64)
