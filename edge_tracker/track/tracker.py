"""ByteTrack-style multi-object tracker with time-based (seconds) lifecycle.

Per update at time ``t`` (seconds):

1. every live track is predicted to ``t`` in one batched Kalman call (``dt`` from the
   previous update, so skipped frames are extrapolated);
2. stage 1: confirmed and lost tracks vs high-score detections (IoU times a height
   agreement factor and the detection score), Hungarian with a similarity floor;
   stage 1b (OC-SORT's observation-centric recovery): tracks still unmatched vs the
   remaining high detections by the IoU of the track's last detection box;
3. stage 2: confirmed tracks still unmatched vs low-score detections (plain IoU);
   confirmed tracks left unmatched become ``lost``;
4. stage 3: tentative tracks vs the remaining high-score detections;
5. all matched tracks get one batched Kalman update; expired tracks are removed;
6. remaining high detections with score >= ``new_track_score`` start tracks (tentative;
   confirmed at once when their score >= ``instant_confirm_score``, when ``min_hits`` is 1
   or in the very first update).

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
from .association import match_indices, similarity_matrix
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
    """Detections at or above this score take part in stage 1 (ByteTrack: 0.6)."""
    low_score: float = field(default=0.1, metadata=bounds(0, 1))
    """Detections below this are ignored; [low, high) take part in stage 2 (ByteTrack: 0.1)."""
    new_track_score: float = field(default=0.6, metadata=bounds(0, 1))
    """Unmatched high detections at or above this start tracks (ByteTrack: track_thresh+0.1)."""
    match_iou: float = field(default=0.1, metadata=bounds(0, 1))
    """Stage 1 similarity floor (ByteTrack match_thresh 0.8 -> similarity >= 0.2)."""
    low_match_iou: float = field(default=0.6, metadata=bounds(0, 1))
    """Stage 2 IoU floor for low-score detections (ByteTrack: 0.5)."""
    tentative_match_iou: float = field(default=0.3, metadata=bounds(0, 1))
    """Stage 3 similarity floor for tentative tracks (ByteTrack: 0.3)."""
    fuse_score: bool = True
    """Multiply stage 1/3 similarities by the detection score (ByteTrack on MOT17)."""
    height_weight: float = field(default=1.0, metadata=bounds(0, 10))
    """Exponent of the height-agreement factor min(h)/max(h) in the stage 1/3 similarity."""
    class_aware: bool = True
    """Only match detections of the track's class."""
    min_hits: int = field(default=2, metadata=bounds(1, 100))
    """Hits needed to confirm a tentative track (1: every new track confirmed at once)."""
    confirm_window_s: float = field(default=1.0, metadata=bounds(0, 60))
    """The hits must fall within this many seconds from the track's first detection."""
    tentative_max_gap_s: float = field(default=0.4, metadata=bounds(0, 60))
    """A tentative track unmatched for longer than this is removed."""
    instant_confirm_score: float = field(default=0.9, metadata=bounds(0, 1))
    """New tracks from detections at or above this score are confirmed at once; weaker
    ones need min_hits hits (MOT17 FRCNN: most true people score ~1.0)."""
    confirm_first_update: bool = True
    """Tracks started in the very first update are confirmed at once (ByteTrack: frame 1)."""
    track_buffer_s: float = field(default=2.0, metadata=bounds(0, 3600))
    """Seconds a lost track is kept after its last hit (ByteTrack: 30 frames at 30 fps)."""
    teacher_track_buffer_s: float = field(default=3.0, metadata=bounds(0, 3600))
    """Seconds a lost track with teacher evidence is kept after its last hit (the longer of
    this and track_buffer_s applies)."""
    output_coast_s: float = field(default=0.15, metadata=bounds(0, 60))
    """Also output lost tracks (predicted box) up to this many seconds after their last hit."""
    output_box: Literal["kalman", "detection"] = "kalman"
    """Box reported for a matched track: Kalman estimate or the matched detection's box."""
    min_box_area: float = field(default=10.0, metadata=bounds(0, None))
    """Tracks with a smaller box (px^2) are not output (ByteTrack: 10)."""
    max_aspect: float = field(default=1.6, metadata=bounds(0, None, lo_open=True))
    """Tracks with w / h above this are not output (ByteTrack: 1.6, pedestrians)."""
    recover_iou: float = field(default=0.5, metadata=bounds(0, 1))
    """After stage 1, unmatched tracks vs remaining high detections by the IoU of the
    track's LAST DETECTION box (OC-SORT's observation-centric recovery); 0 = off."""
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
    _setattr(v, "__dict__", {"id": i, "box": box, "score": score, "label": label,
                             "state": state, "t_last_seen": t_last, "from_teacher": teacher})
    return v


_new = object.__new__
_setattr = object.__setattr__


def _rest(idx: np.ndarray, used: np.ndarray) -> np.ndarray:
    """``idx`` without the entries at positions ``used``."""
    keep = np.ones(len(idx), bool)
    keep[used] = False
    return idx[keep]


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
        self.buffer = np.zeros((0,), np.float64)      # seconds kept after the last hit
        self.expire = np.zeros((0,), np.float64)      # removed when unmatched after this
        self.score = np.zeros((0,), np.float32)
        self.label = np.zeros((0,), np.int32)
        self.det_box = np.zeros((0, 4), np.float32)    # last matched detection box (xyxy)
        self.last_teacher = np.zeros((0,), bool)       # last hit was a teacher detection

    FIELDS = ("ids", "mean", "cov", "state", "hits", "t_first", "t_last", "t_teacher",
              "buffer", "expire",
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
        # Size-velocity entries zeroed for lost tracks (ByteTrack: vh; BoT-SORT: vw, vh).
        self._size_vel = slice(6, 8) if c.kalman_layout == "xywh" else slice(7, 8)
        self._teacher_buffer = max(c.teacher_track_buffer_s, c.track_buffer_s)
        self._tab = _Table()
        self._next_id = 1
        self._t: float | None = None
        self._updates = 0
        self._gate = False

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
        names = STATE_NAMES
        return [_view(i, tuple(b), sc, lb, names[st], tl, te) for i, b, sc, lb, st, tl, te in
                zip(ids.tolist(), boxes.tolist(), scores.tolist(), labels.tolist(),
                    states.tolist(), t_last.tolist(), teach.tolist())]

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
        state = tb.state

        # 1. predict all live tracks at once; lost tracks stop growing (ByteTrack zeroes vh).
        if len(tb) and dt > 0:
            lost = state == LOST
            tb.mean[lost, self._size_vel] = 0.0
            tb.mean, tb.cov = self.kf.predict_compact(tb.mean, tb.cov, dt)
        pred = measurement_to_xyxy(tb.mean, self._layout)

        if dets is None or len(dets) == 0:
            d_boxes = np.zeros((0, 4), np.float32)
            d_scores = np.zeros((0,), np.float32)
            d_cls = np.zeros((0,), np.int32)
            d_teacher = np.zeros((0,), bool)
        else:
            d_boxes, d_scores, d_cls, d_teacher = (dets.boxes, dets.scores, dets.classes,
                                                   dets.from_teacher)
            keep = d_scores >= c.low_score
            if not keep.all():
                d_boxes, d_scores = d_boxes[keep], d_scores[keep]
                d_cls, d_teacher = d_cls[keep], d_teacher[keep]
        # Class gate needed only when classes differ (one check per update, not per stage).
        self._gate = c.class_aware and len(d_cls) > 0 and len(tb) > 0 and not (
            d_cls.min() == d_cls.max() and (tb.label == d_cls[0]).all())
        high = d_scores >= c.high_score
        hi_idx = high.nonzero()[0]
        pairs_t: list[np.ndarray] = []
        pairs_d: list[np.ndarray] = []

        # 2. stage 1: confirmed + lost vs high detections.
        pool = (state != TENTATIVE).nonzero()[0]
        if len(pool) and len(hi_idx):
            r, k = self._match(pred, pool, d_boxes, d_scores, d_cls, hi_idx, c.fuse_score,
                               c.height_weight, c.match_iou)
            pairs_t.append(pool[r])
            pairs_d.append(hi_idx[k])
            pool = _rest(pool, r)
            hi_idx = _rest(hi_idx, k)

        # 2b. observation-centric recovery (OC-SORT's OCR): tracks still unmatched vs the
        # remaining high detections, by the IoU of each track's LAST DETECTION box rather
        # than its prediction (finds tracks whose Kalman velocity drifted while unseen).
        if c.recover_iou > 0 and len(pool) and len(hi_idx):
            r, k = self._match(tb.det_box, pool, d_boxes, d_scores, d_cls, hi_idx, False,
                               c.height_weight, c.recover_iou)
            pairs_t.append(pool[r])
            pairs_d.append(hi_idx[k])
            pool = _rest(pool, r)
            hi_idx = _rest(hi_idx, k)

        # 3. stage 2: still-unmatched confirmed tracks vs low detections (plain IoU);
        # confirmed tracks left over become lost.
        tracked = pool[state[pool] == CONFIRMED]
        lo_idx = (~high).nonzero()[0]
        if len(tracked) and len(lo_idx):
            r, k = self._match(pred, tracked, d_boxes, d_scores, d_cls, lo_idx, False, 0.0,
                               c.low_match_iou)
            pairs_t.append(tracked[r])
            pairs_d.append(lo_idx[k])
            tracked = _rest(tracked, r)
        state[tracked] = LOST

        # 4. stage 3: tentative tracks vs remaining high detections.
        tent = (state == TENTATIVE).nonzero()[0]
        if len(tent) and len(hi_idx):
            r, k = self._match(pred, tent, d_boxes, d_scores, d_cls, hi_idx, c.fuse_score,
                               c.height_weight, c.tentative_match_iou)
            pairs_t.append(tent[r])
            pairs_d.append(hi_idx[k])
            hi_idx = _rest(hi_idx, k)

        # 5. one batched Kalman update for every matched track.
        matched = np.zeros(len(tb), bool)
        if pairs_t:
            ti = np.concatenate(pairs_t)
            di = np.concatenate(pairs_d)
            matched[ti] = True
            z = xyxy_to_measurement(d_boxes[di], self._layout)
            tb.mean[ti], tb.cov[ti] = self.kf.update_compact(tb.mean[ti], tb.cov[ti], z)
            tb.hits[ti] += 1
            tb.t_last[ti] = t
            tb.score[ti] = d_scores[di]
            tb.label[ti] = d_cls[di]
            tb.det_box[ti] = d_boxes[di]
            teach = d_teacher[di]
            tb.last_teacher[ti] = teach
            if teach.any():
                tb.t_teacher[ti[teach]] = t
                tb.buffer[ti[teach]] = self._teacher_buffer
            # Removal deadline: last hit + buffer (tentative: see below).
            tb.expire[ti] = t + tb.buffer[ti]
            tent_m = state[ti] == TENTATIVE
            if tent_m.any():
                tt = ti[tent_m]
                ok = (tb.hits[tt] >= c.min_hits) & (t - tb.t_first[tt] <= c.confirm_window_s)
                still = tt[~ok]
                # Unconfirmed: removed after the gap or at the end of the confirm window.
                tb.expire[still] = np.minimum(t + c.tentative_max_gap_s,
                                              tb.t_first[still] + c.confirm_window_s)
                state[ti] = CONFIRMED
                state[still] = TENTATIVE
            else:
                state[ti] = CONFIRMED        # lost tracks found again, confirmed ones stay

        # Removal: tracks past their deadline (matched ones never).
        if len(tb):
            drop = tb.expire < t
            if drop.any():
                keep = ~(drop & ~matched)
                tb.keep(keep)
                matched = matched[keep]

        # 6. new tracks from unmatched high detections.
        new = hi_idx[d_scores[hi_idx] >= c.new_track_score] if len(hi_idx) else hi_idx
        if len(new):
            self._start(d_boxes[new], d_scores[new], d_cls[new], d_teacher[new], t, first)
            out_new = self._tab.state[-len(new):] == CONFIRMED
            matched = np.concatenate([matched, out_new])
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
    def _match(self, boxes: np.ndarray, trk: np.ndarray, d_boxes: np.ndarray,
               d_scores: np.ndarray, d_cls: np.ndarray, det: np.ndarray, fuse: bool,
               height_weight: float, floor: float) -> tuple[np.ndarray, np.ndarray]:
        """Match tracks ``trk`` (indices, using ``boxes[trk]``) to detections ``det``
        (indices) -> positions (into trk, into det) of the matched pairs."""
        _, sim = similarity_matrix(boxes[trk], d_boxes[det], d_scores[det], fuse,
                                   height_weight)
        gate = None
        if self._gate:
            gate = self._tab.label[trk][:, None] == d_cls[det][None, :]
        return match_indices(sim, gate, floor)

    def _start(self, boxes: np.ndarray, scores: np.ndarray, cls: np.ndarray,
               teacher: np.ndarray, t: float, first: bool) -> None:
        n = boxes.shape[0]
        mean, cov = self.kf.initiate_compact(xyxy_to_measurement(boxes, self._layout))
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        c = self.cfg
        confirmed = scores >= c.instant_confirm_score
        if (first and c.confirm_first_update) or c.min_hits <= 1:
            confirmed[:] = True
        buffer = np.where(teacher, self._teacher_buffer, c.track_buffer_s)
        expire = t + np.where(confirmed, buffer,
                              min(c.tentative_max_gap_s, c.confirm_window_s))
        self._tab.append(
            ids=ids, mean=mean, cov=cov,
            state=np.where(confirmed, CONFIRMED, TENTATIVE).astype(np.int8),
            hits=np.ones(n, np.int32), t_first=np.full(n, t), t_last=np.full(n, t),
            t_teacher=np.where(teacher, t, -np.inf), buffer=buffer, expire=expire,
            score=scores.astype(np.float32),
            label=cls.astype(np.int32), det_box=boxes.astype(np.float32),
            last_teacher=teacher.astype(bool))

    def _output(self, matched: np.ndarray, t: float) -> tuple[np.ndarray, ...]:
        c = self.cfg
        tb = self._tab
        sel = (tb.state == CONFIRMED) & matched
        if c.output_coast_s > 0:
            sel |= (tb.state == LOST) & (tb.t_last >= t - c.output_coast_s)
        idx = sel.nonzero()[0]
        boxes = measurement_to_xyxy(tb.mean[idx], self._layout)
        if c.output_box == "detection":
            upd = matched[idx]
            boxes[upd] = tb.det_box[idx[upd]]
        wh = boxes[:, 2:] - boxes[:, :2]
        ok = (wh[:, 0] * wh[:, 1] > c.min_box_area) & (wh[:, 0] <= c.max_aspect * wh[:, 1])
        if not ok.all():
            idx, boxes = idx[ok], boxes[ok]
        return (tb.ids[idx], boxes, tb.score[idx], tb.label[idx], tb.state[idx],
                tb.t_last[idx], tb.last_teacher[idx])
