"""Person detection quality against MOTChallenge ground truth (``eval detections``).

For every sequence folder with ``img1/`` (and ``gt/gt.txt``) under a MOT directory,
each frame is detected and matched to its ground truth.

Ground truth rows are ``frame, id, x, y, w, h, conf, class, visibility`` (1-based frames).

- **counted** GT: class 1 (pedestrian), visibility > ``min_visibility`` (default 0, the
  issue's rule; visibility >= 0.5 when ``min_visibility`` is 0.5 or more, see below) and
  conf != 0. Rows with conf == 0 are MOTChallenge's "ignore" marks, not targets;
- **ignore** regions: every other row of classes 1 (conf 0 or less visible), 2, 7, 8, 12
  (person on vehicle, static person, distractor, reflection: the official evaluation's
  distractors). A detection that matches no counted GT but overlaps an ignore region
  with IoU >= the match IoU is neither a true nor a false positive (dropped), as the
  official MOT preprocessing does with tracker boxes on distractors.

Matching (per frame, VOC style): detections in descending score order each take the
still unmatched counted GT box of highest IoU if that IoU >= 0.5 (true positive), else
they are false positives (or ignored, above).

recall = TP / counted GT and precision = TP / (TP + FP) use detections with score >=
``score``; ``ap50`` is the all-point interpolated average precision (VOC 2010+: area
under the precision envelope) over all detections down to ``ap_min_score`` (the
detector runs at that lower threshold; greedy NMS keeps the same boxes above ``score``
either way, since lower-scored boxes never suppress higher ones).

Note on reference numbers: the shared data README's recalls (SSD 0.15, YOLOX-416 0.43,
YOLOX-640 0.66) are reproduced with ``min_visibility=0.5`` (counted GT visibility >= 0.5,
534 boxes on MOT17-mini instead of 802); with the default (visibility > 0) the same
detections give 0.12 / 0.31 / 0.47.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import cv2
import numpy as np

from ..detect.detector import Detector, DetectorConfig
from ..detect.nms import iou_matrix
from ..errors import EdgeTrackerError, SourceError

PEDESTRIAN = 1
IGNORE_CLASSES = (2, 7, 8, 12)  # person on vehicle, static person, distractor, reflection


@dataclass
class FrameGT:
    counted: np.ndarray  # (G, 4) float32 xyxy
    ignore: np.ndarray   # (I, 4) float32 xyxy


def load_gt(path: str, min_visibility: float = 0.0) -> dict[int, FrameGT]:
    """gt.txt -> {frame: FrameGT} (see module doc for counted/ignore)."""
    try:
        raw = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as exc:
        raise SourceError(f"cannot read MOT ground truth {path}: {exc}") from exc
    if raw.size == 0:
        return {}
    if raw.shape[1] < 9:
        raise SourceError(f"{path}: expected 9 columns frame,id,x,y,w,h,conf,class,vis, "
                          f"got {raw.shape[1]}")
    frame = raw[:, 0].astype(np.int64)
    boxes = raw[:, 2:6].astype(np.float32).copy()
    boxes[:, 2:] += boxes[:, :2]  # xywh -> xyxy
    conf, cls, vis = raw[:, 6], raw[:, 7].astype(np.int64), raw[:, 8]
    visible = vis > 0 if min_visibility <= 0 else vis >= min_visibility
    counted = (cls == PEDESTRIAN) & visible & (conf != 0)
    ignore = ~counted & ((cls == PEDESTRIAN) | np.isin(cls, IGNORE_CLASSES))
    out: dict[int, FrameGT] = {}
    for f in np.unique(frame):
        sel = frame == f
        out[int(f)] = FrameGT(boxes[sel & counted], boxes[sel & ignore])
    return out


def match_frame(det_boxes: np.ndarray, det_scores: np.ndarray, gt: FrameGT,
                iou_thr: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(scores (K,), tp (K,) bool) of the detections kept after ignore-region removal,
    in descending score order (see module doc)."""
    order = np.argsort(-det_scores, kind="stable")
    boxes, scores = det_boxes[order], det_scores[order]
    ious = iou_matrix(boxes, gt.counted)
    taken = np.zeros(gt.counted.shape[0], bool)
    tp = np.zeros(boxes.shape[0], bool)
    for i in range(boxes.shape[0]):
        if taken.size:
            cand = np.where(taken, -1.0, ious[i])
            j = int(np.argmax(cand))
            if cand[j] >= iou_thr:
                taken[j] = True
                tp[i] = True
    keep = tp.copy()
    if gt.ignore.shape[0]:
        on_ignore = iou_matrix(boxes, gt.ignore).max(axis=1) >= iou_thr
        keep |= ~on_ignore
    else:
        keep[:] = True
    return scores[keep], tp[keep]


def average_precision(scores: np.ndarray, tp: np.ndarray, n_gt: int) -> float:
    """All-point interpolated AP (VOC 2010+) of detections (scores, tp) vs n_gt boxes."""
    if n_gt == 0:
        return float("nan")
    if scores.size == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    tp_c = np.cumsum(tp[order]).astype(np.float64)
    fp_c = np.cumsum(~tp[order]).astype(np.float64)
    rec = tp_c / n_gt
    prec = tp_c / np.maximum(tp_c + fp_c, 1e-12)
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]  # precision envelope
    idx = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def summarize(scores: np.ndarray, tp: np.ndarray, n_gt: int, frames: int, score: float
              ) -> dict:
    """Summary dict with recall, precision, ap50, frames, gt_boxes (+ tp, fp at score)."""
    at = scores >= score
    n_tp = int(tp[at].sum())
    n_fp = int(at.sum() - n_tp)
    return {
        "recall": n_tp / n_gt if n_gt else float("nan"),
        "precision": n_tp / (n_tp + n_fp) if n_tp + n_fp else float("nan"),
        "ap50": average_precision(scores, tp, n_gt),
        "frames": frames, "gt_boxes": n_gt, "tp": n_tp, "fp": n_fp,
    }


def read_image(path: str) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise SourceError(f"cannot read image {path}")
    return image


def find_sequences(mot_dir: str) -> list[str]:
    """Sequence folders (with img1/ and gt/gt.txt) in mot_dir, sorted; mot_dir itself if it
    is one."""
    if not os.path.isdir(mot_dir):
        raise SourceError(f"MOT directory not found: {mot_dir}")
    if os.path.isdir(os.path.join(mot_dir, "img1")):
        cands = [mot_dir]
    else:
        cands = [os.path.join(mot_dir, d) for d in sorted(os.listdir(mot_dir))]
    seqs = [d for d in cands if os.path.isdir(os.path.join(d, "img1"))
            and os.path.isfile(os.path.join(d, "gt", "gt.txt"))]
    if not seqs:
        raise SourceError(f"no sequence with img1/ and gt/gt.txt in {mot_dir}")
    return seqs


def evaluate_detections(cfg: DetectorConfig, mot_dir: str, score: float = 0.3,
                        iou: float = 0.5, ap_min_score: float = 0.05,
                        min_visibility: float = 0.0) -> dict:
    """Run the detector over every sequence; see module doc. Keys: recall, precision,
    ap50, frames, gt_boxes, tp, fp, score, iou, model, sequences {name: same keys}."""
    if not 0.0 <= score <= 1.0:
        raise EdgeTrackerError(f"--score must be in [0, 1], got {score}")
    run_cfg = dataclasses.replace(cfg, score_threshold=min(score, ap_min_score),
                                  max_detections=max(cfg.max_detections, 300))
    detector = Detector.from_config(run_cfg)
    all_scores, all_tp, per_seq = [], [], {}
    n_gt_total = frames_total = 0
    for seq in find_sequences(mot_dir):
        gt = load_gt(os.path.join(seq, "gt", "gt.txt"), min_visibility)
        img_dir = os.path.join(seq, "img1")
        files = sorted(f for f in os.listdir(img_dir) if f.lower().endswith((".jpg", ".png")))
        s_scores, s_tp, n_gt = [], [], 0
        for name in files:
            fidx = int(os.path.splitext(name)[0])
            image = read_image(os.path.join(img_dir, name))
            dets = detector.detect(image, frame_index=fidx)
            fgt = gt.get(fidx, FrameGT(np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)))
            sc, tp = match_frame(dets.boxes, dets.scores, fgt, iou)
            s_scores.append(sc)
            s_tp.append(tp)
            n_gt += fgt.counted.shape[0]
        sc = np.concatenate(s_scores) if s_scores else np.zeros(0, np.float32)
        tp = np.concatenate(s_tp) if s_tp else np.zeros(0, bool)
        per_seq[os.path.basename(os.path.normpath(seq))] = summarize(sc, tp, n_gt, len(files),
                                                                     score)
        all_scores.append(sc)
        all_tp.append(tp)
        n_gt_total += n_gt
        frames_total += len(files)
    result = summarize(np.concatenate(all_scores), np.concatenate(all_tp), n_gt_total,
                       frames_total, score)
    vis_rule = "> 0" if min_visibility <= 0 else f">= {min_visibility}"
    result.update(score=score, iou=iou, ap_min_score=ap_min_score,
                  min_visibility=min_visibility, model=detector.model.path,
                  decoder=detector.decoder.name, sequences=per_seq,
                  rule=f"GT: class 1, visibility {vis_rule}, conf != 0; detections on ignore "
                       "rows (conf 0, less visible, classes 2/7/8/12) dropped; greedy IoU "
                       "match by score")
    return result
