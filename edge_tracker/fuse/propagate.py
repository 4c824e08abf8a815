"""Bring teacher boxes of frame t0 to the current frame t1 through the tracks' motion.

A teacher result arrives late: it describes frame t0, the student is at t1 > t0. Each
teacher box is matched (IoU, Hungarian) to the tracks' boxes *as they were at t0*
(kept in :class:`TrackHistory`), then moved by that track's displacement between t0
and t1 (its box at t0 -> its predicted box at t1, ``Tracker.predict_boxes(t1)``).
Teacher boxes that match no track stay where they are.

Boxes: (N,4) float32 xyxy source pixels everywhere.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..detect.nms import iou_matrix


def match(a: np.ndarray, b: np.ndarray, min_iou: float) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one IoU matching (maximum total IoU). Returns index arrays (ia, ib), int64,
    of the pairs with IoU >= min_iou."""
    iou = iou_matrix(a, b)
    if iou.size == 0:
        return np.zeros((0,), np.int64), np.zeros((0,), np.int64)
    ia, ib = linear_sum_assignment(-iou)
    ok = iou[ia, ib] >= min_iou
    return ia[ok].astype(np.int64), ib[ok].astype(np.int64)


class TrackHistory:
    """Recent track boxes by time: entries (t, ids (K,) int64, boxes (K,4) float32).

    horizon_s: entries older than this (relative to the newest) are dropped.
    """

    def __init__(self, horizon_s: float = 2.0) -> None:
        self.horizon_s = horizon_s
        self._entries: deque[tuple[float, np.ndarray, np.ndarray]] = deque()

    def record(self, t: float, ids: np.ndarray, boxes: np.ndarray) -> None:
        self._entries.append((t, np.asarray(ids, np.int64), np.asarray(boxes, np.float32)))
        while self._entries and self._entries[0][0] < t - self.horizon_s:
            self._entries.popleft()

    def at(self, t0: float) -> tuple[np.ndarray, np.ndarray] | None:
        """The entry whose time is closest to t0 (None when empty)."""
        if not self._entries:
            return None
        best = min(self._entries, key=lambda e: abs(e[0] - t0))
        return best[1], best[2]

    def latest(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The newest entry (ids (K,), boxes (K,4)), None when empty."""
        if not self._entries:
            return None
        return self._entries[-1][1], self._entries[-1][2]

    def clear(self) -> None:
        self._entries.clear()


def propagate(boxes0: np.ndarray, hist_ids: np.ndarray, hist_boxes: np.ndarray,
              now_ids: np.ndarray, now_boxes: np.ndarray, min_iou: float = 0.3
              ) -> tuple[np.ndarray, np.ndarray]:
    """Move teacher boxes of t0 to t1 by the displacement of the tracks they match.

    boxes0 (N,4): teacher boxes at t0. hist_ids (K,), hist_boxes (K,4): tracks at t0.
    now_ids (L,), now_boxes (L,4): the tracks' predicted boxes at t1.
    Returns (boxes1 (N,4) float32, track_ids (N,) int64 with -1 where no track matched).
    A matched track that no longer exists at t1 gives no displacement (id kept).
    """
    boxes0 = np.asarray(boxes0, np.float32).reshape(-1, 4)
    out = boxes0.copy()
    tids = np.full((boxes0.shape[0],), -1, np.int64)
    ia, ib = match(boxes0, np.asarray(hist_boxes, np.float32).reshape(-1, 4), min_iou)
    if ia.size == 0:
        return out, tids
    tids[ia] = hist_ids[ib]
    pos = {int(i): k for k, i in enumerate(now_ids)}
    for a, b in zip(ia, ib):
        k = pos.get(int(hist_ids[b]))
        if k is not None:
            out[a] += now_boxes[k] - hist_boxes[b]
    return out, tids
