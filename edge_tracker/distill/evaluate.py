"""Detection quality of a distilled model against its teacher, and float-vs-int8
agreement, on held-out frames (NumPy + LiteRT; the float model is any callable).

Matching: greedy in descending score order, a prediction matches the unmatched
reference box of highest IoU if that IoU >= ``iou`` (0.5). Precision = TP / #pred,
recall = TP / #ref, F1 = 2PR / (P + R); an empty side scores 1.0 only when the
other side is empty too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..detect.base import PreprocessInfo
from ..detect.centernet import CenterNetDecoder
from ..detect.nms import iou_matrix
from ..runtime.interpreter import Model
from .dataset import DataSet, held_input, prior_for

SCORE = 0.3   # the Detector's default score threshold (DetectorConfig.score_threshold)
IOU = 0.5


@dataclass
class Counts:
    tp: int = 0
    n_pred: int = 0
    n_ref: int = 0

    def add(self, pred: np.ndarray, pred_scores: np.ndarray, ref: np.ndarray,
            iou: float = IOU) -> None:
        self.tp += match_count(pred, pred_scores, ref, iou)
        self.n_pred += len(pred)
        self.n_ref += len(ref)

    def summary(self) -> dict:
        # empty sets: perfect only when the other side is empty too
        p = self.tp / self.n_pred if self.n_pred else float(self.n_ref == 0)
        r = self.tp / self.n_ref if self.n_ref else float(self.n_pred == 0)
        f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
        return {"precision": p, "recall": r, "f1": f1, "tp": self.tp,
                "n_pred": self.n_pred, "n_ref": self.n_ref}


def match_count(pred: np.ndarray, scores: np.ndarray, ref: np.ndarray, iou: float = IOU
                ) -> int:
    """Number of greedy one-to-one matches with IoU >= iou."""
    if len(pred) == 0 or len(ref) == 0:
        return 0
    m = iou_matrix(pred[np.argsort(-scores, kind="stable")], ref)
    used = np.zeros(len(ref), bool)
    tp = 0
    for row in m:
        row = np.where(used, -1.0, row)
        j = int(np.argmax(row))
        if row[j] >= iou:
            used[j] = True
            tp += 1
    return tp


class TfliteRunner:
    """Run a centernet .tflite on float inputs and decode to source pixels."""

    def __init__(self, model: Model, opts: dict | None = None) -> None:
        self.model = model
        self.decoder = CenterNetDecoder(model.outputs, {**model.metadata, **(opts or {})})

    def raw(self, x: np.ndarray) -> list[np.ndarray]:
        return self.model.run(self.model.quantize_input(x))

    def detect(self, x: np.ndarray, info: PreprocessInfo, score: float = SCORE):
        b, s, _ = self.decoder.decode(self.raw(x), info)
        keep = s >= score
        return info.to_source(b[keep]), s[keep]


def clip_info(ds: DataSet, c: int) -> PreprocessInfo:
    w, h = ds.clips[c].src_wh
    return PreprocessInfo(w, h, ds.in_w, ds.in_h, ds.in_w / w, ds.in_h / h)


def teacher_boxes(ds: DataSet, c: int, p: int, score: float = SCORE) -> np.ndarray:
    """Teacher boxes of clip c position p in source px (score >= score)."""
    clip = ds.clips[c]
    info = clip_info(ds, c)
    b = clip.boxes[p][clip.scores[p] >= score]
    return info.to_source(b)


def quality_vs_teacher(runner: TfliteRunner, ds: DataSet, refs: list[tuple[int, int]],
                       staleness: int | None = None) -> dict:
    """P/R/F1 vs the teacher (score >= 0.3) per clip and overall. For prior-channel models
    ``staleness`` k feeds the teacher boxes of frame t-k (exact, as a fresh-but-stale
    teacher would give); None feeds an empty prior."""
    prior_model = runner.model.inputs[0].shape[-1] == 4
    per_clip: dict[str, Counts] = {}
    total = Counts()
    for c, p in refs:
        pr = None
        if prior_model:
            pr = (np.zeros((ds.in_h, ds.in_w), np.float32) if staleness is None
                  else prior_for(ds, c, p, staleness, None, None))
        boxes, scores = runner.detect(held_input(ds, c, p, pr), clip_info(ds, c))
        ref = teacher_boxes(ds, c, p)
        for cnt in (per_clip.setdefault(ds.clips[c].name, Counts()), total):
            cnt.add(boxes, scores, ref)
    return {"all": total.summary(), "clips": {k: v.summary() for k, v in per_clip.items()}}


def agreement(float_fn: Callable[[np.ndarray], list[np.ndarray]], runner: TfliteRunner,
              ds: DataSet, refs: list[tuple[int, int]]) -> dict:
    """int8 vs float on held-out frames: F1 of int8 detections against the float model's
    (IoU 0.5, score 0.3) and the mean/max absolute heatmap difference."""
    counts = Counts()
    diffs = []
    prior_model = runner.model.inputs[0].shape[-1] == 4
    for c, p in refs:
        pr = prior_for(ds, c, p, 4, None, None) if prior_model else None
        x = held_input(ds, c, p, pr)
        info = clip_info(ds, c)
        fout = float_fn(x)
        fb, fs, _ = runner.decoder.decode(fout, info)
        qout = runner.raw(x)
        qb, qs, _ = runner.decoder.decode(qout, info)
        counts.add(qb[qs >= SCORE], qs[qs >= SCORE], fb[fs >= SCORE])
        h = runner.decoder.heads["heatmap"]
        diffs.append(np.abs(fout[h] - qout[h]))
    d = np.concatenate([x.reshape(-1) for x in diffs]) if diffs else np.zeros(1)
    return {"f1_int8_vs_float": counts.summary()["f1"], "heatmap_mean_abs_diff": float(d.mean()),
            "heatmap_max_abs_diff": float(d.max()), "frames": len(refs)}


def stale_teacher_baseline(ds: DataSet, refs: list[tuple[int, int]], staleness: int) -> dict:
    """P/R/F1 of the teacher's own boxes from ``staleness`` frames earlier against the
    current ones: what a stale teacher alone would score (context for the prior ablation)."""
    total = Counts()
    for c, p in refs:
        q = max(p - staleness, 0)
        clip = ds.clips[c]
        info = clip_info(ds, c)
        keep = clip.scores[q] >= SCORE
        total.add(info.to_source(clip.boxes[q][keep]), clip.scores[q][keep],
                  teacher_boxes(ds, c, p))
    return total.summary()
