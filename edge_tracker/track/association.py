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


def _solve(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the matched pairs of a shifted cost ``c`` (K, N) <= 0, where
    0 marks a pair that may not be matched.

    Minimizing sum(cost - max_cost) over matched pairs, with pairs above the ceiling at 0
    (= leaving both ends unmatched), is the objective lap.lapjv(cost, cost_limit=max_cost)
    in ByteTrack optimizes: a pair is only taken when it beats leaving its row and column
    free, and never just to make room for more matches.
    """
    rows, cols = linear_sum_assignment(c)
    ok = c[rows, cols] < 0
    return rows[ok], cols[ok]


def _free(n: int, used: np.ndarray) -> np.ndarray:
    free = np.ones(n, dtype=bool)
    free[used] = False
    return free.nonzero()[0]


def linear_assignment(cost: np.ndarray, max_cost: float) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """Minimum-cost one-to-one matching of rows to columns with a cost ceiling.

    cost: (K, N); pairs with cost > max_cost are never matched.
    Returns (matches (M, 2) int64 [row, col], unmatched rows (int64), unmatched cols).
    """
    k, n = cost.shape
    if k == 0 or n == 0:
        return EMPTY_MATCHES, np.arange(k, dtype=np.int64), np.arange(n, dtype=np.int64)
    c = np.minimum(cost - (max_cost + 1e-6), 0.0)
    rows, cols = _solve(c)
    return (np.stack([rows, cols], axis=1).astype(np.int64), _free(k, rows), _free(n, cols))


def match_indices(similarity: np.ndarray, gate: np.ndarray | None,
                  min_similarity: float) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian match maximizing ``similarity`` (K, N) among pairs with ``gate`` True and
    similarity >= min_similarity -> (rows, cols) of the matched pairs (the hot path)."""
    if similarity.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # cost - max_cost = (1 - sim) - (1 - floor) = floor - sim; forbidden pairs -> 0.
    c = np.minimum(np.float32(min_similarity - 1e-6) - similarity, 0)
    if gate is not None:
        c *= gate
    return _solve(c)


def match(similarity: np.ndarray, gate: np.ndarray | None, min_similarity: float) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`match_indices`, returning (matches (M, 2), unmatched rows, unmatched cols)
    like :func:`linear_assignment`."""
    k, n = similarity.shape
    rows, cols = match_indices(similarity, gate, min_similarity)
    return np.stack([rows, cols], axis=1).astype(np.int64), _free(k, rows), _free(n, cols)
