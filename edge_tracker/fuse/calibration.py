"""Online calibration of the student's score threshold from its agreement with the teacher.

Each teacher result is a free label set for the frame it ran on. The student's
detections of that frame (all of them, down to the detector's own floor) are split
into agreeing (IoU >= ``agree_iou`` with a teacher box, one-to-one) and not. Over a
grid of candidate thresholds we keep exponentially decayed counts of agreeing and
disagreeing detections above each threshold, and pick the lowest threshold whose
agreement rate (precision against the teacher) reaches ``precision_target`` - the
threshold above which a student detection the teacher has not (yet) confirmed is
worth passing to the tracker. Chasing F1 instead would admit the many low-score
false positives of a weak student (measured: IDF1 vs the teacher reference drops
from 0.84 to 0.74 at 25% teacher compute with an F1-calibrated threshold). With no
threshold reaching the target the threshold goes to ``hi``. It moves at most
``max_step`` per update, stays in [``lo``, ``hi``] and is reported as
``edge_tracker_student_score_threshold``.
"""

from __future__ import annotations

import numpy as np

from .propagate import match


class ScoreCalibrator:
    """See module docstring. ``threshold`` is the current value."""

    def __init__(self, init: float = 0.3, lo: float = 0.2, hi: float = 0.7,
                 agree_iou: float = 0.4, decay: float = 0.9, max_step: float = 0.05,
                 step: float = 0.025, precision_target: float = 0.8,
                 min_evidence: float = 3.0) -> None:
        if not lo <= init <= hi:
            raise ValueError(f"ScoreCalibrator: init {init} must lie in [lo {lo}, hi {hi}]")
        self.threshold = float(init)
        self.lo, self.hi = float(lo), float(hi)
        self.agree_iou = agree_iou
        self.decay = decay
        self.max_step = max_step
        self.precision_target = precision_target
        self.min_evidence = min_evidence   # decayed detections needed to trust a precision
        self.grid = np.arange(lo, hi + 1e-9, step, dtype=np.float32)   # (G,)
        self._tp = np.zeros_like(self.grid)
        self._fp = np.zeros_like(self.grid)
        self.updates = 0

    def update(self, student_boxes: np.ndarray, student_scores: np.ndarray,
               teacher_boxes: np.ndarray) -> float:
        """Student detections (N,4)/(N,) and teacher boxes (M,4) of the same frame -> threshold."""
        sb = np.asarray(student_boxes, np.float32).reshape(-1, 4)
        ss = np.asarray(student_scores, np.float32).reshape(-1)
        tb = np.asarray(teacher_boxes, np.float32).reshape(-1, 4)
        agree = np.zeros(sb.shape[0], bool)
        ia, _ = match(sb, tb, self.agree_iou)
        agree[ia] = True
        above = ss[None, :] >= self.grid[:, None]                       # (G, N)
        self._tp = self.decay * self._tp + (above & agree[None, :]).sum(1)
        self._fp = self.decay * self._fp + (above & ~agree[None, :]).sum(1)
        self.updates += 1
        n = self._tp + self._fp
        ok = (n >= self.min_evidence) & (self._tp >= self.precision_target * n)
        if not (n >= self.min_evidence).any():
            return self.threshold
        best = float(self.grid[int(np.argmax(ok))]) if ok.any() else self.hi
        move = float(np.clip(best - self.threshold, -self.max_step, self.max_step))
        self.threshold = float(np.clip(self.threshold + move, self.lo, self.hi))
        return self.threshold
