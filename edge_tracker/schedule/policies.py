"""When does the teacher run? ``fixed``, ``budget`` and ``adaptive`` scheduling policies.

All policies read time from the injected clock (seconds), never frame counts, except
``fixed`` whose contract *is* a frame interval (AttTrack's interleaving, DeepStream's
``interval``).

- ``fixed``: frames whose index is a multiple of ``interval``.
- ``budget``: a token bucket of teacher compute seconds. It fills at ``rate`` seconds of
  compute per second of clock time (``budget`` = fraction of one core, or
  ``budget_ms_per_s`` / 1000), holds at most ``burst`` runs' worth, and a run starts
  when it covers the teacher's moving-average latency. The estimate is reserved at
  start and corrected by the measured latency at the end, so over any run of length
  T the teacher spends at most ``rate * T + capacity`` (+ one latency's estimation error).
- ``adaptive``: the same bucket and the same long-run spend, plus triggers that spend a
  *reserve* where it pays. Without events it runs at the budget's even rhythm (one run
  per natural interval, latency / rate), which is what the replay benchmark found best
  on a steady scene. The bucket starts with one run plus a reserve of ``trigger_bank``
  runs; an immediate trigger spends it: a scene change (mean absolute difference of a
  downscaled grey frame from the one at the last run; a cut makes the last result
  worthless, so it fires at once), a surge of unmatched student detections over their
  running baseline, tracks whose uncertainty grew (unseen for ``trigger_uncertain_s``),
  student confidence dropping below its running baseline, and the maximum staleness.
  While the reserve is below full, regular runs are spaced ``1 + trigger_refill``
  natural intervals so it refills; triggers other than a scene change wait
  ``trigger_min_interval`` natural intervals after the last run (no trigger storms).
  Optionally (``trigger_hold`` > 0) a *need* signal also moves regular runs: due
  ``1 - hold * z`` natural intervals after the last one, where ``z`` in [-1, 1] is the
  student's unmatched detections (score-weighted) plus the tracks no student detection
  supports, averaged over ``trigger_need_s`` and compared with its running baseline
  over ``trigger_baseline_s``.

Every frame the teacher does not run on is counted as a skip with a reason
(``not_due``, ``no_budget``, ``no_trigger``, ``busy``, ``disabled``, ``backoff``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from ..configbase import bounds
from ..detect.detector import DetectorConfig
from ..errors import ConfigError
from ..types import Detections, TrackView

# Scene-change thumbnail: 32x18 keeps 16:9 frames' aspect; ~0.05 ms to compute.
THUMB_SIZE = (32, 18)
# Tolerance (seconds of compute, or fractions of an interval) for budget comparisons: k
# frame periods of refill equal k/rate*rate latencies only up to float rounding, which
# would otherwise move a run by a frame now and then.
EPS = 1e-9


@dataclass(frozen=True)
class TeacherConfig:
    """Teacher model and scheduling (config section ``teacher``)."""

    enabled: bool = True
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    policy: Literal["fixed", "budget", "adaptive"] = "adaptive"
    interval: int = field(default=4, metadata=bounds(1, 10000))          # fixed: every k-th frame
    budget: float = field(default=0.25, metadata=bounds(0, 8, lo_open=True))  # cores
    budget_ms_per_s: float | None = field(default=None, metadata=bounds(0, 8000, lo_open=True))
    burst: float = field(default=3.0, metadata=bounds(1, 1000))          # runs the bucket holds
    latency_estimate_s: float = field(default=0.05, metadata=bounds(1e-4, 60))
    latency_ema: float = field(default=0.2, metadata=bounds(0, 1, lo_open=True))
    max_staleness_s: float = field(default=0.5, metadata=bounds(0.001, 3600))
    # adaptive immediate triggers (0 = off). new_detections: the score-weighted count of
    # unmatched student detections (score >= trigger_new_score, IoU with every track <
    # trigger_match_iou) exceeds its running baseline by trigger_new_detections *
    # trigger_new_score (a surge: people entering, a crowd behind an occluder).
    # uncertain_s: a confirmed track went unseen this long (its Kalman covariance grew).
    # Both off by default: on the pedestrians clip (benchmarks/teacher_student.py, 10 start
    # phases) new-detection runs fired in the first seconds only, and any run they moved
    # changed IDF1 by noise (-0.015 to +0.009 at 10% and 25% budget for thresholds 2-6).
    trigger_new_detections: int = field(default=0, metadata=bounds(0, 1000))
    trigger_new_score: float = field(default=0.4, metadata=bounds(0, 1))
    trigger_match_iou: float = field(default=0.3, metadata=bounds(0, 1, lo_open=True))
    trigger_uncertain_s: float = field(default=0.0, metadata=bounds(0, 3600))  # 0 = off
    trigger_scene_change: float = field(default=12.0, metadata=bounds(0, 255))  # 0 = off
    trigger_confidence_drop: float = field(default=0.25, metadata=bounds(0, 1))  # 0 = off
    # adaptive: time constants (s) of the need signal's short average and of the running
    # baselines the triggers compare against.
    trigger_need_s: float = field(default=0.5, metadata=bounds(0.01, 3600))
    trigger_baseline_s: float = field(default=5.0, metadata=bounds(0.01, 3600))
    # adaptive: runs' worth of budget held in reserve for immediate triggers (the bucket
    # starts with it) and how much longer regular intervals get while it refills.
    trigger_bank: float = field(default=1.0, metadata=bounds(0, 999))
    trigger_refill: float = field(default=0.25, metadata=bounds(0, 10))
    # adaptive: how far the need signal moves a regular run (1 -+ hold natural intervals;
    # 0 = off). Measured on the pedestrians clip (10 start phases): every setting tried
    # (0.25-1.0) cost IDF1 against even spacing, and a one-off replay that replaced the
    # need signal by the true future error of the fixed run (an oracle) gained nothing
    # beyond the noise: in a steady scene evenly spaced runs minimise staleness.
    # trigger_bank + trigger_hold must be <= burst - 1.
    trigger_hold: float = field(default=0.0, metadata=bounds(0, 999))
    # adaptive: a trigger (other than a scene change) may start a run only once this
    # fraction of the natural interval (latency / rate) has passed since the last run.
    trigger_min_interval: float = field(default=0.5, metadata=bounds(0, 1))
    # The teacher thread's CPU priority is lowered by this nice increment (Linux, per
    # thread; its interpreter's worker threads inherit it) so under CPU contention the
    # student wins. 0 = same priority.
    thread_nice: int = field(default=10, metadata=bounds(0, 19))
    # The teacher thread's preprocess and decode (Python/NumPy: they hold the GIL in
    # stretches) wait until the student loop is between frames; only its invoke (which
    # releases the GIL) overlaps the student.
    yield_to_student: bool = True
    hang_timeout_s: float = field(default=5.0, metadata=bounds(0.01, 3600))
    max_failures: int = field(default=5, metadata=bounds(1, 1000))
    restart_backoff_s: float = field(default=1.0, metadata=bounds(0, 3600))
    restart_backoff_max_s: float = field(default=30.0, metadata=bounds(0, 3600))

    def validate(self, path: str = "teacher") -> None:
        if self.restart_backoff_max_s < self.restart_backoff_s:
            raise ConfigError(f"{path}.restart_backoff_max_s",
                              f"must be >= restart_backoff_s ({self.restart_backoff_s}), "
                              f"got {self.restart_backoff_max_s}")
        if self.trigger_bank + self.trigger_hold > self.burst - 1:
            raise ConfigError(f"{path}.trigger_bank",
                              f"trigger_bank + trigger_hold must be <= burst - 1 "
                              f"({self.burst - 1:g}: the bucket must hold the reserve), got "
                              f"{self.trigger_bank} + {self.trigger_hold}")

    @property
    def rate(self) -> float:
        """Budget in seconds of teacher compute per second of clock time."""
        if self.budget_ms_per_s is not None:
            return self.budget_ms_per_s / 1000.0
        return self.budget


@dataclass
class FrameContext:
    """What a policy sees of one frame (after the student ran).

    image: (H, W, 3) uint8 BGR or None. student: the student's detections (source px).
    tracks: the tracker's last snapshot (may be empty). teacher_state: ``ready``,
    ``busy``, ``disabled`` or ``backoff`` (from the teacher worker).
    """

    t: float
    frame_index: int
    image: np.ndarray | None = None
    student: Detections | None = None
    tracks: Sequence[TrackView] = ()
    teacher_state: str = "ready"


@dataclass(frozen=True)
class Decision:
    run: bool
    reason: str   # run: the trigger ("due", "budget", "staleness", ...); skip: the skip reason


def _iou_max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each box of a (N,4) its best IoU against b (M,4); (N,) float32, 0 when M == 0."""
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0],), np.float32)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    iou = inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)
    return iou.max(axis=1).astype(np.float32)


class Scheduler:
    """Base: skip bookkeeping, teacher latency estimate, staleness."""

    policy = ""

    def __init__(self, cfg: TeacherConfig, metrics=None) -> None:
        self.cfg = cfg
        self.metrics = metrics
        self.latency_s = cfg.latency_estimate_s     # moving average of measured latencies
        self.skips: Counter[str] = Counter()
        self.run_reasons: Counter[str] = Counter()
        self.runs = 0
        self.spent_s = 0.0                           # measured teacher compute so far
        self.t_last_run: float | None = None         # clock time of the last run's frame
        self._reserved: list[float] = []             # estimates reserved by runs in flight

    # -- to override ------------------------------------------------------------------
    def _observe(self, ctx: FrameContext) -> None:
        """Sees every frame, also while the teacher is busy (signals, baselines)."""

    def _want(self, ctx: FrameContext) -> Decision:
        raise NotImplementedError

    def _charge(self, est: float) -> None:
        """Called when a run starts with the reserved latency estimate."""

    def _correct(self, actual: float, reserved: float) -> None:
        """Called when a run ends: actual compute vs the reservation."""

    # -- public -----------------------------------------------------------------------
    def decide(self, ctx: FrameContext) -> Decision:
        """Whether the teacher should run on this frame. Counts the skip when not.

        The caller must call :meth:`started` if it then submitted the frame.
        """
        self._observe(ctx)
        if ctx.teacher_state != "ready":
            return self._skip(ctx.teacher_state)
        d = self._want(ctx)
        if not d.run:
            return self._skip(d.reason)
        return d

    def _skip(self, reason: str) -> Decision:
        self.skips[reason] += 1
        if self.metrics is not None:
            self.metrics.on_teacher_skip(reason)
        return Decision(False, reason)

    def started(self, ctx: FrameContext, decision: Decision) -> None:
        """The teacher accepted the frame: reserve its estimated cost."""
        self.runs += 1
        self.run_reasons[decision.reason] += 1
        self.t_last_run = ctx.t
        self._reserved.append(self.latency_s)
        self._charge(self.latency_s)
        self._on_started(ctx)

    def _on_started(self, ctx: FrameContext) -> None:
        pass

    def finished(self, latency_s: float) -> None:
        """A run ended (result or failure) after ``latency_s`` seconds of teacher compute
        (the worker reports thread CPU time, so waiting for a busy core is not charged)."""
        reserved = self._reserved.pop(0) if self._reserved else self.latency_s
        self.spent_s += latency_s
        a = self.cfg.latency_ema
        self.latency_s = (1 - a) * self.latency_s + a * latency_s
        self._correct(latency_s, reserved)

    def staleness(self, t: float) -> float:
        """Seconds since the frame of the last teacher run (inf before the first)."""
        return float("inf") if self.t_last_run is None else t - self.t_last_run

    def utilization(self, t: float) -> float:
        """Teacher compute spent / budget granted so far (0 when nothing was granted)."""
        return 0.0


class FixedScheduler(Scheduler):
    """Every ``interval``-th frame (by frame index)."""

    policy = "fixed"

    def _want(self, ctx: FrameContext) -> Decision:
        if ctx.frame_index % self.cfg.interval == 0:
            return Decision(True, "due")
        return Decision(False, "not_due")


class BudgetScheduler(Scheduler):
    """Token bucket of teacher compute seconds (see module docstring)."""

    policy = "budget"

    def __init__(self, cfg: TeacherConfig, metrics=None) -> None:
        super().__init__(cfg, metrics)
        self.rate = cfg.rate
        self.t_first: float | None = None
        self.tokens = 0.0
        self.initial = 0.0                           # tokens granted at the first frame
        self._t_fill: float | None = None

    @property
    def capacity(self) -> float:
        """Bucket size in compute seconds: ``burst`` runs at the current latency estimate."""
        return self.cfg.burst * self.latency_s

    def _fill(self, t: float) -> None:
        if self._t_fill is None:
            self.t_first = t
            # Start with one run's worth so the first frame gets a teacher result.
            self.tokens = self.initial = self.latency_s
        else:
            self.tokens = min(self.capacity, self.tokens + self.rate * max(t - self._t_fill, 0.0))
        self._t_fill = t

    def affordable(self, t: float) -> bool:
        self._fill(t)
        return self.tokens >= self.latency_s - EPS

    def _want(self, ctx: FrameContext) -> Decision:
        if self.affordable(ctx.t):
            return Decision(True, "budget")
        return Decision(False, "no_budget")

    def _charge(self, est: float) -> None:
        self.tokens -= est

    def _correct(self, actual: float, reserved: float) -> None:
        self.tokens -= actual - reserved

    def granted(self, t: float) -> float:
        """Compute seconds the bucket has granted since the first frame (incl. the start run)."""
        if self.t_first is None:
            return 0.0
        return self.initial + self.rate * (t - self.t_first)

    def utilization(self, t: float) -> float:
        g = self.granted(t)
        return self.spent_s / g if g > 0 else 0.0


class AdaptiveScheduler(BudgetScheduler):
    """The budget bucket plus triggers (see module docstring)."""

    policy = "adaptive"

    def __init__(self, cfg: TeacherConfig, metrics=None) -> None:
        super().__init__(cfg, metrics)
        self._thumb_prev: np.ndarray | None = None  # grey thumbnail of the previous frame
        self._cut = False                           # a cut was seen since the last run
        self._fired: list[str] = []
        self._score_base: float | None = None       # running mean student score
        self._new_base: float | None = None         # running score-weighted unmatched count
        self._need_short: float | None = None       # need signal: short and long averages
        self._need_base: float | None = None
        self._z = 0.0                               # relative need of the current frame
        self._t_prev: float | None = None
        self._seen_ids: set[int] = set()
        self.trigger_counts: Counter[str] = Counter()

    def _thumbnail(self, image: np.ndarray) -> np.ndarray:
        small = cv2.resize(image, THUMB_SIZE, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)

    @staticmethod
    def _ema(base: float | None, x: float, a: float) -> float:
        return x if base is None else (1 - a) * base + a * x

    def need(self, ctx: FrameContext, a_short: float, a_base: float) -> float:
        """Relative need for the teacher in [-1, 1]: positive when more of the scene rests on
        the student's misses than usual, negative when less.

        Raw need per frame: confirmed/lost tracks no student detection (score >=
        trigger_new_score) overlaps with IoU >= trigger_match_iou (carried by prediction
        and stale teacher boxes only) plus the score-weighted count of such student
        detections no track overlaps (new objects). Its short average (``trigger_need_s``)
        is compared with its long one (``trigger_baseline_s``).
        """
        cfg = self.cfg
        det = ctx.student
        tracks = [tr for tr in ctx.tracks if tr.state != "tentative"]
        track_boxes = np.asarray([tr.box for tr in tracks], np.float32).reshape(-1, 4)
        if det is not None and len(det):
            strong = det.boxes[det.scores >= cfg.trigger_new_score]
            s_strong = det.scores[det.scores >= cfg.trigger_new_score]
        else:
            strong, s_strong = np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
        carried = int((_iou_max(track_boxes, strong) < cfg.trigger_match_iou).sum())
        new = float(s_strong[_iou_max(strong, track_boxes) < cfg.trigger_match_iou].sum())
        raw = carried + new
        self._need_short = self._ema(self._need_short, raw, a_short)
        self._need_base = self._ema(self._need_base, raw, a_base)
        return float(np.clip((self._need_short - self._need_base) / max(self._need_base, 1.0),
                             -1.0, 1.0))

    def triggers(self, ctx: FrameContext) -> list[str]:
        """Names of the triggers that fire on this frame (also updates their baselines)."""
        cfg = self.cfg
        dt = 0.0 if self._t_prev is None else max(ctx.t - self._t_prev, 0.0)
        self._t_prev = ctx.t
        a_base = 1.0 - float(np.exp(-dt / cfg.trigger_baseline_s))   # baseline EMA weights
        a_short = 1.0 - float(np.exp(-dt / cfg.trigger_need_s))
        fired = []
        if self.staleness(ctx.t) >= cfg.max_staleness_s:
            fired.append("staleness")
        if ctx.image is not None and cfg.trigger_scene_change > 0:
            # a cut is an abrupt change between consecutive frames (a pan or a crowd
            # moving changes a 32x18 thumbnail by a few grey levels per frame); it stays
            # pending until the teacher runs, also through frames it is busy on
            thumb = self._thumbnail(ctx.image)
            if self._thumb_prev is not None and \
                    float(np.abs(thumb - self._thumb_prev).mean()) >= cfg.trigger_scene_change:
                self._cut = True
            self._thumb_prev = thumb
            if self._cut:
                fired.append("scene_change")
        det = ctx.student
        if det is not None and cfg.trigger_new_detections > 0:
            track_boxes = np.asarray([tr.box for tr in ctx.tracks], np.float32).reshape(-1, 4)
            strong = det.scores >= cfg.trigger_new_score
            unmatched = _iou_max(det.boxes[strong], track_boxes) < cfg.trigger_match_iou
            weight = float(det.scores[strong][unmatched].sum())
            # the first frame only sets the baseline (before any track, all are unmatched)
            if self._new_base is not None and weight - self._new_base >= \
                    cfg.trigger_new_detections * cfg.trigger_new_score - EPS:
                fired.append("new_detections")
            self._new_base = self._ema(self._new_base, weight, a_base)
        if cfg.trigger_uncertain_s > 0:
            # A confirmed track unseen for trigger_uncertain_s has a grown Kalman covariance;
            # each such track fires once (it was still seen at the last run).
            ids = {tr.id for tr in ctx.tracks
                   if tr.state != "tentative" and ctx.t - tr.t_last_seen >= cfg.trigger_uncertain_s}
            if ids - self._seen_ids:
                fired.append("uncertain_tracks")
        if det is not None and cfg.trigger_confidence_drop > 0 and len(det):
            mean = float(det.scores.mean())
            if self._score_base is not None and \
                    mean < self._score_base * (1 - cfg.trigger_confidence_drop):
                fired.append("confidence_drop")
            self._score_base = self._ema(self._score_base, mean, a_base)
        self._z = self.need(ctx, a_short, a_base) if cfg.trigger_hold > 0 else 0.0
        return fired

    def _reserve(self) -> float:
        """Compute seconds held for immediate triggers (``trigger_bank`` runs)."""
        return min(self.cfg.trigger_bank * self.latency_s, self.capacity - self.latency_s)

    def _fill(self, t: float) -> None:
        first = self._t_fill is None
        super()._fill(t)
        if first:   # start with one run plus a full reserve
            self.tokens = self.initial = self.latency_s + self._reserve()

    def _observe(self, ctx: FrameContext) -> None:
        self._fired = self.triggers(ctx)

    def _want(self, ctx: FrameContext) -> Decision:
        cfg = self.cfg
        fired = self._fired
        if not self.affordable(ctx.t):
            return Decision(False, "no_budget")
        for name in fired:
            self.trigger_counts[name] += 1
        if "staleness" in fired:
            return Decision(True, "staleness")
        if "scene_change" in fired:     # a cut: the last result describes another scene
            return Decision(True, "scene_change")
        natural = self.latency_s / self.rate
        phase = self.staleness(ctx.t) / natural
        if fired and phase >= cfg.trigger_min_interval - EPS:
            return Decision(True, fired[0])
        # Regular runs: the budget's rhythm (one per natural interval), moved by need when
        # trigger_hold > 0, and stretched while the trigger reserve refills.
        due = max(1.0 - cfg.trigger_hold * self._z, cfg.trigger_min_interval)
        if self.tokens < self.latency_s + self._reserve() - EPS:
            due *= 1.0 + cfg.trigger_refill
        if phase >= due - EPS:
            return Decision(True, "need" if self._z > 0 else "due")
        if self.tokens >= self.capacity - EPS:      # waiting would waste budget
            return Decision(True, "due")
        return Decision(False, "no_trigger")

    def _on_started(self, ctx: FrameContext) -> None:
        self._cut = False
        self._seen_ids = {tr.id for tr in ctx.tracks
                          if tr.state != "tentative"
                          and ctx.t - tr.t_last_seen >= self.cfg.trigger_uncertain_s}


_POLICIES = {"fixed": FixedScheduler, "budget": BudgetScheduler, "adaptive": AdaptiveScheduler}


def make_scheduler(cfg: TeacherConfig, metrics=None) -> Scheduler:
    """The scheduler named by ``cfg.policy``."""
    return _POLICIES[cfg.policy](cfg, metrics)
