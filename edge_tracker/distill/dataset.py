"""Training data in memory (NumPy): cached student inputs, pseudo-labels, teacher
features, split per source into the first ``train_fraction`` (training) and the rest
(held out), and a deterministic batch sampler with augmentation and simulated priors.

Boxes are converted once to student-input pixels (stretch: x * in_w / src_w).
Batch ``step`` of a run with seed ``s`` uses ``np.random.default_rng([s, step])``:
batches are identical whether or not the run was resumed from a checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .augment import (
    FILL,
    AugmentSettings,
    Tile,
    photometric,
    plan_tiles,
    warp_boxes,
    warp_grid,
    warp_into,
)
from .frames import FrameSource, load_student_inputs
from .pseudo_labels import teacher_pass
from .targets import render_targets, simulate_stale_prior


@dataclass
class Clip:
    """One frame source: images (N,H,W,3) uint8 RGB, per-frame boxes (input px) and
    scores, source frame indices, optional teacher features (N,gh,gw,C) f16."""

    name: str
    images: np.ndarray
    index: np.ndarray
    boxes: list[np.ndarray]
    scores: list[np.ndarray]
    src_wh: tuple[int, int]
    feats: np.ndarray | None = None
    n_train: int = 0


@dataclass
class DataSet:
    clips: list[Clip]
    in_w: int
    in_h: int
    stride: int
    feat_mean: np.ndarray | None = None
    feat_std: np.ndarray | None = None
    train_refs: list[tuple[int, int]] = field(default_factory=list)  # (clip, position)
    held_refs: list[tuple[int, int]] = field(default_factory=list)


def load_dataset(teacher: str, sources: list[FrameSource], in_w: int, in_h: int, stride: int,
                 cache_dir: str, train_fraction: float, feature_tensor: str | None,
                 num_threads: int = 1) -> DataSet:
    """Frames + teacher pseudo-labels (+ features on the student's stride-8 grid)."""
    grid = (in_w // 8, in_h // 8)
    clips = []
    for src in sources:
        images, index, wh = load_student_inputs(src, in_w, in_h, cache_dir)
        labels, feats = teacher_pass(teacher, src, cache_dir, feature_tensor, grid,
                                     num_threads=num_threads)
        sx, sy = in_w / labels.src_wh[0], in_h / labels.src_wh[1]
        scale = np.asarray([sx, sy, sx, sy], np.float32)
        boxes, scores = [], []
        for i in index:
            b, s = labels.of(int(i))
            boxes.append(b * scale)
            scores.append(s)
        n_train = int(np.floor(train_fraction * len(index)))
        clips.append(Clip(src.path, images, index, boxes, scores, wh, feats, n_train))
    ds = DataSet(clips, in_w, in_h, stride)
    for c, clip in enumerate(clips):
        ds.train_refs += [(c, p) for p in range(clip.n_train)]
        ds.held_refs += [(c, p) for p in range(clip.n_train, len(clip.index))]
    if feature_tensor:
        tr = np.concatenate([clips[c].feats[p:p + 1] for c, p in ds.train_refs[::4]])
        tr = tr.astype(np.float32)
        ds.feat_mean = tr.mean(axis=(0, 1, 2))
        ds.feat_std = tr.std(axis=(0, 1, 2)) + 1e-3
    return ds


@dataclass(frozen=True)
class PriorSim:
    """Simulated teacher priors: staleness uniform in 0..max_staleness frames, box jitter,
    dropout; with probability ``p_none`` no prior at all (teacher not run yet)."""

    max_staleness: int = 8
    jitter: float = 0.1
    dropout: float = 0.3
    p_none: float = 0.2


def prior_for(ds: DataSet, c: int, p: int, staleness: int, rng: np.random.Generator | None,
              sim: PriorSim | None) -> np.ndarray:
    """Prior (H_in, W_in) for clip c position p from the teacher boxes ``staleness`` frames
    earlier (clamped to the clip's first frame); exact (no jitter/dropout) when rng is None."""
    clip = ds.clips[c]
    q = max(p - staleness, 0)
    if rng is None:
        return simulate_stale_prior(clip.boxes[q], clip.scores[q], ds.in_w, ds.in_h,
                                    np.random.default_rng(0), jitter=0.0, dropout=0.0)
    return simulate_stale_prior(clip.boxes[q], clip.scores[q], ds.in_w, ds.in_h, rng,
                                jitter=sim.jitter, dropout=sim.dropout)


def _pick_fn(ds: DataSet):
    """Sampler of training refs: a clip with probability proportional to sqrt(its number
    of training frames) (so a short clip, e.g. 5 street frames, is not drowned out by a
    300-frame one), then one of its frames uniformly. Returns pick(rng) -> ref index."""
    starts, counts = [], []
    for c in range(len(ds.clips)):
        pos = [k for k, (cc, _) in enumerate(ds.train_refs) if cc == c]
        if pos:
            starts.append(pos[0])
            counts.append(len(pos))
    w = np.sqrt(np.asarray(counts, np.float64))
    w /= w.sum()

    def pick(rng: np.random.Generator) -> int:
        k = int(rng.choice(len(counts), p=w))
        return starts[k] + int(rng.integers(0, counts[k]))
    return pick


def _compose(ds: DataSet, tiles: list[Tile], rng: np.random.Generator, prior: PriorSim | None,
             feature_mode: str):
    """Image (+ prior) (H,W,3|4) f32, boxes, scores, normalised teacher features or None."""
    nch = 4 if prior is not None else 3
    x = np.full((ds.in_h, ds.in_w, nch), FILL, np.float32)
    if prior is not None:
        x[:, :, 3] = 0.0
    tfeat, boxes, scores = None, [], []
    for t in tiles:
        clip = ds.clips[t.c]
        src = clip.images[t.p].astype(np.float32) * np.float32(1 / 255.0)
        if prior is not None:
            if rng.random() < prior.p_none:
                pr = np.zeros((ds.in_h, ds.in_w), np.float32)
            else:
                pr = prior_for(ds, t.c, t.p, int(rng.integers(0, prior.max_staleness + 1)),
                               rng, prior)
            src = np.concatenate([src, pr[:, :, None]], axis=2)
        warp_into(x, src, t)
        b, sc = warp_boxes(clip.boxes[t.p], clip.scores[t.p], t)
        boxes.append(b)
        scores.append(sc)
        if feature_mode != "none":
            f = (clip.feats[t.p].astype(np.float32) - ds.feat_mean) / ds.feat_std
            if tfeat is None:
                tfeat = np.zeros_like(f)
            warp_grid(tfeat, f, t, ds.in_w // f.shape[1])
    return x, np.concatenate(boxes), np.concatenate(scores), tfeat


def sample_batch(ds: DataSet, step: int, seed: int, batch: int, prior: PriorSim | None,
                 feature_mode: str, augment: AugmentSettings | None = None
                 ) -> dict[str, np.ndarray]:
    """One augmented batch: image (B,H,W,3|4) f32 in [0,1], heatmap/size/offset/mask
    targets, and ``teacher`` (attention (B,gh*gw) or features (B,gh,gw,C)) if asked.

    ``augment`` None: photometric jitter and flips only, frames drawn uniformly.
    Otherwise also zoom / crop / mosaic (augment.py), clips drawn by sqrt(size)."""
    rng = np.random.default_rng([seed, step])
    pick = _pick_fn(ds) if augment is not None else None
    xs, hms, szs, ofs, mks, tts = [], [], [], [], [], []
    for _ in range(batch):
        if augment is not None:
            tiles = plan_tiles(rng, ds.train_refs, pick, ds.in_w, ds.in_h, augment)
        else:
            c, p = ds.train_refs[int(rng.integers(0, len(ds.train_refs)))]
            tiles = [Tile(c, p, 1.0, 0.0, 0.0, (0, 0, ds.in_w, ds.in_h))]
        x, boxes, scores, tfeat = _compose(ds, tiles, rng, prior, feature_mode)
        x[:, :, :3] = photometric(x[:, :, :3], rng)
        if rng.random() < 0.5:
            x = x[:, ::-1]
            boxes = boxes.copy()
            boxes[:, [0, 2]] = ds.in_w - boxes[:, [2, 0]]
            if tfeat is not None:
                tfeat = tfeat[:, ::-1]
        hm, sz, of, mk = render_targets(boxes, scores, ds.in_w, ds.in_h, ds.stride)
        xs.append(x)
        hms.append(hm)
        szs.append(sz)
        ofs.append(of)
        mks.append(mk)
        if tfeat is not None:
            tts.append(tfeat)
    out = {"image": np.stack(xs).astype(np.float32), "heatmap": np.stack(hms),
           "size": np.stack(szs), "offset": np.stack(ofs), "mask": np.stack(mks)}
    if tts:
        t = np.stack(tts).astype(np.float32)
        if feature_mode == "attention":
            a = np.mean(t * t, axis=3).reshape(len(tts), -1)
            t = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
        out["teacher"] = t.astype(np.float32)
    return out


def held_input(ds: DataSet, c: int, p: int, prior: np.ndarray | None) -> np.ndarray:
    """(1,H,W,3|4) float32 model input of a held-out frame (no augmentation)."""
    x = ds.clips[c].images[p].astype(np.float32) * np.float32(1 / 255.0)
    if prior is not None:
        x = np.concatenate([x, prior[:, :, None]], axis=2)
    return x[None]
