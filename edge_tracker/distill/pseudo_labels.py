"""Teacher pseudo-labels (and optionally teacher feature maps), cached on disk.

The teacher runs through the project's own :class:`~edge_tracker.detect.detector.Detector`
(its decoder, class filter and NMS), at a low score threshold so the student also
learns the teacher's uncertain detections: soft targets are the teacher's scores.

Cache files (``.npz``) are keyed by the teacher model's content hash, the frame
source (path, size, range) and the settings:
``labels_<model>_<source>_<thr>.npz``: boxes (M,4) f32 xyxy **source px**, scores (M,),
frame (M,) int64 frame index of each box, index (N,) frames labelled, src_wh (2,).
``feat_<model>_<tensor>_<source>_<gw>x<gh>.npz``: feat (N, gh, gw, C) float16 aligned
to the student's feature grid (see teacher_features.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass

import numpy as np

from .frames import FrameSource, iter_frames

log = logging.getLogger(__name__)

PSEUDO_LABEL_SCORE = 0.1  # lowest teacher score kept as a (soft) target


@dataclass
class Labels:
    """Pseudo-labels of one frame source. Per frame i (position in ``index``):
    boxes[frame == index[i]] in source pixels."""

    boxes: np.ndarray
    scores: np.ndarray
    frame: np.ndarray
    index: np.ndarray
    src_wh: tuple[int, int]

    def of(self, frame_index: int) -> tuple[np.ndarray, np.ndarray]:
        sel = self.frame == frame_index
        return self.boxes[sel], self.scores[sel]


def file_hash(path: str) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def _teacher_detector(model: str, score: float, num_threads: int):
    from ..detect.detector import Detector, DetectorConfig

    cfg = DetectorConfig(model=model, score_threshold=score, classes=("person",),
                         num_threads=num_threads)
    return Detector.from_config(cfg)


def teacher_pass(teacher: str, src: FrameSource, cache_dir: str, feature_tensor: str | None,
                 grid_wh: tuple[int, int] | None, score: float = PSEUDO_LABEL_SCORE,
                 num_threads: int = 1) -> tuple[Labels, np.ndarray | None]:
    """Labels (and, with ``feature_tensor``, aligned features (N, gh, gw, C) float16) of
    every selected frame of ``src``, from the cache when present."""
    os.makedirs(cache_dir, exist_ok=True)
    mh = file_hash(teacher)
    lab_path = os.path.join(cache_dir, f"labels_{mh}_{src.key}_{score:.2f}.npz")
    feat_path = None
    if feature_tensor:
        th = hashlib.sha1(feature_tensor.encode()).hexdigest()[:8]
        feat_path = os.path.join(
            cache_dir, f"feat_{mh}_{th}_{src.key}_{grid_wh[0]}x{grid_wh[1]}.npz")
    have_lab = os.path.isfile(lab_path)
    have_feat = feat_path is None or os.path.isfile(feat_path)
    if not (have_lab and have_feat):
        _run_teacher(teacher, src, lab_path, feat_path, feature_tensor, grid_wh, score,
                     num_threads)
    z = np.load(lab_path)
    labels = Labels(z["boxes"], z["scores"], z["frame"], z["index"],
                    (int(z["src_wh"][0]), int(z["src_wh"][1])))
    feats = np.load(feat_path)["feat"] if feat_path else None
    return labels, feats


def _run_teacher(teacher, src, lab_path, feat_path, feature_tensor, grid_wh, score,
                 num_threads) -> None:
    from .teacher_features import align_to_grid, find_tensor, open_teacher, read_feature

    det = _teacher_detector(teacher, score, num_threads)
    fmodel = ftensor = None
    if feat_path:
        fmodel = open_teacher(teacher, num_threads)
        ftensor = find_tensor(fmodel, feature_tensor)
    boxes, scores, frames, index, feats = [], [], [], [], []
    wh = (0, 0)
    for i, img in iter_frames(src):
        wh = (img.shape[1], img.shape[0])
        inputs, info = det.preprocess(img)
        d = det.decode(det.infer(inputs), info, frame_index=i, origin="teacher")
        boxes.append(d.boxes)
        scores.append(d.scores)
        frames.append(np.full((len(d),), i, np.int64))
        index.append(i)
        if fmodel is not None:
            fmodel.run(*inputs)
            f = read_feature(fmodel, ftensor)
            feats.append(align_to_grid(f, info, grid_wh[0], grid_wh[1]).astype(np.float16))
    np.savez(lab_path, boxes=np.concatenate(boxes).astype(np.float32).reshape(-1, 4),
             scores=np.concatenate(scores).astype(np.float32),
             frame=np.concatenate(frames), index=np.asarray(index, np.int64),
             src_wh=np.asarray(wh, np.int64))
    if feat_path:
        np.savez(feat_path, feat=np.stack(feats))
    log.info("teacher pass over %s: %d frames, %d boxes", src.path, len(index),
             int(sum(len(b) for b in boxes)))
