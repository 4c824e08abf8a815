"""HOTA, CLEAR (MOTA) and Identity (IDF1) with the official MOTChallenge semantics.

A NumPy/SciPy re-implementation of TrackEval (github.com/JonathonLuiten/TrackEval,
``datasets/mot_challenge_2d_box.py`` and ``metrics/{hota,clear,identity}.py``), checked
against the PyPI ``trackeval`` 1.3.0 on MOT17 train (tests/evaluation/test_mot_metrics.py).

Preprocessing (MotChallenge2DBox, benchmark MOT17, ``do_preproc``), per frame:

1. tracker boxes are matched to ALL ground-truth boxes of the frame with the Hungarian
   algorithm on IoU (pairs below 0.5 not allowed); tracker boxes matched to a
   distractor class (2 person_on_vehicle, 7 static_person, 8 distractor, 12 reflection)
   are removed;
2. only ground truth with class 1 (pedestrian) and a non-zero ``conf`` (eval flag)
   column is kept. (Visibility is not used for MOT17; TrackEval only adds zero-visibility
   boxes to the distractors for MOT20.)

IDs are then relabelled to 0..n-1 per sequence. Sequences are combined as TrackEval
does: integer counts are summed; HOTA's AssA/AssRe/AssPr are averaged weighted by
HOTA_TP and LocA by HOTA_TP; HOTA is reported as the mean over alpha = 0.05 .. 0.95.

Files are MOTChallenge text: ``frame,id,x,y,w,h,conf,class,visibility`` (GT) and
``frame,id,x,y,w,h,score,-1,-1,-1`` (tracker), 1-based frames, boxes xywh.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

EPS = np.finfo(float).eps
DISTRACTOR_CLASSES = (2, 7, 8, 12)
PEDESTRIAN = 1
ALPHAS = np.arange(0.05, 0.99, 0.05)  # TrackEval's array_labels (19 thresholds)


@dataclass
class SeqData:
    """Preprocessed sequence: per frame, 0-based gt/tracker ids and IoU (G_t, T_t)."""

    gt_ids: list[np.ndarray]
    tr_ids: list[np.ndarray]
    sim: list[np.ndarray]
    num_gt_ids: int
    num_tr_ids: int
    num_gt_dets: int
    num_tr_dets: int


def box_iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (N, M) float64 of xywh boxes, TrackEval's ``_calculate_box_ious``."""
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    a1 = np.concatenate([a[:, :2], a[:, :2] + a[:, 2:]], axis=1)
    b1 = np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)
    iw = np.minimum(a1[:, None, 2], b1[None, :, 2]) - np.maximum(a1[:, None, 0], b1[None, :, 0])
    ih = np.minimum(a1[:, None, 3], b1[None, :, 3]) - np.maximum(a1[:, None, 1], b1[None, :, 1])
    inter = np.maximum(iw, 0) * np.maximum(ih, 0)
    area_a = (a1[:, 2] - a1[:, 0]) * (a1[:, 3] - a1[:, 1])
    area_b = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    inter[area_a[:, None] + 0 * area_b[None, :] <= EPS] = 0
    inter[0 * area_a[:, None] + area_b[None, :] <= EPS] = 0
    union[union <= EPS] = 1
    return inter / union


def load_mot_file(path: str | Path) -> np.ndarray:
    """A MOTChallenge text file -> (N, >=7) float64 array (empty file -> (0, 10))."""
    text = Path(path).read_text().strip()
    if not text:
        return np.zeros((0, 10))
    rows = [r.replace(" ", "").split(",") for r in text.splitlines() if r.strip()]
    width = min(len(r) for r in rows)
    return np.array([r[:width] for r in rows], dtype=float)


def _by_frame(data: np.ndarray, num_frames: int) -> list[np.ndarray]:
    frames = data[:, 0].astype(int) if len(data) else np.zeros(0, int)
    bad = (frames < 1) | (frames > num_frames)
    if bad.any():
        raise ValueError(f"frames {sorted(set(frames[bad].tolist()))[:5]} outside 1..{num_frames}")
    order = np.argsort(frames, kind="stable")
    data, frames = data[order], frames[order]
    cuts = np.searchsorted(frames, np.arange(1, num_frames + 2))
    return [data[cuts[i]:cuts[i + 1]] for i in range(num_frames)]


def preprocess(gt: np.ndarray, tr: np.ndarray, num_frames: int) -> SeqData:
    """MotChallenge2DBox preprocessing of one sequence (see module doc).

    gt: (N, 9) rows ``frame,id,x,y,w,h,conf,class,vis``; tr: (M, >=6) tracker rows.
    """
    gts, trs = _by_frame(gt, num_frames), _by_frame(tr, num_frames)
    gt_ids, tr_ids, sims = [], [], []
    for g, r in zip(gts, trs):
        sim = box_iou_xywh(g[:, 2:6], r[:, 2:6])
        r_ids = r[:, 1].astype(int)
        if len(np.unique(r_ids)) != len(r_ids):
            raise ValueError(f"tracker has duplicate ids in frame {int(r[0, 0])}")
        if len(g) and len(r):
            ms = np.where(sim < 0.5 - EPS, 0.0, sim)
            rows, cols = linear_sum_assignment(-ms)
            ok = ms[rows, cols] > EPS
            rows, cols = rows[ok], cols[ok]
            distractor = np.isin(g[rows, 7].astype(int), DISTRACTOR_CLASSES)
            remove = cols[distractor]
            r_ids = np.delete(r_ids, remove)
            sim = np.delete(sim, remove, axis=1)
        keep = (g[:, 6].astype(int) != 0) & (g[:, 7].astype(int) == PEDESTRIAN) if len(g) \
            else np.zeros(0, bool)
        gt_ids.append(g[keep, 1].astype(int))
        tr_ids.append(r_ids)
        sims.append(sim[keep])
    ug = np.unique(np.concatenate(gt_ids)) if gt_ids else np.zeros(0, int)
    ut = np.unique(np.concatenate(tr_ids)) if tr_ids else np.zeros(0, int)
    gt_ids = [np.searchsorted(ug, x) for x in gt_ids]
    tr_ids = [np.searchsorted(ut, x) for x in tr_ids]
    return SeqData(gt_ids, tr_ids, sims, len(ug), len(ut), int(sum(map(len, gt_ids))),
                   int(sum(map(len, tr_ids))))


# -- HOTA -----------------------------------------------------------------------------------
def hota_counts(d: SeqData) -> dict:
    """Per-alpha HOTA_TP/FN/FP, AssA/AssRe/AssPr and LocA arrays (19,) for one sequence."""
    na = len(ALPHAS)
    res = {k: np.zeros(na) for k in ("HOTA_TP", "HOTA_FN", "HOTA_FP", "AssA", "AssRe",
                                     "AssPr", "LocA")}
    if d.num_tr_dets == 0 or d.num_gt_dets == 0:
        res["HOTA_FN"][:] = d.num_gt_dets
        res["HOTA_FP"][:] = d.num_tr_dets
        res["LocA"][:] = 1.0
        return res
    pot = np.zeros((d.num_gt_ids, d.num_tr_ids))
    gcount = np.zeros((d.num_gt_ids, 1))
    tcount = np.zeros((1, d.num_tr_ids))
    for g, r, s in zip(d.gt_ids, d.tr_ids, d.sim):
        denom = s.sum(0)[None, :] + s.sum(1)[:, None] - s
        sim_iou = np.zeros_like(s)
        mask = denom > EPS
        sim_iou[mask] = s[mask] / denom[mask]
        pot[g[:, None], r[None, :]] += sim_iou
        gcount[g] += 1
        tcount[0, r] += 1
    align = pot / (gcount + tcount - pot)
    matches = np.zeros((na, d.num_gt_ids, d.num_tr_ids))
    for g, r, s in zip(d.gt_ids, d.tr_ids, d.sim):
        if len(g) == 0:
            res["HOTA_FP"] += len(r)
            continue
        if len(r) == 0:
            res["HOTA_FN"] += len(g)
            continue
        rows, cols = linear_sum_assignment(-(align[g[:, None], r[None, :]] * s))
        ms = s[rows, cols]
        for a, alpha in enumerate(ALPHAS):
            ok = ms >= alpha - EPS
            n = int(ok.sum())
            res["HOTA_TP"][a] += n
            res["HOTA_FN"][a] += len(g) - n
            res["HOTA_FP"][a] += len(r) - n
            if n:
                res["LocA"][a] += ms[ok].sum()
                matches[a, g[rows[ok]], r[cols[ok]]] += 1
    for a in range(na):
        mc = matches[a]
        tp = max(1.0, res["HOTA_TP"][a])
        res["AssA"][a] = np.sum(mc * (mc / np.maximum(1, gcount + tcount - mc))) / tp
        res["AssRe"][a] = np.sum(mc * (mc / np.maximum(1, gcount))) / tp
        res["AssPr"][a] = np.sum(mc * (mc / np.maximum(1, tcount))) / tp
    res["LocA"] = np.maximum(1e-10, res["LocA"]) / np.maximum(1e-10, res["HOTA_TP"])
    return res


def combine_hota(per_seq: list[dict]) -> dict:
    """TrackEval's HOTA ``combine_sequences``."""
    res = {k: sum(r[k] for r in per_seq) for k in ("HOTA_TP", "HOTA_FN", "HOTA_FP")}
    tp1 = np.maximum(1.0, res["HOTA_TP"])
    for k in ("AssA", "AssRe", "AssPr"):
        res[k] = sum(r[k] * r["HOTA_TP"] for r in per_seq) / tp1
    loca = sum(r["LocA"] * r["HOTA_TP"] for r in per_seq)
    res["LocA"] = np.maximum(1e-10, loca) / np.maximum(1e-10, res["HOTA_TP"])
    return res


def hota_final(res: dict) -> dict:
    """Scalar HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA (alpha means), in [0, 1]."""
    tp, fn, fp = res["HOTA_TP"], res["HOTA_FN"], res["HOTA_FP"]
    det_re = tp / np.maximum(1, tp + fn)
    det_pr = tp / np.maximum(1, tp + fp)
    det_a = tp / np.maximum(1, tp + fn + fp)
    hota = np.sqrt(det_a * res["AssA"])
    out = {"HOTA": hota, "DetA": det_a, "AssA": res["AssA"], "DetRe": det_re, "DetPr": det_pr,
           "AssRe": res["AssRe"], "AssPr": res["AssPr"], "LocA": res["LocA"]}
    return {k: float(np.mean(v)) for k, v in out.items()}


# -- CLEAR ----------------------------------------------------------------------------------
def clear_counts(d: SeqData, threshold: float = 0.5) -> dict:
    """CLEAR MOT counts: CLR_TP, CLR_FN, CLR_FP, IDSW, MT, PT, ML, Frag, MOTP_sum."""
    res = dict.fromkeys(("CLR_TP", "CLR_FN", "CLR_FP", "IDSW", "MT", "PT", "ML", "Frag"), 0)
    res["MOTP_sum"] = 0.0
    if d.num_tr_dets == 0:
        res["CLR_FN"] = d.num_gt_dets
        res["ML"] = d.num_gt_ids
        return res
    if d.num_gt_dets == 0:
        res["CLR_FP"] = d.num_tr_dets
        return res
    n = d.num_gt_ids
    gcount = np.zeros(n)
    gmatched = np.zeros(n)
    gfrag = np.zeros(n)
    prev_id = np.full(n, np.nan)
    prev_step = np.full(n, np.nan)
    for g, r, s in zip(d.gt_ids, d.tr_ids, d.sim):
        if len(g) == 0:
            res["CLR_FP"] += len(r)
            continue
        if len(r) == 0:
            res["CLR_FN"] += len(g)
            gcount[g] += 1
            continue
        score = 1000.0 * (r[None, :] == prev_step[g[:, None]]) + s
        score[s < threshold - EPS] = 0
        rows, cols = linear_sum_assignment(-score)
        ok = score[rows, cols] > EPS
        rows, cols = rows[ok], cols[ok]
        mg, mt = g[rows], r[cols]
        prev_m = prev_id[mg]
        res["IDSW"] += int(np.sum(~np.isnan(prev_m) & (mt != prev_m)))
        gcount[g] += 1
        gmatched[mg] += 1
        not_prev = np.isnan(prev_step)
        prev_id[mg] = mt
        prev_step[:] = np.nan
        prev_step[mg] = mt
        gfrag += not_prev & ~np.isnan(prev_step)
        res["CLR_TP"] += len(mg)
        res["CLR_FN"] += len(g) - len(mg)
        res["CLR_FP"] += len(r) - len(mg)
        res["MOTP_sum"] += float(s[rows, cols].sum())
    ratio = gmatched[gcount > 0] / gcount[gcount > 0]
    res["MT"] = int(np.sum(ratio > 0.8))
    res["PT"] = int(np.sum(ratio >= 0.2)) - res["MT"]
    res["ML"] = n - res["MT"] - res["PT"]
    res["Frag"] = int(np.sum(gfrag[gfrag > 0] - 1))
    return res


def clear_final(res: dict) -> dict:
    tp, fn, fp, sw = res["CLR_TP"], res["CLR_FN"], res["CLR_FP"], res["IDSW"]
    return {"MOTA": (tp - fp - sw) / max(1, tp + fn), "MOTP": res["MOTP_sum"] / max(1, tp),
            "CLR_TP": tp, "CLR_FN": fn, "CLR_FP": fp, "IDSW": sw, "MT": res["MT"],
            "PT": res["PT"], "ML": res["ML"], "Frag": res["Frag"]}


# -- Identity -------------------------------------------------------------------------------
def identity_counts(d: SeqData, threshold: float = 0.5) -> dict:
    """IDTP, IDFN, IDFP from the optimal one-to-one gt-id <-> tracker-id assignment."""
    if d.num_tr_dets == 0:
        return {"IDTP": 0, "IDFN": d.num_gt_dets, "IDFP": 0}
    if d.num_gt_dets == 0:
        return {"IDTP": 0, "IDFN": 0, "IDFP": d.num_tr_dets}
    ng, nt = d.num_gt_ids, d.num_tr_ids
    pot = np.zeros((ng, nt))
    gcount = np.zeros(ng)
    tcount = np.zeros(nt)
    for g, r, s in zip(d.gt_ids, d.tr_ids, d.sim):
        mg, mt = np.nonzero(s >= threshold)
        np.add.at(pot, (g[mg], r[mt]), 1)
        gcount[g] += 1
        tcount[r] += 1
    fp = np.zeros((ng + nt, ng + nt))
    fn = np.zeros((ng + nt, ng + nt))
    fp[ng:, :nt] = 1e10
    fn[:ng, nt:] = 1e10
    fn[:ng, :nt] = gcount[:, None]
    fn[np.arange(ng), nt + np.arange(ng)] = gcount
    fp[:ng, :nt] = tcount[None, :]
    fp[ng + np.arange(nt), np.arange(nt)] = tcount
    fn[:ng, :nt] -= pot
    fp[:ng, :nt] -= pot
    rows, cols = linear_sum_assignment(fn + fp)
    idfn = int(fn[rows, cols].sum())
    idfp = int(fp[rows, cols].sum())
    return {"IDTP": int(gcount.sum()) - idfn, "IDFN": idfn, "IDFP": idfp}


def identity_final(res: dict) -> dict:
    tp, fn, fp = res["IDTP"], res["IDFN"], res["IDFP"]
    return {"IDF1": tp / max(1.0, tp + 0.5 * fp + 0.5 * fn), "IDR": tp / max(1, tp + fn),
            "IDP": tp / max(1, tp + fp), "IDTP": tp, "IDFN": fn, "IDFP": fp}


# -- sequences ------------------------------------------------------------------------------
def evaluate_sequence(gt: np.ndarray, tr: np.ndarray, num_frames: int) -> dict:
    """Raw (combinable) counts of one sequence: {'hota': ..., 'clear': ..., 'identity': ...}."""
    d = preprocess(gt, tr, num_frames)
    return {"hota": hota_counts(d), "clear": clear_counts(d), "identity": identity_counts(d)}


def summarize(counts: dict) -> dict:
    """Final scalar metrics (fractions in [0, 1]) from one sequence's or combined counts."""
    out = hota_final(counts["hota"])
    out.update(clear_final(counts["clear"]))
    out.update(identity_final(counts["identity"]))
    return out


def combine(per_seq: list[dict]) -> dict:
    """Combine raw counts of several sequences the way TrackEval's COMBINED_SEQ does."""
    clear = {k: sum(r["clear"][k] for r in per_seq) for k in per_seq[0]["clear"]}
    ident = {k: sum(r["identity"][k] for r in per_seq) for k in per_seq[0]["identity"]}
    return {"hota": combine_hota([r["hota"] for r in per_seq]), "clear": clear,
            "identity": ident}


def evaluate_files(gt_path: str | Path, tracker_path: str | Path, num_frames: int) -> dict:
    """Raw counts for one sequence from MOTChallenge files."""
    return evaluate_sequence(load_mot_file(gt_path), load_mot_file(tracker_path), num_frames)
