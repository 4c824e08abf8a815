"""Association costs and thresholded Hungarian matching for the tracker.

All boxes are ``xyxy`` float32 in frame pixels. Costs are ``1 - similarity`` so a
threshold on the cost is a floor on the similarity.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..detect.nms import iou_matrix  # the detect helper's vectorized IoU (shared)

EMPTY_MATCHES = np.zeros((0, 2), dtype=np.int64)


def fuse_score(similarity: np.ndarray, det_scores: np.ndarray) -> np.ndarray:
    """ByteTrack's score fusion: similarity (K, N) times detection score (N,)."""
    return similarity * np.asarray(det_scores, dtype=np.float32)[None, :]


def height_similarity(track_boxes: np.ndarray, det_boxes: np.ndarray) -> np.ndarray:
    """min(h_t, h_d) / max(h_t, h_d) for every pair -> (K, N) in [0, 1]."""
    ht = (track_boxes[:, 3] - track_boxes[:, 1])[:, None]
    hd = (det_boxes[:, 3] - det_boxes[:, 1])[None, :]
    return np.minimum(ht, hd) / np.maximum(np.maximum(ht, hd), 1e-6)


def similarity_matrix(track_boxes: np.ndarray, det_boxes: np.ndarray, det_scores: np.ndarray,
                      fuse: bool = False, height_weight: float = 0.0) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    """(iou (K, N), similarity (K, N)) between predicted track boxes and detections.

    similarity = IoU, times ``height_similarity ** height_weight`` when that weight is
    positive (penalizes pairs whose heights disagree, e.g. a person passing behind
    another), times the detection score when ``fuse``. The gate uses the plain IoU.
    """
    iou = iou_matrix(track_boxes, det_boxes)
    sim = iou
    if height_weight > 0 and iou.size:
        sim = sim * height_similarity(track_boxes, det_boxes) ** np.float32(height_weight)
    if fuse and iou.size:
        sim = fuse_score(sim, det_scores)
    return iou, sim


def linear_assignment(cost: np.ndarray, max_cost: float) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """Minimum-cost one-to-one matching of rows to columns with a cost ceiling.

    cost: (K, N); pairs with cost > max_cost are never matched.
    Returns (matches (M, 2) int64 [row, col], unmatched rows (int64), unmatched cols).
    """
    k, n = cost.shape
    if k == 0 or n == 0:
        return EMPTY_MATCHES, np.arange(k, dtype=np.int64), np.arange(n, dtype=np.int64)
    # Minimizing sum(cost - max_cost) over matched pairs, with pairs above the ceiling at 0
    # (= leaving both ends unmatched), is the same objective as lap.lapjv(cost,
    # cost_limit=max_cost) that ByteTrack uses: a pair is only taken when it beats leaving
    # its row and column free, and never to make room for more matches.
    c = np.where(cost <= max_cost, cost - (max_cost + 1e-6), 0.0)
    rows, cols = linear_sum_assignment(c)
    ok = c[rows, cols] < 0
    rows = rows[ok]
    cols = cols[ok]
    matches = np.stack([rows, cols], axis=1).astype(np.int64)
    row_free = np.ones(k, dtype=bool)
    row_free[rows] = False
    col_free = np.ones(n, dtype=bool)
    col_free[cols] = False
    return matches, np.flatnonzero(row_free), np.flatnonzero(col_free)


def match(similarity: np.ndarray, gate: np.ndarray, min_similarity: float) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian match maximizing ``similarity`` (K, N) among pairs with ``gate`` True
    and similarity >= min_similarity. Returns as :func:`linear_assignment`."""
    cost = 1.0 - similarity
    if gate is not None and cost.size:
        cost = np.where(gate, cost, 2.0)
    return linear_assignment(cost, 1.0 - min_similarity)
