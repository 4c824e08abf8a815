"""ByteTrack-style multi-object tracker with time-based (seconds) lifecycle.

Per update at time ``t`` (seconds):

1. every live track is predicted to ``t`` in one batched Kalman call (``dt`` from the
   previous update, so skipped frames are extrapolated);
2. stage 1: confirmed and lost tracks vs high-score detections (IoU, optionally times a
   height agreement and the detection score), Hungarian with a similarity floor;
3. stage 2: confirmed tracks still unmatched vs low-score detections (plain IoU);
   confirmed tracks left unmatched become ``lost``;
4. stage 3: tentative tracks vs the remaining high-score detections;
5. remaining high detections with score >= ``new_track_score`` start tentative tracks;
6. all matched tracks get one batched Kalman update.

Lifecycle: ``tentative`` -> ``confirmed`` once it has ``min_hits`` hits within
``confirm_window_s`` of its first detection (hits, not consecutive frames, so a detector
that runs only every k-th frame still confirms tracks); a tentative track is removed when
it is unmatched for more than ``tentative_max_gap_s`` or not confirmed within the window.
``confirmed`` -> ``lost`` when unmatched; lost -> removed ``track_buffer_s`` seconds after
its last hit (``teacher_track_buffer_s`` for tracks that had teacher evidence).

Output rule of :meth:`Tracker.update`: confirmed tracks matched in this update, plus (if
``output_coast_s`` > 0) lost tracks whose last hit is at most that many seconds old
(with their predicted box), minus boxes smaller than ``min_box_area`` or wider than
``max_aspect`` (w / h; ByteTrack's output filter).

Tracks live in arrays on the instance (mean (K, 8), compact covariance (K, 12) — the
(K, 8, 8) covariance's non-zero entries, see :mod:`.kalman` — ids, times, ...); IDs start
at 1 per instance and are never reused.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..configbase import _check_bounds, bounds
from ..errors import ConfigError
from ..types import Detections, TrackView
from .association import match, similarity_matrix
from .kalman import KalmanFilter, measurement_to_xyxy, xyxy_to_measurement

TENTATIVE, CONFIRMED, LOST = 0, 1, 2
STATE_NAMES = ("tentative", "confirmed", "lost")


@dataclass(frozen=True)
class TrackerConfig:
    """Tracker parameters (times in seconds, scores in [0, 1], boxes in pixels).

    Defaults were tuned once on the MOT17 train FRCNN public detections (see
    ``edge-tracker eval mot``); the ByteTrack values they started from are noted.
    """

    high_score: float = field(default=0.6, metadata=bounds(0, 1))
    """Detections at or above this score take part in stage 1 (ByteTrack: 0.6 track_thresh+)."""
    low_score: float = field(default=0.1, metadata=bounds(0, 1))
    """Detections below this are ignored; [low, high) take part in stage 2 (ByteTrack: 0.1)."""
    new_track_score: float = field(default=0.7, metadata=bounds(0, 1))
    """Unmatched high detections at or above this start tracks (ByteTrack: track_thresh+0.1)."""
    match_iou: float = field(default=0.2, metadata=bounds(0, 1))
    """Stage 1 similarity floor (ByteTrack match_thresh 0.8 -> similarity >= 0.2)."""
    low_match_iou: float = field(default=0.5, metadata=bounds(0, 1))
    """Stage 2 IoU floor for low-score detections (ByteTrack: 0.5)."""
    tentative_match_iou: float = field(default=0.3, metadata=bounds(0, 1))
    """Stage 3 similarity floor for tentative tracks (ByteTrack: 0.3)."""
    fuse_score: bool = True
    """Multiply stage 1/3 similarities by the detection score (ByteTrack on MOT17)."""
    height_weight: float = field(default=0.0, metadata=bounds(0, 10))
    """Exponent of the height-agreement factor min(h)/max(h) in the stage 1/3 similarity."""
    class_aware: bool = True
    """Only match detections of the track's class."""
    min_hits: int = field(default=2, metadata=bounds(1, 100))
    """Hits needed to confirm a tentative track."""
    confirm_window_s: float = field(default=1.0, metadata=bounds(0, 60))
    """The hits must fall within this many seconds from the track's first detection."""
    tentative_max_gap_s: float = field(default=0.4, metadata=bounds(0, 60))
    """A tentative track unmatched for longer than this is removed."""
    confirm_first_update: bool = True
    """Tracks started in the very first update are confirmed at once (ByteTrack: frame 1)."""
    track_buffer_s: float = field(default=1.0, metadata=bounds(0, 3600))
    """Seconds a lost track is kept after its last hit (ByteTrack: 30 frames at 30 fps)."""
    teacher_track_buffer_s: float = field(default=2.0, metadata=bounds(0, 3600))
    """Seconds a lost track with teacher evidence is kept after its last hit (the longer of
    this and track_buffer_s applies)."""
    output_coast_s: float = field(default=0.0, metadata=bounds(0, 60))
    """Also output lost tracks (predicted box) up to this many seconds after their last hit."""
    output_box: Literal["kalman", "detection"] = "kalman"
    """Box reported for a matched track: Kalman estimate or the matched detection's box."""
    min_box_area: float = field(default=10.0, metadata=bounds(0, None))
    """Tracks with a smaller box (px^2) are not output (ByteTrack: 10)."""
    max_aspect: float = field(default=1.6, metadata=bounds(0, None, lo_open=True))
    """Tracks with w / h above this are not output (ByteTrack: 1.6, pedestrians)."""
    low_match_lost: bool = False
    """Stage 2 also offers low-score detections to lost tracks (ByteTrack: only tracked)."""
    recover_iou: float = field(default=0.0, metadata=bounds(0, 1))
    """After stage 1, unmatched tracks vs remaining high detections by the IoU of the
    track's LAST DETECTION box (OC-SORT's observation-centric recovery); 0 = off."""
    reactivate_velocity: bool = False
    """When a lost track is found again, set its x/y velocity to the average motion between
    its last and new detection (OC-SORT's observation-centric re-update, simplified)."""
    lost_velocity_tau_s: float = field(default=0.0, metadata=bounds(0, 3600))
    """Lost tracks' x/y velocity decays with this time constant (s); 0 keeps it."""
    lost_expand: float = field(default=0.0, metadata=bounds(0, 10))
    """Lost tracks' boxes are widened per side by this fraction of w/h per second lost
    (capped at 1 s) for matching (buffered IoU); 0 = off."""
    kalman_layout: Literal["xyah", "xywh"] = "xywh"
    """Kalman state layout: ByteTrack's xyah or BoT-SORT's xywh."""
    std_weight_position: float = field(default=1.0 / 20, metadata=bounds(0, 10, lo_open=True))
    """Position noise std as a fraction of box size per kalman_dt_ref (ByteTrack: 1/20)."""
    std_weight_velocity: float = field(default=1.0 / 160, metadata=bounds(0, 10, lo_open=True))
    """Velocity noise std as a fraction of box size per kalman_dt_ref (ByteTrack: 1/160)."""
    kalman_dt_ref: float = field(default=1.0 / 30, metadata=bounds(0, 10, lo_open=True))
    """Interval (s) the noise weights refer to (one frame at 30 fps, as in ByteTrack)."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_bounds(f, getattr(self, f.name), f"tracker.{f.name}")
        self.validate("tracker")

    def validate(self, path: str = "tracker") -> None:
        """Cross-field checks; raises ConfigError naming the key."""
        p = f"{path}." if path else ""
        if self.low_score > self.high_score:
            raise ConfigError(f"{p}low_score", f"must be <= high_score ({self.high_score}), "
                              f"got {self.low_score}")


def _view(i: int, box: tuple, score: float, label: int, state: str, t_last: float,
          teacher: bool) -> TrackView:
    """TrackView without the frozen-dataclass __init__ (one object.__setattr__ per field
    costs ~1/3 of the tracker's per-frame time on MOT17); equal to TrackView(...)."""
    v = _new(TrackView)
    v.__dict__.update(id=i, box=box, score=score, label=label, state=state,
                      t_last_seen=t_last, from_teacher=teacher)
    return v


_new = object.__new__


class _Table:
    """Struct of arrays for K tracks (row i = one track)."""

    def __init__(self) -> None:
        self.ids = np.zeros((0,), np.int64)
        self.mean = np.zeros((0, 8), np.float32)
        self.cov = np.zeros((0, 12), np.float32)     # compact covariance, see kalman.py
        self.state = np.zeros((0,), np.int8)
        self.hits = np.zeros((0,), np.int32)
        self.t_first = np.zeros((0,), np.float64)
        self.t_last = np.zeros((0,), np.float64)
        self.t_teacher = np.zeros((0,), np.float64)   # -inf: never teacher evidence
        self.score = np.zeros((0,), np.float32)
        self.label = np.zeros((0,), np.int32)
        self.det_box = np.zeros((0, 4), np.float32)    # last matched detection box (xyxy)
        self.last_teacher = np.zeros((0,), bool)       # last hit was a teacher detection

    FIELDS = ("ids", "mean", "cov", "state", "hits", "t_first", "t_last", "t_teacher",
              "score", "label", "det_box", "last_teacher")

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def keep(self, mask: np.ndarray) -> None:
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name)[mask])

    def append(self, **cols: np.ndarray) -> None:
        for name in self.FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name), cols[name]]))


class Tracker:
    """Online tracker over :class:`Detections`; see the module doc for the algorithm."""

    def __init__(self, cfg: TrackerConfig | None = None) -> None:
        self.cfg = cfg or TrackerConfig()
        c = self.cfg
        self.kf = KalmanFilter(c.kalman_layout, c.std_weight_position, c.std_weight_velocity,
                               c.kalman_dt_ref)
        self._layout = c.kalman_layout
        self._tab = _Table()
        self._next_id = 1
        self._t: float | None = None
        self._updates = 0

    @property
    def next_id(self) -> int:
        """The ID the next new track will get (IDs are never reused by an instance)."""
        return self._next_id

    def __len__(self) -> int:
        return len(self._tab)

    # -- public API ----------------------------------------------------------------------
    def update(self, dets: Detections | None, t: float) -> list[TrackView]:
        """Advance to time ``t`` (seconds) and associate ``dets`` (None/empty = prediction
        only). Returns the tracks to output (rule in the module doc)."""
        ids, boxes, scores, labels, states, t_last, teach = self.update_arrays(dets, t)
        bl = boxes.tolist()
        sc = scores.tolist()
        lb = labels.tolist()
        st = states.tolist()
        tl = t_last.tolist()
        te = teach.tolist()
        return [_view(i, tuple(bl[n]), sc[n], lb[n], STATE_NAMES[st[n]], tl[n], te[n])
                for n, i in enumerate(ids.tolist())]

    def update_arrays(self, dets: Detections | None, t: float) -> tuple[np.ndarray, ...]:
        """:meth:`update` returning arrays: ids (M,) int64, boxes (M, 4) f32 xyxy,
        scores (M,) f32, labels (M,) i32, states (M,) int8, t_last (M,) f64,
        from_teacher (M,) bool."""
        c = self.cfg
        t = float(t)
        dt = 0.0 if self._t is None else max(t - self._t, 0.0)
        self._t = t
        first = self._updates == 0
        self._updates += 1
        tb = self._tab

        # 1. predict all live tracks at once; lost tracks stop growing (ByteTrack zeroes vh).
        if len(tb):
            lost = tb.state == LOST
            if lost.any():
                tb.mean[lost, 7] = 0.0
                if self._layout == "xywh":
                    tb.mean[lost, 6] = 0.0
                if c.lost_velocity_tau_s > 0 and dt > 0:
                    tb.mean[lost, 4:6] *= np.float32(np.exp(-dt / c.lost_velocity_tau_s))
            if dt > 0:
                tb.mean, tb.cov = self.kf.predict_compact(tb.mean, tb.cov, dt)
        pred = measurement_to_xyxy(tb.mean, self._layout)
        if c.lost_expand > 0 and len(tb):
            lost = tb.state == LOST
            if lost.any():
                # Buffered IoU (C-BIoU): widen lost tracks' boxes by a margin growing with
                # the time lost, so drifted predictions can still overlap their person.
                gap = np.minimum(t - tb.t_last[lost], 1.0).astype(np.float32)[:, None]
                b = pred[lost]
                wh = (b[:, 2:] - b[:, :2]) * (c.lost_expand * gap)
                pred[lost] = np.concatenate([b[:, :2] - wh, b[:, 2:] + wh], axis=1)

        if dets is None or len(dets) == 0:
            d_boxes = np.zeros((0, 4), np.float32)
            d_scores = np.zeros((0,), np.float32)
            d_cls = np.zeros((0,), np.int32)
            d_teacher = np.zeros((0,), bool)
        else:
            keep = dets.scores >= c.low_score
            d_boxes, d_scores = dets.boxes[keep], dets.scores[keep]
            d_cls, d_teacher = dets.classes[keep], dets.from_teacher[keep]
        high = d_scores >= c.high_score
        hi_idx = np.flatnonzero(high)
        lo_idx = np.flatnonzero(~high)

        state = tb.state
        pairs_t: list[np.ndarray] = []
        pairs_d: list[np.ndarray] = []

        # 2. stage 1: confirmed + lost vs high detections.
        pool = np.flatnonzero(state != TENTATIVE)
        rem_hi = hi_idx
        un_pool = pool
        if len(pool) and len(hi_idx):
            m, un_pool_i, un_hi = self._match(pred, pool, d_boxes, d_scores, d_cls, hi_idx,
                                              c.fuse_score, c.height_weight, c.match_iou)
            pairs_t.append(pool[m[:, 0]])
            pairs_d.append(hi_idx[m[:, 1]])
            un_pool = pool[un_pool_i]
            rem_hi = hi_idx[un_hi]

        # 2b. observation-centric recovery (OC-SORT's OCR): tracks still unmatched vs the
        # remaining high detections, using each track's last detection box instead of the
        # prediction (recovers tracks whose Kalman velocity drifted while lost).
        if c.recover_iou > 0 and len(un_pool) and len(rem_hi):
            m, un_pool_i, un_hi = self._match(tb.det_box, un_pool, d_boxes, d_scores, d_cls,
                                              rem_hi, False, c.height_weight, c.recover_iou)
            pairs_t.append(un_pool[m[:, 0]])
            pairs_d.append(rem_hi[m[:, 1]])
            un_pool = un_pool[un_pool_i]
            rem_hi = rem_hi[un_hi]

        # 3. stage 2: still-unmatched confirmed tracks vs low detections (plain IoU).
        tracked = un_pool if c.low_match_lost else un_pool[state[un_pool] == CONFIRMED]
        un_tracked = tracked
        if len(tracked) and len(lo_idx):
            m, un_tr_i, _ = self._match(pred, tracked, d_boxes, d_scores, d_cls, lo_idx,
                                        False, 0.0, c.low_match_iou)
            pairs_t.append(tracked[m[:, 0]])
            pairs_d.append(lo_idx[m[:, 1]])
            un_tracked = tracked[un_tr_i]
        state[un_tracked] = LOST      # (already-lost tracks stay lost)

        # 4. stage 3: tentative tracks vs remaining high detections.
        tent = np.flatnonzero(state == TENTATIVE)
        if len(tent) and len(rem_hi):
            m, _, un_hi = self._match(pred, tent, d_boxes, d_scores, d_cls, rem_hi,
                                      c.fuse_score, c.height_weight, c.tentative_match_iou)
            pairs_t.append(tent[m[:, 0]])
            pairs_d.append(rem_hi[m[:, 1]])
            rem_hi = rem_hi[un_hi]

        # 6. one batched Kalman update for every matched track.
        if pairs_t:
            ti = np.concatenate(pairs_t)
            di = np.concatenate(pairs_d)
        else:
            ti = di = np.zeros((0,), np.int64)
        matched = np.zeros(len(tb), bool)
        if len(ti):
            matched[ti] = True
            z = xyxy_to_measurement(d_boxes[di], self._layout)
            was_lost = state[ti] == LOST
            tb.mean[ti], tb.cov[ti] = self.kf.update_compact(tb.mean[ti], tb.cov[ti], z)
            if c.reactivate_velocity and was_lost.any():
                # OC-SORT-like re-update: after a gap the Kalman velocity has drifted with
                # no evidence; use the average motion between the two observations instead.
                tl = ti[was_lost]
                gap = (t - tb.t_last[tl]).astype(np.float32)[:, None]
                z_old = xyxy_to_measurement(tb.det_box[tl], self._layout)
                tb.mean[tl, 4:6] = (z[was_lost, :2] - z_old[:, :2]) / gap
            tb.hits[ti] += 1
            tb.t_last[ti] = t
            tb.score[ti] = d_scores[di]
            tb.label[ti] = d_cls[di]
            tb.det_box[ti] = d_boxes[di]
            teach = d_teacher[di]
            tb.last_teacher[ti] = teach
            tb.t_teacher[ti[teach]] = t
            st = state[ti]
            confirm = (st == LOST) | ((st == TENTATIVE) & (tb.hits[ti] >= c.min_hits)
                                      & (t - tb.t_first[ti] <= c.confirm_window_s))
            state[ti[confirm]] = CONFIRMED

        # Removal: tentative past gap/window, lost past buffer.
        if len(tb):
            age = t - tb.t_last
            buf = np.where(np.isfinite(tb.t_teacher),
                           max(c.teacher_track_buffer_s, c.track_buffer_s), c.track_buffer_s)
            drop = ((state == TENTATIVE) & ~matched
                    & ((age > c.tentative_max_gap_s) | (t - tb.t_first > c.confirm_window_s)))
            drop |= (state == LOST) & (age > buf)
            if drop.any():
                tb.keep(~drop)
                matched = matched[~drop]

        # 5. new tracks from unmatched high detections.
        new = rem_hi[d_scores[rem_hi] >= c.new_track_score] if len(rem_hi) else rem_hi
        if len(new):
            self._start(d_boxes[new], d_scores[new], d_cls[new], d_teacher[new], t, first)
            out_new = (first and c.confirm_first_update) or c.min_hits <= 1
            matched = np.concatenate([matched, np.full(len(new), out_new)])
        return self._output(matched, t)

    def predict_boxes(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Predicted boxes of all live tracks at time ``t`` without changing state.

        Returns ids (K,) int64 and boxes (K, 4) float32 xyxy.
        """
        tb = self._tab
        dt = 0.0 if self._t is None else float(t) - self._t
        mean = tb.mean.copy()
        mean[:, :4] += np.float32(dt) * tb.mean[:, 4:]
        return tb.ids.copy(), measurement_to_xyxy(mean, self._layout)

    def snapshot(self) -> list[TrackView]:
        """All live tracks (tentative, confirmed and lost) with their current estimate."""
        tb = self._tab
        boxes = measurement_to_xyxy(tb.mean, self._layout).tolist()
        return [TrackView(int(tb.ids[n]), tuple(boxes[n]), float(tb.score[n]),
                          int(tb.label[n]), STATE_NAMES[int(tb.state[n])],
                          float(tb.t_last[n]), bool(tb.last_teacher[n]))
                for n in range(len(tb))]

    # -- internals -----------------------------------------------------------------------
    def _match(self, pred: np.ndarray, trk: np.ndarray, d_boxes: np.ndarray,
               d_scores: np.ndarray, d_cls: np.ndarray, det: np.ndarray, fuse: bool,
               height_weight: float, floor: float):
        _, sim = similarity_matrix(pred[trk], d_boxes[det], d_scores[det], fuse, height_weight)
        gate = None
        if self.cfg.class_aware:
            gate = self._tab.label[trk][:, None] == d_cls[det][None, :]
        return match(sim, gate, floor)

    def _start(self, boxes: np.ndarray, scores: np.ndarray, cls: np.ndarray,
               teacher: np.ndarray, t: float, first: bool) -> None:
        n = boxes.shape[0]
        mean, cov = self.kf.initiate_compact(xyxy_to_measurement(boxes, self._layout))
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        state = CONFIRMED if ((first and self.cfg.confirm_first_update)
                              or self.cfg.min_hits <= 1) else TENTATIVE
        self._tab.append(
            ids=ids, mean=mean, cov=cov, state=np.full(n, state, np.int8),
            hits=np.ones(n, np.int32), t_first=np.full(n, t), t_last=np.full(n, t),
            t_teacher=np.where(teacher, t, -np.inf), score=scores.astype(np.float32),
            label=cls.astype(np.int32), det_box=boxes.astype(np.float32),
            last_teacher=teacher.astype(bool))

    def _output(self, matched: np.ndarray, t: float) -> tuple[np.ndarray, ...]:
        c = self.cfg
        tb = self._tab
        sel = (tb.state == CONFIRMED) & matched
        if c.output_coast_s > 0:
            sel |= (tb.state == LOST) & (t - tb.t_last <= c.output_coast_s)
        idx = np.flatnonzero(sel)
        boxes = measurement_to_xyxy(tb.mean[idx], self._layout)
        if c.output_box == "detection":
            upd = matched[idx]
            boxes[upd] = tb.det_box[idx[upd]]
        w = boxes[:, 2] - boxes[:, 0]
        h = boxes[:, 3] - boxes[:, 1]
        ok = (w * h > c.min_box_area) & (w <= c.max_aspect * h)
        idx = idx[ok]
        return (tb.ids[idx], boxes[ok], tb.score[idx], tb.label[idx], tb.state[idx],
                tb.t_last[idx], tb.last_teacher[idx])
